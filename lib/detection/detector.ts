import type { FeatureMatrix } from '../metrics/feature-matrix.ts';
import type { Rng } from '../rng.ts';
import { wilsonInterval, type AccuracyInterval } from './accuracy-interval.ts';
import {
  logisticProbabilities,
  trainLogistic,
  type LogisticOptions,
} from './logistic-regression.ts';
import { mlpProbabilities, trainMlp, type MlpOptions } from './mlp.ts';
import { fitStandardizer, standardize } from './standardize.ts';

/**
 * A real-vs-generated detector end to end: features standardised on the training rows, a logistic
 * regression or an MLP fitted on them, test rows classified generated when P(generated | x) >= 1/2,
 * and the test accuracy with its Wilson 95% interval. Labels: 0 real, 1 generated.
 */

export type DetectorModelSpec =
  ({ kind: 'logistic' } & LogisticOptions) | ({ kind: 'mlp' } & MlpOptions);

export interface DetectorEvaluation {
  /** Test accuracy and its Wilson interval. */
  test: AccuracyInterval;
  /** [[real as real, real as generated], [generated as real, generated as generated]] on the test rows. */
  confusion: [[number, number], [number, number]];
  trainAccuracy: number;
  /** The model's training loss (log loss plus penalty) after its last step. */
  trainLoss: number;
}

/** Row-wise predictions: 1 where the probability of `generated` is at least 1/2. */
export function predictions(probabilities: ArrayLike<number>): Uint8Array {
  return Uint8Array.from(probabilities as ArrayLike<number>, (p) => (p >= 0.5 ? 1 : 0));
}

/** The 2 x 2 confusion matrix, rows the truth (0 real, 1 generated), columns the prediction. */
export function binaryConfusion(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
): [[number, number], [number, number]] {
  if (truth.length !== predicted.length)
    throw new RangeError(`Expected ${truth.length} predictions, got ${predicted.length}`);
  const m: [[number, number], [number, number]] = [
    [0, 0],
    [0, 0],
  ];
  for (let i = 0; i < truth.length; i++) m[truth[i] ? 1 : 0][predicted[i] ? 1 : 0]++;
  return m;
}

/**
 * Standardises, fits `model` on (train, trainLabels) and measures it on (test, testLabels). The
 * MLP draws its initialisation and shuffles from `rng`; the logistic regression draws nothing.
 */
export function trainAndTestDetector(
  data: {
    train: FeatureMatrix;
    trainLabels: ArrayLike<number>;
    test: FeatureMatrix;
    testLabels: ArrayLike<number>;
  },
  model: DetectorModelSpec,
  rng: Rng,
): DetectorEvaluation {
  const scaler = fitStandardizer(data.train);
  const train = standardize(data.train, scaler);
  const test = standardize(data.test, scaler);
  let trainP: Float64Array;
  let testP: Float64Array;
  let trainLoss: number;
  if (model.kind === 'logistic') {
    const fitted = trainLogistic(train, data.trainLabels, model);
    trainP = logisticProbabilities(fitted, train);
    testP = logisticProbabilities(fitted, test);
    trainLoss = fitted.loss;
  } else {
    const fitted = trainMlp(train, data.trainLabels, model, rng);
    trainP = mlpProbabilities(fitted, train);
    testP = mlpProbabilities(fitted, test);
    trainLoss = fitted.loss;
  }
  const confusion = binaryConfusion(data.testLabels, predictions(testP));
  const trainConfusion = binaryConfusion(data.trainLabels, predictions(trainP));
  const correct = confusion[0][0] + confusion[1][1];
  return {
    test: wilsonInterval(correct, data.test.rows),
    confusion,
    trainAccuracy: (trainConfusion[0][0] + trainConfusion[1][1]) / data.train.rows,
    trainLoss,
  };
}
