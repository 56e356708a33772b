import { describe, expect, it } from 'vitest';
import { EXTRACTIVE_NO_SUPPORT, EXTRACTIVE_PREFACE, ExtractiveChatProvider } from './extractive.js';
import type { ChatRequest, ChatStreamEvent, Passage } from './provider.js';

function passage(index: number, text: string, path = `doc-${index}.md`): Passage {
  return {
    index,
    chunkId: index * 10,
    path,
    heading: 'Docs',
    lines: [1, 20],
    version: 'v1',
    score: 1 / index,
    text,
  };
}

// Indexes are deliberately not 1..n: the answer must cite the passages' own numbers.
const passages = [
  passage(
    3,
    `## Rolling back a policy

Every activation is recorded with who made it and when. To roll back a policy to the version that was active before, run:

\`\`\`sh
keel policy rollback
\`\`\`

The rollback is itself recorded as an activation, so it can be undone too [9].`,
    'policies.md',
  ),
  passage(
    7,
    `# Configuration

| Variable | Default |
|----------|---------|
| PORT     | 8080    |

Keel reads its settings from environment variables and an optional keel.yaml file. The PORT variable sets the HTTP port that keel serve listens on.

\`\`\`yaml
KEEL_LLM: ollama
OLLAMA_MODEL: llama3.2
OLLAMA_BASE_URL: http://127.0.0.1:11434
KEEL_EMBEDDINGS: ollama
\`\`\``,
    'configuration.md',
  ),
  passage(
    8,
    `Policies are YAML files loaded read-only from the policies folder. Each version of the folder is identified by its content hash, and every environment pins the version it runs.`,
    'policies.md',
  ),
];

function ask(question: string, given: Passage[] = passages): ChatRequest {
  return { messages: [{ role: 'user', content: question }], question, passages: given };
}

/** The answer's sentences after the preface, split the way a reader would. */
function claims(answer: string): string[] {
  const body = answer.slice(answer.indexOf('\n\n') + 2);
  return body.split(/(?<=[.!?])\s+/).filter((sentence) => sentence.trim().length > 0);
}

describe('extractive provider', () => {
  const provider = new ExtractiveChatProvider();

  it('says it is extractive and cites every sentence with an existing passage index', async () => {
    const result = await provider.chat(ask('How do I roll back a policy?'));

    expect(result.text.startsWith(EXTRACTIVE_PREFACE)).toBe(true);
    const sentences = claims(result.text);
    expect(sentences.length).toBeGreaterThan(0);
    const known = new Set(passages.map((item) => item.index));
    for (const sentence of sentences) {
      const cited = [...sentence.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]));
      expect(cited, sentence).toHaveLength(1);
      expect(known.has(cited[0] ?? -1), sentence).toBe(true);
    }
    expect(result.text).not.toContain('[9]');
  });

  it('quotes the sentence that answers, with its short command attached', async () => {
    const { text } = await provider.chat(ask('How do I roll back a policy?'));
    expect(text).toContain(
      'To roll back a policy to the version that was active before, run: `keel policy rollback` [3].',
    );
  });

  it('leaves out headings, tables and long code blocks', async () => {
    const { text } = await provider.chat(
      ask('Which variable sets the port keel serve listens on?'),
    );
    expect(text).toContain('The PORT variable sets the HTTP port that keel serve listens on [7].');
    expect(text).not.toMatch(/Configuration|\|\s*PORT|OLLAMA_BASE_URL|#/);
  });

  it('says plainly, without citations, when no passage supports the question', async () => {
    const unrelated = await provider.chat(ask('What is the capital of France?'));
    expect(unrelated.text).toBe(EXTRACTIVE_NO_SUPPORT);
    expect(unrelated.text).not.toMatch(/\[\d+\]/);

    const nothingRetrieved = await provider.chat(ask('How do I roll back a policy?', []));
    expect(nothingRetrieved.text).toBe(EXTRACTIVE_NO_SUPPORT);
  });

  it('does not count a word every passage shares as support', async () => {
    const keelDocs = [
      passage(1, 'Keel stores its data in one SQLite file by default.'),
      passage(2, 'Keel syncs knowledge sources incrementally by content hash.'),
      passage(3, 'Keel creates the first user with the keel user create command.'),
    ];
    const { text } = await provider.chat(ask('Does Keel track users?', keelDocs));
    expect(text).toBe(EXTRACTIVE_NO_SUPPORT);
  });

  it('quotes at most the configured number of sentences and never the same one twice', async () => {
    const repeated = [...passages, passage(11, passages[0]?.text ?? '')];
    const { text } = await new ExtractiveChatProvider({ maxSentences: 2 }).chat(
      ask('How are policy versions activated and rolled back?', repeated),
    );
    const sentences = claims(text);
    expect(sentences.length).toBeGreaterThan(0);
    expect(sentences.length).toBeLessThanOrEqual(2);
    const withoutMarkers = sentences.map((sentence) => sentence.replace(/\s*\[\d+\]/, ''));
    expect(new Set(withoutMarkers).size).toBe(withoutMarkers.length);
  });

  it('is deterministic and streams the same answer it returns', async () => {
    const request = ask('How are policies versioned?');
    const first = await provider.chat(request);
    const second = await provider.chat(request);
    expect(second).toEqual(first);

    const events: ChatStreamEvent[] = [];
    for await (const event of provider.stream(request)) events.push(event);
    const deltas = events.flatMap((event) => (event.type === 'delta' ? [event.text] : []));
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(first.text);
    expect(events.at(-1)).toEqual({ type: 'done', result: first });
  });

  it('reports itself and estimated usage', async () => {
    const result = await provider.chat(ask('How are policies versioned?'));
    expect(result).toMatchObject({
      provider: 'extractive',
      model: 'extractive-v1',
      finishReason: 'stop',
    });
    expect(result.usage.inputTokens).toBeGreaterThan(50);
    expect(result.usage.outputTokens).toBeGreaterThan(5);
  });
});
