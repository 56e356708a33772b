import { printAuth, runAuth } from './auth.js';
import { machine, removeWorkDir, writeResult } from './harness.js';
import { printIngest, runIngest } from './ingest.js';
import { printLatency, runLatency } from './latency.js';
import { printRetrieval, runRetrieval } from './retrieval.js';
import { scifactDir } from './scifact.js';

// `npm run bench`. Ingestion runs first so its memory figures are not inflated by the others;
// latency reuses the database retrieval built (its sync then changes nothing); auth builds its
// own, so its search covers SciFact alone, as when it runs by itself.
const dataDir = scifactDir();
const command = 'npm run bench';
const started = Date.now();

const { workDir: ingestDir, ...ingest } = await runIngest({ dataDir });
await removeWorkDir(ingestDir);
printIngest(ingest);
await writeResult('ingest', { command, ...ingest });

const { workDir, ...retrieval } = await runRetrieval({ dataDir });
printRetrieval({ ...retrieval, workDir });
await writeResult('retrieval', { command, ...retrieval });

try {
  const { workDir: _reused, ...latency } = await runLatency({ dataDir, workDir });
  printLatency({ ...latency, workDir });
  await writeResult('latency', { command, ...latency });
  const { workDir: authDir, ...auth } = await runAuth({ dataDir });
  await removeWorkDir(authDir);
  printAuth({ ...auth, workDir: authDir });
  await writeResult('auth', { command, ...auth });
  const [single, concurrent] = latency.chat;
  const host = machine();
  console.log(`\nSummary (${host.cpus} cores, ${host.memoryGiB} GiB, Node ${host.node})`);
  console.log(
    `  nDCG@10 ${retrieval.ndcg10} (BM25 baseline ${retrieval.baselineNdcg10}), recall@100 ${retrieval.recall100}`,
  );
  console.log(
    `  sync from empty ${ingest.initial.seconds} s, re-sync unchanged ${ingest.unchanged.seconds} s, ` +
      `incremental ${ingest.incremental.seconds} s, peak RSS ${ingest.initial.rssPeakSampledMB} MB ` +
      `(${ingest.initial.rssBeforeMB} MB before the first sync)`,
  );
  console.log(`  search p50 ${latency.searchMs.p50} ms, p99 ${latency.searchMs.p99} ms`);
  for (const level of [single, concurrent]) {
    if (!level) continue;
    console.log(
      `  chat x${level.concurrency}: p50 ${level.latencyMs.p50} ms, p99 ${level.latencyMs.p99} ms, ` +
        `${level.requestsPerSecond} req/s, ${level.status['422'] ?? 0} refused`,
    );
  }
  for (const level of auth.search) {
    const { off, token, apiKey } = level.modes;
    console.log(
      `  search x${level.concurrency} over HTTP: auth off ${off.requestsPerSecond} req/s p50 ${off.latencyMs.p50} ms; ` +
        `token ${token.requestsPerSecond} req/s p50 ${token.latencyMs.p50} ms (x${level.overhead.token.throughput}); ` +
        `API key ${apiKey.requestsPerSecond} req/s p50 ${apiKey.latencyMs.p50} ms (x${level.overhead.apiKey.throughput})`,
    );
  }
  const { argon2, httpMs } = auth.login;
  console.log(
    `  login p50 ${httpMs.p50} ms, p99 ${httpMs.p99} ms ` +
      `(Argon2id m=${argon2.memoryKiB} KiB, t=${argon2.iterations}, p=${argon2.parallelism})`,
  );
  console.log(`  total ${Math.round((Date.now() - started) / 1000)} s; results in bench/results/`);
} finally {
  await removeWorkDir(workDir);
}
