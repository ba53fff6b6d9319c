import { cholesky, logDetFromCholesky, solveLower } from '../math/cholesky.ts';
import type { FeatureMatrix } from '../metrics/feature-matrix.ts';
import type { Rng } from '../rng.ts';

/** A Gaussian mixture with full covariances: p(x) = sum_k w_k N(x | mu_k, S_k). */
export interface GaussianMixture {
  dim: number;
  weights: number[];
  means: Float64Array[];
  /** Each d x d, row-major. */
  covariances: Float64Array[];
}

export interface EmOptions {
  components: number;
  iterations: number;
  /** Added to every covariance diagonal, relative to the data's mean variance (keeps S_k invertible). */
  regularization?: number;
  /** Stop early when the mean log-likelihood improves by less than this. */
  tolerance?: number;
}

export interface EmResult {
  model: GaussianMixture;
  logLikelihood: number;
  iterations: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Maximum-likelihood Gaussian mixture by expectation-maximisation (Dempster, Laird & Rubin, 1977;
 * Bishop, PRML, section 9.2.2, eqs. 9.23-9.27). Means start at k-means++ seeds drawn with `rng`
 * (Arthur & Vassilvitskii, 2007), covariances at the data covariance, weights uniform.
 * With components = 1 this is the closed-form ML Gaussian: mu = mean, S = (1/n) sum (x-mu)(x-mu)^T.
 */
export function fitGaussianMixture(data: FeatureMatrix, rng: Rng, options: EmOptions): EmResult {
  const { rows: n, cols: d } = data;
  const K = options.components;
  if (!Number.isInteger(K) || K < 1)
    throw new RangeError(
      `Expected \`components\` to be a whole number from 1 and up, got \`${K}\``,
    );
  if (n < K)
    throw new RangeError(`A mixture of ${K} components needs at least ${K} samples, got ${n}`);
  const overall = weightedMoments(data, new Float64Array(n).fill(1));
  let meanVariance = 0;
  for (let i = 0; i < d; i++) meanVariance += overall.cov[i * d + i]! / d;
  const ridge = (options.regularization ?? 1e-6) * Math.max(meanVariance, 1e-12);

  let model: GaussianMixture = {
    dim: d,
    weights: new Array<number>(K).fill(1 / K),
    means: kMeansPlusPlusSeeds(data, K, rng),
    covariances: Array.from({ length: K }, () => withRidge(overall.cov, d, ridge)),
  };
  const resp = Array.from({ length: K }, () => new Float64Array(n));
  let previous = -Infinity;
  let logLikelihood = -Infinity;
  let iteration = 0;
  while (iteration < options.iterations) {
    iteration++;
    // E-step (PRML eq. 9.23): responsibilities r_nk proportional to w_k N(x_n | mu_k, S_k)
    logLikelihood = 0;
    const logDensities = componentLogDensities(model, data);
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let k = 0; k < K; k++)
        max = Math.max(max, Math.log(model.weights[k]!) + logDensities[k]![i]!);
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const v = Math.exp(Math.log(model.weights[k]!) + logDensities[k]![i]! - max);
        resp[k]![i] = v;
        sum += v;
      }
      for (let k = 0; k < K; k++) resp[k]![i]! /= sum;
      logLikelihood += max + Math.log(sum);
    }
    logLikelihood /= n;
    // M-step (PRML eqs. 9.24-9.26)
    model = {
      dim: d,
      weights: resp.map((r) => r.reduce((a, b) => a + b, 0) / n),
      means: [],
      covariances: [],
    };
    for (let k = 0; k < K; k++) {
      const m = weightedMoments(data, resp[k]!);
      model.means.push(m.mean);
      model.covariances.push(withRidge(m.cov, d, ridge));
    }
    if (K === 1 || logLikelihood - previous < (options.tolerance ?? 1e-6)) break;
    previous = logLikelihood;
  }
  return { model, logLikelihood, iterations: iteration };
}

/** Draws n samples; `temperature` scales every covariance (T < 1: less diverse, more typical). */
export function sampleGaussianMixture(
  model: GaussianMixture,
  n: number,
  rng: Rng,
  temperature = 1,
): FeatureMatrix {
  if (!(temperature > 0))
    throw new RangeError(`Expected \`temperature\` to be above 0, got \`${temperature}\``);
  const d = model.dim;
  const factors = model.covariances.map((s) => cholesky(s, d));
  const scale = Math.sqrt(temperature);
  const out = new Float64Array(n * d);
  const eps = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const k = pickComponent(model.weights, rng.uniform());
    const l = factors[k]!;
    const mu = model.means[k]!;
    for (let i = 0; i < d; i++) eps[i] = rng.normal();
    for (let i = 0; i < d; i++) {
      let v = 0;
      for (let j = 0; j <= i; j++) v += l[i * d + j]! * eps[j]!;
      out[r * d + i] = mu[i]! + scale * v; // x = mu + sqrt(T) L eps, eps ~ N(0, I)
    }
  }
  return { rows: n, cols: d, data: out };
}

/** Mean log-likelihood of data under the mixture (log-sum-exp over components). */
export function meanLogLikelihood(model: GaussianMixture, data: FeatureMatrix): number {
  const logDensities = componentLogDensities(model, data);
  let total = 0;
  for (let i = 0; i < data.rows; i++) {
    let max = -Infinity;
    for (let k = 0; k < model.weights.length; k++)
      max = Math.max(max, Math.log(model.weights[k]!) + logDensities[k]![i]!);
    let sum = 0;
    for (let k = 0; k < model.weights.length; k++)
      sum += Math.exp(Math.log(model.weights[k]!) + logDensities[k]![i]! - max);
    total += max + Math.log(sum);
  }
  return total / data.rows;
}

/** log N(x_n | mu_k, S_k) = -1/2 (d log 2pi + log|S_k| + |L_k^-1 (x_n - mu_k)|^2). */
function componentLogDensities(model: GaussianMixture, data: FeatureMatrix): Float64Array[] {
  const d = model.dim;
  const diff = new Float64Array(d);
  const y = new Float64Array(d);
  return model.means.map((mu, k) => {
    const l = cholesky(model.covariances[k]!, d);
    const logDet = logDetFromCholesky(l, d);
    const out = new Float64Array(data.rows);
    for (let i = 0; i < data.rows; i++) {
      for (let j = 0; j < d; j++) diff[j] = data.data[i * d + j]! - mu[j]!;
      solveLower(l, d, diff, y);
      let maha = 0;
      for (let j = 0; j < d; j++) maha += y[j]! * y[j]!;
      out[i] = -0.5 * (d * LOG_2PI + logDet + maha);
    }
    return out;
  });
}

/** Weighted mean and the weighted ML covariance (1/sum w) sum w (x - mu)(x - mu)^T. */
function weightedMoments(
  data: FeatureMatrix,
  w: Float64Array,
): { mean: Float64Array; cov: Float64Array } {
  const { rows: n, cols: d } = data;
  let total = 0;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    total += wi;
    for (let j = 0; j < d; j++) mean[j]! += wi * data.data[i * d + j]!;
  }
  const safeTotal = Math.max(total, 1e-300);
  for (let j = 0; j < d; j++) mean[j]! /= safeTotal;
  const cov = new Float64Array(d * d);
  const diff = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    if (wi === 0) continue;
    for (let j = 0; j < d; j++) diff[j] = data.data[i * d + j]! - mean[j]!;
    for (let a = 0; a < d; a++) {
      const wa = wi * diff[a]!;
      for (let b = a; b < d; b++) cov[a * d + b]! += wa * diff[b]!;
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b]! / safeTotal;
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  }
  return { mean, cov };
}

function withRidge(cov: Float64Array, d: number, ridge: number): Float64Array {
  const out = Float64Array.from(cov);
  for (let i = 0; i < d; i++) out[i * d + i]! += ridge;
  return out;
}

function kMeansPlusPlusSeeds(data: FeatureMatrix, K: number, rng: Rng): Float64Array[] {
  const { rows: n, cols: d } = data;
  const row = (i: number) => Float64Array.from(data.data.subarray(i * d, (i + 1) * d));
  const seeds = [row(rng.int(n))];
  const nearest = new Float64Array(n).fill(Infinity);
  while (seeds.length < K) {
    const last = seeds[seeds.length - 1]!;
    let total = 0;
    for (let i = 0; i < n; i++) {
      let dist = 0;
      for (let j = 0; j < d; j++) dist += (data.data[i * d + j]! - last[j]!) ** 2;
      nearest[i] = Math.min(nearest[i]!, dist);
      total += nearest[i]!;
    }
    let target = rng.uniform() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      target -= nearest[i]!;
      if (target < 0) {
        pick = i;
        break;
      }
    }
    seeds.push(row(pick));
  }
  return seeds;
}

function pickComponent(weights: readonly number[], u: number): number {
  let acc = 0;
  for (let k = 0; k < weights.length; k++) {
    acc += weights[k]!;
    if (u < acc) return k;
  }
  return weights.length - 1;
}
