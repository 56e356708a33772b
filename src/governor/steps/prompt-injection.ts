import {
  DEFAULT_INJECTION_FLAG_THRESHOLD,
  DEFAULT_INJECTION_THRESHOLD,
  detectInjection,
} from '../detectors/injection.js';
import type { GovernorStep } from '../step.js';
import { escalate } from '../step.js';

/**
 * Scores the message for prompt injection; refuses or flags per `input.injection`. A score
 * between the flag threshold and the refusal threshold lets the message through with the flag
 * `prompt_injection_suspected`, so the audit log shows it without a user being refused.
 */
export const promptInjectionStep: GovernorStep = {
  id: 'prompt-injection',
  run(context) {
    const rule = context.bundle.policy.input.injection;
    const threshold = rule.threshold ?? DEFAULT_INJECTION_THRESHOLD;
    const flagThreshold = Math.min(
      rule.flagThreshold ?? DEFAULT_INJECTION_FLAG_THRESHOLD,
      threshold,
    );
    const result = detectInjection(context.input, threshold, flagThreshold);
    if (result.suspicious) {
      context.flags.push('prompt_injection_suspected');
      return {
        decision: 'flagged',
        reasons: [
          `prompt_injection suspected (score ${result.score.toFixed(2)}, below the refusal threshold ${threshold})`,
          ...result.reasons,
        ],
      };
    }
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
