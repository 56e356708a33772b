/**
 * The store port: everything Keel persists, behind interfaces that name domain operations, so a
 * PostgreSQL adapter can be added beside `sqlite.ts` without touching callers.
 *
 * @example
 *   const store = await openSqliteStore({ file: 'data/keel.db' });
 *   const source = await store.createSource({ name: 'docs', kind: 'folder', location: './docs' });
 */

import type { AccountStore } from './account-store.js';
import type { CanaryStore } from './canary-store.js';
import type { ConversationStore } from './conversation-store.js';
import type { InviteStore } from './invite-store.js';
import type { MemoryStore } from './memory-store.js';
import type { UsageStore } from './usage-store.js';

export const DEFAULT_WORKSPACE = 'default';

export interface SourceConfig {
  /** File extensions to read; default Markdown, JSON and JSONL. */
  include?: string[];
  /** Paths or simple patterns to skip. */
  exclude?: string[];
  /** For JSON/JSONL: which fields hold the id, title and text (dotted paths allowed). */
  fields?: { id?: string; title?: string; text?: string };
  /** For git sources. */
  branch?: string;
  /**
   * An uploads source: its documents are the extracted texts in the blob store under the
   * source's `location` (a key prefix), so every process syncs it from there.
   */
  uploads?: boolean;
}

export type SourceKind = 'folder' | 'git';
export type SyncStatus = 'never' | 'running' | 'ok' | 'partial' | 'failed';

export interface Source {
  id: string;
  workspaceId: string;
  name: string;
  kind: SourceKind;
  location: string;
  config: SourceConfig;
  version: string | null;
  lastSyncAt: string | null;
  lastSyncStatus: SyncStatus;
  lastSyncMessage: string | null;
  createdAt: string;
}

export interface NewSource {
  name: string;
  kind: SourceKind;
  location: string;
  config?: SourceConfig;
  workspaceId?: string;
  /** A git credential as `SourceCredentials` sealed it; stored apart from `location`. */
  sealedCredential?: string;
}

/** File size and modification time as last synced: equal stats mean the file is unchanged. */
export interface FileStats {
  size: number;
  mtimeMs: number;
}

export interface StoredDocument extends FileStats {
  id: number;
  path: string;
  contentHash: string;
}

export interface ChunkDraftInput {
  heading: string;
  lineStart: number;
  lineEnd: number;
  text: string;
  tokenCount: number;
}

/** One file's new content: its chunks replace whatever the document had. */
export interface DocumentUpsert {
  path: string;
  contentHash: string;
  title: string;
  chunks: ChunkDraftInput[];
  stats?: FileStats;
}

export interface Chunk {
  id: number;
  sourceId: string;
  sourceName: string;
  path: string;
  heading: string;
  lineStart: number;
  lineEnd: number;
  version: string;
  text: string;
  tokenCount: number;
}

export interface SyncError {
  path: string;
  message: string;
}

export interface KnowledgeVersion {
  sourceId: string;
  version: string;
  createdAt: string;
  documents: number;
  chunks: number;
  added: number;
  updated: number;
  removed: number;
  errors: number;
}

export interface SourceStats {
  documents: number;
  chunks: number;
  errors: SyncError[];
}

export interface LexicalHit {
  chunkId: number;
  score: number;
}

export interface KnowledgeStore {
  createSource(source: NewSource): Promise<Source>;
  listSources(workspaceId?: string): Promise<Source[]>;
  getSource(id: string): Promise<Source | undefined>;
  findSourceByName(name: string, workspaceId?: string): Promise<Source | undefined>;
  /** The source's sealed git credential, if it has one. */
  sourceCredential(id: string): Promise<string | undefined>;
  /** Git sources, in every workspace, whose http(s) URL still holds a `user:password@`. */
  sourcesWithCredentialsInLocation(): Promise<Source[]>;
  /**
   * Replaces the source's location and sealed credential, if its location is still `from`;
   * false when another process moved it first.
   */
  moveSourceCredential(
    id: string,
    move: { from: string; location: string; sealedCredential: string },
  ): Promise<boolean>;
  updateSourceSync(
    id: string,
    update: { status: SyncStatus; message?: string | null; version?: string; at?: string },
  ): Promise<void>;
  sourceStats(id: string): Promise<SourceStats>;
  /** path → stored content hash: the small index incremental sync compares against. */
  documentHashes(sourceId: string): Promise<Map<string, StoredDocument>>;
  /**
   * Applies a batch of file changes in one transaction and returns the chunk ids created and
   * removed (for the vector index). Each upsert replaces the document's chunks.
   */
  applyDocumentChanges(
    sourceId: string,
    version: string,
    change: { upserts: DocumentUpsert[]; deletes: string[] },
  ): Promise<{ created: { id: number; text: string }[]; removed: number[] }>;
  /** Records new file stats of documents whose content did not change (a touched file). */
  updateFileStats(sourceId: string, files: ({ path: string } & FileStats)[]): Promise<void>;
  /** Sets every stored document of the source to the new version label (unchanged files too). */
  stampVersion(sourceId: string, version: string): Promise<void>;
  replaceSyncErrors(sourceId: string, errors: SyncError[]): Promise<void>;
  recordKnowledgeVersion(version: KnowledgeVersion): Promise<void>;
  listKnowledgeVersions(sourceId: string, limit?: number): Promise<KnowledgeVersion[]>;
  /**
   * BM25 over heading and text; `terms` are already normalised words, OR-ed together. A term
   * listed n times adds its BM25 term n times (how a query weighs its words).
   */
  lexicalSearch(
    terms: string[],
    options: { k: number; sourceIds?: string[] },
  ): Promise<LexicalHit[]>;
  getChunks(ids: number[]): Promise<Chunk[]>;
  /** One document's chunks in line order (a document read whole, e.g. as an MCP resource). */
  documentChunks(sourceId: string, path: string): Promise<Chunk[]>;
  /** Chunks with no vector yet, for backfilling when embeddings get configured. */
  chunksWithoutVectors(
    sourceIds: string[],
    limit: number,
    afterId: number,
  ): Promise<{ id: number; text: string }[]>;
  /** Marks chunks as present in the vector index; `false` forgets all of them (model changed). */
  markEmbedded(ids: number[] | 'all', embedded: boolean): Promise<void>;
}

export interface PolicyVersionRecord {
  version: string;
  files: Record<string, string>;
  createdAt: string;
}

export interface PolicyActivation {
  id: number;
  workspaceId: string;
  version: string;
  previousVersion: string | null;
  actor: string;
  reason: string;
  activatedAt: string;
  /** `rollback` when the version was restored by a rollback; older records read `activate`. */
  action: 'activate' | 'rollback';
}

export interface PolicyStore {
  savePolicyVersion(record: PolicyVersionRecord): Promise<void>;
  getPolicyVersion(version: string): Promise<PolicyVersionRecord | undefined>;
  /** Versions whose hash starts with the prefix (for short ids typed by people). */
  findPolicyVersions(prefix: string): Promise<PolicyVersionRecord[]>;
  listPolicyVersions(): Promise<Omit<PolicyVersionRecord, 'files'>[]>;
  recordActivation(
    activation: Omit<PolicyActivation, 'id' | 'action'> & { action?: PolicyActivation['action'] },
  ): Promise<PolicyActivation>;
  /** Newest first. */
  listActivations(workspaceId?: string, limit?: number): Promise<PolicyActivation[]>;
}

export interface AuditRecord {
  traceId: string;
  workspaceId: string;
  createdAt: string;
  kind: string;
  policyVersion: string;
  promptVersion: string | null;
  agent: string | null;
  provider: string | null;
  model: string | null;
  knowledgeVersions: Record<string, string>;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  decision: string;
  steps: { id: string; decision: string; reasons: string[] }[];
  /**
   * Who asked (`user:<email>`, `api-key:<id>`, `local`); absent for calls without a caller, such
   * as the CLI, and in records written before it was kept. Absent rather than null, so the
   * signed payload of an older record reads back exactly as it was signed.
   */
  actor?: string;
  /**
   * What an administrative action was done to (`user:<id>`, `api-key:<id>`, `policy:<version>`,
   * `source:<id>`); absent on chats, whose agent says it. Absent rather than null, as `actor`.
   */
  target?: string;
}

export interface StoredAuditRecord extends AuditRecord {
  id: number;
  previousHash: string | null;
  hash: string;
}

/** Filters of the audit log's reading view; `beforeId` continues a listing. */
export interface AuditQuery {
  workspaceId?: string;
  action?: string;
  actor?: string;
  /** ISO timestamps: `from` inclusive, `to` exclusive. */
  from?: string;
  to?: string;
  beforeId?: number;
  limit: number;
}

export interface AuditStore {
  /** Appends with a hash chained to the previous record (`sign` computes it). */
  appendAudit(
    record: AuditRecord,
    sign: (payload: string, previousHash: string | null) => string,
  ): Promise<StoredAuditRecord>;
  listAudit(options?: { limit?: number; traceId?: string }): Promise<StoredAuditRecord[]>;
  /** Newest first, filtered; see {@link AuditQuery}. */
  searchAudit(query: AuditQuery): Promise<StoredAuditRecord[]>;
}

export interface Store extends KnowledgeStore, PolicyStore, AuditStore {
  readonly dialect: 'sqlite' | 'postgres';
  readonly accounts: AccountStore;
  readonly usage: UsageStore;
  readonly conversations: ConversationStore;
  readonly invites: InviteStore;
  readonly memories: MemoryStore;
  readonly canaries: CanaryStore;
  /** Throws when the database cannot answer (readiness probe). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
