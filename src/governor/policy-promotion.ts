import { ValidationError } from '../errors.js';
import { DEFAULT_WORKSPACE, type AuditStore, type PolicyStore } from '../store/store.js';
import { appendAdminAudit } from './admin-audit.js';
import { compilePolicyBundle, readPolicyFiles, versionOf } from './policy-bundle.js';
import type { PolicyService } from './policy-service.js';

/** How many activations of the source are searched for the promoted version. */
const SOURCE_HISTORY = 10_000;

export interface PromotionResult {
  version: string;
  /** The version that ran in the target before; the same as `version` when nothing changed. */
  previousVersion: string | null;
  /** False when the version was already active in the target (nothing recorded). */
  activated: boolean;
}

/**
 * Promotes a policy version from the environment before (its database: `source`) into this one:
 * the version must have run there (been activated), its files must hash to its version, and they
 * must compile here. The exact files are stored here, activated, and the promotion is written to
 * this environment's activation history and audit chain. Each refusal is one sentence.
 *
 * @example
 *   await promotePolicy({ source, sourceLabel: 'postgres://db-staging:5432/keel', version: '9f63',
 *     target: keel.policies, targetStore: keel.store, secret, actor: 'cli:ops', reason: 'release 12' });
 */
export async function promotePolicy(options: {
  source: PolicyStore;
  sourceLabel: string;
  version: string;
  target: PolicyService;
  targetStore: PolicyStore & AuditStore;
  secret: string | undefined;
  actor: string;
  reason?: string;
}): Promise<PromotionResult> {
  const { source, sourceLabel, target, targetStore } = options;
  const prefix = options.version.trim().toLowerCase();
  if (!/^[0-9a-f]{4,12}$/.test(prefix)) {
    throw new ValidationError(
      'policy_version_invalid',
      `"${options.version}" is not a policy version (4–12 hex characters, as keel policy list shows).`,
    );
  }
  const matches = await source.findPolicyVersions(prefix);
  if (matches.length === 0) {
    throw new ValidationError(
      'policy_version_not_found',
      `Policy version ${prefix} is not in the source environment (${sourceLabel}).`,
    );
  }
  if (matches.length > 1) {
    throw new ValidationError(
      'policy_version_ambiguous',
      `${prefix} matches ${matches.length} versions in the source environment; give more characters.`,
    );
  }
  const record = matches[0]!;
  const version = record.version;
  if (versionOf(record.files) !== version) {
    throw new ValidationError(
      'policy_hash_mismatch',
      `The files of policy version ${version} in the source environment do not hash to ${version}, so they are not promoted.`,
    );
  }
  const ranInSource = (await source.listActivations(DEFAULT_WORKSPACE, SOURCE_HISTORY)).some(
    (activation) => activation.version === version,
  );
  if (!ranInSource) {
    throw new ValidationError(
      'policy_not_activated_in_source',
      `Policy version ${version} was never activated in the source environment (${sourceLabel}); activate and test it there before promoting it.`,
    );
  }
  // Compiled by this Keel: a version its schema rejects is refused before anything is stored.
  compilePolicyBundle(record.files);
  const existing = await targetStore.getPolicyVersion(version);
  if (existing && versionOf(existing.files) !== version) {
    throw new ValidationError(
      'policy_hash_mismatch',
      `This environment already holds a version ${version} whose files do not hash to it; it is not replaced.`,
    );
  }
  const [latest] = await targetStore.listActivations(DEFAULT_WORKSPACE, 1);
  if (latest?.version === version) {
    return { version, previousVersion: version, activated: false };
  }
  if (!existing) {
    await targetStore.savePolicyVersion({
      version,
      files: record.files,
      createdAt: new Date().toISOString(),
    });
  }
  const activation = await target.activate(version, {
    actor: options.actor,
    reason: `promoted from ${sourceLabel}${options.reason ? `: ${options.reason}` : ''}`,
  });
  await appendAdminAudit(targetStore, options.secret, {
    action: 'policy.promote',
    target: `policy:${version}`,
    actor: options.actor,
    policyVersion: version,
    changes: [
      `from: ${activation.previousVersion ?? '-'}`,
      `source: ${sourceLabel}`,
      `reason: ${activation.reason}`,
    ],
  });
  return { version, previousVersion: activation.previousVersion, activated: true };
}

/**
 * The pin of an environment (`KEEL_POLICY_VERSION`), applied when a process starts: the pinned
 * version becomes active if it is not (from the database, where `keel policy promote` put it,
 * or from the files in the policies folder when they are that version); without it anywhere,
 * start-up stops with one sentence.
 */
export async function applyPolicyPin(options: {
  pin: string | undefined;
  policies: PolicyService;
  store: PolicyStore & AuditStore;
  policiesDir: string;
  secret: string | undefined;
}): Promise<'none' | 'active' | 'activated'> {
  const { pin, policies, store } = options;
  if (!pin) return 'none';
  const [latest] = await store.listActivations(DEFAULT_WORKSPACE, 1);
  if (latest?.version === pin) return 'active';
  const stored = await store.getPolicyVersion(pin);
  if (stored && versionOf(stored.files) !== pin) {
    throw new ValidationError(
      'policy_hash_mismatch',
      `KEEL_POLICY_VERSION pins ${pin}, but the stored files of that version do not hash to it; Keel does not start on them.`,
    );
  }
  if (!stored) {
    const disk = await readPolicyFiles(options.policiesDir).catch(() => ({}));
    if (versionOf(disk) !== pin) {
      throw new ValidationError(
        'policy_pin_unavailable',
        `KEEL_POLICY_VERSION pins policy version ${pin}, which this environment does not have: promote it with \`keel policy promote --version ${pin} --from <previous environment>\` or deploy its files, then start again.`,
      );
    }
    await policies.snapshotDisk();
  }
  const activation = await policies.activate(pin, {
    actor: 'system',
    reason: 'pinned by KEEL_POLICY_VERSION',
  });
  await appendAdminAudit(store, options.secret, {
    action: 'policy.activate',
    target: `policy:${pin}`,
    actor: 'system',
    policyVersion: pin,
    changes: [`from: ${activation.previousVersion ?? '-'}`, `reason: ${activation.reason}`],
  });
  return 'activated';
}
