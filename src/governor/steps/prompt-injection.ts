import { detectInjection } from '../detectors/injection.js';
import type { GovernorStep } from '../step.js';
import { escalate } from '../step.js';

/** Scores the message for prompt injection; refuses or flags per `input.injection`. */
export const promptInjectionStep: GovernorStep = {
  id: 'prompt-injection',
  run(context) {
    const rule = context.bundle.policy.input.injection;
    const result = detectInjection(context.input, rule.threshold);
    if (!result.injection)
      return { decision: 'allowed', reasons: [`score ${result.score.toFixed(2)}`] };
    const reasons = [`prompt_injection (score ${result.score.toFixed(2)})`, ...result.reasons];
    if (rule.action === 'flag') {
      context.flags.push('prompt_injection_suspected');
      return { decision: 'flagged', reasons };
    }
    for (const reason of reasons) escalate(context, 'refused', reason);
    return {
      decision: 'refused',
      reasons,
      stop: {
        code: 'prompt_injection',
        message: 'The message looks like a prompt-injection attempt',
      },
    };
  },
};
