import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeOpenAiServer,
  startOpenAiServer,
} from '../../../test/fixtures/providers/openai-server.js';
import { createTestKeel } from '../../../test/helpers/test-keel.js';
import type { Memory } from '../../store/memory-store.js';

type TestKeel = Awaited<ReturnType<typeof createTestKeel>>;

const QUESTION = 'How do I roll back a policy? Bullet lists please.';
const ALICE = { workspaceId: 'default', userId: 'usr_alice' };

/** One document, so every question below finds a passage and reaches the model. */
function knowledgeFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'keel-memory-docs-'));
  writeFileSync(
    join(folder, 'rollback.md'),
    '# Rolling back a policy\n\nRun keel policy rollback to roll back to the previous policy version before a deadline.\n',
  );
  return folder;
}

function memory(text: string, kind: Memory['kind'], scope = ALICE): Memory {
  return {
    id: `mem_${Buffer.from(`${scope.userId}:${text}`).toString('hex').slice(0, 24)}`,
    ...scope,
    agentId: 'general',
    kind,
    text,
    conversationId: 'cnv_seed',
    messageId: 'msg_seed',
    createdAt: new Date().toISOString(),
    embedding: null,
  };
}

/** The messages the model was last sent. */
function lastPrompt(server: FakeOpenAiServer): { system: string; user: string } {
  const chats = server.requests.filter((request) => request.url === '/v1/chat/completions');
  const body = chats.at(-1)!.body as { messages: { role: string; content: string }[] };
  const content = (role: string) => body.messages.find((message) => message.role === role)!.content;
  return { system: content('system'), user: content('user') };
}

const openAiEnv = (server: FakeOpenAiServer, embeddings: 'none' | 'openai') => ({
  KEEL_LLM: 'openai',
  KEEL_LLM_FALLBACK: 'none',
  KEEL_EMBEDDINGS: embeddings,
  OPENAI_API_KEY: 'sk-test-not-a-real-key-000000',
  OPENAI_BASE_URL: `${server.url}/v1`,
  KEEL_KNOWLEDGE_DIR: knowledgeFolder(),
});

describe('the model receives the user memory block (OpenAI-compatible server)', () => {
  let upstream: FakeOpenAiServer;
  let test: TestKeel;

  beforeAll(async () => {
    upstream = await startOpenAiServer();
    test = await createTestKeel(openAiEnv(upstream, 'none'));
    await test.keel.store.memories.remember([
      memory('I prefer short bullet lists.', 'preference'),
      memory('I work at Acme Shipping.', 'fact'),
      memory('I live in Porto.', 'fact'),
      memory('I prefer answers in Portuguese.', 'preference', { ...ALICE, userId: 'usr_bob' }),
    ]);
  });
  afterAll(async () => {
    await test?.close();
    await upstream?.close();
  });

  it('sends the relevant memory marked as user memory, and not the irrelevant ones', async () => {
    const answer = await test.keel.answers.answer({ message: QUESTION }, ALICE);
    expect(answer.memories.map((recalled) => recalled.text)).toEqual([
      'I prefer short bullet lists.',
    ]);
    const { system, user } = lastPrompt(upstream);
    expect(user).toMatch(
      /^<user-memory>\n- \(preference\) I prefer short bullet lists\.\n<\/user-memory>\n\nPassages:/,
    );
    expect(user).not.toMatch(/Acme|Porto|Portuguese/);
    expect(system).toContain('The <user-memory> block lists what this user told you');
  });

  it("never sends another user's memories, nor a block when nothing bears on the question", async () => {
    const bob = await test.keel.answers.answer(
      { message: QUESTION },
      { ...ALICE, userId: 'usr_bob' },
    );
    expect(bob.memories).toEqual([]);
    const { system, user } = lastPrompt(upstream);
    expect(user).not.toContain('<user-memory>');
    expect(user).not.toMatch(/bullet lists\.|Portuguese/);
    expect(system).not.toContain('<user-memory>');

    const anonymous = await test.keel.answers.answer({ message: QUESTION }, { actor: 'local' });
    expect(anonymous.memories).toEqual([]);
    expect(lastPrompt(upstream).user).not.toContain('<user-memory>');
  });
});

/*
 * Vectors that carry meaning: one dimension per topic, set when the text names one of its words,
 * plus a small constant so no text is the zero vector. "freight" and "shipping" are close although
 * they share no word, which lexical recall alone cannot see.
 */
const TOPICS = [
  ['shipping', 'freight', 'cargo', 'warehouse', 'logistics'],
  ['policy', 'rollback', 'roll', 'version'],
  ['lisbon', 'porto', 'city'],
  ['coffee', 'roast', 'espresso'],
];
function topicVector(text: string): number[] {
  const words = new Set(text.toLowerCase().match(/[a-z]+/g) ?? []);
  return [...TOPICS.map((topic) => (topic.some((word) => words.has(word)) ? 1 : 0)), 0.1];
}

describe('recall ranks by meaning when an embedding provider is configured', () => {
  let upstream: FakeOpenAiServer;
  let test: TestKeel;

  beforeAll(async () => {
    upstream = await startOpenAiServer({ embed: topicVector });
    test = await createTestKeel(openAiEnv(upstream, 'openai'));
    const conversations = test.keel.store.conversations;
    const conversation = await conversations.create({ ...ALICE, title: 'About me' });
    await conversations.append(conversation.id, ALICE.userId, [
      { role: 'user', content: 'I work at Acme Shipping. I prefer dark roast coffee.' },
      { role: 'assistant', content: 'Noted.', decision: { status: 'allowed', reasons: [] } },
      { role: 'user', content: 'We run a warehouse in Lisbon.' },
      { role: 'assistant', content: 'Noted.', decision: { status: 'allowed', reasons: [] } },
    ]);
    // Extraction embeds each memory through the same provider.
    const job = await test.keel.jobs.enqueue('memory', {
      ...ALICE,
      agentId: 'general',
      conversationId: conversation.id,
    });
    for await (const event of test.keel.jobs.events(job.id)) void event;
    expect(await test.keel.jobs.get(job.id)).toMatchObject({
      state: 'completed',
      result: { added: 3 },
    });
  });
  afterAll(async () => {
    await test?.close();
    await upstream?.close();
  });

  it('stores each memory with its embedding', async () => {
    const stored = await test.keel.store.memories.list(ALICE, { limit: 10 });
    expect(stored.map((item) => [item.text, item.embedding])).toEqual(
      expect.arrayContaining([
        ['I work at Acme Shipping.', topicVector('I work at Acme Shipping.')],
        ['We run a warehouse in Lisbon.', topicVector('We run a warehouse in Lisbon.')],
      ]),
    );
  });

  it('recalls memories that share no word with the question, closest first, and leaves out the unrelated', async () => {
    const question = 'How do I roll back a policy before our freight deadline?';
    const answer = await test.keel.answers.answer({ message: question }, ALICE);
    expect(answer.memories.map((recalled) => recalled.text)).toEqual([
      'I work at Acme Shipping.',
      'We run a warehouse in Lisbon.',
    ]);
    const { user } = lastPrompt(upstream);
    expect(user).toContain(
      '<user-memory>\n- (fact) I work at Acme Shipping.\n- (fact) We run a warehouse in Lisbon.\n</user-memory>',
    );
    expect(user).not.toContain('coffee');
  });
});
