import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { addSource } from '../src/kb/sources.js';
import { KnowledgeSync } from '../src/kb/sync.js';
import { PostgresStore } from '../src/store/postgres.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { Store } from '../src/store/store.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createTestDatabase } from '../test/helpers/postgres-database.js';
import {
  SCIFACT_SOURCE,
  isEntryPoint,
  megabytes,
  newWorkDir,
  removeWorkDir,
  writeCorpus,
  writeResult,
} from './harness.js';
import { type PhaseResult, measured } from './ingest.js';
import { repoRoot, scifactDir } from './scifact.js';

const BACKENDS = ['postgres', 'sqlite'] as const;
type Backend = (typeof BACKENDS)[number];
const run = promisify(execFile);

const rate = (count: number, seconds: number) => Math.round(count / seconds);

/** One backend, in a process of its own so its peak RSS is its own: from empty, then unchanged. */
async function ingestInto(backend: Backend, dataDir: string) {
  const workDir = await newWorkDir(`ingest-${backend}`);
  const database = backend === 'postgres' ? await createTestDatabase('keel_bench') : undefined;
  const store: Store = database
    ? await PostgresStore.open({ url: database.url, poolMax: 10 })
    : await SqliteStore.open(join(workDir, 'data', 'keel.db'));
  try {
    const { corpusDir, files } = await writeCorpus(workDir, dataDir);
    const source = await addSource(store, {
      name: SCIFACT_SOURCE,
      kind: 'folder',
      location: corpusDir,
    });
    const sync = new KnowledgeSync(store, {
      dataDir: join(workDir, 'data'),
      logger: createLogger('silent'),
    });
    const initial = await measured(() => sync.sync(source));
    const unchanged = await measured(() => sync.sync(source));
    return {
      backend,
      files,
      initial: {
        ...initial,
        documentsPerSecond: rate(initial.report.documents, initial.seconds),
        chunksPerSecond: rate(initial.report.chunks, initial.seconds),
      },
      unchanged,
      // maxRSS is in kibibytes: the whole child process, corpus writing included.
      processMaxRssMB: megabytes(process.resourceUsage().maxRSS * 1024),
    };
  } finally {
    await store.close();
    await database?.drop();
    await removeWorkDir(workDir);
  }
}

type BackendResult = Awaited<ReturnType<typeof ingestInto>>;
const ChildOutput = z.object({ backend: z.enum(BACKENDS) }).passthrough();

async function inChild(backend: Backend, dataDir: string): Promise<BackendResult> {
  const script = join(repoRoot, 'bench', 'ingest-server.ts');
  const { stdout } = await run(
    process.execPath,
    [join(repoRoot, 'bin', 'run-ts.js'), script, '--backend', backend, '--data', dataDir],
    { maxBuffer: 16 * 2 ** 20, timeout: 30 * 60_000 },
  );
  return ChildOutput.parse(JSON.parse(stdout)) as unknown as BackendResult;
}

function row(phase: PhaseResult, extra: Record<string, number> = {}) {
  return {
    seconds: phase.seconds,
    ...extra,
    'peak RSS MB (sampled)': phase.rssPeakSampledMB,
    documents: phase.report.documents,
    chunks: phase.report.chunks,
    unchanged: phase.report.unchanged,
    errors: phase.report.errors,
  };
}

if (isEntryPoint(import.meta.url)) {
  const dataDir = scifactDir();
  const flag = process.argv.indexOf('--backend');
  const asked = flag >= 0 ? z.enum(BACKENDS).parse(process.argv[flag + 1]) : undefined;
  if (asked) {
    process.stdout.write(JSON.stringify(await ingestInto(asked, dataDir)));
  } else {
    const results: BackendResult[] = [];
    for (const backend of BACKENDS) results.push(await inChild(backend, dataDir));
    console.log(
      `\nSciFact ingestion (${results[0]?.files} abstracts), lexical only, one process per backend`,
    );
    console.table(
      Object.fromEntries(
        results.flatMap((result) => [
          [
            `${result.backend}: from empty`,
            row(result.initial, {
              'documents/s': result.initial.documentsPerSecond,
              'chunks/s': result.initial.chunksPerSecond,
            }),
          ],
          [`${result.backend}: nothing changed`, row(result.unchanged)],
        ]),
      ),
    );
    for (const result of results)
      console.log(`${result.backend}: process maxRSS ${result.processMaxRssMB} MB`);
    const path = await writeResult('ingest-server', {
      command: 'node bin/run-ts.js bench/ingest-server.ts',
      // Shared machines: how busy it was matters as much as the figures.
      loadAverageAtEnd: Math.round((loadavg()[0] ?? 0) * 100) / 100,
      ...Object.fromEntries(results.map((result) => [result.backend, result])),
    });
    console.log(`wrote ${path}`);
  }
}
