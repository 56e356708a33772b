import type { Citation, Decision, JobState } from './schemas';

/** Shapes of listings the app only displays (see /v1/openapi.json and knowledge/api.md). */
export type Role = 'admin' | 'manager' | 'user';

export interface User {
  id: string;
  email: string;
  role: Role;
  workspaceId: string;
  disabledAt: string | null;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface Me {
  user: User | null;
  workspaceId: string;
  role: Role;
  via: 'user' | 'api-key' | 'local';
  scopes: string[] | 'all';
}

export interface ConversationSummary {
  id: string;
  title: string;
  agent: string | null;
  createdAt: string;
  updatedAt: string;
  messageCount: number;
}

export interface ConversationMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  citations: Citation[] | null;
  decision: Decision | null;
  createdAt: string;
}

export interface FileError {
  path: string;
  message: string;
}

export interface Source {
  id: string;
  name: string;
  kind: 'folder' | 'git';
  location: string;
  version: string | null;
  lastSyncAt: string | null;
  lastSyncStatus: string;
  lastSyncMessage: string | null;
  createdAt: string;
  documents: number;
  chunks: number;
  errors: FileError[];
}

export interface SearchHit {
  path: string;
  heading: string;
  lines: [number, number];
  version: string;
  score: number;
  text: string;
  source: string;
  scores: { lexical: number | null; vector: number | null; fused: number | null };
}

export interface Job {
  id: string;
  queue: string;
  /** What the job works on; each queue's fields (see knowledge/api.md). */
  payload: Record<string, unknown>;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  progress: number;
  progressMessage: string | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ApiKey {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export interface PolicyActivation {
  id?: number;
  version: string;
  previousVersion?: string | null;
  action?: 'activate' | 'rollback';
  actor: string;
  reason?: string;
  activatedAt?: string;
  at?: string;
}

export interface PolicyOverview {
  active: {
    id: string;
    version: string;
    agents: { id: string; description: string; default: boolean }[];
  };
  versions: { version: string; createdAt: string; active: boolean }[];
  activations: PolicyActivation[];
}

export interface PolicyFileDiff {
  path: string;
  status: 'added' | 'removed' | 'changed' | 'same';
  before: string | null;
  after: string | null;
}

export interface AuditRecord {
  id: string | number;
  at: string;
  actor: string | null;
  action: string;
  target: string | null;
  details: unknown;
  traceId: string | null;
}

export interface UsagePoint {
  at: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface UsageSeries {
  bucket: 'hour' | 'day';
  series: { key: string; label: string; points: UsagePoint[] }[];
  quotas: { name: string; used: number; limit: number; period: string; resetsAt: string | null }[];
}

export interface PolicyCanary {
  id: string;
  version: string;
  baseVersion: string;
  percent: number;
  startedAt: string;
  startedBy: string;
  reason: string;
  ended?: {
    at: string;
    by: string;
    outcome: 'promoted' | 'rolled_back' | 'stopped';
    reason: string;
  };
}

export interface CanaryFigures {
  version: string;
  calls: number;
  refusalRate: number;
  errorRate: number;
  groundingFailureRate: number;
  latencyP95Ms: number | null;
}

/** `GET /v1/policies/canary`. */
export interface CanaryStatus {
  canary: PolicyCanary | null;
  comparison: {
    canary: CanaryFigures;
    active: CanaryFigures;
    settings: { windowSeconds: number; minCalls: number };
    elapsedSeconds: number;
    verdict: { decision: 'rollback' | 'promote' | 'continue'; reasons: string[] };
  } | null;
  history: PolicyCanary[];
}
