import { describe, expect, it } from 'vitest';
import { SIGNATURE_TOLERANCE_MS, signRequest, verifyRequest } from './signing.js';

const secret = 'q8V#r2!mZp4L@x7Tn1Ws9Ke3Yb6Hd0Jf';
const request = { method: 'POST', path: '/internal/v1/answer', body: '{"message":"hi"}' };

describe('internal request signing', () => {
  it('accepts its own signature', () => {
    expect(() => verifyRequest(secret, signRequest(secret, request), request)).not.toThrow();
  });

  it.each([
    ['no header', undefined, 'signature_missing'],
    ['garbage', 'nonsense', 'signature_missing'],
    ['another secret', signRequest(`${secret}x`, request), 'signature_invalid'],
    [
      'another body',
      signRequest(secret, { ...request, body: '{"message":"bye"}' }),
      'signature_invalid',
    ],
    [
      'another path',
      signRequest(secret, { ...request, path: '/internal/v1/check' }),
      'signature_invalid',
    ],
    [
      'an old request',
      signRequest(secret, request, Date.now() - SIGNATURE_TOLERANCE_MS - 1000),
      'signature_expired',
    ],
  ])('refuses %s', (_name, header, code) => {
    expect(() => verifyRequest(secret, header, request)).toThrow(expect.objectContaining({ code }));
  });
});
