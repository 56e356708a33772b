import { rememberingInjectionDetector } from '../detectors/injection.js';
import { citationLabel } from '../prompt.js';
import type { GovernorStep } from '../step.js';

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

/**
 * Indirect prompt injection: scans every retrieved passage with the injection detector, since a
 * synced document can carry "ignore previous instructions" as well as a user can. Per
 * `retrieval.injection` a suspicious passage is flagged, fenced as untrusted data, or dropped
 * (the rest renumbered, so citations still match); each one is named in the decision's reasons,
 * the answer's flags and this step's audit record. The decision's status is not raised: the
 * user's question itself was fine.
 */
export const passageScreeningStep: GovernorStep = {
  id: 'passage-screening',
  run(context) {
    const rule = context.bundle.policy.retrieval.injection;
    const suspicious = new Set<number>();
    const reasons: string[] = [];
    for (const passage of context.passages) {
      const verdict = detectInjection(passage.text, rule.threshold ?? PASSAGE_INJECTION_THRESHOLD);
      if (!verdict.injection) continue;
      suspicious.add(passage.index);
      reasons.push(
        `${FLAG[rule.action]}: ${citationLabel(passage)} (score ${verdict.score.toFixed(2)}${verdict.reasons.length > 0 ? `; ${verdict.reasons.join('; ')}` : ''})`,
      );
    }
    if (suspicious.size === 0)
      return { decision: 'clean', reasons: [`${context.passages.length} passages scanned`] };

    if (rule.action === 'drop') {
      context.passages = context.passages
        .filter((passage) => !suspicious.has(passage.index))
        .map((passage, position) => ({ ...passage, index: position + 1 }));
    } else if (rule.action === 'fence') {
      context.passages = context.passages.map((passage) =>
        suspicious.has(passage.index) ? { ...passage, fenced: true } : passage,
      );
    }
    context.decision.reasons.push(...reasons);
    if (!context.flags.includes(FLAG[rule.action])) context.flags.push(FLAG[rule.action]);
    return {
      decision: `${suspicious.size} ${DONE[rule.action]}`,
      reasons,
    };
  },
};
