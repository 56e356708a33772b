/**
 * Clustered synthetic embeddings for the vector benchmark. There is no embedding model offline,
 * and uniform random vectors would be a poor stand-in: in 384 dimensions they are all nearly
 * orthogonal, so "nearest" means little and any index looks either perfect or hopeless. Real
 * embeddings form topical clusters; gaussian clusters around random centres imitate that.
 */

/** mulberry32: a tiny seeded PRNG, so every run builds the same vectors. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box–Muller. */
function gaussian(random: () => number): () => number {
  return () => {
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    return radius * Math.cos(2 * Math.PI * random());
  };
}

function normalise(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  for (let index = 0; index < vector.length; index += 1) vector[index] = vector[index]! / norm;
  return vector;
}

export interface ClusteredVectors {
  dimensions: number;
  /** `count × dimensions` unit vectors, row after row. */
  data: Float32Array;
  count: number;
  row(index: number): Float32Array;
}

/**
 * `count` unit vectors, each a random centre (one of `clusters`) plus gaussian noise of
 * relative size `noise` (0.6: a member's cosine to its centre is about 0.85), normalised.
 */
export function clusteredVectors(options: {
  count: number;
  dimensions: number;
  clusters: number;
  noise: number;
  seed: number;
}): ClusteredVectors {
  const { count, dimensions, clusters, noise } = options;
  const random = seededRandom(options.seed);
  const normal = gaussian(random);
  const centres = Array.from({ length: clusters }, () =>
    normalise(Float32Array.from({ length: dimensions }, normal)),
  );
  const data = new Float32Array(count * dimensions);
  const spread = noise / Math.sqrt(dimensions);
  for (let index = 0; index < count; index += 1) {
    const centre = centres[Math.floor(random() * clusters)]!;
    const row = data.subarray(index * dimensions, (index + 1) * dimensions);
    for (let dimension = 0; dimension < dimensions; dimension += 1) {
      row[dimension] = centre[dimension]! + normal() * spread;
    }
    normalise(row);
  }
  return {
    dimensions,
    data,
    count,
    row: (index) => data.subarray(index * dimensions, (index + 1) * dimensions),
  };
}

/** Exact k nearest rows of `base` by cosine (dot product: every row is a unit vector). */
export function exactNearest(base: ClusteredVectors, query: Float32Array, k: number): number[] {
  const best: { index: number; score: number }[] = [];
  const { data, dimensions } = base;
  for (let index = 0; index < base.count; index += 1) {
    let score = 0;
    const offset = index * dimensions;
    for (let dimension = 0; dimension < dimensions; dimension += 1) {
      score += data[offset + dimension]! * query[dimension]!;
    }
    if (best.length < k || score > best[best.length - 1]!.score) {
      best.push({ index, score });
      best.sort((left, right) => right.score - left.score);
      if (best.length > k) best.pop();
    }
  }
  return best.map((entry) => entry.index);
}
