import { detectPii, redactPii } from '../governor/detectors/pii.js';
import { shingles } from '../governor/grounding.js';
import type { Policy } from '../governor/policy-schema.js';
import type { DecisionStatus } from '../governor/answer-schema.js';

export interface VisionDecision {
  status: DecisionStatus;
  reasons: string[];
}

/**
 * The output policy on what a vision model said about an image. There are no passages to ground
 * it in, so the checks are the leak checks: personal data and secrets the model read off the
 * image (a photographed card, a key on a screenshot) are blocked or redacted by the policy's PII
 * rules, and an answer that repeats the agent's prompt verbatim (a word 6-gram) is refused.
 *
 * @example
 *   const { text, decision } = visionOutputPolicy(result.text, bundle.policy, agent?.promptText);
 */
export function visionOutputPolicy(
  text: string,
  policy: Policy,
  agentPrompt: string | undefined,
): { text: string; decision: VisionDecision } {
  const promptGrams = shingles(agentPrompt ?? '');
  if ([...shingles(text)].some((gram) => promptGrams.has(gram))) {
    return { text: '', decision: { status: 'refused', reasons: ['system_prompt_leak'] } };
  }
  const rules = policy.input.pii;
  const findings = detectPii(text);
  const blocked = findings.filter((finding) => rules[finding.type] === 'block');
  if (blocked.length > 0) {
    const reasons = [...new Set(blocked.map((finding) => `pii_blocked: ${finding.label}`))];
    return { text: '', decision: { status: 'refused', reasons } };
  }
  const redacted = findings.filter((finding) => rules[finding.type] === 'redact');
  if (redacted.length === 0) return { text, decision: { status: 'allowed', reasons: [] } };
  return {
    text: redactPii(text, redacted),
    decision: {
      status: 'redacted',
      reasons: [...new Set(redacted.map((finding) => `pii_redacted: ${finding.label}`))],
    },
  };
}
