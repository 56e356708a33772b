import type { Logger } from 'pino';
import type { EmbeddingProvider } from '../providers/provider.js';
import type { VectorIndex } from '../store/vector-index.js';
import type { KnowledgeStore } from '../store/store.js';

const EMBED_BATCH = 64;

/**
 * Keeps the vector index in step with the chunks: embeds every chunk that has no vector yet.
 * Runs after each sync, so a provider outage only delays vectors; lexical search never waits.
 */
export class EmbeddingBackfill {
  constructor(
    private readonly store: KnowledgeStore,
    private readonly index: VectorIndex,
    private readonly embedder: EmbeddingProvider,
    private readonly logger: Logger,
  ) {}

  /** Prepares the index for the embedder's model; a new model or dimension re-embeds all. */
  async prepare(): Promise<void> {
    const dimensions = await this.embedder.dimensions();
    const reset = await this.index.prepare({ model: this.embedder.model, dimensions });
    if (reset) await this.store.markEmbedded('all', false);
  }

  async backfill(sourceIds: string[]): Promise<number> {
    let afterId = 0;
    let embedded = 0;
    try {
      await this.prepare();
      for (;;) {
        const chunks = await this.store.chunksWithoutVectors(sourceIds, EMBED_BATCH, afterId);
        if (chunks.length === 0) break;
        const vectors = await this.embedder.embed(chunks.map((chunk) => chunk.text));
        await this.index.upsert(
          chunks.flatMap((chunk, position) => {
            const vector = vectors[position];
            return vector ? [{ chunkId: chunk.id, vector }] : [];
          }),
        );
        await this.store.markEmbedded(
          chunks.map((chunk) => chunk.id),
          true,
        );
        embedded += chunks.length;
        afterId = chunks[chunks.length - 1]?.id ?? afterId;
      }
    } catch (error) {
      this.logger.warn(
        { err: (error as Error).message, embedded },
        'Embedding backfill stopped; lexical search is unaffected and the rest is retried next sync',
      );
    }
    return embedded;
  }

  async forget(chunkIds: number[]): Promise<void> {
    await this.index.remove(chunkIds);
  }
}
