import { type Principal, assertScope } from '../auth/principal.js';
import { NotFoundError } from '../errors.js';
import { agentTopic } from '../governor/agent-updates.js';
import { jobTopic } from '../jobs/realtime-jobs.js';
import type { PolicyService } from '../governor/policy-service.js';
import type { JobQueue } from '../jobs/queue.js';
import type { ConversationStore } from '../store/conversation-store.js';
import { assertSession } from './access.js';
import { conversationTopic } from './chat-history.js';
import { requireJob } from './job-access.js';

/** `<kind>:<id>`: what `GET /v1/realtime?topic=` accepts. */
export const TOPIC_PATTERN = /^(job|conversation|agent):([A-Za-z0-9][A-Za-z0-9_.-]{0,127})$/;

/** What the stream starts with when not resuming: the object as its own route shows it. */
export type TopicSnapshot = { type: string; data: unknown } | undefined;

/** What deciding who may follow a topic reads: the job, the conversation, the agents. */
export interface TopicAccessDeps {
  jobs: Pick<JobQueue, 'get'>;
  conversations: Pick<ConversationStore, 'get'>;
  policies: Pick<PolicyService, 'current'>;
}

/**
 * Checks the principal may follow the topic, exactly as the object's own route decides: a job
 * of another workspace and a conversation of another user are 404 as `GET /v1/jobs/{id}` and
 * `GET /v1/conversations/{id}` answer; conversations are for signed-in people (403 for API keys);
 * agents are the installation's, for anyone who may chat (`GET /v1/models`).
 */
export async function authorizeTopic(
  { jobs, conversations, policies }: TopicAccessDeps,
  topic: string,
  principal: Principal,
): Promise<{ topic: string; snapshot: () => Promise<TopicSnapshot> }> {
  const [, kind, id] = TOPIC_PATTERN.exec(topic) ?? [];
  if (kind === 'job') {
    await requireJob(jobs, id!, principal);
    return {
      topic: jobTopic(id!),
      snapshot: async () => {
        const job = await jobs.get(id!);
        return job && { type: 'job-updated', data: { job } };
      },
    };
  }
  if (kind === 'conversation') {
    assertSession(principal);
    const conversation = await conversations.get(id!, principal.userId);
    if (!conversation) throw new NotFoundError('conversation_not_found', `No conversation ${id}`);
    return { topic: conversationTopic(id!), snapshot: async () => undefined };
  }
  assertScope(principal, 'chat');
  const { agents } = await policies.current();
  if (!agents.some((agent) => agent.id === id)) {
    throw new NotFoundError('agent_not_found', `No agent ${id}`, {
      available: agents.map((agent) => agent.id),
    });
  }
  return { topic: agentTopic(id!), snapshot: async () => undefined };
}
