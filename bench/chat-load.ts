import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { z } from 'zod';
import { isEntryPoint } from './harness.js';
import { summarize } from './stats.js';
import { loadQueries, repoRoot, scifactDir } from './scifact.js';

/*
 * Closed-loop load generator for `POST /v1/chat`. It runs as its own process so that the
 * clients' JSON and HTTP work does not share the server's event loop and inflate its figures:
 *   node bin/run-ts.js bench/chat-load.ts --url http://127.0.0.1:PORT --concurrency 16 --requests 300
 * It prints one JSON object (a ChatLevel) on stdout.
 */

const WARM_UP = 20;

const summarySchema = z.object({
  count: z.number(),
  mean: z.number(),
  p50: z.number(),
  p99: z.number(),
  max: z.number(),
});
const tallySchema = z.record(z.string(), z.number());
export const chatLevelSchema = z.object({
  concurrency: z.number(),
  requests: z.number(),
  seconds: z.number(),
  requestsPerSecond: z.number(),
  latencyMs: summarySchema,
  /** The 200 responses alone: refusals stop early and would flatter the mix. */
  answeredLatencyMs: summarySchema,
  status: tallySchema,
  /** 422 responses by refusal reason; reported, never retried or hidden. */
  refusals: tallySchema,
  /** Governor decision carried by the 200 responses (allowed, redacted, refused). */
  decisions: tallySchema,
});
export type ChatLevel = z.infer<typeof chatLevelSchema>;

const ChatReply = z.object({
  decision: z.object({ status: z.string() }).optional(),
  error: z
    .object({ code: z.string(), details: z.object({ reason: z.unknown() }).partial().optional() })
    .optional(),
});

function count(tally: Record<string, number>, key: string): void {
  tally[key] = (tally[key] ?? 0) + 1;
}

async function postChat(url: string, message: string) {
  const started = performance.now();
  const response = await fetch(`${url}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message }),
  });
  const body = ChatReply.safeParse(await response.json());
  return {
    status: response.status,
    ms: performance.now() - started,
    body: body.success ? body.data : undefined,
  };
}

type Reply = Awaited<ReturnType<typeof postChat>>;

/** `concurrency` clients, each sending the next message as soon as its previous reply is in. */
async function drive(
  url: string,
  messages: string[],
  concurrency: number,
  requests: number,
  onReply: (reply: Reply) => void,
): Promise<void> {
  let next = 0;
  const client = async () => {
    for (let index = next++; index < requests; index = next++) {
      onReply(await postChat(url, messages[index % messages.length] ?? ''));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
}

/** A closed-loop run of `requests` messages after an untimed warm-up at the same concurrency. */
export async function closedLoop(
  url: string,
  messages: string[],
  concurrency: number,
  requests: number,
): Promise<ChatLevel> {
  // Warming up at the measured concurrency opens every connection first; a serial warm-up left
  // 15 connections to open inside the timed run, and their first burst made the whole p99.
  await drive(url, messages, concurrency, Math.max(WARM_UP, 2 * concurrency), () => {});
  const status: Record<string, number> = {};
  const refusals: Record<string, number> = {};
  const decisions: Record<string, number> = {};
  const timings: number[] = [];
  const answered: number[] = [];
  const started = performance.now();
  await drive(url, messages, concurrency, requests, (reply) => {
    timings.push(reply.ms);
    count(status, String(reply.status));
    const error = reply.body?.error;
    if (reply.status === 422) count(refusals, String(error?.details?.reason ?? error?.code));
    if (reply.status === 200) {
      answered.push(reply.ms);
      count(decisions, reply.body?.decision?.status ?? 'unknown');
    }
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    concurrency,
    requests,
    seconds: Math.round(seconds * 1000) / 1000,
    requestsPerSecond: Math.round((requests / seconds) * 10) / 10,
    latencyMs: summarize(timings),
    answeredLatencyMs: summarize(answered),
    status,
    refusals,
    decisions,
  };
}

/** Runs the load generator in a child process against `url` and returns its figures. */
export async function chatLoad(options: {
  url: string;
  dataDir: string;
  concurrency: number;
  requests: number;
}): Promise<ChatLevel> {
  const args = [join(repoRoot, 'bin', 'run-ts.js'), join(repoRoot, 'bench', 'chat-load.ts')];
  args.push('--url', options.url, '--data', options.dataDir);
  args.push('--concurrency', String(options.concurrency), '--requests', String(options.requests));
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: repoRoot });
  return chatLevelSchema.parse(JSON.parse(stdout));
}

function flag(name: string): string {
  const value = process.argv[process.argv.indexOf(name) + 1];
  if (!process.argv.includes(name) || value === undefined) throw new Error(`missing ${name}`);
  return value;
}

if (isEntryPoint(import.meta.url)) {
  const messages = (await loadQueries(scifactDir())).map((query) => query.text);
  const level = await closedLoop(
    flag('--url'),
    messages,
    Number(flag('--concurrency')),
    Number(flag('--requests')),
  );
  process.stdout.write(`${JSON.stringify(level)}\n`);
}
