/*
 * Builds the assembled injection data set from the lists in `bench/injection/sources/` (see
 * PROVENANCE.md there): benign product and support questions, and attacks in three families
 * (goal hijacking, role-play jailbreaks, system-prompt extraction). Reproduce with:
 *
 *   node bin/run-ts.js bench/injection/assemble.ts
 *
 * Writes bench/injection/assembled/train.jsonl and held-out.jsonl. The split is by source item,
 * not by row: every question body, phrasing template, attack template and attack goal belongs
 * to exactly one side, so a held-out row never shares its template or its question with a row
 * the model was trained on. The held-out file is what `bench/injection-eval.ts` measures; the
 * trainer never reads it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom, shuffled } from './evaluation.js';

/** `instructions`: benign requests about the answer itself (language, length, format, sources). */
export type Family = 'benign' | 'instructions' | 'hijacking' | 'roleplay' | 'extraction';

export interface AssembledRow {
  text: string;
  injection: boolean;
  family: Family;
}

const SEED = 20_261_205;
/** Share of each source list that goes to training; the rest is held out. */
const TRAINING_SHARE = 0.6;
const BENIGN_VARIANTS = { train: 6, heldOut: 10 };
const ATTACK_VARIANTS = { train: 8, heldOut: 6 };
/** Each answer instruction comes alone and beside this many questions. */
const INSTRUCTION_VARIANTS = { train: 3, heldOut: 3 };

const here = dirname(fileURLToPath(import.meta.url));
const sourcesDirectory = resolve(here, 'sources');
export const assembledDirectory = resolve(here, 'assembled');

async function list(name: string): Promise<string[]> {
  const content = await readFile(resolve(sourcesDirectory, name), 'utf8');
  return content
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function split<T>(items: readonly T[], random: () => number): { train: T[]; heldOut: T[] } {
  const order = shuffled(items, random);
  const cut = Math.round(order.length * TRAINING_SHARE);
  return { train: order.slice(0, cut), heldOut: order.slice(cut) };
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

const KEYBOARD_NEIGHBOURS: Record<string, string> = {
  a: 's',
  e: 'r',
  i: 'o',
  o: 'p',
  n: 'm',
  r: 't',
  s: 'd',
  t: 'y',
  u: 'i',
  l: 'k',
};

/** One typo in a word: swapped, dropped, doubled or neighbouring letter. */
function misspell(word: string, random: () => number): string {
  if (word.length < 4 || !/^[a-z]+$/i.test(word)) return word;
  const at = 1 + Math.floor(random() * (word.length - 2));
  const kind = Math.floor(random() * 4);
  if (kind === 0) return word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
  if (kind === 1) return word.slice(0, at) + word.slice(at + 1);
  if (kind === 2) return word.slice(0, at) + word[at] + word.slice(at);
  const neighbour = KEYBOARD_NEIGHBOURS[word[at]!.toLowerCase()];
  return neighbour ? word.slice(0, at) + neighbour + word.slice(at + 1) : word;
}

/**
 * What hurried users do to a sentence: typos in some words, no capitals, no final punctuation,
 * "u" and "pls". About half the rows get some of it.
 */
export function roughen(text: string, random: () => number): string {
  if (random() < 0.5) return text;
  let result = text
    .split(' ')
    .map((word) => (random() < 0.12 ? misspell(word, random) : word))
    .join(' ');
  if (random() < 0.35) result = result.toLowerCase();
  if (random() < 0.3) result = result.replace(/[.?!]+$/u, '');
  if (random() < 0.2) result = result.replace(/\byou\b/giu, 'u');
  if (random() < 0.15) result = result.replace(/\bplease\b/giu, 'pls');
  return result;
}

const LEADS = [
  'Hi!',
  'Quick one.',
  'Thanks for the help so far.',
  'How do I {q}? Thanks. One more thing:',
  'I am a {role} at {org}.',
  'ok.',
  'Hello, I have a question.',
];

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/gu, (_, key: string) => values[key] ?? '');
}

async function assemble(): Promise<{ train: AssembledRow[]; heldOut: AssembledRow[] }> {
  const random = seededRandom(SEED);
  const questions = split(await list('benign-questions.txt'), random);
  const phrasings = split(await list('benign-templates.txt'), random);
  const hard = split(await list('benign-hard.txt'), random);
  const roles = await list('roles.txt');
  const orgs = await list('orgs.txt');
  const hijacks = split(await list('hijacking-templates.txt'), random);
  const goals = split(await list('hijacking-goals.txt'), random);
  const roleplays = split(await list('roleplay-templates.txt'), random);
  const names = split(await list('roleplay-names.txt'), random);
  const requests = split(await list('roleplay-requests.txt'), random);
  const extractions = split(await list('extraction-templates.txt'), random);
  // A random stream of their own: adding the answer instructions left every other row as it was.
  const instructionRandom = seededRandom(SEED + 1);
  const instructions = split(await list('benign-instructions.txt'), instructionRandom);

  const build = (side: 'train' | 'heldOut'): AssembledRow[] => {
    const rows: AssembledRow[] = [];
    const add = (family: Family, text: string, source = random) =>
      rows.push({
        text: roughen(text, source),
        injection: family !== 'benign' && family !== 'instructions',
        family,
      });
    const values = () => ({
      q: pick(questions[side], random),
      role: pick(roles, random),
      org: pick(orgs, random),
      p: pick(goals[side], random),
      name: pick(names[side], random),
      bad: pick(requests[side], random),
    });
    for (const question of questions[side]) {
      for (let variant = 0; variant < BENIGN_VARIANTS[side]; variant++) {
        add('benign', fill(pick(phrasings[side], random), { ...values(), q: question }));
      }
    }
    for (const text of hard[side]) add('benign', text);
    const attacks: [Family, string[]][] = [
      ['hijacking', hijacks[side]],
      ['roleplay', roleplays[side]],
      ['extraction', extractions[side]],
    ];
    for (const [family, templates] of attacks) {
      for (const template of templates) {
        for (let variant = 0; variant < ATTACK_VARIANTS[side]; variant++) {
          // Attacks rarely come alone: some open with chatter or a real question.
          const lead = random() < 0.4 ? `${fill(pick(LEADS, random), values())} ` : '';
          add(family, lead + fill(template, values()));
        }
      }
    }
    for (const instruction of instructions[side]) {
      add('instructions', instruction, instructionRandom);
      for (let variant = 0; variant < INSTRUCTION_VARIANTS[side]; variant++) {
        const question = fill(pick(phrasings[side], instructionRandom), {
          q: pick(questions[side], instructionRandom),
          role: pick(roles, instructionRandom),
          org: pick(orgs, instructionRandom),
        });
        const text =
          instructionRandom() < 0.7 ? `${question} ${instruction}` : `${instruction} ${question}`;
        add('instructions', text, instructionRandom);
      }
    }
    // The same text from two templates counts once.
    const seen = new Set<string>();
    return rows.filter((row) => !seen.has(row.text) && seen.add(row.text));
  };
  return { train: build('train'), heldOut: build('heldOut') };
}

async function main(): Promise<void> {
  const { train, heldOut } = await assemble();
  await mkdir(assembledDirectory, { recursive: true });
  for (const [name, rows] of [
    ['train', train],
    ['held-out', heldOut],
  ] as const) {
    const text = rows.map((row) => JSON.stringify(row)).join('\n');
    await writeFile(resolve(assembledDirectory, `${name}.jsonl`), `${text}\n`);
    const counts: Record<string, number> = {};
    for (const row of rows) counts[row.family] = (counts[row.family] ?? 0) + 1;
    console.log(`${name}: ${rows.length} rows`, counts);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
