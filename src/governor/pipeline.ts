import { inSpan } from '../telemetry/tracing.js';
import type { DecisionStatus } from './answer-schema.js';
import type { Call, CallLog, Step, StepOutcome } from './step.js';

/** A step stopped the call (a refused input): thrown by `runStep`, caught by the governor. */
export class StepStopped extends Error {
  constructor(
    readonly step: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const ORDER: DecisionStatus[] = ['allowed', 'redacted', 'refused'];

/** Records a step's outcome: its record, the decision raised (never lowered), its flags. */
function record(log: CallLog, id: string, outcome: StepOutcome<unknown>): void {
  log.steps.push({ id, decision: outcome.decision, reasons: outcome.reasons ?? [] });
  if (outcome.verdict) {
    const { status, reasons } = outcome.verdict;
    if (ORDER.indexOf(status) > ORDER.indexOf(log.decision.status)) log.decision.status = status;
    log.decision.reasons.push(...reasons);
  }
  if (outcome.flags) log.flags.push(...outcome.flags);
}

/**
 * Runs one step in its own `governor.<id>` span (with its decision, never the text it judged),
 * records its outcome in the log and returns its output; a stop is thrown as `StepStopped`.
 */
export async function runStep<In, Out>(
  step: Step<In, Out>,
  input: In,
  call: Call,
  log: CallLog,
): Promise<Out> {
  const outcome = await inSpan(
    `governor.${step.id}`,
    { 'keel.governor.step': step.id },
    async (span) => {
      const result = await step.run(input, call);
      span.setAttribute('keel.governor.decision', result.decision);
      if ('stop' in result) span.setAttribute('keel.governor.stop', result.stop.code);
      return result;
    },
  );
  record(log, step.id, outcome);
  if ('stop' in outcome) throw new StepStopped(step.id, outcome.stop.code, outcome.stop.message);
  return outcome.output;
}

/** A call that ended in an error: the record says so before the audit record is written. */
export function recordFailure(log: CallLog, error: unknown): void {
  const code = (error as { code?: string }).code ?? 'internal_error';
  log.steps.push({ id: 'error', decision: 'failed', reasons: [code] });
}

/**
 * Runs a step that must run whatever happened (the audit record). Its failure must neither
 * replace the error that brought us here nor throw away an answer the provider was already paid
 * for: it is recorded, flagged (`<id>_failed`) and reported to `onError`, and the call ends as it
 * would have.
 */
export async function runFinalStep<In>(
  step: Step<In, void>,
  input: In,
  call: Call,
  log: CallLog,
  onError?: (stepId: string, error: unknown) => void,
): Promise<void> {
  try {
    await runStep(step, input, call, log);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'internal_error';
    log.steps.push({ id: step.id, decision: 'failed', reasons: [code] });
    log.flags.push(`${step.id}_failed`);
    onError?.(step.id, error);
  }
}
