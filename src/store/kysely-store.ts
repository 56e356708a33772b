import type { Kysely } from 'kysely';
import type { AccountStore } from './account-store.js';
import type { AuditChainLock } from './audit-chain-writer.js';
import { KyselyGovernance } from './kysely-governance.js';
import { KyselyDocuments } from './kysely-documents.js';
import { searchAudit } from './kysely-audit.js';
import { KyselyConversations } from './kysely-conversations.js';
import { KyselyInvites } from './kysely-invites.js';
import { KyselyMemories } from './kysely-memories.js';
import { KyselyCanaries } from './kysely-canaries.js';
import { KyselySources } from './kysely-sources.js';
import type { Database } from './schema.js';
import type { AuditStore, KnowledgeStore, LexicalHit, PolicyStore, Store } from './store.js';
import type { UsageStore } from './usage-store.js';

/**
 * What the SQL adapters have in common: the store port wired to the dialect-neutral Kysely
 * queries. An adapter supplies its connection handling, lexical search (FTS5 or tsvector), its
 * usage ledger's `reserve`, and how audit appends are serialized.
 */
export abstract class KyselyStore implements Store {
  abstract readonly dialect: Store['dialect'];
  abstract readonly accounts: AccountStore;
  abstract readonly usage: UsageStore;
  readonly conversations: KyselyConversations;
  readonly invites: KyselyInvites;
  readonly memories: KyselyMemories;
  readonly canaries: KyselyCanaries;

  private readonly sources: KyselySources;
  private readonly documents: KyselyDocuments;
  private readonly governance: KyselyGovernance;
  /** The audit log's reading view may lag behind on a replica; appends always use `db`. */
  private readonly auditReader: Kysely<Database>;

  protected constructor(
    readonly db: Kysely<Database>,
    readDb: Kysely<Database> = db,
    lockAuditChain?: AuditChainLock,
  ) {
    this.sources = new KyselySources(db, readDb);
    this.documents = new KyselyDocuments(db, readDb);
    this.governance = new KyselyGovernance(db, readDb, lockAuditChain);
    this.conversations = new KyselyConversations(db, readDb);
    this.invites = new KyselyInvites(db);
    this.memories = new KyselyMemories(db);
    this.canaries = new KyselyCanaries(db, readDb);
    this.auditReader = readDb;
  }

  abstract lexicalSearch(
    terms: string[],
    options: { k: number; sourceIds?: string[] },
  ): Promise<LexicalHit[]>;
  abstract ping(): Promise<void>;
  abstract close(): Promise<void>;

  createSource: KnowledgeStore['createSource'] = (source) => this.sources.createSource(source);
  listSources: KnowledgeStore['listSources'] = (workspaceId) =>
    this.sources.listSources(workspaceId);
  getSource: KnowledgeStore['getSource'] = (id) => this.sources.getSource(id);
  findSourceByName: KnowledgeStore['findSourceByName'] = (name, workspaceId) =>
    this.sources.findSourceByName(name, workspaceId);
  updateSourceSync: KnowledgeStore['updateSourceSync'] = (id, update) =>
    this.sources.updateSourceSync(id, update);
  sourceStats: KnowledgeStore['sourceStats'] = (id) => this.sources.sourceStats(id);
  sourceCredential: KnowledgeStore['sourceCredential'] = (id) => this.sources.sourceCredential(id);
  sourcesWithCredentialsInLocation: KnowledgeStore['sourcesWithCredentialsInLocation'] = () =>
    this.sources.sourcesWithCredentialsInLocation();
  moveSourceCredential: KnowledgeStore['moveSourceCredential'] = (id, move) =>
    this.sources.moveSourceCredential(id, move);
  replaceSyncErrors: KnowledgeStore['replaceSyncErrors'] = (sourceId, errors) =>
    this.sources.replaceSyncErrors(sourceId, errors);
  recordKnowledgeVersion: KnowledgeStore['recordKnowledgeVersion'] = (version) =>
    this.sources.recordKnowledgeVersion(version);
  listKnowledgeVersions: KnowledgeStore['listKnowledgeVersions'] = (sourceId, limit) =>
    this.sources.listKnowledgeVersions(sourceId, limit);

  documentHashes: KnowledgeStore['documentHashes'] = (sourceId) =>
    this.documents.documentHashes(sourceId);
  updateFileStats: KnowledgeStore['updateFileStats'] = (sourceId, files) =>
    this.documents.updateFileStats(sourceId, files);
  applyDocumentChanges: KnowledgeStore['applyDocumentChanges'] = (sourceId, version, change) =>
    this.documents.applyDocumentChanges(sourceId, version, change);
  stampVersion: KnowledgeStore['stampVersion'] = (sourceId, version) =>
    this.documents.stampVersion(sourceId, version);
  getChunks: KnowledgeStore['getChunks'] = (ids) => this.documents.getChunks(ids);
  documentChunks: KnowledgeStore['documentChunks'] = (sourceId, path) =>
    this.documents.documentChunks(sourceId, path);
  chunksWithoutVectors: KnowledgeStore['chunksWithoutVectors'] = (sourceIds, limit, afterId) =>
    this.documents.chunksWithoutVectors(sourceIds, limit, afterId);
  markEmbedded: KnowledgeStore['markEmbedded'] = (ids, embedded) =>
    this.documents.markEmbedded(ids, embedded);

  savePolicyVersion: PolicyStore['savePolicyVersion'] = (record) =>
    this.governance.savePolicyVersion(record);
  getPolicyVersion: PolicyStore['getPolicyVersion'] = (version) =>
    this.governance.getPolicyVersion(version);
  findPolicyVersions: PolicyStore['findPolicyVersions'] = (prefix) =>
    this.governance.findPolicyVersions(prefix);
  listPolicyVersions: PolicyStore['listPolicyVersions'] = () =>
    this.governance.listPolicyVersions();
  recordActivation: PolicyStore['recordActivation'] = (activation) =>
    this.governance.recordActivation(activation);
  listActivations: PolicyStore['listActivations'] = (workspaceId, limit) =>
    this.governance.listActivations(workspaceId, limit);

  appendAudit: AuditStore['appendAudit'] = (record, sign) =>
    this.governance.appendAudit(record, sign);
  listAudit: AuditStore['listAudit'] = (options) => this.governance.listAudit(options);
  searchAudit: AuditStore['searchAudit'] = (query) => searchAudit(this.auditReader, query);
}
