import type { AddressInfo } from 'node:net';
import { buildOrchestratorApp } from '../../src/orchestrator/server.js';
import type { FakeOpenAiServer } from '../fixtures/providers/openai-server.js';
import { createTestKeel } from './test-keel.js';

/** The secret both sides of the test's api → orchestrator calls sign with. */
export const INTERNAL_SECRET = 'q8V#r2!mZp4L@x7Tn1Ws9Ke3Yb6Hd0Jf';

/** A Keel's chat provider: the fake OpenAI-compatible server, with no fallback behind it. */
export function openAiEnv(upstream: Pick<FakeOpenAiServer, 'url'>): Record<string, string> {
  return {
    KEEL_LLM: 'openai',
    OPENAI_API_KEY: 'sk-test-not-a-real-key-000000',
    OPENAI_BASE_URL: `${upstream.url}/v1`,
    KEEL_LLM_FALLBACK: 'none',
    KEEL_EMBEDDINGS: 'none',
  };
}

/**
 * Server mode in one test process: an orchestrator (its own Keel on `upstream`, listening on a
 * real port) and an API Keel that reaches it over signed HTTP, through `via` when given (a proxy
 * in between: it gets the orchestrator's port and returns the URL the API should call).
 *
 * @example
 *   const servers = await startServerMode({ upstream, apiEnv: { KEEL_ORCHESTRATOR_TIMEOUT_MS: '1500' } });
 *   await servers.api.app.inject({ method: 'POST', url: '/v1/chat', payload: { message } });
 */
export async function startServerMode(options: {
  upstream: Pick<FakeOpenAiServer, 'url'>;
  orchestratorEnv?: Record<string, string>;
  apiEnv?: Record<string, string>;
  via?: (orchestratorPort: number) => Promise<string>;
}) {
  const orchestratorKeel = await createTestKeel(
    { ...openAiEnv(options.upstream), ...options.orchestratorEnv },
    { worker: false },
  );
  const orchestrator = await buildOrchestratorApp(orchestratorKeel.keel, INTERNAL_SECRET);
  const direct = await orchestrator.listen({ host: '127.0.0.1', port: 0 });
  const { port } = orchestrator.server.address() as AddressInfo;
  const api = await createTestKeel(
    {
      KEEL_ORCHESTRATOR_URL: options.via ? await options.via(port) : direct,
      KEEL_INTERNAL_SECRET: INTERNAL_SECRET,
      ...options.apiEnv,
    },
    { bundled: false, worker: false },
  );
  return {
    orchestratorKeel,
    orchestrator,
    api,
    async close() {
      await api.close();
      await orchestrator.close();
      await orchestratorKeel.close();
    },
  };
}
