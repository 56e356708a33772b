import type { Step } from '../step.js';

/** Refuses empty messages and messages over the policy's `input.maxChars`. */
export const inputSizeStep: Step<string, string> = {
  id: 'input-size',
  run(text, call) {
    const length = text.trim().length;
    const limit = call.bundle.policy.input.maxChars;
    if (length === 0) {
      return {
        decision: 'refused',
        reasons: ['empty_input'],
        verdict: { status: 'refused', reasons: ['empty_input'] },
        stop: { code: 'input_empty', message: 'The message is empty' },
      };
    }
    if (text.length > limit) {
      const reason = `input_too_long: ${text.length} characters, limit ${limit}`;
      return {
        decision: 'refused',
        reasons: [reason],
        verdict: { status: 'refused', reasons: [reason] },
        stop: {
          code: 'input_too_long',
          message: `The message has ${text.length} characters; the policy allows ${limit}`,
        },
      };
    }
    return { decision: 'allowed', output: text };
  },
};
