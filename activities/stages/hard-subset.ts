import { hardRows, majorityOf } from '../../lib/datasets/hard-subset.ts';
import type { Sha256 } from '../../lib/digest.ts';
import { InputError } from '../../lib/input-error.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import { runStage } from '../as-stage.ts';
import { selectImages } from '../image-selection.ts';
import { loadImageSet, storeImageSet } from '../image-sets.ts';
import { codeOf, type Fingerprinted } from './stage-input.ts';

export type HardSubsetInput = {
  /** The labelled test set's manifest digest. */
  dataset: Sha256;
  /** Images misclassified by at least this many of the k reports; default a strict majority. */
  minWrong?: number;
  /** The output dataset's name; default `<input name>/hard-<minWrong>of<k>`. */
  name?: string;
} & {
  /** The k reference classifiers' `clab.classification/v1` reports on `dataset`: report0, report1, ... */
  [report: `report${number}`]: Sha256;
} & Fingerprinted;

/** The part of a `classify` stage's report (`clab.classification/v1`) this stage reads. */
interface ClassificationReport {
  format: string;
  dataset: Sha256;
  classes: string[];
  predicted?: number[];
}

export function createHardSubsetActivities({ store }: { store: ArtifactStore }) {
  return {
    /**
     * The hard subset of a test set: the images that at least `minWrong` of k reference
     * classifiers get wrong (by their classify reports' per-image predictions), in test order,
     * labels and pixels kept. Every report must have been computed on `dataset`.
     */
    hardSubset(input: HardSubsetInput) {
      return runStage(async () => {
        const names = reportInputs(input);
        const k = names.length;
        const minWrong = input.minWrong ?? majorityOf(k);
        if (!Number.isInteger(minWrong) || minWrong < 1 || minWrong > k)
          throw new InputError(
            `hardSubset: minWrong must be a whole number from 1 to ${k} (the reports given), got \`${minWrong}\``,
          );
        const set = await loadImageSet(store, input.dataset);
        const predictions: number[][] = [];
        for (const name of names) {
          const digest = input[name]!;
          const report = await getJson<ClassificationReport>(store, digest);
          const what = `Input ${name} (${digest})`;
          if (report?.format !== 'clab.classification/v1')
            throw new InputError(`${what} is not a clab.classification/v1 report`);
          if (report.dataset !== input.dataset)
            throw new InputError(
              `${what} classified dataset ${report.dataset}, not the test set ${input.dataset}`,
            );
          if (report.classes.join('\n') !== set.classes.join('\n'))
            throw new InputError(`${what} has classes other than ${set.name}'s`);
          if (!Array.isArray(report.predicted) || report.predicted.length !== set.count)
            throw new InputError(
              `${what} holds no per-image predictions for the ${set.count} images of ${set.name}; recompute it with the current classify stage`,
            );
          predictions.push(report.predicted);
        }
        const rows = hardRows(set.labels, predictions, minWrong);
        if (rows.length === 0)
          throw new InputError(
            `${set.name}: no test image is misclassified by at least ${minWrong} of the ${k} reference classifiers; the hard subset would be empty`,
          );
        const { digest, manifest } = await storeImageSet(
          store,
          selectImages(set, rows, input.name ?? `${set.name}/hard-${minWrong}of${k}`),
          {
            kind: 'hard-subset',
            parents: [input.dataset, ...names.map((name) => input[name]!)],
            params: { minWrong, classifiers: k },
          },
          codeOf(input),
        );
        return {
          outputs: { dataset: digest },
          facts: { count: manifest.count, perClassCount: manifest.classHistogram },
        };
      });
    },
  };
}

/** The report inputs' names, report0 to report(k-1), in order; a gap or none at all fails. */
function reportInputs(input: HardSubsetInput): `report${number}`[] {
  const k = Object.keys(input).filter((key) => /^report\d+$/.test(key)).length;
  const names = Array.from({ length: k }, (_, j) => `report${j}` as const);
  if (k === 0 || names.some((name) => typeof input[name] !== 'string'))
    throw new InputError(
      `hardSubset takes the reports as inputs report0, report1, ... without gaps; got ${
        Object.keys(input)
          .filter((key) => key.startsWith('report'))
          .join(', ') || 'none'
      }`,
    );
  return names;
}
