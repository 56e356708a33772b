import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { addSource } from '../src/kb/sources.js';
import { isEntryPoint, newWorkDir, openBenchKeel, removeWorkDir, writeResult } from './harness.js';
import { repoRoot } from './scifact.js';

/**
 * How-to questions over a small product manual (`bench/manual/`), answered offline through the
 * whole governor (extractive provider, lexical search, default policy). An answer counts as
 * correct when it is not refused, its first citation is the expected section and it contains
 * every expected phrase (a step, a command, a button).
 */
const questionSchema = z.array(
  z.object({ question: z.string(), section: z.string(), expect: z.array(z.string()) }),
);

export interface HowToOutcome {
  question: string;
  correct: boolean;
  refused: boolean;
  firstCitation: string | null;
  missing: string[];
}

export async function runHowTo(): Promise<{
  correct: number;
  total: number;
  outcomes: HowToOutcome[];
}> {
  const questions = questionSchema.parse(
    JSON.parse(await readFile(join(repoRoot, 'bench', 'manual-questions.json'), 'utf8')),
  );
  const workDir = await newWorkDir('how-to');
  const keel = await openBenchKeel(workDir);
  try {
    const source = await addSource(keel.store, {
      name: 'manual',
      kind: 'folder',
      location: join(repoRoot, 'bench', 'manual'),
    });
    await keel.syncSource(source);
    const outcomes: HowToOutcome[] = [];
    for (const item of questions) {
      const answer = await keel.governor.answer({ message: item.question });
      const first = answer.citations[0];
      const refused = answer.decision.status === 'refused';
      const missing = item.expect.filter((phrase) => !answer.answer.includes(phrase));
      const sectionMatches = first?.heading.endsWith(item.section) ?? false;
      outcomes.push({
        question: item.question,
        correct: !refused && sectionMatches && missing.length === 0,
        refused,
        firstCitation: first ? `${first.path}#${first.heading}` : null,
        missing,
      });
    }
    const correct = outcomes.filter((outcome) => outcome.correct).length;
    return { correct, total: outcomes.length, outcomes };
  } finally {
    await keel.close();
    await removeWorkDir(workDir);
  }
}

if (isEntryPoint(import.meta.url)) {
  const result = await runHowTo();
  for (const outcome of result.outcomes) {
    const mark = outcome.correct ? 'ok  ' : outcome.refused ? 'REFUSED' : 'WRONG';
    const detail = outcome.correct
      ? ''
      : ` (cited ${outcome.firstCitation ?? 'nothing'}; missing ${outcome.missing.join(', ') || '-'})`;
    console.log(`${mark} ${outcome.question}${detail}`);
  }
  console.log(`\n${result.correct}/${result.total} how-to questions answered correctly offline`);
  await writeResult('how-to-answers', {
    command: 'node bin/run-ts.js bench/how-to-answers.ts',
    correct: result.correct,
    total: result.total,
    outcomes: result.outcomes,
  });
}
