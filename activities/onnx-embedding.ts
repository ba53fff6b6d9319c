import type { ClabConfig } from '../lib/config.ts';
import type { Sha256 } from '../lib/digest.ts';
import { InputError } from '../lib/input-error.ts';
import type { FeatureMatrix } from '../lib/metrics/feature-matrix.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { getJson, putJson } from '../lib/storage/json-artifacts.ts';
import { failFastOnBadInput } from './activity-context.ts';
import type { ImageSet } from './image-sets.ts';
import { ort, withOnnxSession } from './onnx-session.ts';
import { asStage } from './as-stage.ts';

/** What an ONNX image model expects: its input tensor and how pixels are normalised. */
export interface OnnxInputSpec {
  name: string;
  width: number;
  height: number;
  channels: number;
  /** x = (pixel * scale - mean[c]) / std[c]. */
  scale: number;
  mean: number[];
  std: number[];
}

/** A stored embedding model (`clab.embedding/v1`, kind onnx): a model, its input and output. */
export interface OnnxEmbedding {
  format: 'clab.embedding/v1';
  kind: 'onnx';
  /** Named in every result, e.g. `fmnist-cnn-features@<onnx digest 12>`. */
  id: string;
  onnx: Sha256;
  input: OnnxInputSpec;
  output: string;
  /** The trained model's card, when a `train` stage made it. */
  model?: Sha256;
}

export interface EmbeddingDeps {
  store: ArtifactStore;
  inference: ClabConfig['inference'];
}

export function createOnnxEmbeddingActivities({ store }: EmbeddingDeps) {
  return {
    /**
     * Declares an ONNX image model as a metric embedding: either a model card from the classifier
     * trainer (its penultimate layer), or any ONNX model with an explicit input spec and output.
     */
    defineOnnxEmbedding(input: {
      name: string;
      model?: Sha256;
      onnx?: Sha256;
      input?: OnnxInputSpec;
      output?: string;
    }) {
      return failFastOnBadInput(() =>
        asStage(async () => {
          let embedding: OnnxEmbedding;
          if (input.model) {
            const card = await getJson<{
              onnx: Sha256;
              input: OnnxInputSpec;
              featureOutput: string;
            }>(store, input.model);
            if (!card.input || !card.featureOutput)
              throw new InputError(
                `Model ${input.model} declares no input spec and feature output; it cannot embed`,
              );
            embedding = embeddingRecord(input.name, card.onnx, card.input, card.featureOutput);
            embedding.model = input.model;
          } else if (input.onnx && input.input && input.output) {
            if (!(await store.has(input.onnx)))
              throw new InputError(`ONNX model ${input.onnx} is not in the store`);
            embedding = embeddingRecord(input.name, input.onnx, input.input, input.output);
          } else {
            throw new InputError(
              'defineOnnxEmbedding needs a model card, or an onnx digest with its input spec and output',
            );
          }
          const ref = await putJson(store, embedding);
          return { outputs: { embedding: ref.digest }, facts: { embeddingId: embedding.id } };
        }),
      );
    },
  };
}

function embeddingRecord(
  name: string,
  onnx: Sha256,
  input: OnnxInputSpec,
  output: string,
): OnnxEmbedding {
  if (input.mean.length !== input.channels || input.std.length !== input.channels)
    throw new InputError(
      `Embedding ${name}: mean and std need one value per channel (${input.channels})`,
    );
  return {
    format: 'clab.embedding/v1',
    kind: 'onnx',
    id: `${name}@${onnx.slice(0, 12)}`,
    onnx,
    input,
    output,
  };
}

/** Runs the embedding model over the chosen rows of an image set, in batches: a float32 matrix. */
export async function embedWithOnnx(
  store: ArtifactStore,
  inference: ClabConfig['inference'],
  embedding: OnnxEmbedding,
  set: ImageSet,
  rows: readonly number[],
  batchSize = 256,
): Promise<FeatureMatrix & { data: Float32Array }> {
  const spec = embedding.input;
  if (set.width !== spec.width || set.height !== spec.height || set.channels !== spec.channels)
    throw new InputError(
      `${set.name} holds ${set.width}x${set.height}x${set.channels} images; embedding ${embedding.id} takes ${spec.width}x${spec.height}x${spec.channels}`,
    );
  const size = spec.width * spec.height * spec.channels;
  const plane = spec.width * spec.height;
  let data: Float32Array | undefined;
  let cols = 0;
  await withOnnxSession(store, embedding.onnx, inference, async (session) => {
    for (let start = 0; start < rows.length; start += batchSize) {
      const batch = rows.slice(start, start + batchSize);
      const x = new Float32Array(batch.length * size);
      batch.forEach((row, b) => {
        // ImageSet pixels are HWC; the model takes NCHW.
        for (let p = 0; p < plane; p++)
          for (let c = 0; c < spec.channels; c++) {
            const v = set.pixels[row * size + p * spec.channels + c]! * spec.scale;
            x[b * size + c * plane + p] = (v - spec.mean[c]!) / spec.std[c]!;
          }
      });
      const out = await session.run({
        [spec.name]: new ort.Tensor('float32', x, [
          batch.length,
          spec.channels,
          spec.height,
          spec.width,
        ]),
      });
      const features = out[embedding.output];
      if (!features)
        throw new InputError(`Embedding ${embedding.id} has no output named ${embedding.output}`);
      cols = features.dims[1] ?? 0;
      data ??= new Float32Array(rows.length * cols);
      data.set(features.data as Float32Array, start * cols);
    }
  });
  return { rows: rows.length, cols, data: data ?? new Float32Array(0) };
}
