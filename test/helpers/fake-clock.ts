/**
 * A clock a test moves by hand, for code that takes `now: () => number` (caches, rate limiters).
 *
 * @example
 *   const clock = fakeClock();
 *   const limiter = createMemoryRateLimiter({ now: clock.now });
 *   clock.advance(1_000);
 */
export function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}
