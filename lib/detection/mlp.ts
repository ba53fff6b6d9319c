import type { FeatureMatrix } from '../metrics/feature-matrix.ts';
import type { Rng } from '../rng.ts';
import { Adam } from './adam.ts';
import { logLoss, sigmoid } from './logistic-regression.ts';

/**
 * A small multi-layer perceptron detector: one hidden layer of H ReLU units and a logistic output,
 *
 *   a = W1 x + b1,   h = max(a, 0),   z = w2 . h + b2,   P(y = 1 | x) = sigma(z),            (1)
 *
 * fitted by minimising the mean log loss over mini-batches B with an L2 penalty on the weights,
 *
 *   L = (1/|B|) sum_{i in B} -log P(y_i | x_i) + (l2 / 2) (|W1|^2 + |w2|^2),                (2)
 *
 * by backpropagation: dz = sigma(z) - y, dL/dw2 = dz h, dL/db2 = dz, dh = dz w2 * [a > 0],
 * dL/dW1 = dh x^T, dL/db1 = dh (averaged over B, plus l2 times the weight) (3).
 * Every random choice comes from the Rng it is given: He initialisation W1 ~ N(0, 2 / D),
 * w2 ~ N(0, 1 / H), zero biases, and one shuffle of the rows per epoch.
 *
 * Parameters are one vector: [W1 (H x D, row j = unit j), b1 (H), w2 (H), b2].
 */

export interface MlpOptions {
  hidden: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  l2: number;
}

export interface MlpModel {
  kind: 'mlp';
  inputs: number;
  hidden: number;
  params: Float64Array;
  /** L of (2) over all training rows after the last epoch. */
  loss: number;
}

/** How many parameters an MLP with D inputs and H hidden units has: H D + 2 H + 1. */
export function mlpSize(inputs: number, hidden: number): number {
  return hidden * inputs + 2 * hidden + 1;
}

/** He-initialised parameters (see above). */
export function initMlp(inputs: number, hidden: number, rng: Rng): Float64Array {
  const params = new Float64Array(mlpSize(inputs, hidden));
  const s1 = Math.sqrt(2 / inputs);
  for (let i = 0; i < hidden * inputs; i++) params[i] = rng.normal() * s1;
  const s2 = Math.sqrt(1 / hidden);
  const w2 = hidden * inputs + hidden;
  for (let j = 0; j < hidden; j++) params[w2 + j] = rng.normal() * s2;
  return params;
}

/**
 * L of (2) over the rows `batch` of `x` (all rows by default) and its gradient (3), at `params`.
 */
export function mlpLossAndGradient(
  params: Float64Array,
  hidden: number,
  x: FeatureMatrix,
  y: ArrayLike<number>,
  l2: number,
  batch?: ArrayLike<number>,
): { loss: number; grad: Float64Array } {
  const D = x.cols;
  const H = hidden;
  if (params.length !== mlpSize(D, H))
    throw new RangeError(`Expected ${mlpSize(D, H)} parameters, got ${params.length}`);
  const oB1 = H * D;
  const oW2 = oB1 + H;
  const oB2 = oW2 + H;
  const grad = new Float64Array(params.length);
  const a = new Float64Array(H);
  const data = x.data;
  const count = batch ? batch.length : x.rows;
  let loss = 0;
  for (let k = 0; k < count; k++) {
    const i = batch ? batch[k]! : k;
    const row = i * D;
    let z = params[oB2]!;
    for (let j = 0; j < H; j++) {
      let s = params[oB1 + j]!;
      const w = j * D;
      for (let c = 0; c < D; c++) s += params[w + c]! * data[row + c]!;
      a[j] = s;
      if (s > 0) z += params[oW2 + j]! * s;
    }
    loss += logLoss(z, y[i]!);
    const dz = sigmoid(z) - y[i]!;
    grad[oB2]! += dz;
    for (let j = 0; j < H; j++) {
      if (a[j]! <= 0) continue;
      grad[oW2 + j]! += dz * a[j]!;
      const dh = dz * params[oW2 + j]!;
      grad[oB1 + j]! += dh;
      const w = j * D;
      for (let c = 0; c < D; c++) grad[w + c]! += dh * data[row + c]!;
    }
  }
  for (let p = 0; p < grad.length; p++) grad[p]! /= count;
  let penalty = 0;
  const weight = (p: number) => {
    penalty += params[p]! ** 2;
    grad[p]! += l2 * params[p]!;
  };
  for (let p = 0; p < oB1; p++) weight(p);
  for (let p = oW2; p < oB2; p++) weight(p);
  return { loss: loss / count + (l2 / 2) * penalty, grad };
}

/** Fits (1) on rows `x` with labels `y` (0 or 1): mini-batch Adam, a fresh shuffle each epoch. */
export function trainMlp(
  x: FeatureMatrix,
  y: ArrayLike<number>,
  options: MlpOptions,
  rng: Rng,
): MlpModel {
  if (x.rows !== y.length) throw new RangeError(`Expected ${x.rows} labels, got ${y.length}`);
  const { hidden, epochs, batchSize, learningRate, l2 } = options;
  const params = initMlp(x.cols, hidden, rng);
  const adam = new Adam(params.length, { learningRate });
  const order = Array.from({ length: x.rows }, (_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const shuffled = rng.shuffled(order);
    for (let start = 0; start < shuffled.length; start += batchSize) {
      const batch = shuffled.slice(start, start + batchSize);
      adam.step(params, mlpLossAndGradient(params, hidden, x, y, l2, batch).grad);
    }
  }
  const { loss } = mlpLossAndGradient(params, hidden, x, y, l2);
  return { kind: 'mlp', inputs: x.cols, hidden, params, loss };
}

/** P(y = 1 | x) for each row of `x`. */
export function mlpProbabilities(model: MlpModel, x: FeatureMatrix): Float64Array {
  const { inputs: D, hidden: H, params } = model;
  if (x.cols !== D) throw new RangeError(`Expected ${D} features, got ${x.cols}`);
  const oB1 = H * D;
  const oW2 = oB1 + H;
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    const row = i * D;
    let z = params[oW2 + H]!;
    for (let j = 0; j < H; j++) {
      let s = params[oB1 + j]!;
      for (let c = 0; c < D; c++) s += params[j * D + c]! * x.data[row + c]!;
      if (s > 0) z += params[oW2 + j]! * s;
    }
    out[i] = sigmoid(z);
  }
  return out;
}
