import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { seededRandom, stratifiedFolds } from './evaluation.js';

export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDataPath = resolve(
  repositoryRoot,
  '../shared/data/prompt-injection/train.jsonl',
);
export const supplementPath = resolve(repositoryRoot, 'bench/injection/supplement.jsonl');
export const assembledTrainPath = resolve(repositoryRoot, 'bench/injection/assembled/train.jsonl');
export const assembledHeldOutPath = resolve(
  repositoryRoot,
  'bench/injection/assembled/held-out.jsonl',
);

/** The seed of the shared data set's held-out split; it must stay as it is for the figures to
 *  stay comparable with earlier runs. */
export const SHARED_SPLIT_SEED = 20_240_601;
const HELD_OUT_FOLDS = 5; // one of five stratified folds, 20 %, is held out

const rowSchema = z.object({
  text: z.string(),
  injection: z.boolean(),
  family: z.string().optional(),
});
export type Row = z.infer<typeof rowSchema>;

export async function loadRows(path: string): Promise<{ rows: Row[]; sha256: string }> {
  const content = await readFile(path, 'utf8');
  const lines = content.split('\n').filter((line) => line.trim() !== '');
  const rows = lines.map((line, index) => {
    const parsed = rowSchema.safeParse(JSON.parse(line) as unknown);
    if (!parsed.success) throw new Error(`${path}:${index + 1}: ${parsed.error.message}`);
    return parsed.data;
  });
  return { rows, sha256: createHash('sha256').update(content).digest('hex') };
}

/** The shared data set split as the trainer splits it: 80 % training, 20 % held out. */
export function splitShared(rows: readonly Row[]): { training: Row[]; heldOut: Row[] } {
  const heldOutFold = stratifiedFolds(
    rows.map((row) => row.injection),
    HELD_OUT_FOLDS,
    seededRandom(SHARED_SPLIT_SEED),
  );
  return {
    training: rows.filter((_, index) => heldOutFold[index] !== 0),
    heldOut: rows.filter((_, index) => heldOutFold[index] === 0),
  };
}
