import {
  DEFAULT_INJECTION_FLAG_THRESHOLD,
  DEFAULT_INJECTION_THRESHOLD,
  detectInjection,
} from '../detectors/injection.js';
import type { Step } from '../step.js';

/**
 * Scores the message for prompt injection; refuses or flags per `input.injection`. A score
 * between the flag threshold and the refusal threshold lets the message through with the flag
 * `prompt_injection_suspected`, so the audit log shows it without a user being refused.
 */
export const promptInjectionStep: Step<string, string> = {
  id: 'prompt-injection',
  run(text, call) {
    const rule = call.bundle.policy.input.injection;
    const threshold = rule.threshold ?? DEFAULT_INJECTION_THRESHOLD;
    const flagThreshold = Math.min(
      rule.flagThreshold ?? DEFAULT_INJECTION_FLAG_THRESHOLD,
      threshold,
    );
    const result = detectInjection(text, threshold, flagThreshold);
    if (result.suspicious) {
      return {
        decision: 'flagged',
        flags: ['prompt_injection_suspected'],
        reasons: [
          `prompt_injection suspected (score ${result.score.toFixed(2)}, below the refusal threshold ${threshold})`,
          ...result.reasons,
        ],
        output: text,
      };
    }
    if (!result.injection)
      return { decision: 'allowed', reasons: [`score ${result.score.toFixed(2)}`], output: text };
    const reasons = [`prompt_injection (score ${result.score.toFixed(2)})`, ...result.reasons];
    if (rule.action === 'flag')
      return { decision: 'flagged', reasons, flags: ['prompt_injection_suspected'], output: text };
    return {
      decision: 'refused',
      reasons,
      verdict: { status: 'refused', reasons },
      stop: {
        code: 'prompt_injection',
        message: 'The message looks like a prompt-injection attempt',
      },
    };
  },
};
