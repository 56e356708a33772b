import { detectPii, redactPii } from '../detectors/pii.js';
import type { Step } from '../step.js';

/**
 * Finds personal data and secrets; per type the policy redacts, blocks or allows it. Its output
 * is the text the model sees: the message with the redacted findings replaced.
 */
export const piiStep: Step<string, string> = {
  id: 'pii',
  run(text, call) {
    const rules = call.bundle.policy.input.pii;
    const findings = detectPii(text);
    const blocked = findings.filter((finding) => rules[finding.type] === 'block');
    if (blocked.length > 0) {
      const reasons = [...new Set(blocked.map((finding) => `pii_blocked: ${finding.label}`))];
      return {
        decision: 'refused',
        reasons,
        verdict: { status: 'refused', reasons },
        stop: {
          code: 'pii_blocked',
          message: `The message contains ${blocked[0]!.label}, which this policy does not accept`,
        },
      };
    }
    const redacted = findings.filter((finding) => rules[finding.type] === 'redact');
    if (redacted.length === 0) return { decision: 'allowed', output: text };
    const reasons = [...new Set(redacted.map((finding) => `pii_redacted: ${finding.label}`))];
    return {
      decision: 'redacted',
      reasons,
      verdict: { status: 'redacted', reasons },
      output: redactPii(text, redacted),
    };
  },
};
