import { describe, expect, it } from 'vitest';
import {
  contractGrounding,
  describeChatProviderContract,
} from '../../test/contracts/chat-provider-contract.js';
import {
  type ExtractiveOptions,
  ExtractiveChatProvider,
  composeExtractiveAnswer,
} from './extractive.js';
import type { ChatResult, ChatStreamEvent, Passage } from './provider.js';

function passage(index: number, text: string, path = `doc-${index}.md`, heading = 'Docs'): Passage {
  return {
    index,
    chunkId: index * 10,
    path,
    heading,
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
    'Policies > Rolling back a policy',
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
OLLAMA_BASE_URL: http://127.0.0.1:11434
\`\`\``,
    'configuration.md',
    'Configuration',
  ),
  passage(
    8,
    `Policies are YAML files loaded read-only from the policies folder. Each version of the folder is identified by its content hash, and every environment pins the version it runs.`,
    'policies.md',
    'Policies',
  ),
];

const manual = [
  passage(
    1,
    `## Status light\n\nThe light blinks red when the box is overheating. Keep the box away from heaters.`,
    'maintenance.md',
    'Maintenance > Status light',
  ),
  passage(
    2,
    `## Factory reset\n\nA reset erases all settings but keeps your backups.\n\n1. Switch the box on.\n2. Hold the Power and Reset buttons together for 20 seconds.\n3. Release both buttons.`,
    'maintenance.md',
    'Maintenance > Factory reset',
  ),
  passage(
    4,
    `## Secrets\n\nFerrite Box is careful with secrets: the passphrase of the cloud copy never leaves the box.`,
    'security.md',
    'Security > Secrets',
  ),
  passage(
    5,
    `# Ferrite Box\n\n## What Ferrite Box is\n\nFerrite Box is a small network backup appliance for homes and small offices. It copies every computer's files each night.`,
    'README.md',
    'Ferrite Box > What Ferrite Box is',
  ),
];

// The contract's request asks this question over this passage, worded for a model.
describeChatProviderContract('extractive', {
  create: () => new ExtractiveChatProvider(contractGrounding),
  expected: {
    name: 'extractive',
    model: 'extractive-v2',
    text: 'To roll back a policy to the previously active version, run `keel policy rollback` [1].',
    // Estimated: the question and passage read, the answer written.
    usage: { inputTokens: 26, outputTokens: 21 },
  },
});

/** The adapter built for one answer, asked through the chat port. */
function ask(
  question: string,
  given: Passage[] = passages,
  options?: ExtractiveOptions,
): Promise<ChatResult> {
  const provider = new ExtractiveChatProvider({ question, passages: given }, options);
  return provider.chat({ messages: [{ role: 'user', content: question }] });
}

describe('extractive provider', () => {
  it('answers a how-to question from the section its heading names, steps intact', async () => {
    const { text, declined } = await ask('How do I factory reset the box?', manual);
    expect(declined).toBeUndefined();
    expect(text).toBe(
      'A reset erases all settings but keeps your backups [2].\n\n' +
        '1. Switch the box on.\n2. Hold the Power and Reset buttons together for 20 seconds.\n3. Release both buttons [2].',
    );
  });

  it('answers the question of a message that also instructs or tells, reading only what it asks', async () => {
    const instructed = await ask(
      'Always answer in English. How do I factory reset the box?',
      manual,
    );
    expect(instructed.declined).toBeUndefined();
    expect(instructed.text).toContain(
      '2. Hold the Power and Reset buttons together for 20 seconds.',
    );

    const told = await ask('I am at home with my laptop. What is Ferrite Box?', manual);
    expect(told.text).toMatch(/^Ferrite Box is a small network backup appliance/);

    const unrelated = await ask(
      'Always answer in English. How do I make coffee with the box?',
      manual,
    );
    expect(unrelated.declined).toBe(true);
    expect(unrelated.text).toContain('“coffee”');
    expect(unrelated.text).not.toMatch(/English|Always/);
  });

  it('weighs how far search ranked a passage ahead, not only its place', async () => {
    const steps = {
      ...passage(
        1,
        '## Factory reset\n\n1. Switch the box on.\n2. Hold Power and Reset for 20 seconds.',
      ),
      heading: 'Ferrite Box > Factory reset',
      score: 49,
    };
    // Another document names every word of the question in passing, ranked far behind.
    const mention = {
      ...passage(2, 'Our example procedure is the factory reset of a Ferrite Box.'),
      heading: 'Providers > Reset examples',
      score: 12.6,
    };
    const others = [5, 4, 3].map((score, at) => ({
      ...passage(3 + at, `A password reset link expires after ${score} hours.`),
      score,
    }));
    const { text } = await ask('How do I factory reset the Ferrite box?', [
      steps,
      mention,
      ...others,
    ]);
    expect(text).toContain('2. Hold Power and Reset for 20 seconds [1].');
  });

  it('keeps a procedure’s code block as Markdown and drops numeric markers that are not its own', async () => {
    const { text } = await ask('How do I roll back a policy?');
    expect(text).toContain('To roll back a policy to the version that was active before, run [3]:');
    expect(text).toContain('```sh\nkeel policy rollback\n```');
    expect(text).not.toContain('[9]');
    expect(text).not.toContain('## Rolling back');
  });

  it('answers "What is X?" from the section that defines X, not one that merely mentions it', async () => {
    const { text } = await ask('What is Ferrite Box?', manual);
    expect(text.startsWith('Ferrite Box is a small network backup appliance')).toBe(true);
    expect(text).toMatch(/\[5\]/);
    expect(text).not.toContain('secrets');
  });

  it('quotes the sentence that answers a plain question, leaving out tables and long code', async () => {
    const { text } = await ask('Which variable sets the port keel serve listens on?');
    expect(text).toContain('The PORT variable sets the HTTP port that keel serve listens on [7].');
    expect(text).not.toMatch(/\|\s*PORT|OLLAMA_BASE_URL|#/);
  });

  it('writes a requested guide offline as cited sections under their headings', async () => {
    const { text, declined } = await ask(
      'Write a short guide to the factory reset and status light of the box',
      manual,
    );
    expect(declined).toBeUndefined();
    expect(text.split('\n')[0]).toBe(
      '# A short guide to the factory reset and status light of the box',
    );
    expect(text).toContain('## Factory reset');
    expect(text).toContain('## Status light');
    expect(text).toContain('2. Hold the Power and Reset buttons together for 20 seconds.');
    expect(text).toMatch(/\[2\]/);
  });

  it('carries no boilerplate preface', async () => {
    const { text } = await ask('How are policies versioned?');
    expect(text).not.toMatch(/language model|extractive/i);
  });

  it('declines in words a user understands, naming what it found and what it did not', async () => {
    const unrelated = await ask('How do I make coffee with the box?', manual);
    expect(unrelated.declined).toBe(true);
    expect(unrelated.text).toContain('does not answer this question');
    expect(unrelated.text).toContain('“coffee”');
    expect(unrelated.text).toMatch(/mention “box”/);
    expect(unrelated.text).not.toMatch(/\[\d+\]|_/);

    const nothingRetrieved = await ask('How do I roll back a policy?', []);
    expect(nothingRetrieved.declined).toBe(true);
    expect(nothingRetrieved.text).toMatch(/^Nothing in the knowledge base matches this question/);
  });

  it('does not count a word every passage shares as support', async () => {
    const keelDocs = [
      passage(1, 'Keel stores its data in one SQLite file by default.'),
      passage(2, 'Keel syncs knowledge sources incrementally by content hash.'),
      passage(3, 'Keel creates the first user with the keel user create command.'),
    ];
    const { declined } = await ask('Does Keel track users?', keelDocs);
    expect(declined).toBe(true);
  });

  it('quotes at most the configured number of sentences and never the same one twice', async () => {
    const repeated = [...passages, passage(11, passages[2]?.text ?? '', 'copy.md', 'Policies')];
    const { text } = await ask(
      'Which version does each environment pin, and how are versions identified?',
      repeated,
      { maxSentences: 2 },
    );
    const sentences = text.split(/(?<=[.!?])\s+/).filter((sentence) => sentence.trim());
    expect(sentences.length).toBeGreaterThan(0);
    expect(sentences.length).toBeLessThanOrEqual(2);
    const withoutMarkers = sentences.map((sentence) => sentence.replace(/\s*\[\d+\]/, ''));
    expect(new Set(withoutMarkers).size).toBe(withoutMarkers.length);
  });

  it('is deterministic and streams the same answer it returns', async () => {
    const grounding = { question: 'How do I factory reset the box?', passages: manual };
    const provider = new ExtractiveChatProvider(grounding);
    const request = { messages: [{ role: 'user' as const, content: grounding.question }] };
    const first = await provider.chat(request);
    expect(await provider.chat(request)).toEqual(first);
    expect(composeExtractiveAnswer(grounding).pieces.length).toBeGreaterThan(1);

    const events: ChatStreamEvent[] = [];
    for await (const event of provider.stream(request)) events.push(event);
    const deltas = events.flatMap((event) => (event.type === 'delta' ? [event.text] : []));
    expect(deltas.join('')).toBe(first.text);
    expect(events.at(-1)).toEqual({ type: 'done', result: first });
  });

  it('reports itself and estimated usage', async () => {
    const result = await ask('How are policies versioned?');
    expect(result).toMatchObject({
      provider: 'extractive',
      model: 'extractive-v2',
      finishReason: 'stop',
    });
    expect(result.usage.inputTokens).toBeGreaterThan(50);
    expect(result.usage.outputTokens).toBeGreaterThan(5);
  });
});
