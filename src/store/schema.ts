import type { Generated } from 'kysely';

/** Table shapes as Kysely sees them; the migrations create exactly these. */
export interface Database {
  sources: {
    id: string;
    workspace_id: string;
    name: string;
    kind: string;
    location: string;
    config: string;
    version: string | null;
    last_sync_at: string | null;
    last_sync_status: string;
    last_sync_message: string | null;
    created_at: string;
    /** The git credential, sealed (AES-256-GCM) by kb/credential-cipher; never in `location`. */
    sealed_credential: string | null;
  };
  documents: {
    id: Generated<number>;
    source_id: string;
    path: string;
    content_hash: string;
    version: string;
    title: string;
    chunk_count: number;
    updated_at: string;
    size: Generated<number>;
    mtime_ms: Generated<number>;
  };
  chunks: {
    id: Generated<number>;
    document_id: number;
    source_id: string;
    workspace_id: string;
    ordinal: number;
    heading: string;
    line_start: number;
    line_end: number;
    text: string;
    /** What lexical search indexes instead of `text` (links dropped), null when the same. */
    search_text: string | null;
    token_count: number;
    embedded: Generated<number>;
  };
  sync_errors: {
    source_id: string;
    path: string;
    message: string;
    occurred_at: string;
  };
  knowledge_versions: {
    id: Generated<number>;
    source_id: string;
    version: string;
    created_at: string;
    documents: number;
    chunks: number;
    added: number;
    updated: number;
    removed: number;
    errors: number;
  };
  policy_versions: {
    version: string;
    files: string;
    created_at: string;
  };
  policy_activations: {
    id: Generated<number>;
    workspace_id: string;
    version: string;
    previous_version: string | null;
    actor: string;
    reason: string;
    activated_at: string;
    action: Generated<string>;
  };
  audit_records: {
    id: Generated<number>;
    trace_id: string;
    workspace_id: string;
    created_at: string;
    kind: string;
    policy_version: string;
    prompt_version: string | null;
    agent: string | null;
    provider: string | null;
    model: string | null;
    knowledge_versions: string;
    input_tokens: number;
    output_tokens: number;
    latency_ms: number;
    decision: string;
    steps: string;
    previous_hash: string | null;
    hash: string;
    actor: string | null;
    target: string | null;
  };
  workspaces: { id: string; name: string; created_at: string };
  users: {
    id: string;
    email: string;
    password_hash: string;
    role: string;
    workspace_id: string;
    disabled_at: string | null;
    last_login_at: string | null;
    created_at: string;
  };
  sessions: {
    id: string;
    user_id: string;
    created_at: string;
    expires_at: string;
    revoked_at: string | null;
    revoke_reason: string | null;
  };
  refresh_tokens: {
    token_hash: string;
    session_id: string;
    created_at: string;
    expires_at: string;
    used_at: string | null;
    successor_salt: string | null;
  };
  api_keys: {
    id: string;
    user_id: string;
    workspace_id: string;
    name: string;
    prefix: string;
    key_hash: string;
    scopes: string;
    expires_at: string | null;
    last_used_at: string | null;
    revoked_at: string | null;
    created_at: string;
  };
  /** Per-day usage totals kept by triggers on `usage_records` (migration 0010). */
  usage_days: {
    scope: string;
    owner_id: string;
    day: string;
    calls: number;
    tokens: number;
    cost: number;
  };
  usage_records: {
    id: Generated<number>;
    workspace_id: string;
    user_id: string;
    api_key_id: string | null;
    trace_id: string;
    status: string;
    provider: string | null;
    model: string | null;
    input_tokens: number;
    output_tokens: number;
    cost: number;
    created_at: string;
  };
  settings: { key: string; value: string };
  conversations: {
    id: string;
    workspace_id: string;
    user_id: string;
    title: string;
    agent: string | null;
    message_count: Generated<number>;
    created_at: string;
    updated_at: string;
  };
  conversation_messages: {
    id: Generated<number>;
    conversation_id: string;
    role: string;
    content: string;
    citations: string;
    decision: string | null;
    agent: string | null;
    trace_id: string | null;
    created_at: string;
  };
  invites: {
    token_hash: string;
    user_id: string;
    created_by: string;
    created_at: string;
    expires_at: string;
    used_at: string | null;
  };
  memories: {
    id: string;
    workspace_id: string;
    user_id: string;
    agent_id: string;
    kind: string;
    text: string;
    conversation_id: string;
    message_id: string;
    embedding: string | null;
    created_at: string;
    forgotten_at: string | null;
  };
  memory_settings: {
    workspace_id: string;
    user_id: string;
    enabled: number;
    updated_at: string;
  };
  policy_canaries: {
    id: string;
    workspace_id: string;
    version: string;
    base_version: string;
    percent: number;
    started_at: string;
    started_by: string;
    reason: string;
    ended_at: string | null;
    ended_by: string | null;
    outcome: string | null;
    end_reason: string | null;
  };
}
