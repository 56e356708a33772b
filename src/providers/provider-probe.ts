import type { ChatProviderName, Config } from '../config/config.js';
import { joinUrl } from './http-reply.js';
import { bearerHeader } from './http.js';

/** How long one probe result is reused: readiness is polled every few seconds by each prober. */
export const PROVIDER_PROBE_TTL_MS = 30_000;
const PROBE_TIMEOUT_MS = 2_000;

interface ProbeRequest {
  url: string;
  headers: Record<string, string>;
}

/**
 * The cheapest authenticated read each protocol offers: listing models costs no tokens and
 * proves the endpoint answers and the key is accepted.
 */
function probeRequest(name: Exclude<ChatProviderName, 'extractive'>, config: Config): ProbeRequest {
  const remote = config.providers[name];
  switch (name) {
    case 'openai':
    case 'groq':
      return { url: joinUrl(remote.baseUrl, 'models'), headers: bearerHeader(remote.apiKey) };
    case 'ollama':
      return { url: joinUrl(remote.baseUrl, 'api/tags'), headers: bearerHeader(remote.apiKey) };
    case 'gemini':
      return {
        url: joinUrl(remote.baseUrl, 'models?pageSize=1'),
        headers: { 'x-goog-api-key': remote.apiKey ?? '' },
      };
  }
}

/**
 * A readiness check for the configured chat provider (the first of the chain: the one every
 * answer tries first). The built-in extractive provider is always ready. A remote result, good or
 * bad, is cached for `PROVIDER_PROBE_TTL_MS`, so probes never hammer a paid API.
 *
 * @example
 *   const probe = createProviderProbe(config);
 *   await probe(); // throws 'openai answered 401' when the key is refused
 */
export function createProviderProbe(
  config: Config,
  options: { now?: () => number } = {},
): () => Promise<void> {
  const name = config.providers.chat;
  if (name === 'extractive') return async () => undefined;
  const now = options.now ?? Date.now;
  const request = probeRequest(name, config);
  let cached: { at: number; outcome: Promise<void> } | undefined;
  const check = async () => {
    let response: Response;
    try {
      response = await fetch(request.url, {
        headers: { accept: 'application/json', ...request.headers },
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
    } catch (error) {
      throw new Error(`${name} unreachable (${(error as Error).name})`);
    }
    await response.body?.cancel();
    if (!response.ok) throw new Error(`${name} answered ${response.status}`);
  };
  return () => {
    if (!cached || now() - cached.at >= PROVIDER_PROBE_TTL_MS) {
      const outcome = check();
      // A rejection is kept as the cached result; this only stops an unhandled-rejection warning.
      outcome.catch(() => undefined);
      cached = { at: now(), outcome };
    }
    return cached.outcome;
  };
}
