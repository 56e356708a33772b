import type { Kysely, Transaction } from 'kysely';
import { type Param, type PreparedQuery, prepareQuery } from './prepared-query.js';
import type { Database } from './schema.js';
import type { AuditRecord, StoredAuditRecord } from './store.js';

/**
 * Runs first inside the audit append's transaction. An adapter whose database lets two
 * transactions read the same "last record" (PostgreSQL) takes a lock here so the chain never
 * forks; SQLite's single writer needs nothing.
 */
export type AuditChainLock = (trx: Transaction<Database>) => Promise<void>;

/** Signs a record's JSON after the hash of the one before it (HMAC when a secret is set). */
export type AuditSigner = (payload: string, previousHash: string | null) => string;

interface Waiting {
  record: AuditRecord;
  sign: AuditSigner;
  resolve(stored: StoredAuditRecord): void;
  reject(error: unknown): void;
}

/** The most records one transaction appends; a longer backlog is written in several. */
const MAX_BATCH = 100;

/**
 * Appends to the hash-chained audit log in batches, a group commit. Every caller still waits
 * until its record is committed, but the records that arrive while one transaction writes go
 * together in the next: one lock, one read of the chain's head and one insert for all of them.
 * The chain lock admits one transaction at a time across every process, so one transaction per
 * record would cap the calls per second of all replicas together.
 *
 * @example
 *   const writer = new AuditChainWriter(db, lockAuditChain);
 *   const stored = await writer.append(record, auditSigner(secret));
 */
export class AuditChainWriter {
  private readonly waiting: Waiting[] = [];
  private writing = false;
  private readonly head: PreparedQuery<object, { hash: string }>;
  /** The insert of `n` records, by `n` (at most `MAX_BATCH` shapes). */
  private readonly inserts = new Map<
    number,
    PreparedQuery<Record<string, unknown>, { id: number }>
  >();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly lock: AuditChainLock,
  ) {
    this.head = prepareQuery('audit-head', () =>
      db.selectFrom('audit_records').select('hash').orderBy('id', 'desc').limit(1),
    );
  }

  append(record: AuditRecord, sign: AuditSigner): Promise<StoredAuditRecord> {
    const appended = new Promise<StoredAuditRecord>((resolve, reject) => {
      this.waiting.push({ record, sign, resolve, reject });
    });
    void this.drain();
    return appended;
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.waiting.length > 0) await this.write(this.waiting.splice(0, MAX_BATCH));
    } finally {
      this.writing = false;
    }
  }

  /** Writes one batch in one transaction; settles every waiter in it, never throws. */
  private async write(batch: Waiting[]): Promise<void> {
    try {
      const stored = await this.db.transaction().execute(async (trx) => {
        await this.lock(trx);
        const head = await this.head.takeFirst(trx, {});
        let previousHash = head?.hash ?? null;
        const links = batch.map(({ record, sign }) => {
          const link = { record, previousHash, hash: sign(JSON.stringify(record), previousHash) };
          previousHash = link.hash;
          return link;
        });
        // Ids are drawn in the order of the values (both dialects), so the chain runs in id
        // order and the returned ids, sorted, pair with the links one by one.
        const values: Record<string, unknown> = {};
        links.forEach(({ record, previousHash, hash }, index) => {
          for (const [column, value] of Object.entries(toRow(record, previousHash, hash)))
            values[`${column}${index}`] = value;
        });
        const rows = await this.insertOf(links.length).all(trx, values);
        const ids = rows.map((row) => row.id).sort((a, b) => a - b);
        return links.map(({ record, previousHash, hash }, index) => ({
          ...record,
          id: ids[index]!,
          previousHash,
          hash,
        }));
      });
      batch.forEach((waiting, index) => waiting.resolve(stored[index]!));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  }

  /** The insert of `records` records, compiled on first use (one shape per batch size). */
  private insertOf(records: number): PreparedQuery<Record<string, unknown>, { id: number }> {
    let insert = this.inserts.get(records);
    if (!insert) {
      insert = prepareQuery(`audit-insert-${records}`, (param: Param<Record<string, unknown>>) =>
        this.db
          .insertInto('audit_records')
          .values(
            Array.from({ length: records }, (_, index) =>
              Object.fromEntries(COLUMNS.map((column) => [column, param(`${column}${index}`)])),
            ) as AuditRow[],
          )
          .returning('id'),
      );
      this.inserts.set(records, insert);
    }
    return insert;
  }
}

type AuditRow = ReturnType<typeof toRow>;

/** The insert's columns; typed so that a column added to `toRow` must be added here too. */
const COLUMNS = Object.keys({
  trace_id: true,
  workspace_id: true,
  created_at: true,
  kind: true,
  policy_version: true,
  prompt_version: true,
  agent: true,
  provider: true,
  model: true,
  knowledge_versions: true,
  input_tokens: true,
  output_tokens: true,
  latency_ms: true,
  decision: true,
  steps: true,
  previous_hash: true,
  hash: true,
  actor: true,
  target: true,
} satisfies Record<keyof AuditRow, true>) as (keyof AuditRow)[];

function toRow(record: AuditRecord, previousHash: string | null, hash: string) {
  return {
    trace_id: record.traceId,
    workspace_id: record.workspaceId,
    created_at: record.createdAt,
    kind: record.kind,
    policy_version: record.policyVersion,
    prompt_version: record.promptVersion,
    agent: record.agent,
    provider: record.provider,
    model: record.model,
    knowledge_versions: JSON.stringify(record.knowledgeVersions),
    input_tokens: record.inputTokens,
    output_tokens: record.outputTokens,
    latency_ms: record.latencyMs,
    decision: record.decision,
    steps: JSON.stringify(record.steps),
    previous_hash: previousHash,
    hash,
    actor: record.actor ?? null,
    target: record.target ?? null,
  };
}
