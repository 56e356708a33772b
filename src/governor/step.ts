import type { ChatResult, Passage, TokenUsage } from '../providers/provider.js';
import type { Agent, PolicyBundle } from './policy-bundle.js';
import type { Source } from '../store/store.js';
import type { ChatRequestInput } from './governor.js';
import type { StreamGate } from './stream-gate.js';
import type { RecalledMemory } from '../memory/recall.js';
import type { Citation, DecisionStatus, StepRecord } from './answer-schema.js';

/** What one governed call carries from step to step. Steps read and fill it in order. */
export interface GovernorContext {
  traceId: string;
  workspaceId: string;
  /** Who asked, when known; written to the audit record. */
  actor?: string;
  /** The person asking (not an API key): whose long-term memories the answer may use. */
  userId?: string;
  startedAt: number;
  bundle: PolicyBundle;
  request: ChatRequestInput;
  /** The text the model sees: the message after redaction. */
  input: string;
  decision: { status: DecisionStatus; reasons: string[] };
  agent?: Agent;
  passages: Passage[];
  /** The user's memories relevant to the question (memory step); data, never instructions. */
  memories: RecalledMemory[];
  knowledgeVersions: Record<string, string>;
  result?: ChatResult;
  answer?: string;
  citations: Citation[];
  flags: string[];
  usage: TokenUsage;
  steps: StepRecord[];
  /** Aborted when the caller goes away; the provider call is cancelled with it. */
  signal?: AbortSignal;
  /** Streaming: judges the provider's text and passes on only what output validation allows. */
  stream?: StreamGate;
  /** The agent's knowledge sources, read once per call (see `scoped-sources.ts`). */
  scopedSources?: Promise<Source[]>;
  /** The answer-cache key, set by the cache step for storing the answer afterwards. */
  cacheKey?: string;
  /** Set by a step that stops the pipeline; the remaining steps (but audit) are skipped. */
  stopped?: { step: string; code: string; message: string };
}

/** What a step reports: its decision for the audit record, and optionally a stop. */
export interface StepOutcome {
  decision: string;
  reasons?: string[];
  /** The work is done (e.g. a cache hit): skip the remaining steps without refusing. */
  skipRest?: boolean;
  stop?: { code: string; message: string };
}

/**
 * One governor step: an id, one method that inspects or rewrites the context, and a way to
 * stop with a reason (return `stop`).
 */
export interface GovernorStep {
  readonly id: string;
  run(context: GovernorContext): Promise<StepOutcome> | StepOutcome;
}

/** Raises the decision to `refused`/`redacted` (never lowers it) and keeps the reasons. */
export function escalate(context: GovernorContext, status: DecisionStatus, reason: string): void {
  const order: DecisionStatus[] = ['allowed', 'redacted', 'refused'];
  if (order.indexOf(status) > order.indexOf(context.decision.status))
    context.decision.status = status;
  context.decision.reasons.push(reason);
}
