import type { EmbeddingProvider } from '../providers/provider.js';
import type { Chunk, KnowledgeStore } from '../store/store.js';
import { definitionSubject, headingDefines } from './definition-boost.js';
import { fuseRanks } from './fusion.js';
import { rerankLexical } from './lexical-rerank.js';
import { sectionPassages } from './section-passages.js';
import { searchTerms } from './search-terms.js';
import type { VectorIndex } from '../store/vector-index.js';
import { inSpan } from '../telemetry/tracing.js';

export interface SearchHit {
  /**
   * The passage: the hit chunk, joined with the chunks of its section around it when the section
   * was split (see `sectionPassages`); `id` is the hit chunk's, lines and text the passage's.
   */
  chunk: Chunk;
  /**
   * The score the list is ordered by: BM25 reranked for proximity and headings when lexical
   * only (`scores.lexical` keeps BM25's own), fused RRF when hybrid.
   */
  score: number;
  scores: { lexical: number | null; vector: number | null; fused: number | null };
}

export interface SearchOptions {
  k: number;
  /** Restrict to these sources (an agent's knowledge scopes); undefined = all. */
  sourceIds?: string[];
}

const CANDIDATES = 100;

/** A hit as the API and CLI show it: `{path, heading, lines, version, score, text, …}`. */
export function hitView(hit: SearchHit) {
  return {
    path: hit.chunk.path,
    heading: hit.chunk.heading,
    lines: [hit.chunk.lineStart, hit.chunk.lineEnd] as [number, number],
    version: hit.chunk.version,
    score: hit.score,
    text: hit.chunk.text,
    source: hit.chunk.sourceName,
    scores: hit.scores,
  };
}

/**
 * Hybrid retrieval: BM25 always, dense vectors when an embedding provider is configured, fused
 * by reciprocal rank. A failing embedding call degrades to lexical rather than failing search.
 * Chunks are ranked; what comes back is one passage per section, grown over its split parts.
 */
export class SearchService {
  constructor(
    private readonly store: KnowledgeStore,
    private readonly vectors?: { index: VectorIndex; embedder: EmbeddingProvider },
    private readonly onVectorError: (error: unknown) => void = () => {},
  ) {}

  get mode(): 'lexical' | 'hybrid' {
    return this.vectors ? 'hybrid' : 'lexical';
  }

  /** The hits for `query`, best first; one `kb.search` span (mode, k, hits; never the query). */
  search(query: string, options: SearchOptions): Promise<SearchHit[]> {
    const attributes = {
      'keel.search.mode': this.mode,
      'keel.search.k': options.k,
      'keel.search.sources': options.sourceIds?.length ?? -1,
    };
    return inSpan('kb.search', attributes, async (span) => {
      const hits = await this.rankedSearch(query, options);
      span.setAttribute('keel.search.hits', hits.length);
      return hits;
    });
  }

  private async rankedSearch(query: string, options: SearchOptions): Promise<SearchHit[]> {
    const candidates = Math.max(options.k, CANDIDATES);
    const [bm25, dense] = await Promise.all([
      this.store.lexicalSearch(searchTerms(query), {
        k: candidates,
        ...(options.sourceIds && { sourceIds: options.sourceIds }),
      }),
      this.vectorSearch(query, candidates, options.sourceIds),
    ]);
    const chunks = new Map<number, Chunk>();
    await this.loadChunks(
      chunks,
      bm25.map((hit) => hit.chunkId),
    );
    const lexical = rerankLexical(query, bm25, chunks);
    const lexicalScore = new Map(bm25.map((hit) => [hit.chunkId, hit.score]));
    const vectorScore = new Map(dense.map((hit) => [hit.chunkId, hit.score]));
    let ranked: { id: number; score: number; fused: number | null }[];
    if (dense.length === 0) {
      ranked = lexical.map((hit) => ({ id: hit.chunkId, score: hit.score, fused: null }));
    } else {
      const fused = fuseRanks([lexical.map((hit) => hit.chunkId), dense.map((hit) => hit.chunkId)]);
      ranked = [...fused.entries()]
        .sort((left, right) => right[1] - left[1])
        .map(([id, score]) => ({ id, score, fused: score }));
      await this.loadChunks(
        chunks,
        dense.map((hit) => hit.chunkId),
      );
    }
    const subject = definitionSubject(query);
    if (subject) ranked = definitionsFirst(ranked, subject, chunks);
    const entries = new Map(ranked.map((entry) => [entry.id, entry]));
    const passages = await sectionPassages(
      ranked.map((entry) => entry.id),
      chunks,
      options.k,
      (ids) => this.store.getChunks(ids),
    );
    return passages.map(({ id, chunk }) => ({
      chunk,
      score: entries.get(id)?.score ?? 0,
      scores: {
        lexical: lexicalScore.get(id) ?? null,
        vector: vectorScore.get(id) ?? null,
        fused: entries.get(id)?.fused ?? null,
      },
    }));
  }

  /** Adds the chunks of `ids` not yet in `chunks`, in one read. */
  private async loadChunks(chunks: Map<number, Chunk>, ids: number[]): Promise<void> {
    const missing = ids.filter((id) => !chunks.has(id));
    if (missing.length === 0) return;
    for (const chunk of await this.store.getChunks(missing)) chunks.set(chunk.id, chunk);
  }

  private async vectorSearch(query: string, k: number, sourceIds?: string[]) {
    if (!this.vectors || query.trim().length === 0) return [];
    try {
      const [vector] = await this.vectors.embedder.embed([query]);
      if (!vector) return [];
      return await this.vectors.index.search(vector, { k, ...(sourceIds && { sourceIds }) });
    } catch (error) {
      this.onVectorError(error);
      return [];
    }
  }
}

/**
 * "What is X?": a section headed by X itself ("What Keel is", "Encapsulation") is where X is
 * defined, so it goes first among the candidates; BM25 alone ranks any page that repeats the
 * word X, and a product's name is on every page of its documentation.
 */
function definitionsFirst<T extends { id: number }>(
  ranked: T[],
  subject: string[],
  chunks: ReadonlyMap<number, Chunk>,
): T[] {
  const defines = (entry: T) => {
    const chunk = chunks.get(entry.id);
    return chunk !== undefined && headingDefines(chunk.heading, subject);
  };
  if (!ranked.some(defines)) return ranked;
  return [...ranked.filter(defines), ...ranked.filter((entry) => !defines(entry))];
}
