import { DEFAULT_INFERENCE, type ClabConfig } from '../../lib/config.ts';
import type { Sha256 } from '../../lib/digest.ts';
import { InputError } from '../../lib/input-error.ts';
import { argmaxRows, classificationReport } from '../../lib/metrics/class-metrics.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { getJson, putJson } from '../../lib/storage/json-artifacts.ts';
import { runStage } from '../as-stage.ts';
import { loadImageSet } from '../image-sets.ts';
import { embedWithOnnx, type OnnxEmbedding, type OnnxInputSpec } from '../onnx-embedding.ts';
import { codeOf, type Fingerprinted } from './stage-input.ts';

export type ClassifyInput = {
  /** A classifier's model card (`clab.model/v1` from the `train` stage, trainer `classifier`). */
  model: Sha256;
  /** The labelled dataset to classify (e.g. the real test split or a shifted copy). */
  dataset: Sha256;
} & Fingerprinted;

/** What the stage stores: the report, and what it was computed from. */
export const CLASSIFICATION_FORMAT = 'clab.classification/v1';

/** The part of a classifier's model card the stage reads. */
interface ClassifierCard {
  trainer?: string;
  onnx: Sha256;
  classes: string[];
  input: OnnxInputSpec;
  outputs?: Record<string, string>;
}

export function createClassifyActivities({
  store,
  inference = DEFAULT_INFERENCE,
}: {
  store: ArtifactStore;
  inference?: ClabConfig['inference'];
}) {
  return {
    /**
     * Runs a trained classifier's ONNX model (its `logits` output, onnxruntime-node) over every
     * image of a labelled dataset: accuracy, per-class accuracy, the confusion matrix and every
     * image's predicted class, stored as a `clab.classification/v1` JSON artifact (output
     * `report`). The dataset's classes must be the model's, in the same order.
     */
    classify(input: ClassifyInput) {
      return runStage(async () => {
        const card = await getJson<ClassifierCard>(store, input.model);
        if (!card.input || !card.onnx || !card.outputs?.logits)
          throw new InputError(
            `Model ${input.model} declares no input spec and \`logits\` output; it cannot classify`,
          );
        const set = await loadImageSet(store, input.dataset);
        if (set.classes.join('\n') !== card.classes.join('\n'))
          throw new InputError(
            `${set.name}'s classes (${set.classes.join(', ')}) are not the model's (${card.classes.join(', ')})`,
          );
        const logits: OnnxEmbedding = {
          format: 'clab.embedding/v1',
          kind: 'onnx',
          id: `classifier@${card.onnx.slice(0, 12)}`,
          onnx: card.onnx,
          input: card.input,
          output: 'logits',
        };
        const rows = [...Array(set.count).keys()];
        const scores = await embedWithOnnx(store, inference, logits, set, rows);
        if (scores.rows && scores.cols !== card.classes.length)
          throw new InputError(
            `Model ${input.model} gives ${scores.cols} logits for ${card.classes.length} classes`,
          );
        const predicted = argmaxRows(scores.data, scores.rows, scores.cols);
        const report = classificationReport(set.labels, predicted, card.classes.length);
        const stored = await putJson(store, {
          format: CLASSIFICATION_FORMAT,
          model: input.model,
          dataset: input.dataset,
          classes: card.classes,
          ...report,
          // the argmax class of every image, in the dataset's order (e.g. for hard test subsets)
          predicted: Array.from(predicted),
          codeVersion: codeOf(input),
        });
        return {
          outputs: { report: stored.digest },
          facts: {
            count: report.count,
            accuracy: report.accuracy,
            // integers (facts hold no nulls): accuracy of class c = correct[c] / count[c]
            perClassCount: report.confusion.map((row) => row.reduce((a, b) => a + b, 0)),
            perClassCorrect: report.confusion.map((row, c) => row[c]!),
          },
        };
      });
    },
  };
}
