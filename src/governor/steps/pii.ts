import { detectPii, redactPii } from '../detectors/pii.js';
import type { GovernorStep } from '../step.js';
import { escalate } from '../step.js';

/** Finds personal data and secrets; per type the policy redacts, blocks or allows it. */
export const piiStep: GovernorStep = {
  id: 'pii',
  run(context) {
    const rules = context.bundle.policy.input.pii;
    const findings = detectPii(context.input);
    const blocked = findings.filter((finding) => rules[finding.type] === 'block');
    if (blocked.length > 0) {
      const reasons = [...new Set(blocked.map((finding) => `pii_blocked: ${finding.label}`))];
      for (const reason of reasons) escalate(context, 'refused', reason);
      return {
        decision: 'refused',
        reasons,
        stop: {
          code: 'pii_blocked',
          message: `The message contains ${blocked[0]!.label}, which this policy does not accept`,
        },
      };
    }
    const redacted = findings.filter((finding) => rules[finding.type] === 'redact');
    if (redacted.length === 0) return { decision: 'allowed' };
    context.input = redactPii(context.input, redacted);
    const reasons = [...new Set(redacted.map((finding) => `pii_redacted: ${finding.label}`))];
    for (const reason of reasons) escalate(context, 'redacted', reason);
    return { decision: 'redacted', reasons };
  },
};
