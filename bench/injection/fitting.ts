import type { FeatureVector } from '../../src/governor/detectors/injection-features.js';
import { HASH_BITS } from '../../src/governor/detectors/injection-features.js';
import type { InjectionModelFile } from '../../src/governor/detectors/injection-model-format.js';
import {
  MODEL_FORMAT,
  WEIGHT_SCALE,
  decodeModel,
  encodeWeights,
} from '../../src/governor/detectors/injection-model-format.js';
import {
  combineInjectionScores,
  matchInjectionRules,
} from '../../src/governor/detectors/injection-rules.js';
import {
  DEFAULT_TRAINING,
  probabilities,
  pruneWeights,
  trainLogisticRegression,
} from './logistic-regression.js';

/** Keeps the model file well under 1 MB; see `pruneWeights`. */
const MAX_STORED_WEIGHTS = 40_000;

export interface LabelledFeatures {
  features: FeatureVector[];
  labels: boolean[];
}

/**
 * Trains on the union of `parts`, then prunes and quantises exactly as the stored model is,
 * so every score the trainer reports is a score the shipped file would give.
 */
export function fitModel(parts: readonly LabelledFeatures[], l2: number) {
  const features = parts.flatMap((part) => part.features);
  const labels = parts.flatMap((part) => part.labels);
  const trained = trainLogisticRegression(features, labels, { ...DEFAULT_TRAINING, l2 });
  const file: InjectionModelFile = {
    format: MODEL_FORMAT,
    hashBits: HASH_BITS,
    bias: trained.bias,
    threshold: 0.5,
    flagThreshold: 0.5,
    weightScale: WEIGHT_SCALE,
    ...encodeWeights(pruneWeights(trained.weights, MAX_STORED_WEIGHTS)),
    training: {},
  };
  return { model: decodeModel(file), file };
}

/** Out-of-fold probabilities: each row scored by a model trained on the other folds. */
export function crossValidate(
  training: LabelledFeatures,
  l2: number,
  folds: readonly number[],
): number[] {
  const scores = new Array<number>(training.labels.length).fill(0);
  for (const fold of new Set(folds)) {
    const outside = (index: number) => folds[index] !== fold;
    const { model } = fitModel(
      [
        {
          features: training.features.filter((_, index) => outside(index)),
          labels: training.labels.filter((_, index) => outside(index)),
        },
      ],
      l2,
    );
    training.features.forEach((row, index) => {
      if (!outside(index)) scores[index] = probabilities(model, [row])[0]!;
    });
  }
  return scores;
}

export function combinedScores(modelScores: readonly number[], texts: readonly string[]): number[] {
  return texts.map((text, index) =>
    combineInjectionScores(modelScores[index]!, matchInjectionRules(text)),
  );
}

export function ruleVerdicts(texts: readonly string[]): boolean[] {
  return texts.map((text) => matchInjectionRules(text).length > 0);
}
