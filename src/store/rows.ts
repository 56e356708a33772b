import type { Selectable } from 'kysely';
import type { Database } from './schema.js';
import type {
  Chunk,
  KnowledgeVersion,
  Source,
  SourceConfig,
  SourceKind,
  StoredAuditRecord,
  SyncStatus,
} from './store.js';

/** Row → domain mapping shared by the SQL adapters (column names agree across dialects). */
export function toSource(row: Selectable<Database['sources']>): Source {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    kind: row.kind as SourceKind,
    location: row.location,
    config: JSON.parse(row.config) as SourceConfig,
    version: row.version,
    lastSyncAt: row.last_sync_at,
    lastSyncStatus: row.last_sync_status as SyncStatus,
    lastSyncMessage: row.last_sync_message,
    createdAt: row.created_at,
  };
}

export function toChunk(row: {
  id: number;
  source_id: string;
  source_name: string;
  path: string;
  heading: string;
  line_start: number;
  line_end: number;
  version: string;
  text: string;
  token_count: number;
}): Chunk {
  return {
    id: row.id,
    sourceId: row.source_id,
    sourceName: row.source_name,
    path: row.path,
    heading: row.heading,
    lineStart: row.line_start,
    lineEnd: row.line_end,
    version: row.version,
    text: row.text,
    tokenCount: row.token_count,
  };
}

export function toKnowledgeVersion(
  row: Selectable<Database['knowledge_versions']>,
): KnowledgeVersion {
  return {
    sourceId: row.source_id,
    version: row.version,
    createdAt: row.created_at,
    documents: row.documents,
    chunks: row.chunks,
    added: row.added,
    updated: row.updated,
    removed: row.removed,
    errors: row.errors,
  };
}

export function toAudit(row: Selectable<Database['audit_records']>): StoredAuditRecord {
  return {
    id: row.id,
    traceId: row.trace_id,
    workspaceId: row.workspace_id,
    createdAt: row.created_at,
    kind: row.kind,
    policyVersion: row.policy_version,
    promptVersion: row.prompt_version,
    agent: row.agent,
    provider: row.provider,
    model: row.model,
    knowledgeVersions: JSON.parse(row.knowledge_versions) as Record<string, string>,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    latencyMs: row.latency_ms,
    decision: row.decision,
    steps: JSON.parse(row.steps) as StoredAuditRecord['steps'],
    previousHash: row.previous_hash,
    hash: row.hash,
    ...(row.actor !== null && { actor: row.actor }),
    ...(row.target !== null && { target: row.target }),
  };
}
