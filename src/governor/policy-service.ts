import { createTwoFilesPatch } from 'diff';
import { NotFoundError, ValidationError } from '../errors.js';
import type { PubSub } from '../events/pubsub.js';
import { RedisUnavailableError } from '../redis/connection.js';
import type { CanaryStore, PolicyCanary } from '../store/canary-store.js';
import { DEFAULT_WORKSPACE, type PolicyActivation, type PolicyStore } from '../store/store.js';
import { servesCanary } from './canary-split.js';
import { type PolicyComparison, compareFiles } from './policy-compare.js';
import {
  type PolicyBundle,
  compilePolicyBundle,
  readPolicyFiles,
  versionOf,
} from './policy-bundle.js';

/**
 * Channel on which every process hears that some process activated a policy version, or began
 * or ended a canary of one.
 */
export const POLICY_ACTIVATED_CHANNEL = 'policy-activated';

/**
 * How long the active version is trusted from memory before the database is asked again: the
 * bound on how late a process that missed the activation event (pub/sub is at most once, and a
 * CLI on the SQLite file has no channel to `keel serve`) starts running a new version.
 */
export const ACTIVE_RECHECK_MS = 1_000;

/** How often a subscription refused while Redis is unreachable is tried again. */
const LISTEN_RETRY_MS = 1_000;

/** What serves the calls: the active version, and a canary of another one if it runs. */
interface ServingState {
  version: string;
  canary: PolicyCanary | undefined;
  /** Clock ms when it was read or set here. */
  at: number;
}

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
  /** The serving state as last read or set here. */
  private active: ServingState | undefined;
  private reading: Promise<ServingState> | undefined;
  /** Bumped by every activation heard or made, so a read begun before one cannot undo it. */
  private generation = 0;
  private events: PubSub | undefined;
  private readonly activationListeners = new Set<(activation: PolicyActivation) => void>();

  constructor(
    private readonly store: PolicyStore & { readonly canaries: CanaryStore },
    private readonly policiesDir: string,
    private readonly workspaceId = DEFAULT_WORKSPACE,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Hears activations made by other processes (through Redis in server mode) and tells them
   * about this one's, so every process switches version at once instead of within
   * ACTIVE_RECHECK_MS.
   */
  async listen(events: PubSub, retryMs = LISTEN_RETRY_MS): Promise<void> {
    this.events = events;
    const subscribe = () => events.subscribe(POLICY_ACTIVATED_CHANNEL, () => this.forget());
    // Redis down at start must not stop the process: until the channel is back, the version is
    // still re-read every ACTIVE_RECHECK_MS; the subscription is retried in the background.
    const retry = () =>
      setTimeout(() => {
        subscribe().catch((error: unknown) => {
          if (error instanceof RedisUnavailableError) retry();
        });
      }, retryMs).unref();
    try {
      await subscribe();
    } catch (error) {
      if (!(error instanceof RedisUnavailableError)) throw error;
      retry();
    }
  }

  /**
   * The bundle a call runs under: the active version, or the canary's for the share of
   * subjects it serves (`subject` is who asks; without one, the active version). On a database
   * with no activation, activates the files on disk. Called on every governed call, so the
   * state comes from memory, re-read from the database at most every ACTIVE_RECHECK_MS and at
   * once after an activation or canary event.
   */
  async current(subject?: string): Promise<PolicyBundle> {
    const { version, canary } = await this.serving();
    if (canary && subject !== undefined && servesCanary(canary, subject))
      return this.bundle(canary.version);
    return this.bundle(version);
  }

  /** The running canary as this process serves it (at most ACTIVE_RECHECK_MS old). */
  async canary(): Promise<PolicyCanary | undefined> {
    return (await this.serving()).canary;
  }

  private async serving(): Promise<ServingState> {
    const active = this.active;
    if (active && this.clock() - active.at < ACTIVE_RECHECK_MS) return active;
    // Calls arriving together while the state is re-read share that one read.
    this.reading ??= this.readServing().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readServing(): Promise<ServingState> {
    const at = this.clock();
    const generation = this.generation;
    const [[latest], canary] = await Promise.all([
      this.store.listActivations(this.workspaceId, 1),
      this.store.canaries.running(this.workspaceId),
    ]);
    if (!latest) {
      await this.activate(undefined, { actor: 'system', reason: 'first start' });
      return this.readServing();
    }
    const state = { version: latest.version, canary, at };
    if (generation === this.generation) this.active = state;
    return state;
  }

  /**
   * Forgets the serving state here and tells every process to re-read it: called after a
   * canary began or ended, so its calls switch within moments everywhere.
   */
  async changed(): Promise<void> {
    this.forget();
    await this.announce();
  }

  /** The next call re-reads the state; a read begun before now neither serves it nor keeps it. */
  private forget(): void {
    this.generation += 1;
    this.active = undefined;
    this.reading = undefined;
  }

  /** Best effort: a process that misses it re-reads within ACTIVE_RECHECK_MS anyway. */
  private async announce(): Promise<void> {
    await this.events?.publish(POLICY_ACTIVATED_CHANNEL, {}).catch(() => undefined);
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
    const activation = await this.store.recordActivation({
      workspaceId: this.workspaceId,
      version: target,
      previousVersion: latest?.version ?? null,
      actor: by.actor,
      reason: by.reason,
      activatedAt: new Date().toISOString(),
      action: by.action ?? 'activate',
    });
    this.forget();
    await this.announce();
    for (const listener of this.activationListeners) listener(activation);
    return activation;
  }

  /** Calls `listener` after each activation made by this process (the realtime agent updates). */
  onActivation(listener: (activation: PolicyActivation) => void): void {
    this.activationListeners.add(listener);
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
