import type { FeatureMatrix } from '../metrics/feature-matrix.ts';
import type { Rng } from '../rng.ts';
import {
  fitGaussianMixture,
  sampleGaussianMixture,
  type GaussianMixture,
} from './gaussian-mixture.ts';
import { fitPca, pcaDecode, pcaEncode, type PcaModel } from './pca.ts';

export interface GeneratorOptions {
  /** `gmm`: a mixture per class; `gaussian`: one full-covariance Gaussian per class. */
  kind: 'gmm' | 'gaussian';
  latentDim: number;
  components: number;
  iterations: number;
}

/**
 * A class-conditional generator with no deep learning: images (scaled to [0, 1]) are projected to
 * a PCA latent space fitted on the training set, and each class's latents get a Gaussian mixture
 * fitted by EM. Sampling draws latents (covariances scaled by a temperature) and decodes them back
 * to pixels, clipped to [0, 1] and quantised to 8 bits like any stored image.
 */
export interface PcaGmmGenerator {
  options: GeneratorOptions;
  shape: { width: number; height: number; channels: number };
  pca: PcaModel;
  /** One mixture per class; null for a class absent from the training set. */
  perClass: (GaussianMixture | null)[];
}

export function fitPcaGmmGenerator(
  images: {
    pixels: Uint8Array;
    labels: Uint8Array;
    count: number;
    width: number;
    height: number;
    channels: number;
    classCount: number;
  },
  options: GeneratorOptions,
  rng: Rng,
): PcaGmmGenerator {
  const dim = images.width * images.height * images.channels;
  const data: FeatureMatrix = {
    rows: images.count,
    cols: dim,
    data: Float64Array.from(images.pixels, (p) => p / 255),
  };
  const pca = fitPca(data, options.latentDim);
  const latent = pcaEncode(pca, data);
  const perClass: (GaussianMixture | null)[] = [];
  for (let c = 0; c < images.classCount; c++) {
    const rows: number[] = [];
    for (let i = 0; i < images.count; i++) if (images.labels[i] === c) rows.push(i);
    const k = options.kind === 'gaussian' ? 1 : options.components;
    if (rows.length <= k) {
      perClass.push(null);
      continue;
    }
    const classLatent: FeatureMatrix = {
      rows: rows.length,
      cols: options.latentDim,
      data: new Float64Array(rows.length * options.latentDim),
    };
    rows.forEach((r, i) =>
      classLatent.data.set(
        latent.data.subarray(r * options.latentDim, (r + 1) * options.latentDim),
        i * options.latentDim,
      ),
    );
    perClass.push(
      fitGaussianMixture(classLatent, rng, {
        components: k,
        iterations: options.iterations,
        regularization: 1e-4,
      }).model,
    );
  }
  return {
    options,
    shape: { width: images.width, height: images.height, channels: images.channels },
    pca,
    perClass,
  };
}

/** Draws counts[c] images of each class c; returns 8-bit pixels and labels in class order. */
export function samplePcaGmmGenerator(
  model: PcaGmmGenerator,
  counts: readonly number[],
  rng: Rng,
  temperature = 1,
): { pixels: Uint8Array; labels: Uint8Array; count: number } {
  const dim = model.shape.width * model.shape.height * model.shape.channels;
  const total = counts.reduce((a, b) => a + b, 0);
  const pixels = new Uint8Array(total * dim);
  const labels = new Uint8Array(total);
  let next = 0;
  counts.forEach((n, c) => {
    if (n === 0) return;
    const mixture = model.perClass[c];
    if (!mixture)
      throw new RangeError(
        `The generator saw no (or too few) images of class ${c}; it cannot sample ${n} of them`,
      );
    const images = pcaDecode(model.pca, sampleGaussianMixture(mixture, n, rng, temperature));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < dim; j++) {
        const v = images.data[i * dim + j]!;
        pixels[(next + i) * dim + j] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
      labels[next + i] = c;
    }
    next += n;
  });
  return { pixels, labels, count: total };
}

/** JSON-safe form (typed arrays as number arrays) for storing the model as an artifact. */
export function serializeGenerator(model: PcaGmmGenerator): unknown {
  const arr = (a: Float64Array) => Array.from(a);
  return {
    format: 'clab.pca-gmm-generator/v1',
    options: model.options,
    shape: model.shape,
    pca: {
      ...model.pca,
      mean: arr(model.pca.mean),
      basis: arr(model.pca.basis),
      variances: arr(model.pca.variances),
    },
    perClass: model.perClass.map(
      (m) =>
        m && {
          dim: m.dim,
          weights: m.weights,
          means: m.means.map(arr),
          covariances: m.covariances.map(arr),
        },
    ),
  };
}

export function deserializeGenerator(json: unknown): PcaGmmGenerator {
  const j = json as {
    format: string;
    options: GeneratorOptions;
    shape: PcaGmmGenerator['shape'];
    pca: {
      inputDim: number;
      components: number;
      mean: number[];
      basis: number[];
      variances: number[];
    };
    perClass: ({
      dim: number;
      weights: number[];
      means: number[][];
      covariances: number[][];
    } | null)[];
  };
  if (j.format !== 'clab.pca-gmm-generator/v1')
    throw new Error(`Not a PCA-GMM generator artifact (format ${j.format})`);
  const f = (a: number[]) => Float64Array.from(a);
  return {
    options: j.options,
    shape: j.shape,
    pca: {
      inputDim: j.pca.inputDim,
      components: j.pca.components,
      mean: f(j.pca.mean),
      basis: f(j.pca.basis),
      variances: f(j.pca.variances),
    },
    perClass: j.perClass.map(
      (m) =>
        m && {
          dim: m.dim,
          weights: m.weights,
          means: m.means.map(f),
          covariances: m.covariances.map(f),
        },
    ),
  };
}
