import { createTwoFilesPatch } from 'diff';
import { NotFoundError, ValidationError } from '../errors.js';
import { DEFAULT_WORKSPACE, type PolicyActivation, type PolicyStore } from '../store/store.js';
import { type PolicyComparison, compareFiles } from './policy-compare.js';
import {
  type PolicyBundle,
  compilePolicyBundle,
  readPolicyFiles,
  versionOf,
} from './policy-bundle.js';

export interface PolicyVersionSummary {
  version: string;
  createdAt: string;
  active: boolean;
}

/**
 * Policy versions and their activations. Files on disk are only a proposal: the running
 * version is whatever the newest activation pins, so editing files changes nothing until
 * `activate`, and `rollback` restores the exact content that ran before.
 */
export class PolicyService {
  private readonly compiled = new Map<string, PolicyBundle>();

  constructor(
    private readonly store: PolicyStore,
    private readonly policiesDir: string,
    private readonly workspaceId = DEFAULT_WORKSPACE,
  ) {}

  /** The bundle of the active version; on a database with no activation, activates the files on disk. */
  async current(): Promise<PolicyBundle> {
    const [latest] = await this.store.listActivations(this.workspaceId, 1);
    if (!latest) {
      const activation = await this.activate(undefined, { actor: 'system', reason: 'first start' });
      return this.bundle(activation.version);
    }
    return this.bundle(latest.version);
  }

  async bundle(version: string): Promise<PolicyBundle> {
    const cached = this.compiled.get(version);
    if (cached) return cached;
    const record = await this.store.getPolicyVersion(version);
    if (!record)
      throw new NotFoundError('policy_version_not_found', `No policy version ${version}`);
    const bundle = compilePolicyBundle(record.files);
    this.compiled.set(version, bundle);
    return bundle;
  }

  /** Validates the files on disk and records them as a version (not activated). */
  async snapshotDisk(): Promise<PolicyBundle> {
    const files = await readPolicyFiles(this.policiesDir);
    const bundle = compilePolicyBundle(files);
    await this.store.savePolicyVersion({
      version: versionOf(files),
      files,
      createdAt: new Date().toISOString(),
    });
    this.compiled.set(bundle.version, bundle);
    return bundle;
  }

  /** Finds a stored version by its full id or a unique prefix of at least 4 characters. */
  async resolve(versionOrPrefix: string): Promise<string> {
    const prefix = versionOrPrefix.trim().toLowerCase();
    if (!/^[0-9a-f]{4,64}$/.test(prefix)) {
      throw new ValidationError(
        'policy_version_invalid',
        `"${versionOrPrefix}" is not a policy version (4–12 hex characters)`,
      );
    }
    const matches = await this.store.findPolicyVersions(prefix);
    if (matches.length === 0)
      throw new NotFoundError(
        'policy_version_not_found',
        `No policy version starts with ${prefix}`,
      );
    if (matches.length > 1) {
      throw new ValidationError(
        'policy_version_ambiguous',
        `${prefix} matches ${matches.length} versions; give more characters`,
        {
          matches: matches.map((match) => match.version),
        },
      );
    }
    return matches[0]!.version;
  }

  /** Activates a stored version, or (with none given) the files on disk. Always recorded. */
  async activate(
    version: string | undefined,
    by: { actor: string; reason: string; action?: PolicyActivation['action'] },
  ): Promise<PolicyActivation> {
    const target = version ? await this.resolve(version) : (await this.snapshotDisk()).version;
    await this.bundle(target);
    const [latest] = await this.store.listActivations(this.workspaceId, 1);
    return this.store.recordActivation({
      workspaceId: this.workspaceId,
      version: target,
      previousVersion: latest?.version ?? null,
      actor: by.actor,
      reason: by.reason,
      activatedAt: new Date().toISOString(),
      action: by.action ?? 'activate',
    });
  }

  /** Re-activates the version that ran before the current one (or `to`), as a new activation. */
  async rollback(by: { actor: string; reason: string; to?: string }): Promise<PolicyActivation> {
    const [latest] = await this.store.listActivations(this.workspaceId, 1);
    const target = by.to ? await this.resolve(by.to) : latest?.previousVersion;
    if (!latest || !target) {
      throw new ValidationError(
        'nothing_to_roll_back',
        'There is no earlier policy version to roll back to',
      );
    }
    if (target === latest.version) {
      throw new ValidationError('nothing_to_roll_back', `Version ${target} is already active`);
    }
    return this.activate(target, {
      actor: by.actor,
      reason: by.reason || `rollback from ${latest.version}`,
      action: 'rollback',
    });
  }

  async list(): Promise<{ versions: PolicyVersionSummary[]; activations: PolicyActivation[] }> {
    const activations = await this.store.listActivations(this.workspaceId, 100);
    const activeVersion = activations[0]?.version;
    const versions = (await this.store.listPolicyVersions()).map((entry) => ({
      ...entry,
      active: entry.version === activeVersion,
    }));
    return { versions, activations };
  }

  async files(
    version: string | 'disk',
  ): Promise<{ version: string; files: Record<string, string> }> {
    if (version === 'disk') {
      const files = await readPolicyFiles(this.policiesDir);
      return { version: versionOf(files), files };
    }
    const resolved = await this.resolve(version);
    const record = await this.store.getPolicyVersion(resolved);
    if (!record)
      throw new NotFoundError('policy_version_not_found', `No policy version ${resolved}`);
    return { version: record.version, files: record.files };
  }

  /** Two versions ('disk' = the files on disk) side by side, file by file. */
  async compare(from: string, to: string | 'disk'): Promise<PolicyComparison> {
    const left = await this.files(from);
    const right = await this.files(to);
    return { from: left.version, to: right.version, files: compareFiles(left.files, right.files) };
  }

  /** Unified diff between two versions ('disk' = the files on disk), file by file. */
  async diff(from: string, to: string | 'disk'): Promise<string> {
    const comparison = await this.compare(from, to);
    return comparison.files
      .filter((file) => file.status !== 'same')
      .map((file) =>
        createTwoFilesPatch(
          `${comparison.from}/${file.path}`,
          `${comparison.to}/${file.path}`,
          file.before ?? '',
          file.after ?? '',
        ),
      )
      .join('\n');
  }
}
