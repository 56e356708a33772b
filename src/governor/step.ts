import type { ChatResult } from '../providers/provider.js';
import type { PolicyBundle } from './policy-bundle.js';
import type { ChatRequestInput } from './governor.js';
import type { Citation, Decision, DecisionStatus, StepRecord } from './answer-schema.js';

/** What is fixed for one governed call before its first step: who asks, under which policy. */
export interface Call {
  readonly traceId: string;
  readonly workspaceId: string;
  /** Who asked, when known; written to the audit record. */
  readonly actor?: string;
  /** The person asking (not an API key): whose long-term memories the answer may use. */
  readonly userId?: string;
  readonly startedAt: number;
  readonly bundle: PolicyBundle;
  readonly request: ChatRequestInput;
  /** Aborted when the caller goes away; the provider call is cancelled with it. */
  readonly signal?: AbortSignal;
}

/**
 * What a call's steps add up to, kept by the pipeline (never written by a step): the decision,
 * the flags and each step's record, for the answer and the audit record.
 */
export interface CallLog {
  decision: Decision;
  flags: string[];
  steps: StepRecord[];
}

export const newCallLog = (): CallLog => ({
  decision: { status: 'allowed', reasons: [] },
  flags: [],
  steps: [],
});

/** What a step reports for the record, and what it adds to the call's decision and flags. */
interface StepReport {
  decision: string;
  reasons?: string[];
  /** Raises the call's decision to `status` (never lowers it) and adds the reasons. */
  verdict?: { status: DecisionStatus; reasons: string[] };
  flags?: string[];
}

/** A step's result: its output for the next steps, or a stop that ends the call with a reason. */
export type StepOutcome<Out> = StepReport &
  ({ output: Out } | { stop: { code: string; message: string } });

/**
 * One governor step: an id and one function from what it reads (`In`, plus the call's fixed
 * facts) to what it produces (`Out`). The governor composes the steps, handing each one's output
 * to the steps that read it, so what a step depends on is in its type.
 */
export interface Step<In, Out> {
  readonly id: string;
  run(input: In, call: Call): StepOutcome<Out> | Promise<StepOutcome<Out>>;
}

/**
 * What the answer steps end with, from the model (generation, then output validation) or from the
 * answer cache: both paths must give all of it, so neither can leave a field out.
 */
export interface Answered {
  answer: string;
  citations: Citation[];
  /** Source name → version of the knowledge the answer was drawn from. */
  knowledgeVersions: Record<string, string>;
  /** The model call that answered; for a cache hit the first call's provider and model, no usage. */
  result: ChatResult;
}
