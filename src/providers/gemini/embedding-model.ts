/** Embeddings over Gemini's `batchEmbedContents`, in batches the API accepts. */
import { RemoteEmbeddingProvider } from '../remote-embeddings.js';
import { authHeaders, endpoint, modelName } from './options.js';
import { type BatchEmbedRequest, batchEmbedSchema } from './wire.js';

// The API refuses larger batches; bigger inputs are sent as several calls.
const EMBED_BATCH_LIMIT = 100;

export class GeminiEmbeddingProvider extends RemoteEmbeddingProvider {
  protected async requestVectors(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const vectors: number[][] = [];
    for (let start = 0; start < texts.length; start += EMBED_BATCH_LIMIT) {
      const batch = texts.slice(start, start + EMBED_BATCH_LIMIT);
      const body: BatchEmbedRequest = {
        requests: batch.map((text) => ({
          model: modelName(this.model),
          content: { parts: [{ text }] },
        })),
      };
      const reply = await this.http.postJson(
        {
          url: endpoint(this.options.baseUrl, this.model, 'batchEmbedContents'),
          headers: authHeaders(this.options.apiKey),
          body,
          signal,
        },
        batchEmbedSchema,
      );
      vectors.push(...reply.embeddings.map((embedding) => embedding.values));
    }
    return vectors;
  }
}
