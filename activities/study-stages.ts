import sharp from 'sharp';
import { buildManifest, type DatasetManifest } from '../lib/datasets/manifest.ts';
import type { Sha256 } from '../lib/digest.ts';
import { classHistogramDistance } from '../lib/metrics/class-metrics.ts';
import type { FeatureMatrix } from '../lib/metrics/feature-matrix.ts';
import {
  deserializeGenerator,
  serializeGenerator,
  type GeneratorOptions,
} from '../lib/models/pca-gmm-generator.ts';
import { chainGeneration, initialChains } from '../lib/models/gaussian-chains.ts';
import type { PcaModel } from '../lib/models/pca.ts';
import { parseNpyMatrix, writeNpyMatrix } from '../lib/npy.ts';
import { InputError } from '../lib/input-error.ts';
import { Rng } from '../lib/rng.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { getJson, putJson } from '../lib/storage/json-artifacts.ts';
import { DEFAULT_INFERENCE, type ClabConfig } from '../lib/config.ts';
import { failFastOnBadInput } from './activity-context.ts';
import { embedWithOnnx, type OnnxEmbedding } from './onnx-embedding.ts';
import { loadImageSet, storeImageSet, type ImageSet } from './image-sets.ts';
import { runInThread } from './compute/run-in-thread.ts';
import { asStage } from './stage-cache.ts';

export interface StudyStageDeps {
  store: ArtifactStore;
  codeVersion: string;
  /** Settings of onnxruntime sessions, for ONNX embeddings (the PCA needs none). */
  inference?: ClabConfig['inference'];
}

interface Seeded {
  seed: number;
  /** The named random stream of this stage, e.g. `alpha=1/g=2/sample`. */
  stream: string;
}

/**
 * The stages of the studies that need no deep-learning framework. Every one is idempotent and
 * deterministic: the same inputs, parameters and seed give byte-identical outputs.
 */
export function createStudyStageActivities({
  store,
  codeVersion,
  inference = DEFAULT_INFERENCE,
}: StudyStageDeps) {
  const stage = (work: Parameters<typeof asStage>[0]) => failFastOnBadInput(() => asStage(work));

  return {
    /**
     * A class-balanced random subset of `count` images (largest-remainder per-class quotas), of
     * the given classes only if `classes` names some.
     */
    realSubset(
      input: { dataset: Sha256; count: number; name: string; classes?: number[] } & Seeded,
    ) {
      return stage(async () => {
        const set = await loadImageSet(store, input.dataset);
        const rng = Rng.stream(input.seed, input.stream);
        const allowed = classFilter(set, input.classes);
        const byClass = set.classes.map((_, c) => (allowed(c) ? indicesOf(set.labels, c) : []));
        const quotas = apportion(
          byClass.map((ix) => ix.length),
          input.count,
        );
        const picked = byClass
          .flatMap((ix, c) => rng.sampleIndices(ix.length, quotas[c]!).map((i) => ix[i]!))
          .sort((a, b) => a - b);
        const subset = selectImages(set, picked, input.name);
        const { digest, manifest } = await storeImageSet(
          store,
          subset,
          {
            kind: 'subset',
            parents: [input.dataset],
            params: {
              count: input.count,
              seed: input.seed,
              stream: input.stream,
              ...(input.classes ? { classes: input.classes } : {}),
            },
          },
          codeVersion,
        );
        return {
          outputs: { dataset: digest },
          facts: { count: manifest.count, classHistogram: manifest.classHistogram },
        };
      });
    },

    /** Fits the PCA embedding used by the metrics, on up to `fitSamples` images of the dataset. */
    fitEmbedding(input: { dataset: Sha256; components: number; fitSamples: number } & Seeded) {
      return stage(async () => {
        const set = await loadImageSet(store, input.dataset);
        const rng = Rng.stream(input.seed, input.stream);
        const rows =
          set.count <= input.fitSamples
            ? [...Array(set.count).keys()]
            : rng.sampleIndices(set.count, input.fitSamples).sort((a, b) => a - b);
        const pca = await runInThread('fitPca', {
          data: toFeatures(set, rows),
          components: input.components,
        });
        const ref = await putJson(store, {
          format: 'clab.embedding/v1',
          kind: 'pca',
          components: input.components,
          fittedOn: input.dataset,
          pca: serializePca(pca),
        });
        return {
          outputs: { embedding: ref.digest },
          facts: { embeddingId: `pca${input.components}@${ref.digest.slice(0, 12)}` },
        };
      });
    },

    /**
     * Embeds up to `maxSamples` images of a dataset with a stored embedding (the PCA of
     * `fitEmbedding`, or an ONNX model from `defineOnnxEmbedding`): a float32 .npy feature matrix.
     * With `classes`, only images of those classes count.
     */
    embed(
      input: {
        dataset: Sha256;
        embedding: Sha256;
        maxSamples: number;
        classes?: number[];
      } & Seeded,
    ) {
      return stage(async () => {
        const set = await loadImageSet(store, input.dataset);
        const embedding = await getJson<{ kind: string; pca?: ReturnType<typeof serializePca> }>(
          store,
          input.embedding,
        );
        const rng = Rng.stream(input.seed, input.stream);
        const allowed = classFilter(set, input.classes);
        const candidates = [...Array(set.count).keys()].filter((i) => allowed(set.labels[i]!));
        const rows =
          candidates.length <= input.maxSamples
            ? candidates
            : rng
                .sampleIndices(candidates.length, input.maxSamples)
                .sort((a, b) => a - b)
                .map((i) => candidates[i]!);
        let z: FeatureMatrix;
        if (embedding.kind === 'onnx') {
          z = await embedWithOnnx(
            store,
            inference,
            embedding as unknown as OnnxEmbedding,
            set,
            rows,
          );
        } else {
          const pca = deserializePca(embedding.pca!);
          z = await runInThread('pcaEncode', { model: pca, data: toFeatures(set, rows) });
        }
        const ref = await store.put(
          writeNpyMatrix({ rows: z.rows, cols: z.cols, data: Float32Array.from(z.data) }),
        );
        return { outputs: { features: ref.digest }, facts: { rows: z.rows } };
      });
    },

    /** Fits the PCA + Gaussian-mixture generator on a dataset (the stand-in for training). */
    fitGenerator(input: { dataset: Sha256; generator: GeneratorOptions } & Seeded) {
      return stage(async () => {
        const set = await loadImageSet(store, input.dataset);
        const model = await runInThread('fitGenerator', {
          images: { ...set, classCount: set.classes.length },
          options: input.generator,
          seed: input.seed,
          stream: input.stream,
        });
        const ref = await putJson(store, {
          ...(serializeGenerator(model) as object),
          trainedOn: input.dataset,
          classes: set.classes,
        });
        return { outputs: { model: ref.digest }, facts: { trainedOn: set.count } };
      });
    },

    /**
     * Samples round(alpha * |reference|) images with the reference's class balance
     * (Martinez et al.: |S_g| = alpha |D_{g-1}|), at the given temperature.
     */
    sampleImages(
      input: {
        model: Sha256;
        reference: Sha256;
        alpha: number;
        temperature: number;
        name: string;
      } & Seeded,
    ) {
      return stage(async () => {
        const reference = await getJson<DatasetManifest>(store, input.reference);
        const json = await getJson<{ classes: string[] }>(store, input.model);
        const model = deserializeGenerator(json);
        const counts = apportion(
          reference.classHistogram,
          Math.round(input.alpha * reference.count),
        );
        const sampled = await runInThread('sampleGenerator', {
          model,
          counts,
          temperature: input.temperature,
          seed: input.seed,
          stream: input.stream,
        });
        const set: ImageSet = {
          name: input.name,
          classes: json.classes,
          ...model.shape,
          count: sampled.count,
          pixels: sampled.pixels,
          labels: sampled.labels,
        };
        const { digest, manifest } = await storeImageSet(
          store,
          set,
          {
            kind: 'generated',
            parents: [input.model, input.reference],
            params: {
              alpha: input.alpha,
              temperature: input.temperature,
              seed: input.seed,
              stream: input.stream,
            },
          },
          codeVersion,
        );
        return {
          outputs: { dataset: digest },
          facts: { count: manifest.count, classHistogram: manifest.classHistogram },
        };
      });
    },

    /** D = A + B as a manifest over both datasets' shards: no pixels are copied. */
    mixDatasets(input: { a: Sha256; b: Sha256; name: string }) {
      return stage(async () => {
        const [a, b] = [
          await getJson<DatasetManifest>(store, input.a),
          await getJson<DatasetManifest>(store, input.b),
        ];
        if (a.classes.join('\n') !== b.classes.join('\n'))
          throw new Error(`Cannot mix ${a.name} and ${b.name}: their classes differ`);
        const shards = [
          ...a.shards,
          ...b.shards.map((s) => ({
            ...s,
            index: s.index + a.shards.length,
            firstSample: s.firstSample + a.count,
          })),
        ];
        const manifest = buildManifest({
          name: input.name,
          source: { kind: 'mix', parents: [input.a, input.b] },
          classes: a.classes,
          count: a.count + b.count,
          ...(a.image ? { image: a.image } : {}),
          shards,
          codeVersion,
        });
        const ref = await putJson(store, manifest);
        return {
          outputs: { dataset: ref.digest },
          facts: { count: manifest.count, classHistogram: manifest.classHistogram },
        };
      });
    },

    /**
     * FID, improved precision/recall (k) and class-balance distance of generated vs real features;
     * with `classes`, the real class histogram counts those classes only.
     */
    evaluate(input: {
      real: Sha256;
      fake: Sha256;
      realDataset: Sha256;
      fakeDataset: Sha256;
      k: number;
      embeddingId: string;
      /** The embedding artifact the features came from, recorded beside its id. */
      embedding?: Sha256;
      classes?: number[];
    }) {
      return stage(async () => {
        const real = parseNpyMatrix(await store.get(input.real), `features ${input.real}`);
        const fake = parseNpyMatrix(await store.get(input.fake), `features ${input.fake}`);
        const [realManifest, fakeManifest] = [
          await getJson<DatasetManifest>(store, input.realDataset),
          await getJson<DatasetManifest>(store, input.fakeDataset),
        ];
        const pr = await runInThread('fidAndPrecisionRecall', { real, fake, k: input.k });
        const metrics = {
          embedding: input.embeddingId,
          fid: pr.fid,
          precision: pr.precision,
          recall: pr.recall,
          k: input.k,
          classHistogramDistance: classHistogramDistance(
            realManifest.classHistogram.map((n, c) =>
              !input.classes || input.classes.includes(c) ? n : 0,
            ),
            fakeManifest.classHistogram,
          ),
          classHistogram: fakeManifest.classHistogram,
        };
        const ref = await putJson(store, {
          format: 'clab.metrics/v1',
          ...metrics,
          real: input.real,
          fake: input.fake,
          ...(input.embedding ? { embeddingDigest: input.embedding } : {}),
        });
        return {
          outputs: { metrics: ref.digest },
          facts: {
            fid: metrics.fid,
            precision: metrics.precision,
            recall: metrics.recall,
            classHistogramDistance: metrics.classHistogramDistance,
          },
        };
      });
    },

    /**
     * One generation of many 1-D Gaussian chains (replace mode): fit by maximum likelihood, resample.
     * The state is a chains x n float64 .npy; without one, generation 0 is drawn from N(0, 1).
     */
    gaussianChainsGeneration(input: { state?: Sha256; chains: number; n: number } & Seeded) {
      return stage(async () => {
        const rng = Rng.stream(input.seed, input.stream);
        const current = input.state
          ? parseNpyMatrix(await store.get(input.state), `chain state ${input.state}`).data
          : initialChains(input.chains, input.n, Rng.stream(input.seed, 'chains/g=0'));
        const { next, variances } = chainGeneration(
          Float64Array.from(current),
          input.chains,
          input.n,
          rng,
        );
        const ref = await store.put(
          writeNpyMatrix({ rows: input.chains, cols: input.n, data: next }),
        );
        const meanVariance = variances.reduce((a, b) => a + b, 0) / input.chains;
        return { outputs: { state: ref.digest }, facts: { meanVariance } };
      });
    },

    /** A PNG grid: one row per class, `perClass` random samples of it (the paper's Figures 4-7). */
    sampleGrid(input: { dataset: Sha256; perClass: number } & Seeded) {
      return stage(async () => {
        const set = await loadImageSet(store, input.dataset);
        const rng = Rng.stream(input.seed, input.stream);
        const { width: w, height: h, channels } = set;
        const gap = 2;
        const gridW = input.perClass * (w + gap) + gap;
        // One row per class present (a study of a few classes gets no empty rows).
        const present = set.classes.map((_, c) => c).filter((c) => set.labels.includes(c));
        const gridH = present.length * (h + gap) + gap;
        const grid = Buffer.alloc(gridW * gridH * channels, 255);
        present.forEach((c, row) => {
          const ix = indicesOf(set.labels, c);
          const chosen = rng
            .sampleIndices(ix.length, Math.min(input.perClass, ix.length))
            .map((i) => ix[i]!);
          chosen.forEach((sample, col) => {
            for (let y = 0; y < h; y++) {
              const src = (sample * h * w + y * w) * channels;
              const dst = ((row * (h + gap) + gap + y) * gridW + col * (w + gap) + gap) * channels;
              grid.set(set.pixels.subarray(src, src + w * channels), dst);
            }
          });
        });
        let image = sharp(grid, {
          raw: { width: gridW, height: gridH, channels: channels as 1 | 3 | 4 },
        });
        if (channels === 1) image = image.toColourspace('b-w');
        const png = await image
          .resize(gridW * 2, gridH * 2, { kernel: 'nearest' })
          .png({ compressionLevel: 6, adaptiveFiltering: false })
          .toBuffer();
        const ref = await store.put(png);
        return { outputs: { grid: ref.digest }, facts: {} };
      });
    },
  };
}

export type StudyStageActivities = ReturnType<typeof createStudyStageActivities>;

/** Whether a class index is wanted; throws for an index the dataset does not have. */
function classFilter(set: ImageSet, classes: number[] | undefined): (c: number) => boolean {
  if (!classes) return () => true;
  const bad = classes.filter((c) => c >= set.classes.length);
  if (bad.length)
    throw new InputError(
      `${set.name} has ${set.classes.length} classes; class index ${bad.join(', ')} does not exist`,
    );
  const wanted = new Set(classes);
  return (c) => wanted.has(c);
}

function indicesOf(labels: Uint8Array, c: number): number[] {
  const out: number[] = [];
  labels.forEach((l, i) => l === c && out.push(i));
  return out;
}

/** Splits `total` in proportion to `weights` by largest remainders (ties to the lower index). */
export function apportion(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) throw new RangeError('Cannot apportion over empty weights');
  const exact = weights.map((w) => (w / sum) * total);
  const out = exact.map(Math.floor);
  const order = exact
    .map((e, i) => [e - Math.floor(e), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let r = total - out.reduce((a, b) => a + b, 0), j = 0; r > 0; r--, j++) out[order[j]![1]]!++;
  return out;
}

function selectImages(set: ImageSet, rows: number[], name: string): ImageSet {
  const size = set.width * set.height * set.channels;
  const pixels = new Uint8Array(rows.length * size);
  const labels = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    pixels.set(set.pixels.subarray(r * size, (r + 1) * size), i * size);
    labels[i] = set.labels[r]!;
  });
  return { ...set, name, count: rows.length, pixels, labels };
}

function toFeatures(set: ImageSet, rows: number[]): FeatureMatrix {
  const size = set.width * set.height * set.channels;
  const data = new Float64Array(rows.length * size);
  rows.forEach((r, i) => {
    for (let j = 0; j < size; j++) data[i * size + j] = set.pixels[r * size + j]! / 255;
  });
  return { rows: rows.length, cols: size, data };
}

function serializePca(p: PcaModel) {
  return {
    inputDim: p.inputDim,
    components: p.components,
    mean: Array.from(p.mean),
    basis: Array.from(p.basis),
    variances: Array.from(p.variances),
  };
}

function deserializePca(p: ReturnType<typeof serializePca>): PcaModel {
  return {
    inputDim: p.inputDim,
    components: p.components,
    mean: Float64Array.from(p.mean),
    basis: Float64Array.from(p.basis),
    variances: Float64Array.from(p.variances),
  };
}
