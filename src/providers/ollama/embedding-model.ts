/** Embeddings over Ollama's `/api/embed`, a batch per call. */
import { RemoteEmbeddingProvider } from '../remote-embeddings.js';
import { authHeaders, endpoint } from './options.js';
import { type EmbedRequest, embedReplySchema } from './wire.js';

export class OllamaEmbeddingProvider extends RemoteEmbeddingProvider {
  protected async requestVectors(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const body: EmbedRequest = { model: this.model, input: texts };
    const reply = await this.http.postJson(
      {
        url: endpoint(this.options.baseUrl, 'api/embed'),
        headers: authHeaders(this.options.apiKey),
        body,
        signal,
      },
      embedReplySchema,
    );
    return reply.embeddings;
  }
}
