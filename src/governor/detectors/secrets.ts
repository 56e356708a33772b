import type { PiiFinding } from './pii-finding.js';
import { findCredentialAssignments } from './secret-assignments.js';

interface TokenShape {
  label: string;
  pattern: RegExp;
  /** Extra check for prefixes that ordinary text can also produce. */
  accepts?: (token: string) => boolean;
}

/*
 * Provider tokens carry a fixed prefix, so the prefix plus the documented alphabet and length is
 * enough; these are reported even when the value is a documentation example, because an
 * example key is indistinguishable from a real one.
 */
const TOKEN_SHAPES: TokenShape[] = [
  {
    label: 'AWS access key',
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  },
  { label: 'Anthropic API key', pattern: /(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,}/g },
  {
    label: 'OpenAI API key',
    pattern: /(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g,
    // "sk-" also starts hyphenated words; a key mixes letters and digits.
    accepts: (token) => /\d/.test(token.slice(3)) && /[A-Za-z]/.test(token.slice(3)),
  },
  { label: 'GitHub token', pattern: /(?<![\w-])gh[pousr]_[A-Za-z0-9]{36,255}(?![\w-])/g },
  { label: 'GitHub token', pattern: /(?<![\w-])github_pat_[A-Za-z0-9_]{22,255}(?![\w-])/g },
  { label: 'Slack token', pattern: /(?<![\w-])xox[abpr]-[A-Za-z0-9-]{10,}/g },
  { label: 'Google API key', pattern: /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g },
  {
    label: 'Stripe secret key',
    pattern: /(?<![\w-])(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}(?![\w-])/g,
  },
];

/** Three base64url parts; whether it is a JWT is decided by decoding the header. */
const JWT_CANDIDATE = /(?<![\w-])[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?![\w.-])/g;

/*
 * A PEM private key block of any algorithm ("RSA PRIVATE KEY", "OPENSSH PRIVATE KEY",
 * "ENCRYPTED PRIVATE KEY", PGP's "PRIVATE KEY BLOCK"). A block cut off before its END line is
 * still a leak, so the body up to the first line that is not base64 or a header counts too.
 */
const PEM_PRIVATE_KEY =
  /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----(?:[\s\S]*?-----END \1PRIVATE KEY\2-----|(?:\r?\n[A-Za-z0-9+/=:, -]*)*)/g;

function hasJwtHeader(candidate: string): boolean {
  const header = candidate.slice(0, candidate.indexOf('.'));
  try {
    const decoded: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return (
      typeof decoded === 'object' &&
      decoded !== null &&
      typeof (decoded as Record<string, unknown>).alg === 'string'
    );
  } catch {
    return false;
  }
}

function toFinding(match: RegExpMatchArray & { index: number }, label: string): PiiFinding {
  return { type: 'secret', start: match.index, end: match.index + match[0].length, label };
}

/**
 * Credentials in a text: provider API keys and tokens, JWTs, PEM private keys, passwords in
 * connection URLs and high-entropy values assigned to names like `password` or `api_key`.
 * The most specific finding comes first, so overlap resolution keeps the better label.
 *
 * @example
 *   findSecrets('export OPENAI_API_KEY=sk-proj-4fG…')[0].label // 'OpenAI API key'
 */
export function findSecrets(text: string): PiiFinding[] {
  const findings: PiiFinding[] = [];
  for (const match of text.matchAll(PEM_PRIVATE_KEY)) {
    findings.push(toFinding(match, 'private key'));
  }
  for (const { label, pattern, accepts } of TOKEN_SHAPES) {
    for (const match of text.matchAll(pattern)) {
      if (!accepts || accepts(match[0])) findings.push(toFinding(match, label));
    }
  }
  for (const match of text.matchAll(JWT_CANDIDATE)) {
    if (hasJwtHeader(match[0])) findings.push(toFinding(match, 'JSON Web Token'));
  }
  findings.push(...findCredentialAssignments(text));
  return findings;
}
