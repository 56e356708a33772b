import { createHash } from 'node:crypto';

/**
 * Whether the calls of `subject` (a user, else the caller's actor) run under the canary. Sticky:
 * the same subject and canary always get the same answer, in every process, so a user never
 * flips between versions mid-conversation; over many subjects, `percent` % of them are in. The
 * canary's id salts the draw, so each canary tries its version on different users.
 *
 * @example
 *   servesCanary({ id: 'c1', percent: 10 }, 'user-42') // → the same boolean every time
 */
export function servesCanary(canary: { id: string; percent: number }, subject: string): boolean {
  const digest = createHash('sha256').update(`${canary.id}\0${subject}`).digest();
  // 2^32 buckets folded to 100: the bias (under 1e-7) is far below any rate a canary measures.
  return digest.readUInt32BE(0) % 100 < canary.percent;
}
