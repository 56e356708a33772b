import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

/** zxcvbn's scale: 3 is "safely unguessable" (about 10^10 guesses), what it advises for accounts. */
const MIN_SCORE = 3;

let estimator: Promise<ZxcvbnFactory> | undefined;

/**
 * zxcvbn with its common-password, English-word and keyboard-pattern dictionaries, loaded on the
 * first password checked: the dictionaries take seconds to load on a busy machine, which no
 * command that never sets a password should pay.
 */
function loadEstimator(): Promise<ZxcvbnFactory> {
  estimator ??= Promise.all([
    import('@zxcvbn-ts/core'),
    import('@zxcvbn-ts/language-common'),
    import('@zxcvbn-ts/language-en'),
  ]).then(
    ([core, common, english]) =>
      new core.ZxcvbnFactory({
        translations: english.translations,
        graphs: common.adjacencyGraphs,
        dictionary: { ...common.dictionary, ...english.dictionary },
      }),
  );
  return estimator;
}

/**
 * Why a password is easy to guess (zxcvbn's warning and suggestions, phrased to follow "The
 * password …"), or undefined when it scores at least 3 of 4. `userInputs` (an e-mail address, a
 * name) count as guessable words.
 *
 * @example
 *   await guessability('Password123!');
 *   // 'is too easy to guess: This is similar to a commonly used password. Add more words …'
 *   await guessability('correct horse battery staple'); // undefined
 */
export async function guessability(
  password: string,
  userInputs: string[] = [],
): Promise<string | undefined> {
  const result = (await loadEstimator()).check(password, userInputs);
  if (result.score >= MIN_SCORE) return undefined;
  const advice = [result.feedback.warning, ...result.feedback.suggestions].filter(Boolean);
  return ['is too easy to guess', ...(advice.length > 0 ? [advice.join(' ')] : [])].join(': ');
}
