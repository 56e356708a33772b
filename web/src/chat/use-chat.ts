import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import { ApiError, messageOf } from '../api/errors';
import type { Citation, Decision, UsedMemory } from '../api/schemas';
import type { ConversationMessage } from '../api/types';
import { type RealtimeMessage, followTopic } from '../api/realtime';
import { streamChat } from './stream-chat';

/** A conversation's stored messages, as the chat shows them. */
async function loadMessages(conversationId: string, signal: AbortSignal): Promise<ChatMessage[]> {
  const result = await api<{ messages: ConversationMessage[] }>(
    `/v1/conversations/${encodeURIComponent(conversationId)}`,
    { signal },
  );
  return withQuestions(result.messages.map(fromStored));
}

export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  citations: Citation[];
  decision: Decision | null;
  flags: string[];
  /** The question this answer replies to (for retry). */
  question?: string;
  agent?: string | null;
  /** The provider that wrote the answer; `extractive` quoted the documents without a model. */
  provider?: string | null;
  /** The user's long-term memories the model was given for this answer. */
  memories?: UsedMemory[];
  streaming?: boolean;
  error?: string;
}

let counter = 0;
const localId = () => `local-${Date.now()}-${counter++}`;

function fromStored(message: ConversationMessage): ChatMessage {
  return {
    id: message.id,
    role: message.role,
    content: message.content,
    citations: message.citations ?? [],
    decision: message.decision,
    flags: [],
  };
}

/** Stored answers get the question before them, so Retry works on history as on a fresh answer. */
export function withQuestions(messages: ChatMessage[]): ChatMessage[] {
  let question: string | undefined;
  return messages.map((message) => {
    if (message.role === 'user') {
      question = message.content;
      return message;
    }
    return question === undefined ? message : { ...message, question };
  });
}

/** A refused input arrives as a 422 whose details hold the governor's decision. */
function refusalOf(error: unknown): Decision | null {
  if (!(error instanceof ApiError)) return null;
  const decision = error.details.decision as Decision | undefined;
  if (decision && typeof decision.status === 'string' && Array.isArray(decision.reasons))
    return decision;
  return error.status === 422 ? { status: 'refused', reasons: [error.message] } : null;
}

/**
 * One conversation: its stored messages, and sending a question whose answer streams in. The
 * server files each exchange under `conversationId` (a new one on the first question).
 */
export function useChat(
  conversationId: string | undefined,
  onSettled: (createdId: string | undefined) => void,
) {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [loadError, setLoadError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [busy, setBusy] = useState(false);
  const abortRef = useRef<AbortController | null>(null);
  // A conversation the app just created is already on screen: don't reload it.
  const createdRef = useRef<string | undefined>(undefined);
  /** Trace ids of the exchanges this tab sent, told apart from other tabs' on the live channel. */
  const ownTraces = useRef(new Set<string>());

  useEffect(() => {
    if (!conversationId) {
      setMessages([]);
      setLoadError(undefined);
      return;
    }
    if (createdRef.current === conversationId) {
      createdRef.current = undefined;
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    loadMessages(conversationId, controller.signal).then(
      (loaded) => {
        setMessages(loaded);
        setLoadError(undefined);
        setLoading(false);
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setLoadError(error);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [conversationId]);

  // The same conversation open in another tab or on another device: its exchanges appear here.
  // This tab's own (known by trace id) and those arriving while it streams an answer are
  // already on screen or about to be.
  useEffect(() => {
    if (!conversationId) return;
    const controller = new AbortController();
    const onMessage = async ({ type, data }: RealtimeMessage) => {
      if (type !== 'message-appended' && type !== 'reset') return;
      const traces = ((data.messages ?? []) as { traceId?: string }[]).map((m) => m.traceId);
      if (abortRef.current || traces.some((trace) => trace && ownTraces.current.has(trace))) return;
      setMessages(await loadMessages(conversationId, controller.signal));
    };
    followTopic(`conversation:${conversationId}`, onMessage, controller.signal).catch(() => {
      // Live updates are a convenience: without them the conversation still works.
    });
    return () => controller.abort();
  }, [conversationId]);

  const update = (id: string, change: (message: ChatMessage) => ChatMessage) =>
    setMessages((current) =>
      current.map((message) => (message.id === id ? change(message) : message)),
    );

  const send = useCallback(
    async (question: string, agent: string | undefined) => {
      const text = question.trim();
      if (!text || abortRef.current) return;
      const answerId = localId();
      setMessages((current) => [
        ...current,
        { id: localId(), role: 'user', content: text, citations: [], decision: null, flags: [] },
        {
          id: answerId,
          role: 'assistant',
          content: '',
          citations: [],
          decision: null,
          flags: [],
          question: text,
          streaming: true,
        },
      ]);
      const controller = new AbortController();
      abortRef.current = controller;
      setBusy(true);
      let created: string | undefined;
      const remember = (id: string | undefined) => {
        if (id && id !== conversationId) created = id;
      };
      try {
        const answer = await streamChat(
          { message: text, agent, conversationId },
          {
            onMeta: (meta) => {
              if (meta.traceId) ownTraces.current.add(meta.traceId);
              remember(meta.conversationId);
            },
            onDelta: (delta) =>
              update(answerId, (message) => ({ ...message, content: message.content + delta })),
            onRefusal: () => update(answerId, (message) => ({ ...message, content: '' })),
          },
          controller.signal,
        );
        remember(answer.conversationId);
        update(answerId, (message) => ({
          ...message,
          content: answer.answer,
          citations: answer.citations,
          decision: answer.decision,
          flags: answer.flags ?? [],
          agent: answer.agent ?? null,
          provider: answer.provider ?? null,
          memories: answer.memories ?? [],
          streaming: false,
        }));
      } catch (error) {
        // A refused first question still opens a conversation (the refusal is on record).
        if (error instanceof ApiError && typeof error.details.conversationId === 'string')
          remember(error.details.conversationId);
        const stopped = controller.signal.aborted;
        const refusal = refusalOf(error);
        // The refusal's sentence is what the server stores as the answer: show it now too, so the
        // live view matches the conversation when it is reopened (unless it is the only reason).
        const sentence =
          refusal && !refusal.reasons.includes(messageOf(error)) ? messageOf(error) : '';
        update(answerId, (message) => ({
          ...message,
          content: message.content || sentence,
          streaming: false,
          decision: refusal,
          error: stopped ? 'Stopped.' : refusal ? undefined : messageOf(error),
        }));
      } finally {
        abortRef.current = null;
        setBusy(false);
        if (created) createdRef.current = created;
        onSettled(created);
      }
    },
    [conversationId, onSettled],
  );

  const stop = useCallback(() => abortRef.current?.abort(), []);

  return { messages, loading, loadError, busy, send, stop };
}
