/**
 * Canary rollouts of policy versions: which version a share of the calls runs under, since
 * when, and how it ended. At most one runs per workspace; ending one is a compare-and-set, so
 * when several processes judge the same canary only one of them acts on its verdict.
 *
 * @example
 *   await store.canaries.start({ id, workspaceId, version, baseVersion, percent: 10, ... });
 *   const figures = await store.canaries.outcomes(workspaceId, [version, baseVersion], since);
 */
export type CanaryOutcome = 'promoted' | 'rolled_back' | 'stopped';

export interface PolicyCanary {
  /** Also salts the split, so each canary draws its own P % of users. */
  id: string;
  workspaceId: string;
  /** The version under trial. */
  version: string;
  /** The version active when the canary started: what the canary is compared with. */
  baseVersion: string;
  /** Share of users (1–100) whose calls run under `version`. */
  percent: number;
  startedAt: string;
  startedBy: string;
  reason: string;
  /** Unset while the canary runs. */
  ended?: { at: string; by: string; outcome: CanaryOutcome; reason: string };
}

/** What the governed calls served by one policy version came to (from the audit log). */
export interface VersionOutcomes {
  calls: number;
  refused: number;
  /** Calls that failed (a provider or internal error) rather than being answered or refused. */
  errors: number;
  /** Answers output validation refused for lack of support in the retrieved passages. */
  groundingFailures: number;
  /** Nearest-rank 95th percentile of the call latency; null without calls. */
  latencyP95Ms: number | null;
}

export interface CanaryStore {
  /** Records a running canary; throws when the workspace already has one running. */
  start(canary: Omit<PolicyCanary, 'ended'>): Promise<PolicyCanary>;
  running(workspaceId: string): Promise<PolicyCanary | undefined>;
  /** Ends the canary if it still runs; false when someone (another process) ended it first. */
  end(id: string, ended: NonNullable<PolicyCanary['ended']>): Promise<boolean>;
  /** Newest first. */
  list(workspaceId: string, limit: number): Promise<PolicyCanary[]>;
  /** Governed calls (`chat` audit records) per policy version since `since` (ISO time). */
  outcomes(
    workspaceId: string,
    versions: string[],
    since: string,
  ): Promise<Record<string, VersionOutcomes>>;
}
