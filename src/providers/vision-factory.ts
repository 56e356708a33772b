/**
 * Picks the vision adapter the configuration asks for; the only place that knows which class
 * speaks which protocol. Everything else sees the `VisionProvider` port.
 */
import type { Config, VisionProviderName } from '../config/config.js';
import { GeminiVisionProvider } from './vision-gemini.js';
import { OllamaVisionProvider } from './vision-ollama.js';
import { OpenAiVisionProvider } from './vision-openai.js';
import type { VisionProvider } from './vision-provider.js';

/** Each provider's usual vision model, used unless `KEEL_VISION_MODEL` names another. */
export const DEFAULT_VISION_MODELS = {
  openai: 'gpt-4o-mini',
  gemini: 'gemini-2.0-flash',
  ollama: 'llava',
} as const satisfies Record<Exclude<VisionProviderName, 'none'>, string>;

/**
 * The configured vision provider, or undefined with `KEEL_VISION=none` (the offline default):
 * `POST /v1/vision/analyze` then answers 503 `vision_not_configured` and the `vision` queue
 * stays closed. The provider's base URL and key are its chat settings (`GEMINI_BASE_URL`, …).
 *
 * @example
 *   const vision = createVisionProvider(loadConfig({ env: { KEEL_VISION: 'ollama' } }));
 *   const { text } = await vision!.analyze({ image: { bytes, mediaType: 'image/png' }, prompt: 'Describe it' });
 */
export function createVisionProvider(
  config: Pick<Config, 'providers'>,
): VisionProvider | undefined {
  const { vision } = config.providers;
  if (vision.provider === 'none') return undefined;
  const remote = config.providers[vision.provider];
  const options = {
    name: vision.provider,
    baseUrl: remote.baseUrl,
    apiKey: remote.apiKey,
    model: vision.model ?? DEFAULT_VISION_MODELS[vision.provider],
    timeoutMs: config.providers.timeoutMs,
    retries: config.providers.retries,
  };
  switch (vision.provider) {
    case 'openai':
      return new OpenAiVisionProvider(options);
    case 'ollama':
      return new OllamaVisionProvider(options);
    case 'gemini':
      return new GeminiVisionProvider(options);
  }
}
