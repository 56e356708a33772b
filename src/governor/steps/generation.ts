import type { ChatChain } from '../../providers/factory.js';
import type { ChatProvider, ChatRequest, ChatResult } from '../../providers/provider.js';
import { countTokens } from '../../providers/token-count.js';
import type { RecalledMemory } from '../../memory/recall.js';
import type { Agent } from '../policy-bundle.js';
import { buildMessages } from '../prompt.js';
import type { Step } from '../step.js';
import type { StreamGate } from '../stream-gate.js';
import type { Grounds } from './output-validation.js';

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
 * Streams through the gate, which passes on only text validated against `grounds`; stops the
 * provider when the gate refuses mid-stream or the caller goes away, keeping what was generated
 * (flagged `stream_cancelled` when the caller left).
 */
async function streamed(
  provider: ChatProvider,
  request: ChatRequest,
  gate: StreamGate,
  grounds: Grounds,
  caller?: AbortSignal,
): Promise<{ result: ChatResult; flags: string[] }> {
  const stop = new AbortController();
  const signal = caller ? AbortSignal.any([caller, stop.signal]) : stop.signal;
  let result: ChatResult | undefined;
  try {
    for await (const event of provider.stream({ ...request, signal })) {
      if (event.type === 'done') result = event.result;
      else if (!gate.push(event.text, grounds)) {
        stop.abort();
        break;
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  if (result) return { result, flags: [] };
  const cancelled = caller?.aborted ?? false;
  if (!cancelled && !stop.signal.aborted) throw new Error('Provider stream ended without a result');
  return {
    result: partialResult(provider, request, gate.received),
    flags: cancelled ? ['stream_cancelled'] : [],
  };
}

/** What the model is given: the agent, the checked question, the screened passages, memories. */
export interface GenerationInput {
  agent: Agent;
  text: string;
  memories: RecalledMemory[];
  grounds: Grounds;
  /** Streaming: the gate the provider's text passes through. */
  gate?: StreamGate | undefined;
}

/** Calls the agent's provider (with its fallback chain); streams when the caller listens. */
export function createGenerationStep(
  providerFor: ProviderForAgent,
): Step<GenerationInput, ChatResult> {
  return {
    id: 'generation',
    async run({ agent, text, memories, grounds, gate }, call) {
      const provider = providerFor(agent).ground({ question: text, passages: grounds.passages });
      const request: ChatRequest = {
        messages: buildMessages(agent.promptText, grounds.passages, text, memories),
        ...(call.request.maxOutputTokens !== undefined && {
          maxOutputTokens: call.request.maxOutputTokens,
        }),
        ...(call.request.temperature !== undefined && {
          temperature: call.request.temperature,
        }),
        ...(call.signal && { signal: call.signal }),
      };
      const { result, flags } = gate
        ? await streamed(provider, request, gate, grounds, call.signal)
        : { result: await provider.chat(request), flags: [] };
      return {
        decision: `${result.provider}/${result.model}`,
        reasons: [`finish: ${result.finishReason}`],
        flags,
        output: result,
      };
    },
  };
}
