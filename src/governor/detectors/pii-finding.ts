/** The kinds of personal data and credentials the PII detector reports. */
export type PiiType = 'email' | 'phone' | 'card' | 'iban' | 'secret';

/**
 * One piece of personal data or one credential found in a text: `text.slice(start, end)` is the
 * sensitive part, `label` names it for people ("credit card number", "AWS access key").
 */
export interface PiiFinding {
  type: PiiType;
  start: number;
  end: number;
  label: string;
}
