import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { CanaryOutcome, CanaryStore, PolicyCanary } from '../store/canary-store.js';
import { DEFAULT_WORKSPACE, type AuditStore } from '../store/store.js';
import { appendAdminAudit } from './admin-audit.js';
import {
  type CanaryComparison,
  describeComparison,
  figuresOf,
  judgeCanary,
} from './canary-verdict.js';
import type { PolicyService } from './policy-service.js';

/** How often each process judges the running canary; a verdict acts in every process within it plus a moment. */
export const CANARY_EVALUATE_MS = 2_000;
/** The actor of the steps the canary takes on its own. */
export const CANARY_ACTOR = 'system:canary';

const AUDIT_ACTION: Record<CanaryOutcome, string> = {
  promoted: 'policy.canary.promote',
  rolled_back: 'policy.canary.rollback',
  stopped: 'policy.canary.stop',
};

export interface CanaryStatus {
  canary: PolicyCanary | null;
  /** The running canary against the active version, with the verdict it would get now. */
  comparison: CanaryComparison | null;
  /** Canaries of this workspace, newest first, the running one included. */
  history: PolicyCanary[];
}

/** Who asked for a step, and why; `traceId` ties its audit record to the request. */
export interface CanaryRequest {
  actor: string;
  reason?: string;
  traceId?: string;
}

/**
 * Canary rollouts of a policy version: `start` serves it to a share of the users (see
 * `servesCanary`), `evaluate` compares it with the active version over the window and promotes
 * or rolls it back, `stop` ends it by hand. Every step goes into the audit chain with its
 * reason and figures, and every process hears of it through the policy channel.
 *
 * @example
 *   const canaries = new CanaryService({ store, policies, secret });
 *   await canaries.start('3f9a', 10, { actor: 'cli:ops', reason: 'stricter topics' });
 *   const stopWatching = canaries.watch(logger); // judges every CANARY_EVALUATE_MS
 */
export class CanaryService {
  private readonly workspaceId: string;
  private readonly clock: () => number;

  constructor(
    private readonly deps: {
      store: AuditStore & { readonly canaries: CanaryStore };
      policies: PolicyService;
      secret: string | undefined;
      workspaceId?: string;
      clock?: () => number;
    },
  ) {
    this.workspaceId = deps.workspaceId ?? DEFAULT_WORKSPACE;
    this.clock = deps.clock ?? Date.now;
  }

  async start(version: string, percent: number, by: CanaryRequest): Promise<PolicyCanary> {
    if (!Number.isInteger(percent) || percent < 1 || percent > 100) {
      throw new ValidationError(
        'canary_percent_invalid',
        `The canary's share must be a whole percent from 1 to 100 (got ${percent})`,
        { percent },
      );
    }
    const target = await this.deps.policies.resolve(version);
    // Compiles it: a version that cannot run is refused before any call meets it.
    await this.deps.policies.bundle(target);
    const active = (await this.deps.policies.current()).version;
    if (target === active) {
      throw new ValidationError('canary_is_active', `Version ${target} is already active`);
    }
    const canary = {
      id: randomUUID(),
      workspaceId: this.workspaceId,
      version: target,
      baseVersion: active,
      percent,
      startedAt: new Date(this.clock()).toISOString(),
      startedBy: by.actor,
      reason: by.reason ?? 'canary started',
    };
    await this.refuseIfRunning();
    // Two starts at once: the database keeps one; the other is told like the check above.
    await this.deps.store.canaries.start(canary).catch(async (error: unknown) => {
      await this.refuseIfRunning();
      throw error;
    });
    await this.audit('policy.canary.start', canary, by, [
      `percent: ${percent}`,
      `active: ${active}`,
      `reason: ${canary.reason}`,
    ]);
    await this.deps.policies.changed();
    return canary;
  }

  async stop(by: CanaryRequest): Promise<PolicyCanary> {
    const canary = await this.deps.store.canaries.running(this.workspaceId);
    if (!canary) throw new NotFoundError('canary_not_running', 'No policy canary is running');
    const comparison = await this.compare(canary);
    const ended = await this.finish(canary, 'stopped', by, [by.reason ?? 'stopped'], comparison);
    if (!ended) throw new NotFoundError('canary_not_running', 'The canary has just ended');
    return ended;
  }

  async status(): Promise<CanaryStatus> {
    const [canary, history] = await Promise.all([
      this.deps.store.canaries.running(this.workspaceId),
      this.deps.store.canaries.list(this.workspaceId, 20),
    ]);
    return {
      canary: canary ?? null,
      comparison: canary ? await this.compare(canary) : null,
      history,
    };
  }

  /**
   * Judges the running canary and acts on the verdict: rollback, promotion, or (when another
   * version was activated meanwhile) a stop. Returns the canary as ended here, if it was.
   */
  async evaluate(): Promise<PolicyCanary | undefined> {
    const canary = await this.deps.store.canaries.running(this.workspaceId);
    if (!canary) return undefined;
    const by = { actor: CANARY_ACTOR };
    const active = (await this.deps.policies.current()).version;
    if (active !== canary.baseVersion) {
      const reason = `version ${active} was activated while the canary ran`;
      return this.finish(canary, 'stopped', by, [reason]);
    }
    const comparison = await this.compare(canary);
    const { decision, reasons } = comparison.verdict;
    if (decision === 'continue') return undefined;
    const outcome = decision === 'promote' ? 'promoted' : 'rolled_back';
    return this.finish(canary, outcome, by, reasons, comparison);
  }

  /**
   * Judges the running canary every `intervalMs` in the background; returns the function that
   * stops it. Cheap while no canary runs: the check reads the serving state from memory.
   */
  watch(logger: Pick<Logger, 'info' | 'error'>, intervalMs = CANARY_EVALUATE_MS): () => void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      this.deps.policies
        .canary()
        .then((running) => (running ? this.evaluate() : undefined))
        .then((ended) => {
          if (ended)
            logger.info(
              { canary: ended.id, version: ended.version, ...ended.ended },
              'policy canary ended',
            );
        })
        .catch((error: unknown) => logger.error({ err: error }, 'judging the policy canary failed'))
        .finally(() => (busy = false));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async refuseIfRunning(): Promise<void> {
    const running = await this.deps.store.canaries.running(this.workspaceId);
    if (running) {
      throw new ConflictError(
        'canary_running',
        `A canary of version ${running.version} is running (${running.percent} %); stop it first`,
        { version: running.version, percent: running.percent },
      );
    }
  }

  private async compare(canary: PolicyCanary): Promise<CanaryComparison> {
    // The active version's settings judge: a version on trial cannot loosen its own rollout.
    const settings = (await this.deps.policies.bundle(canary.baseVersion)).policy.canary;
    const outcomes = await this.deps.store.canaries.outcomes(
      this.workspaceId,
      [canary.version, canary.baseVersion],
      canary.startedAt,
    );
    const elapsedSeconds = Math.max(
      0,
      Math.floor((this.clock() - Date.parse(canary.startedAt)) / 1000),
    );
    const figures = {
      canary: figuresOf(canary.version, outcomes[canary.version]),
      active: figuresOf(canary.baseVersion, outcomes[canary.baseVersion]),
    };
    return {
      ...figures,
      settings,
      elapsedSeconds,
      verdict: judgeCanary(figures.canary, figures.active, settings, elapsedSeconds),
    };
  }

  /**
   * Ends the canary unless another process did first (then nothing happens here): a promotion
   * activates its version; every ending is audited and announced.
   */
  private async finish(
    canary: PolicyCanary,
    outcome: CanaryOutcome,
    by: CanaryRequest,
    reasons: string[],
    comparison?: CanaryComparison,
  ): Promise<PolicyCanary | undefined> {
    const reason = reasons.join('; ');
    const ended = { at: new Date(this.clock()).toISOString(), by: by.actor, outcome, reason };
    if (!(await this.deps.store.canaries.end(canary.id, ended))) return undefined;
    if (outcome === 'promoted') {
      await this.deps.policies.activate(canary.version, {
        actor: by.actor,
        reason: `canary promoted: ${reason}`,
      });
    } else {
      await this.deps.policies.changed();
    }
    await this.audit(AUDIT_ACTION[outcome], canary, by, [
      `reason: ${reason}`,
      `percent: ${canary.percent}`,
      ...(comparison ? describeComparison(comparison) : []),
    ]);
    return { ...canary, ended };
  }

  private async audit(
    action: string,
    canary: PolicyCanary,
    by: CanaryRequest,
    changes: string[],
  ): Promise<void> {
    await appendAdminAudit(this.deps.store, this.deps.secret, {
      action,
      target: `policy:${canary.version}`,
      actor: by.actor,
      policyVersion: canary.baseVersion,
      changes,
      workspaceId: this.workspaceId,
      ...(by.traceId && { traceId: by.traceId }),
    });
  }
}
