import { badResponse } from './http-reply.js';
import { ProviderHttp, type RemoteProviderOptions } from './http.js';
import type { EmbeddingProvider } from './provider.js';

/**
 * What every remote embedding adapter shares: empty input costs no call, the reply must hold one
 * vector per text, all of one length, and that length is remembered as the model's dimensions.
 */
export abstract class RemoteEmbeddingProvider implements EmbeddingProvider {
  readonly name: string;
  readonly model: string;
  protected readonly http: ProviderHttp;
  private knownDimensions: number | undefined;

  constructor(protected readonly options: RemoteProviderOptions) {
    this.name = options.name;
    this.model = options.model;
    this.http = new ProviderHttp(options);
  }

  /** The adapter's own call: one vector per text, in the order of `texts`. */
  protected abstract requestVectors(texts: string[], signal?: AbortSignal): Promise<number[][]>;

  async dimensions(): Promise<number> {
    // No provider API reports a model's vector length up front; one tiny call reveals it.
    if (this.knownDimensions === undefined) await this.embed(['dimensions']);
    return this.knownDimensions ?? 0;
  }

  async embed(texts: string[], options: { signal?: AbortSignal } = {}): Promise<number[][]> {
    if (texts.length === 0) return [];
    const vectors = await this.requestVectors(texts, options.signal);
    const length = vectors[0]?.length ?? 0;
    if (vectors.length !== texts.length) {
      throw badResponse(this.name, `sent ${vectors.length} vectors for ${texts.length} texts`);
    }
    if (length === 0 || vectors.some((vector) => vector.length !== length)) {
      throw badResponse(this.name, 'sent vectors of differing or zero length');
    }
    this.knownDimensions = length;
    return vectors;
  }
}
