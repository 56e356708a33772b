import type { GovernorStep } from '../step.js';
import { escalate } from '../step.js';

/** Refuses empty messages and messages over the policy's `input.maxChars`. */
export const inputSizeStep: GovernorStep = {
  id: 'input-size',
  run(context) {
    const length = context.input.trim().length;
    const limit = context.bundle.policy.input.maxChars;
    if (length === 0) {
      escalate(context, 'refused', 'empty_input');
      return {
        decision: 'refused',
        reasons: ['empty_input'],
        stop: { code: 'input_empty', message: 'The message is empty' },
      };
    }
    if (context.input.length > limit) {
      const reason = `input_too_long: ${context.input.length} characters, limit ${limit}`;
      escalate(context, 'refused', reason);
      return {
        decision: 'refused',
        reasons: [reason],
        stop: {
          code: 'input_too_long',
          message: `The message has ${context.input.length} characters; the policy allows ${limit}`,
        },
      };
    }
    return { decision: 'allowed' };
  },
};
