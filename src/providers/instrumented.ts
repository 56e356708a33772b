import type { Metrics } from '../telemetry/metrics.js';
import type {
  ChatProvider,
  ChatRequest,
  ChatResult,
  ChatStreamEvent,
  EmbeddingProvider,
  TokenUsage,
} from './provider.js';

/** What a provider call is measured into; `costOf` prices a call (USD) at the configured rates. */
export interface ProviderInstruments {
  metrics: Pick<Metrics, 'providerDuration' | 'providerTokens' | 'providerCost'>;
  costOf: (provider: string, model: string, usage: TokenUsage) => number;
}

/**
 * Labelled with the model asked for (as configured), not the one the reply names: OpenAI answers
 * `gpt-4o-mini-2024-07-18` for `gpt-4o-mini`, and prices and dashboards key on the configured name.
 */
function recordResult(
  instruments: ProviderInstruments,
  provider: ChatProvider,
  result: ChatResult,
): void {
  const labels = { provider: provider.name, model: provider.model };
  const { metrics } = instruments;
  metrics.providerTokens.inc({ ...labels, direction: 'input' }, result.usage.inputTokens);
  metrics.providerTokens.inc({ ...labels, direction: 'output' }, result.usage.outputTokens);
  const cost = instruments.costOf(provider.name, provider.model, result.usage);
  if (cost > 0) metrics.providerCost.inc(labels, cost);
}

/**
 * One chat adapter with each call measured: latency by provider, model and outcome, tokens and
 * cost by provider and model. `createChatProvider` wraps every adapter of a fallback chain, so a
 * failing primary and the fallback that answered are each counted as what they were.
 *
 * @example
 *   const chat = instrumentChatProvider(new OpenAiChatProvider(options), instruments);
 */
export function instrumentChatProvider(
  provider: ChatProvider,
  instruments: ProviderInstruments,
): ChatProvider {
  const timer = () =>
    instruments.metrics.providerDuration.startTimer({
      provider: provider.name,
      model: provider.model,
      operation: 'chat',
    });
  return {
    name: provider.name,
    model: provider.model,
    async chat(request: ChatRequest): Promise<ChatResult> {
      const stop = timer();
      try {
        const result = await provider.chat(request);
        stop({ outcome: 'ok' });
        recordResult(instruments, provider, result);
        return result;
      } catch (error) {
        stop({ outcome: request.signal?.aborted ? 'cancelled' : 'error' });
        throw error;
      }
    },
    async *stream(request: ChatRequest): AsyncGenerator<ChatStreamEvent> {
      const stop = timer();
      let outcome = 'cancelled';
      try {
        for await (const event of provider.stream(request)) {
          if (event.type === 'done') {
            outcome = 'ok';
            recordResult(instruments, provider, event.result);
          }
          yield event;
        }
      } catch (error) {
        outcome = request.signal?.aborted ? 'cancelled' : 'error';
        throw error;
      } finally {
        stop({ outcome });
      }
    },
  };
}

/** An embedding adapter with each call's latency measured (embeddings report no usage here). */
export function instrumentEmbeddingProvider(
  provider: EmbeddingProvider,
  instruments: ProviderInstruments,
): EmbeddingProvider {
  return {
    name: provider.name,
    model: provider.model,
    dimensions: () => provider.dimensions(),
    async embed(texts, options) {
      const stop = instruments.metrics.providerDuration.startTimer({
        provider: provider.name,
        model: provider.model,
        operation: 'embeddings',
      });
      try {
        const vectors = await provider.embed(texts, options);
        stop({ outcome: 'ok' });
        return vectors;
      } catch (error) {
        stop({ outcome: options?.signal?.aborted ? 'cancelled' : 'error' });
        throw error;
      }
    },
  };
}
