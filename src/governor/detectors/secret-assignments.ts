import { looksLikeSecretValue } from './entropy.js';
import type { PiiFinding } from './pii-finding.js';

/*
 * `password=…`, `"api_key": "…"`, `TOKEN: …`, `client_secret => '…'`: a name that says
 * credential, an assignment operator, then the value. Only the value is reported, so a
 * redaction keeps the name and the reader still knows what was there.
 */
const CREDENTIAL_NAME = String.raw`[A-Za-z0-9_.-]*?(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]*`;
const ASSIGNMENT = new RegExp(
  String.raw`(?<![\w.-])(["']?)(${CREDENTIAL_NAME})\1[ \t]*(?::=|=>|[:=])[ \t]*(?:(["'\x60])([^"'\x60\n]{1,256})\3|([^\s"'\x60,;&]{1,256}))`,
  'gi',
);

/** `scheme://user:password@host`: the password part of a URL's user information. */
const URL_PASSWORD = /\b[a-z][a-z0-9+.-]{1,30}:\/\/[^\s:/@?#]+:([^\s/@?#]+)@[^\s/@?#]/gi;

const BEARER_TOKEN = /\bBearer[ \t]+([A-Za-z0-9._~+/-]{16,}=*)/g;

function labelForName(name: string): string {
  const lower = name.toLowerCase();
  if (/pass|pwd/.test(lower)) return 'password';
  if (/api[_-]?key/.test(lower)) return 'API key';
  if (/private/.test(lower)) return 'private key';
  if (/token/.test(lower)) return 'access token';
  if (/secret/.test(lower)) return 'secret';
  if (/access[_-]?key/.test(lower)) return 'access key';
  return 'credential';
}

export function findCredentialAssignments(text: string): PiiFinding[] {
  const findings: PiiFinding[] = [];
  for (const match of text.matchAll(ASSIGNMENT)) {
    const value = match[4] ?? match[5] ?? '';
    if (!looksLikeSecretValue(value)) continue;
    const end = match.index + match[0].length - (match[4] === undefined ? 0 : 1);
    findings.push({
      type: 'secret',
      start: end - value.length,
      end,
      label: labelForName(match[2] ?? ''),
    });
  }
  for (const match of text.matchAll(URL_PASSWORD)) {
    const password = match[1]!;
    // A template slot or a masked value is not a password; any real one counts, however weak.
    if (/^(?:<[^>]*>|\$\{[^}]*\}|\$[A-Za-z_]\w*|\{\{[^}]*\}\}|\*+|x+|\[[^\]]*\])$/i.test(password))
      continue;
    const start = match.index + match[0].lastIndexOf(`:${password}@`) + 1;
    findings.push({
      type: 'secret',
      start,
      end: start + password.length,
      label: 'password in URL',
    });
  }
  for (const match of text.matchAll(BEARER_TOKEN)) {
    const token = match[1]!;
    if (!looksLikeSecretValue(token)) continue;
    const start = match.index + match[0].length - token.length;
    findings.push({ type: 'secret', start, end: start + token.length, label: 'bearer token' });
  }
  return findings;
}
