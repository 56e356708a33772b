import type { ChatChain } from '../../providers/factory.js';
import type { ChatProvider, ChatRequest, ChatResult } from '../../providers/provider.js';
import { countTokens } from '../../providers/token-count.js';
import type { Agent } from '../policy-bundle.js';
import { buildMessages } from '../prompt.js';
import type { GovernorContext, GovernorStep } from '../step.js';

export type ProviderForAgent = (agent: Agent | undefined) => ChatChain;

/**
 * What a stream that ended early produced: the text received, with tokens estimated, so a
 * cancelled or refused stream is still billed for what the model generated.
 */
function partialResult(provider: ChatProvider, request: ChatRequest, text: string): ChatResult {
  const prompt = request.messages.map((message) => message.content).join('\n');
  return {
    text,
    usage: { inputTokens: countTokens(prompt), outputTokens: countTokens(text) },
    provider: provider.name,
    model: provider.model,
    finishReason: 'other',
  };
}

/**
 * Streams through the context's gate, which passes on only validated text; stops the provider
 * when the gate refuses mid-stream or the caller goes away, keeping what was generated.
 */
async function streamed(
  context: GovernorContext,
  provider: ChatProvider,
  request: ChatRequest,
): Promise<ChatResult> {
  const gate = context.stream!;
  const stop = new AbortController();
  const signal = context.signal ? AbortSignal.any([context.signal, stop.signal]) : stop.signal;
  let result: ChatResult | undefined;
  try {
    for await (const event of provider.stream({ ...request, signal })) {
      if (event.type === 'done') result = event.result;
      else if (!gate.push(event.text)) {
        stop.abort();
        break;
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  if (result) return result;
  if (context.signal?.aborted) context.flags.push('stream_cancelled');
  else if (!stop.signal.aborted) throw new Error('Provider stream ended without a result');
  return partialResult(provider, request, gate.received);
}

/** Calls the agent's provider (with its fallback chain); streams when the caller listens. */
export function createGenerationStep(providerFor: ProviderForAgent): GovernorStep {
  return {
    id: 'generation',
    async run(context) {
      const provider = providerFor(context.agent).ground({
        question: context.input,
        passages: context.passages,
      });
      const request: ChatRequest = {
        messages: buildMessages(
          context.agent?.promptText ?? '',
          context.passages,
          context.input,
          context.memories,
        ),
        ...(context.request.maxOutputTokens !== undefined && {
          maxOutputTokens: context.request.maxOutputTokens,
        }),
        ...(context.request.temperature !== undefined && {
          temperature: context.request.temperature,
        }),
        ...(context.signal && { signal: context.signal }),
      };
      const result = context.stream
        ? await streamed(context, provider, request)
        : await provider.chat(request);
      context.result = result;
      context.answer = result.text;
      context.usage = result.usage;
      return {
        decision: `${result.provider}/${result.model}`,
        reasons: [`finish: ${result.finishReason}`],
      };
    },
  };
}
