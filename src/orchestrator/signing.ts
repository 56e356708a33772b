import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from '../auth/errors.js';

export const SIGNATURE_HEADER = 'x-keel-signature';
/** How old (or how far ahead) a signed request may be: bounds replays and clock skew. */
export const SIGNATURE_TOLERANCE_MS = 30_000;

interface Signed {
  method: string;
  path: string;
  body: string;
}

function digest(secret: string, timestamp: number, request: Signed): string {
  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  return createHmac('sha256', secret)
    .update(`${timestamp}\n${request.method.toUpperCase()}\n${request.path}\n${bodyHash}`)
    .digest('hex');
}

/**
 * Signs an internal call (api → orchestrator): `t=<ms>,v1=<hex HMAC-SHA256>` over the time,
 * method, path and body hash, keyed by KEEL_INTERNAL_SECRET.
 *
 * @example
 *   headers[SIGNATURE_HEADER] = signRequest(secret, { method: 'POST', path: '/internal/v1/answer', body });
 */
export function signRequest(secret: string, request: Signed, now = Date.now()): string {
  return `t=${now},v1=${digest(secret, now, request)}`;
}

/** Throws unless the signature is valid and recent. */
export function verifyRequest(
  secret: string,
  header: string | undefined,
  request: Signed,
  now = Date.now(),
): void {
  const match = /^t=(\d{1,16}),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) throw new AuthenticationError('signature_missing', 'Internal calls must be signed');
  const timestamp = Number(match[1]);
  if (Math.abs(now - timestamp) > SIGNATURE_TOLERANCE_MS) {
    throw new AuthenticationError(
      'signature_expired',
      'The signed request is too old or from the future',
    );
  }
  const expected = Buffer.from(digest(secret, timestamp, request), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'))) {
    throw new AuthenticationError('signature_invalid', 'The request signature does not match');
  }
}
