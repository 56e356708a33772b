import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliTestTimeout, keelCommand } from '../helpers/keel-process.js';
import { type TestDatabase, createTestDatabase } from '../helpers/postgres-database.js';

/**
 * `keel policy promote` carries a policy version dev → staging → production, each environment
 * with its own database, and KEEL_POLICY_VERSION pins what an environment runs at start. Runs
 * the compiled CLI against real SQLite files and a real PostgreSQL database.
 */
const ROOT = join(import.meta.dirname, '..', '..');

interface Environment {
  name: string;
  env: NodeJS.ProcessEnv;
  dataDir: string;
}

function environment(name: string, policiesDir: string, extra: NodeJS.ProcessEnv = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), `keel-promote-${name}-`));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    KEEL_DATA_DIR: dataDir,
    KEEL_POLICIES_DIR: policiesDir,
    KEEL_BUNDLED_KNOWLEDGE: 'false',
    KEEL_LOG_LEVEL: 'warn',
    ...extra,
  };
  return { name, env, dataDir } satisfies Environment;
}

const keel = (environment: Environment, ...args: string[]) => keelCommand(args, environment.env);

async function activeVersion(environment: Environment): Promise<string> {
  const { code, out } = await keel(environment, 'policy', 'list', '--json');
  expect(code, out).toBe(0);
  const listing = JSON.parse(out) as { versions: { version: string; active: boolean }[] };
  return listing.versions.find((version) => version.active)!.version;
}

function sqliteAudit(environment: Environment): { kind: string; target: string; steps: string }[] {
  const db = new BetterSqlite3(join(environment.dataDir, 'keel.db'), { readonly: true });
  try {
    return db
      .prepare(
        `select kind, target, steps from audit_records where kind like 'policy.%' order by id`,
      )
      .all() as { kind: string; target: string; steps: string }[];
  } finally {
    db.close();
  }
}

/** One clear sentence on stderr, a non-zero exit, and no stack trace. */
function expectRefusal(result: { code: number; out: string }, sentence: RegExp): void {
  expect(result.code, result.out).not.toBe(0);
  expect(result.out).toMatch(sentence);
  expect(result.out).not.toMatch(/\n\s+at /);
}

describe('keel policy promote and KEEL_POLICY_VERSION', () => {
  let policiesV1: string;
  let policiesV2: string;
  let dev: Environment;
  let staging: Environment;
  let production: Environment;
  let database: TestDatabase;
  let v1: string;
  let v2: string;

  beforeAll(async () => {
    // Two versions of the policy files: v2 changes one prompt.
    policiesV1 = mkdtempSync(join(tmpdir(), 'keel-promote-policies-'));
    cpSync(join(ROOT, 'policies'), policiesV1, { recursive: true });
    policiesV2 = mkdtempSync(join(tmpdir(), 'keel-promote-policies-'));
    cpSync(join(ROOT, 'policies'), policiesV2, { recursive: true });
    const prompt = join(policiesV2, 'prompts', 'general.md');
    writeFileSync(prompt, `${readFileSync(prompt, 'utf8')}\nAnswer in plain words.\n`);
    database = await createTestDatabase('keel_promote');
    dev = environment('dev', policiesV2);
    // Staging runs on PostgreSQL; dev and production on SQLite.
    staging = environment('staging', policiesV1, { DATABASE_URL: database.url });
    production = environment('production', policiesV1);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it(
    'promotes a version dev → staging (PostgreSQL) → production, recorded in each audit log',
    async () => {
      // Every environment starts on the files it was deployed with (v1).
      v1 = await activeVersion(staging);
      expect(await activeVersion(production)).toBe(v1);
      // Dev runs v2 after review.
      expect((await keel(dev, 'policy', 'activate', '--reason', 'new prompt')).code).toBe(0);
      v2 = await activeVersion(dev);
      expect(v2).not.toBe(v1);

      const toStaging = await keel(
        staging,
        'policy',
        'promote',
        v2.slice(0, 6),
        '--from',
        dev.dataDir,
        '--reason',
        'release 12',
      );
      expect(toStaging.code, toStaging.out).toBe(0);
      expect(toStaging.out).toContain(`Promoted policy version ${v2} from`);
      expect(await activeVersion(staging)).toBe(v2);

      const toProduction = await keel(production, 'policy', 'promote', v2, '--from', database.url);
      expect(toProduction.code, toProduction.out).toBe(0);
      expect(await activeVersion(production)).toBe(v2);
      // The exact files of dev's version run in production (its policies folder still holds v1).
      const shown = await keel(production, 'policy', 'show');
      expect(shown.out).toContain('Answer in plain words.');

      const audit = sqliteAudit(production);
      expect(audit.map((record) => [record.kind, record.target])).toEqual([
        ['policy.promote', `policy:${v2}`],
      ]);
      expect(audit[0]!.steps).toContain(`source: ${database.url.replace(/\/\/[^@]*@/, '//')}`);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ kind: string; target: string }>(
          `select kind, target from audit_records where kind = 'policy.promote'`,
        );
        expect(rows).toEqual([{ kind: 'policy.promote', target: `policy:${v2}` }]);
        const { rows: activations } = await client.query<{ reason: string }>(
          `select reason from policy_activations order by id desc limit 1`,
        );
        expect(activations[0]!.reason).toMatch(/^promoted from .*keel\.db: release 12$/);
      } finally {
        await client.end();
      }

      // Promoting again changes nothing.
      const again = await keel(production, 'policy', 'promote', v2, '--from', database.url);
      expect(again.code).toBe(0);
      expect(again.out).toContain('already active here; nothing changed');
      expect(sqliteAudit(production)).toHaveLength(1);
    },
    cliTestTimeout(12),
  );

  it(
    'refuses, in one sentence, what is not a version that ran in the source',
    async () => {
      const unknown = await keel(production, 'policy', 'promote', 'abcdef', '--from', dev.dataDir);
      expectRefusal(unknown, /Policy version abcdef is not in the source environment/);
      // Stored in dev (keel policy test snapshots the files) but never activated there.
      const prompt = join(policiesV2, 'prompts', 'general.md');
      writeFileSync(prompt, `${readFileSync(prompt, 'utf8')}Untested line.\n`);
      await keel(dev, 'policy', 'test');
      const listing = JSON.parse((await keel(dev, 'policy', 'list', '--json')).out) as {
        disk: string;
      };
      const untested = await keel(
        staging,
        'policy',
        'promote',
        listing.disk,
        '--from',
        dev.dataDir,
      );
      expectRefusal(
        untested,
        /was never activated in the source environment .*; activate and test it there/,
      );
      // Files edited in the source's database no longer hash to their version.
      const db = new BetterSqlite3(join(dev.dataDir, 'keel.db'));
      db.prepare(
        `update policy_versions set files = replace(files, 'plain words', 'PLAIN WORDS') where version = ?`,
      ).run(v2);
      db.close();
      const tampered = await keel(staging, 'policy', 'promote', v2, '--from', dev.dataDir);
      // Staging already runs v2, but the check comes first: the source's copy is not trusted.
      expectRefusal(
        tampered,
        new RegExp(`files of policy version ${v2} in the source environment do not hash`),
      );
      const nowhere = await keel(
        staging,
        'policy',
        'promote',
        v2,
        '--from',
        join(dev.dataDir, 'missing'),
      );
      expectRefusal(nowhere, /There is no Keel database in .*missing/);
      const itself = await keel(production, 'policy', 'promote', v2, '--from', production.dataDir);
      expectRefusal(itself, /is this environment's own database/);
    },
    cliTestTimeout(8),
  );

  it(
    'applies the pin at start: activates a pinned version it holds, refuses one it does not',
    async () => {
      // Production rolls back by hand; its pin (v2) brings v2 back at the next migrate or start.
      expect((await keel(production, 'policy', 'rollback')).code).toBe(0);
      expect(await activeVersion(production)).toBe(v1);
      const pinned = { ...production, env: { ...production.env, KEEL_POLICY_VERSION: v2 } };
      const migrate = await keel(pinned, 'migrate');
      expect(migrate.code, migrate.out).toBe(0);
      expect(migrate.out).toContain(
        `Policy version ${v2} is active (activated now, pinned by KEEL_POLICY_VERSION)`,
      );
      expect(await activeVersion(production)).toBe(v2);
      expect(sqliteAudit(production).at(-1)).toMatchObject({
        kind: 'policy.activate',
        target: `policy:${v2}`,
      });

      // A fresh environment pinned to a version it was never given does not start.
      const fresh = environment('fresh', policiesV1, { KEEL_POLICY_VERSION: v2, PORT: '0' });
      const serve = await keel(fresh, 'serve');
      expectRefusal(
        serve,
        new RegExp(
          `KEEL_POLICY_VERSION pins policy version ${v2}, which this environment does not have: promote it`,
        ),
      );
      expectRefusal(await keel(fresh, 'migrate'), /which this environment does not have/);
      // Pinned to the files it is deployed with, it starts on them.
      const onDisk = { ...fresh, env: { ...fresh.env, KEEL_POLICY_VERSION: v1 } };
      const ok = await keel(onDisk, 'migrate');
      expect(ok.code, ok.out).toBe(0);
      expect(await activeVersion(onDisk)).toBe(v1);
    },
    cliTestTimeout(9),
  );
});
