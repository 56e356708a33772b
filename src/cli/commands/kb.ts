import { basename, resolve } from 'node:path';
import { Command } from 'commander';
import { NotFoundError } from '../../errors.js';
import { citationLabel } from '../../governor/prompt.js';
import { addSource, describeSource } from '../../kb/sources.js';
import type { SyncReport } from '../../kb/sync.js';
import type { Keel } from '../../keel.js';
import { hitView } from '../../search/search-service.js';
import { printJson, withKeel, withStore } from '../context.js';

function printReport(report: SyncReport): void {
  console.log(
    `${report.name}: ${report.status} @ ${report.version ?? '-'} — ${report.added} added, ${report.updated} updated, ${report.removed} removed, ${report.unchanged} unchanged; ${report.documents} documents, ${report.chunks} chunks (${report.durationMs} ms)`,
  );
  if (report.message) console.log(`  ${report.message}`);
  for (const error of report.errors) console.log(`  ✗ ${error.path}: ${error.message}`);
}

/** A source by name, or a folder path (registered on first use, named after the folder). */
async function sourceFor(keel: Keel, nameOrPath: string) {
  const byName = await keel.store.findSourceByName(nameOrPath);
  if (byName) return byName;
  const location = resolve(nameOrPath);
  const known = (await keel.store.listSources()).find((source) => source.location === location);
  if (known) return known;
  if (!/[/\\.]/.test(nameOrPath)) {
    throw new NotFoundError(
      'source_not_found',
      `No knowledge source named "${nameOrPath}" (give a folder path to add one)`,
    );
  }
  return addSource(keel.store, { name: basename(location), kind: 'folder', location });
}

export function kbCommand(): Command {
  const command = new Command('kb');
  command
    .command('sync')
    .description('Sync every source, or one (by name, or a folder path to add and sync)')
    .option('--source <name|path>', 'one source')
    .action(async (options: { source?: string }) => {
      await withKeel(async (keel) => {
        const { BUNDLED_SOURCE, syncBundledKnowledge } = await import('../../keel.js');
        if (options.source) {
          const report = await keel.syncSource(await sourceFor(keel, options.source));
          printReport(report);
          if (report.status === 'failed') process.exitCode = 1;
          return;
        }
        const bundled = await syncBundledKnowledge(keel);
        if (bundled) printReport(bundled);
        for (const source of await keel.store.listSources()) {
          if (source.name === BUNDLED_SOURCE) continue;
          const report = await keel.syncSource(source);
          printReport(report);
          if (report.status === 'failed') process.exitCode = 1;
        }
      });
    });
  command
    .command('status')
    .description('Sources with their version, last sync, counts and errors')
    .option('--json', 'as JSON')
    .action(async (options: { json?: boolean }) => {
      await withStore(async (store) => {
        const sources = await Promise.all(
          (await store.listSources()).map((source) => describeSource(store, source)),
        );
        if (options.json) return printJson({ sources });
        if (sources.length === 0)
          console.log('No knowledge sources yet. Add one with: keel kb sync --source ./folder');
        for (const source of sources) {
          console.log(
            `${source.name} (${source.kind}: ${source.location})\n  version ${source.version ?? '-'} · last sync ${source.lastSyncAt ?? 'never'} (${source.lastSyncStatus}) · ${source.documents} documents, ${source.chunks} chunks`,
          );
          if (source.lastSyncMessage) console.log(`  ${source.lastSyncMessage}`);
          for (const error of source.errors) console.log(`  ✗ ${error.path}: ${error.message}`);
        }
      });
    });
  command
    .command('search')
    .description('Search the knowledge base')
    .argument('<query...>', 'what to look for')
    .option('--k <n>', 'number of hits', '10')
    .option('--json', 'as JSON')
    .action(async (words: string[], options: { k: string; json?: boolean }) => {
      const k = Number(options.k);
      if (!Number.isInteger(k) || k < 1 || k > 100)
        throw new Error('--k must be a whole number from 1 to 100');
      await withKeel(async (keel) => {
        const hits = await keel.search.search(words.join(' '), { k });
        const shaped = hits.map(hitView);
        if (options.json) return printJson({ hits: shaped });
        if (shaped.length === 0) console.log('No matches.');
        shaped.forEach((hit, position) => {
          const preview = hit.text.replace(/\s+/g, ' ').slice(0, 160);
          console.log(
            `${position + 1}. ${citationLabel(hit)}  score ${hit.score.toFixed(3)}\n   ${preview}`,
          );
        });
      });
    });
  return command;
}
