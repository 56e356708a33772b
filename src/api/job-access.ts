import { ForbiddenError } from '../auth/errors.js';
import { type Principal, type Scope, assertRole, assertScope } from '../auth/principal.js';
import { NotFoundError } from '../errors.js';
import { type QueueName, jobPayloadSchemas } from '../jobs/contracts.js';
import type { JobQueue, JobRecord } from '../jobs/queue.js';
import type { Role } from '../store/account-store.js';

/**
 * Who may enqueue to each queue: the role, and the scope an API key needs. Syncing a source is a
 * manager's right (as `POST /v1/kb/sources/{id}/sync`); a webhook delivery is a request from the
 * server signed with the installation's secret, so only admins send one; the AI queues are
 * anyone's, like chat.
 */
export const QUEUE_ACCESS: Record<QueueName, { role: Role; scope: Scope }> = {
  ingest: { role: 'manager', scope: 'kb:write' },
  webhooks: { role: 'admin', scope: 'admin' },
  generate: { role: 'user', scope: 'chat' },
  memory: { role: 'user', scope: 'chat' },
  images: { role: 'user', scope: 'chat' },
  predictions: { role: 'user', scope: 'chat' },
  vision: { role: 'user', scope: 'chat' },
};

/** Retrying or cancelling someone's job takes a manager, and the queue's own rights. */
export function assertMayManage(principal: Principal, queue: QueueName): void {
  const access = QUEUE_ACCESS[queue];
  assertRole(principal, access.role === 'admin' ? 'admin' : 'manager');
  assertScope(principal, access.scope);
}

/** The workspace a job belongs to: its payload's. A webhook delivery has none: admins only. */
export function jobWorkspace(record: Pick<JobRecord, 'payload'>): string | undefined {
  const workspaceId = (record.payload as { workspaceId?: unknown }).workspaceId;
  return typeof workspaceId === 'string' ? workspaceId : undefined;
}

export function canSeeJob(principal: Principal, record: Pick<JobRecord, 'payload'>): boolean {
  if (principal.role === 'admin') return true;
  return jobWorkspace(record) === principal.workspaceId;
}

/** A job the principal may see; another workspace's job is "not found", as if it did not exist. */
export async function requireJob(
  jobs: Pick<JobQueue, 'get'>,
  id: string,
  principal: Principal,
): Promise<JobRecord> {
  const record = await jobs.get(id);
  if (!record || !canSeeJob(principal, record)) {
    throw new NotFoundError('job_not_found', `No job ${id}`, { jobId: id });
  }
  return record;
}

const hasField = (queue: QueueName, field: string) => field in jobPayloadSchemas[queue].shape;

/**
 * Checks the principal may enqueue to `queue`, and returns the payload with who and where filled
 * in from the principal: the workspace (and user) are the caller's, never taken on the body's
 * word. Only admins may name another workspace or user.
 */
export function authorizeEnqueue(
  principal: Principal,
  queue: QueueName,
  payload: Record<string, unknown>,
): Record<string, unknown> {
  const access = QUEUE_ACCESS[queue];
  assertRole(principal, access.role);
  assertScope(principal, access.scope);
  const admin = principal.role === 'admin';
  const filled = { ...payload };
  const own = (field: string, value: string) => {
    if (!hasField(queue, field)) return;
    if (filled[field] === undefined) filled[field] = value;
    else if (filled[field] !== value && !admin) {
      throw new ForbiddenError(
        `${field === 'workspaceId' ? 'workspace' : 'user'}_mismatch`,
        `payload.${field} must be your own (${value}); only admins act for others`,
        { field: `payload.${field}` },
      );
    }
  };
  own('workspaceId', principal.workspaceId);
  own('userId', principal.userId);
  // Who asked is a record, not a claim: always the caller.
  if (hasField(queue, 'requestedBy')) filled.requestedBy = principal.userId;
  return filled;
}
