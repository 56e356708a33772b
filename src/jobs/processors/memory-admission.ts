import type { InputCheck } from '../../governor/governor.js';
import type { Policy } from '../../governor/policy-schema.js';

/** The placeholders chat history leaves where it masked a finding (see `redactPii`). */
const MASKED: Record<string, keyof Policy['input']['pii']> = {
  '[EMAIL]': 'email',
  '[PHONE]': 'phone',
  '[CARD]': 'card',
  '[IBAN]': 'iban',
  '[SECRET]': 'secret',
};

/**
 * What of a candidate memory may be stored under the input policy, or undefined for nothing. A
 * text the policy refuses (injection, a denied topic, a blocked kind of personal data such as a
 * card number or a secret) is dropped; one it redacts is stored redacted. History already masked
 * findings before extraction, so a placeholder of a blocked kind drops the memory too: "my card
 * is [CARD]" is nothing worth remembering, and a memory must never hint that it held one.
 *
 * @example
 *   await admitMemory('My card is 4111 1111 1111 1111', policy, (text) => governor.check(text))
 *   // undefined
 */
export async function admitMemory(
  text: string,
  policy: Policy,
  check: (text: string) => Promise<InputCheck>,
): Promise<string | undefined> {
  for (const [placeholder, kind] of Object.entries(MASKED)) {
    if (text.includes(placeholder) && policy.input.pii[kind] === 'block') return undefined;
  }
  const verdict = await check(text);
  if (verdict.decision.status === 'refused') return undefined;
  return verdict.redactedText;
}
