import type { FeatureMatrix } from '../metrics/feature-matrix.ts';
import { Adam } from './adam.ts';

/**
 * Binary logistic regression (the linear detector): P(y = 1 | x) = sigma(w . x + b) with
 * sigma(z) = 1 / (1 + exp(-z)), fitted by minimising the mean log loss with an L2 penalty on w,
 *
 *   L(w, b) = (1/n) sum_i [softplus(z_i) - y_i z_i] + (l2 / 2) |w|^2,   z_i = w . x_i + b,   (1)
 *
 * (softplus(z) = log(1 + e^z), so the bracket is -log P(y_i | x_i)), whose gradient is
 *
 *   dL/dw = (1/n) sum_i (sigma(z_i) - y_i) x_i + l2 w,   dL/db = (1/n) sum_i (sigma(z_i) - y_i). (2)
 *
 * Full-batch Adam for a fixed number of steps from w = 0, b = 0: no randomness at all.
 */

export interface LogisticOptions {
  /** Full-batch Adam steps. */
  epochs: number;
  learningRate: number;
  /** The L2 penalty on the weights (not the bias). */
  l2: number;
}

export interface LogisticModel {
  kind: 'logistic';
  weights: Float64Array;
  bias: number;
  /** L of (1) on the training rows after the last step. */
  loss: number;
}

/** sigma(z) = 1 / (1 + e^-z), without overflow for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** -log P(y | z) = softplus(z) - y z, with softplus(z) = max(z, 0) + log(1 + e^-|z|). */
export function logLoss(z: number, y: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - y * z;
}

/**
 * L of (1) and its gradient (2) at `params` = [w_0 .. w_{d-1}, b].
 */
export function logisticLossAndGradient(
  params: Float64Array,
  x: FeatureMatrix,
  y: ArrayLike<number>,
  l2: number,
): { loss: number; grad: Float64Array } {
  const { rows: n, cols: d, data } = x;
  if (params.length !== d + 1)
    throw new RangeError(`Expected ${d + 1} parameters, got ${params.length}`);
  const grad = new Float64Array(d + 1);
  let loss = 0;
  const b = params[d]!;
  for (let i = 0; i < n; i++) {
    const row = i * d;
    let z = b;
    for (let j = 0; j < d; j++) z += params[j]! * data[row + j]!;
    loss += logLoss(z, y[i]!);
    const r = sigmoid(z) - y[i]!;
    for (let j = 0; j < d; j++) grad[j]! += r * data[row + j]!;
    grad[d]! += r;
  }
  let penalty = 0;
  for (let j = 0; j <= d; j++) grad[j]! /= n;
  for (let j = 0; j < d; j++) {
    penalty += params[j]! ** 2;
    grad[j]! += l2 * params[j]!;
  }
  return { loss: loss / n + (l2 / 2) * penalty, grad };
}

/** Fits (1) on rows `x` with labels `y` (0 or 1). */
export function trainLogistic(
  x: FeatureMatrix,
  y: ArrayLike<number>,
  options: LogisticOptions,
): LogisticModel {
  if (x.rows !== y.length) throw new RangeError(`Expected ${x.rows} labels, got ${y.length}`);
  const params = new Float64Array(x.cols + 1);
  const adam = new Adam(params.length, { learningRate: options.learningRate });
  for (let t = 0; t < options.epochs; t++)
    adam.step(params, logisticLossAndGradient(params, x, y, options.l2).grad);
  const { loss } = logisticLossAndGradient(params, x, y, options.l2);
  return { kind: 'logistic', weights: params.slice(0, x.cols), bias: params[x.cols]!, loss };
}

/** P(y = 1 | x) for each row of `x`. */
export function logisticProbabilities(model: LogisticModel, x: FeatureMatrix): Float64Array {
  const { rows: n, cols: d, data } = x;
  if (d !== model.weights.length)
    throw new RangeError(`Expected ${model.weights.length} features, got ${d}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = model.bias;
    for (let j = 0; j < d; j++) z += model.weights[j]! * data[i * d + j]!;
    out[i] = sigmoid(z);
  }
  return out;
}
