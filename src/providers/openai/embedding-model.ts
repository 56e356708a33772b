/** Embeddings over the OpenAI protocol's `embeddings` endpoint. */
import { RemoteEmbeddingProvider } from '../remote-embeddings.js';
import { authHeaders, endpoint } from './options.js';
import { type EmbeddingsRequest, embeddingsSchema } from './wire.js';

export class OpenAiEmbeddingProvider extends RemoteEmbeddingProvider {
  protected async requestVectors(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const body: EmbeddingsRequest = {
      model: this.model,
      input: texts,
      encoding_format: 'float',
    };
    const reply = await this.http.postJson(
      {
        url: endpoint(this.options.baseUrl, 'embeddings'),
        headers: authHeaders(this.options.apiKey),
        body,
        signal,
      },
      embeddingsSchema,
    );
    // The protocol tags each vector with its input's index rather than promising order.
    return [...reply.data].sort((a, b) => a.index - b.index).map((item) => item.embedding);
  }
}
