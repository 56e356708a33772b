import { inSpan } from '../telemetry/tracing.js';
import type { GovernorContext, GovernorStep, StepOutcome } from './step.js';

/** One step in its own `governor.<id>` span, with its decision (never the text it judged). */
function runStep(step: GovernorStep, context: GovernorContext): Promise<StepOutcome> {
  return inSpan(`governor.${step.id}`, { 'keel.governor.step': step.id }, async (span) => {
    const outcome = await step.run(context);
    span.setAttribute('keel.governor.decision', outcome.decision);
    if (outcome.stop) span.setAttribute('keel.governor.stop', outcome.stop.code);
    return outcome;
  });
}

/**
 * Runs steps in order, recording each decision. A step that returns `stop` ends the run; the
 * `finally` steps (the audit record) run whatever happened, even after an error.
 */
export async function runPipeline(
  context: GovernorContext,
  steps: GovernorStep[],
  finallySteps: GovernorStep[] = [],
  onFinallyStepError?: (stepId: string, error: unknown) => void,
): Promise<GovernorContext> {
  try {
    for (const step of steps) {
      const outcome = await runStep(step, context);
      context.steps.push({
        id: step.id,
        decision: outcome.decision,
        reasons: outcome.reasons ?? [],
      });
      if (outcome.stop) {
        context.stopped = { step: step.id, ...outcome.stop };
        break;
      }
      if (outcome.skipRest) break;
    }
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'internal_error';
    context.steps.push({ id: 'error', decision: 'failed', reasons: [code] });
    throw error;
  } finally {
    for (const step of finallySteps) {
      /*
       * A failing finally step (the audit write) must neither replace the error that brought us
       * here nor throw away an answer the provider was already paid for: it is recorded, flagged
       * (`audit_failed`) and reported to the caller's hook, and the call ends as it would have.
       */
      try {
        const outcome = await runStep(step, context);
        context.steps.push({
          id: step.id,
          decision: outcome.decision,
          reasons: outcome.reasons ?? [],
        });
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'internal_error';
        context.steps.push({ id: step.id, decision: 'failed', reasons: [code] });
        context.flags.push(`${step.id}_failed`);
        onFinallyStepError?.(step.id, error);
      }
    }
  }
  return context;
}
