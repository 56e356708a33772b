import type { ChatProvider, ChatResult } from '../../providers/provider.js';
import type { Agent } from '../policy-bundle.js';
import { buildMessages } from '../prompt.js';
import type { GovernorStep } from '../step.js';

export type ProviderForAgent = (agent: Agent | undefined) => ChatProvider;

/** Calls the agent's provider (with its fallback chain); streams when the caller listens. */
export function createGenerationStep(providerFor: ProviderForAgent): GovernorStep {
  return {
    id: 'generation',
    async run(context) {
      const provider = providerFor(context.agent);
      const request = {
        messages: buildMessages(context.agent?.promptText ?? '', context.passages, context.input),
        question: context.input,
        passages: context.passages,
        ...(context.request.maxOutputTokens !== undefined && {
          maxOutputTokens: context.request.maxOutputTokens,
        }),
        ...(context.request.temperature !== undefined && {
          temperature: context.request.temperature,
        }),
        ...(context.signal && { signal: context.signal }),
      };
      let result: ChatResult | undefined;
      if (context.onDelta) {
        for await (const event of provider.stream(request)) {
          if (event.type === 'delta') context.onDelta(event.text);
          else result = event.result;
        }
      } else {
        result = await provider.chat(request);
      }
      if (!result) throw new Error('Provider stream ended without a result');
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
