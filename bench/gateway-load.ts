import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { z } from 'zod';
import { isEntryPoint } from './harness.js';
import { repoRoot } from './scifact.js';
import { summarize } from './stats.js';

/*
 * Closed-loop load generator for the gateway benchmark, in its own process (as chat-load.ts) so
 * the clients' HTTP and JSON work never shares an event loop with what is measured:
 *   KEEL_BENCH_API_KEY=keel_… node bin/run-ts.js bench/gateway-load.ts \
 *     --target keel --url http://127.0.0.1:PORT --concurrency 16 --requests 600
 * `--target upstream` sends the same question straight to `URL/chat/completions` instead;
 * `--target portkey` sends it to Portkey's gateway at URL, which forwards it to `--upstream`.
 * Prints one JSON object (a GatewayLevel) on stdout.
 */

/** The benchmark's questions about the bundled docs; each call tags one to make it unique. */
export const QUESTIONS = [
  'How do I roll back a policy?',
  'How are policies versioned?',
  'What does the governor check before answering?',
  'How do I create an API key?',
  'How does knowledge sync work?',
  'What are the rate limits per user?',
];

const summarySchema = z.object({
  count: z.number(),
  mean: z.number(),
  p50: z.number(),
  p99: z.number(),
  max: z.number(),
});
export const gatewayLevelSchema = z.object({
  target: z.enum(['upstream', 'keel', 'portkey']),
  concurrency: z.number(),
  requests: z.number(),
  seconds: z.number(),
  requestsPerSecond: z.number(),
  latencyMs: summarySchema,
  status: z.record(z.string(), z.number()),
  /** Error codes of non-200 answers, and the governor decision of Keel's 200s. */
  outcomes: z.record(z.string(), z.number()),
});
export type GatewayLevel = z.infer<typeof gatewayLevelSchema>;
export type Target = GatewayLevel['target'];

const replySchema = z.object({
  decision: z.object({ status: z.string() }).optional(),
  error: z.object({ code: z.string().nullish() }).optional(),
});

/** Letters only: digits could look like a phone number or card to the PII detector. */
function letters(value: number): string {
  let text = '';
  for (let rest = value; ; rest = Math.floor(rest / 26)) {
    text = String.fromCharCode(97 + (rest % 26)) + text;
    if (rest < 26) return text;
  }
}

/**
 * Every message is new (a per-process tag plus a counter, spelled in letters), so Keel's answer
 * cache never hits and every request runs retrieval, generation and the output checks.
 */
function messages(): () => string {
  const tag = letters(randomInt(26 ** 5));
  let sent = 0;
  return () => {
    sent += 1;
    return `${QUESTIONS[sent % QUESTIONS.length]} (ref ${tag} ${letters(sent)})`;
  };
}

/** Calls the warm-up runs before timing starts, at each concurrency (the CPU meter counts them). */
export const warmUpCalls = (concurrency: number) => Math.max(30, 3 * concurrency);

interface Destination {
  target: Target;
  url: string;
  key?: string | undefined;
  /** The upstream Portkey forwards to (its `x-portkey-custom-host`). */
  upstreamUrl?: string | undefined;
}

function request(to: Destination, message: string) {
  const completion = JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: message }],
  });
  if (to.target === 'upstream') {
    return fetch(`${to.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
      body: completion,
    });
  }
  if (to.target === 'portkey') {
    return fetch(`${to.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-bench',
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': to.upstreamUrl ?? '',
      },
      body: completion,
    });
  }
  return fetch(`${to.url}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${to.key ?? ''}` },
    body: JSON.stringify({ message }),
  });
}

export async function closedLoop(
  options: Destination & { concurrency: number; requests: number },
): Promise<GatewayLevel> {
  const next = messages();
  const status: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const timings: number[] = [];
  const count = (tally: Record<string, number>, key: string) =>
    (tally[key] = (tally[key] ?? 0) + 1);
  const drive = async (total: number, record: boolean) => {
    let issued = 0;
    const client = async () => {
      while (issued < total) {
        issued += 1;
        const started = performance.now();
        const response = await request(options, next()).catch((error: unknown) => error as Error);
        if (response instanceof Error) {
          // A dropped connection is counted, never hidden, and does not end the run.
          const cause = (response.cause as { code?: string } | undefined)?.code;
          if (record) count(outcomes, `connection: ${cause ?? response.message}`);
          if (record) count(status, 'failed');
          continue;
        }
        const body = replySchema.safeParse(await response.json().catch(() => undefined));
        const ms = performance.now() - started;
        if (!record) continue;
        timings.push(ms);
        count(status, String(response.status));
        const reply = body.success ? body.data : {};
        if (response.status !== 200) count(outcomes, reply.error?.code ?? 'no-error-body');
        else if (options.target === 'keel') count(outcomes, reply.decision?.status ?? 'unknown');
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, client));
  };
  // Warm up at the measured concurrency so every connection is open before timing starts.
  await drive(warmUpCalls(options.concurrency), false);
  const started = performance.now();
  await drive(options.requests, true);
  const seconds = (performance.now() - started) / 1000;
  return {
    target: options.target,
    concurrency: options.concurrency,
    requests: options.requests,
    seconds: Math.round(seconds * 1000) / 1000,
    requestsPerSecond: Math.round((options.requests / seconds) * 10) / 10,
    latencyMs: summarize(timings),
    status,
    outcomes,
  };
}

/** Runs the load generator in a child process and returns its figures. */
export async function gatewayLoad(
  options: Destination & { concurrency: number; requests: number },
): Promise<GatewayLevel> {
  const args = [join(repoRoot, 'bin', 'run-ts.js'), join(repoRoot, 'bench', 'gateway-load.ts')];
  args.push('--target', options.target, '--url', options.url);
  args.push('--concurrency', String(options.concurrency), '--requests', String(options.requests));
  if (options.upstreamUrl) args.push('--upstream', options.upstreamUrl);
  const { stdout } = await promisify(execFile)(process.execPath, args, {
    cwd: repoRoot,
    // The key travels in the environment, not argv, so it never shows up in `ps`.
    env: { ...process.env, KEEL_BENCH_API_KEY: options.key ?? '' },
    maxBuffer: 16 * 2 ** 20,
  });
  return gatewayLevelSchema.parse(JSON.parse(stdout));
}

function flag(name: string): string {
  const value = process.argv[process.argv.indexOf(name) + 1];
  if (!process.argv.includes(name) || value === undefined) throw new Error(`missing ${name}`);
  return value;
}

if (isEntryPoint(import.meta.url)) {
  const target = gatewayLevelSchema.shape.target.parse(flag('--target'));
  const level = await closedLoop({
    target,
    url: flag('--url'),
    upstreamUrl: process.argv.includes('--upstream') ? flag('--upstream') : undefined,
    key: process.env.KEEL_BENCH_API_KEY,
    concurrency: Number(flag('--concurrency')),
    requests: Number(flag('--requests')),
  });
  process.stdout.write(`${JSON.stringify(level)}\n`);
}
