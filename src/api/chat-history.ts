import type { RealtimeAnnouncer } from '../events/realtime.js';
import type { Principal } from '../auth/principal.js';
import { type KeelError, NotFoundError, ValidationError } from '../errors.js';
import { detectPii, redactPii } from '../governor/detectors/pii.js';
import type { GovernedAnswer } from '../governor/governor.js';
import type { Conversation, ConversationStore } from '../store/conversation-store.js';

const TITLE_LENGTH = 80;

/** The realtime topic of one conversation. */
export const conversationTopic = (id: string) => `conversation:${id}`;

/** What one chat call leaves in the history: the answer, or the refusal of the input. */
export type ChatOutcome = { answer: GovernedAnswer } | { refusal: KeelError };

export interface ChatHistory {
  /** Appends the question and its outcome; returns the conversation's id. */
  record(outcome: ChatOutcome): Promise<string>;
}

/**
 * History never keeps personal data or secrets in clear, whatever the policy let through: the
 * stored question has every finding masked, as a redacting policy would.
 */
function masked(text: string): string {
  return redactPii(text, detectPii(text));
}

function titleOf(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > TITLE_LENGTH ? `${line.slice(0, TITLE_LENGTH - 1)}…` : line;
}

/**
 * The history of a chat call, or undefined when the caller has none (API keys act for
 * integrations, not for a person reading a history). An unknown or foreign `conversationId` is
 * a 404 before any model is called. Each exchange recorded is announced as `message-appended`.
 */
export async function openChatHistory(
  store: ConversationStore,
  principal: Principal,
  question: { message: string; agent?: string | undefined; conversationId?: string | undefined },
  announcer?: RealtimeAnnouncer,
): Promise<ChatHistory | undefined> {
  if (principal.kind === 'api-key') {
    if (!question.conversationId) return undefined;
    throw new ValidationError(
      'conversation_unavailable',
      'API keys have no conversation history; leave out conversationId',
      { field: 'conversationId' },
    );
  }
  let conversation: Conversation | undefined;
  if (question.conversationId) {
    conversation = await store.get(question.conversationId, principal.userId);
    if (!conversation)
      throw new NotFoundError(
        'conversation_not_found',
        `No conversation ${question.conversationId}`,
      );
  }
  const content = masked(question.message);
  return {
    async record(outcome) {
      const answer = 'answer' in outcome ? outcome.answer : undefined;
      conversation ??= await store.create({
        workspaceId: principal.workspaceId,
        userId: principal.userId,
        title: titleOf(content) || 'Untitled',
        agent: answer?.agent ?? question.agent ?? null,
      });
      const reply = answer
        ? {
            role: 'assistant' as const,
            content: answer.answer,
            citations: answer.citations,
            decision: answer.decision,
            agent: answer.agent,
            traceId: answer.traceId,
          }
        : refusalMessage(outcome as { refusal: KeelError });
      const messages = [
        { role: 'user' as const, content, ...(reply.traceId && { traceId: reply.traceId }) },
        reply,
      ];
      await store.append(conversation.id, principal.userId, messages);
      // Other tabs and devices showing the conversation follow its topic.
      await announcer?.announce(conversationTopic(conversation.id), 'message-appended', {
        conversationId: conversation.id,
        messages,
      });
      return conversation.id;
    },
  };
}

function refusalMessage({ refusal }: { refusal: KeelError }) {
  const details = refusal.details as {
    decision?: { status: string; reasons: string[] };
    traceId?: string;
  };
  return {
    role: 'assistant' as const,
    content: refusal.message,
    citations: [],
    decision: details.decision ?? { status: 'refused', reasons: [refusal.code] },
    agent: null,
    traceId: details.traceId ?? null,
  };
}
