import { rememberingInjectionDetector } from '../detectors/injection.js';
import { citationLabel } from '../prompt.js';
import type { Passage } from '../../providers/provider.js';
import type { Step } from '../step.js';

const FLAG = {
  flag: 'passage_untrusted_flagged',
  fence: 'passage_untrusted_fenced',
  drop: 'passage_untrusted_dropped',
} as const;
/**
 * The score at which a passage counts as an injection unless the policy sets
 * `retrieval.injection.threshold`. Higher than the detector's own (tuned on users' messages):
 * documentation is imperative ("Run keel serve…"), and at the message threshold the classifier
 * alone flags 171 of the 217 passages of Keel's own docs; at 0.95 it flags 3, each one quoting an
 * attack phrasing that an explicit rule recognises.
 */
export const PASSAGE_INJECTION_THRESHOLD = 0.95;

const DONE = { flag: 'flagged', fence: 'fenced', drop: 'dropped' } as const;

/** The same passages are retrieved call after call: each is judged anew, scored once. */
const detectInjection = rememberingInjectionDetector();

/** The passages as the model gets them: suspicious ones dropped (the rest renumbered) or fenced. */
function screen(passages: Passage[], suspicious: Set<number>, action: keyof typeof FLAG) {
  if (action === 'drop')
    return passages
      .filter((passage) => !suspicious.has(passage.index))
      .map((passage, position) => ({ ...passage, index: position + 1 }));
  if (action === 'fence')
    return passages.map((passage) =>
      suspicious.has(passage.index) ? { ...passage, fenced: true } : passage,
    );
  return passages;
}

/**
 * Indirect prompt injection: scans every retrieved passage with the injection detector, since a
 * synced document can carry "ignore previous instructions" as well as a user can. Per
 * `retrieval.injection` a suspicious passage is flagged, fenced as untrusted data, or dropped
 * (the rest renumbered, so citations still match); each one is named in the decision's reasons,
 * the answer's flags and this step's audit record. The decision's status is not raised: the
 * user's question itself was fine.
 */
export const passageScreeningStep: Step<Passage[], Passage[]> = {
  id: 'passage-screening',
  run(passages, call) {
    const rule = call.bundle.policy.retrieval.injection;
    const suspicious = new Set<number>();
    const reasons: string[] = [];
    for (const passage of passages) {
      const verdict = detectInjection(passage.text, rule.threshold ?? PASSAGE_INJECTION_THRESHOLD);
      if (!verdict.injection) continue;
      suspicious.add(passage.index);
      reasons.push(
        `${FLAG[rule.action]}: ${citationLabel(passage)} (score ${verdict.score.toFixed(2)}${verdict.reasons.length > 0 ? `; ${verdict.reasons.join('; ')}` : ''})`,
      );
    }
    if (suspicious.size === 0)
      return {
        decision: 'clean',
        reasons: [`${passages.length} passages scanned`],
        output: passages,
      };

    return {
      decision: `${suspicious.size} ${DONE[rule.action]}`,
      reasons,
      // Named in the decision's reasons without raising its status.
      verdict: { status: 'allowed', reasons },
      flags: [FLAG[rule.action]],
      output: screen(passages, suspicious, rule.action),
    };
  },
};
