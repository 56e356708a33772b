/**
 * In CI a missing dependency is a failure, never a skip: throws one clear line when
 * `available` is false and CI is set; otherwise says whether the suite should be skipped.
 *
 * @example
 *   describe.skipIf(skipUnlessCi(privateServicesAvailable, 'PostgreSQL initdb or redis-server'))(…)
 */
export function skipUnlessCi(
  available: boolean,
  missing: string,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (available) return false;
  if (env.CI) throw new Error(`CI is set but ${missing} is missing: install it (see .ci/run)`);
  console.warn(`skipped: ${missing} is missing`);
  return true;
}
