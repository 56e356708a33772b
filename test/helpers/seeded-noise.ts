/**
 * Seeded standard normal numbers (mulberry32 + Box–Muller), so a test of a statistical method
 * sees the same noise on every run and cannot flake.
 *
 * @example
 *   const noise = normals(42);
 *   const series = Array.from({ length: 100 }, (_, t) => 10 + 2 * t + 3 * noise());
 */
export function normals(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}
