import type { Attributes, Span } from '@opentelemetry/api';
import type { Metrics } from '../telemetry/metrics.js';
import { SpanKind, failSpan, inSpan, tracer } from '../telemetry/tracing.js';
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

/** The GenAI semantic-convention attributes of a chat call as asked (model, limits). */
function requestAttributes(provider: ChatProvider, request: ChatRequest): Attributes {
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.system': provider.name,
    'gen_ai.provider.name': provider.name,
    'gen_ai.request.model': provider.model,
    ...(request.maxOutputTokens !== undefined && {
      'gen_ai.request.max_tokens': request.maxOutputTokens,
    }),
    ...(request.temperature !== undefined && { 'gen_ai.request.temperature': request.temperature }),
  };
}

/** …and as answered: the model that replied, tokens used, why it stopped. Never the text. */
function describeResult(span: Span, result: ChatResult): void {
  span.setAttributes({
    'gen_ai.response.model': result.model,
    'gen_ai.usage.input_tokens': result.usage.inputTokens,
    'gen_ai.usage.output_tokens': result.usage.outputTokens,
    'gen_ai.response.finish_reasons': [result.finishReason],
  });
}

/**
 * One chat adapter with each call measured: latency by provider, model and outcome, tokens and
 * cost by provider and model, and a `chat {model}` client span with the GenAI semantic-convention
 * attributes. `createChatChain` wraps every adapter of a fallback chain, so a failing primary
 * and the fallback that answered are each counted (and traced) as what they were.
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
    portVersion: provider.portVersion,
    name: provider.name,
    model: provider.model,
    chat(request: ChatRequest): Promise<ChatResult> {
      const options = { kind: SpanKind.CLIENT };
      const name = `chat ${provider.model}`;
      return inSpan(
        name,
        requestAttributes(provider, request),
        async (span) => {
          const stop = timer();
          try {
            const result = await provider.chat(request);
            stop({ outcome: 'ok' });
            recordResult(instruments, provider, result);
            describeResult(span, result);
            return result;
          } catch (error) {
            stop({ outcome: request.signal?.aborted ? 'cancelled' : 'error' });
            throw error;
          }
        },
        options,
      );
    },
    async *stream(request: ChatRequest): AsyncGenerator<ChatStreamEvent> {
      const span = tracer.startSpan(`chat ${provider.model}`, {
        kind: SpanKind.CLIENT,
        attributes: requestAttributes(provider, request),
      });
      const stop = timer();
      let outcome = 'cancelled';
      try {
        for await (const event of provider.stream(request)) {
          if (event.type === 'done') {
            outcome = 'ok';
            recordResult(instruments, provider, event.result);
            describeResult(span, event.result);
          }
          yield event;
        }
      } catch (error) {
        outcome = request.signal?.aborted ? 'cancelled' : 'error';
        failSpan(span, error);
        throw error;
      } finally {
        stop({ outcome });
        span.end();
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
    embed(texts, options) {
      const attributes = {
        'gen_ai.operation.name': 'embeddings',
        'gen_ai.system': provider.name,
        'gen_ai.provider.name': provider.name,
        'gen_ai.request.model': provider.model,
        'keel.embeddings.inputs': texts.length,
      };
      return inSpan(
        `embeddings ${provider.model}`,
        attributes,
        async () => {
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
        { kind: SpanKind.CLIENT },
      );
    },
  };
}
