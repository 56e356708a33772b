/** What is cached; each kind has its own lifetime. */
export type CacheKind = 'answers' | 'searchResults' | 'embeddings' | 'visionResults';

const HOUR = 60 * 60;

/**
 * Default time to live, in seconds, by kind. Figures come from the seed architectures where they
 * give one (shared/seeds: Viral Cast "Redis Cache Strategy" → "Cache TTL Strategy"; Structra
 * "Strategi Caching"). Keys should carry what makes a value stale (knowledge-base version, policy
 * version, model), so these lifetimes bound memory and drift, not correctness.
 *
 * @example
 *   await cache.set(`vision:${sha256(image)}`, result, CACHE_TTL_SECONDS.visionResults);
 */
export const CACHE_TTL_SECONDS = {
  // Viral Cast keeps its model-generated results ("Predictions") for 6 hours; answers are
  // Keel's model-generated results.
  answers: 6 * HOUR,
  // Viral Cast keeps record listings ("Product data", `products:list:{store_id}`) for 30 minutes;
  // search results are listings of chunks that a knowledge sync can change.
  searchResults: 30 * 60,
  // No seed gives a figure for embeddings. Ours: 7 days. An embedding of the same text by the same
  // model never changes (both are in the key), so the TTL only frees space from texts no longer
  // asked about, while each recomputation costs a provider call.
  embeddings: 7 * 24 * HOUR,
  // Structra caches image analysis by content hash (`analysis:${hashImage(image)}`) with
  // `setex(…, 3600, …)`: 1 hour.
  visionResults: HOUR,
} as const satisfies Record<CacheKind, number>;
