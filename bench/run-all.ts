import { machine, removeWorkDir, writeResult } from './harness.js';
import { printIngest, runIngest } from './ingest.js';
import { printLatency, runLatency } from './latency.js';
import { printRetrieval, runRetrieval } from './retrieval.js';
import { scifactDir } from './scifact.js';

// `npm run bench`. Ingestion runs first so its memory figures are not inflated by the other two;
// latency reuses the database retrieval built (its sync then changes nothing).
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
  console.log(`  total ${Math.round((Date.now() - started) / 1000)} s; results in bench/results/`);
} finally {
  await removeWorkDir(workDir);
}
