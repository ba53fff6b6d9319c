import type { Sha256 } from '../../lib/digest.ts';
import { InputError } from '../../lib/input-error.ts';
import { Rng } from '../../lib/rng.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { runStage } from '../as-stage.ts';
import { indicesOf, selectImages } from '../image-selection.ts';
import { loadImageSet, storeImageSet } from '../image-sets.ts';
import { codeOf, type Fingerprinted, type Seeded } from './stage-input.ts';

export type SplitSubsetInput = {
  /** The dataset to split (e.g. a class-balanced pool drawn by `realSubset`). */
  dataset: Sha256;
  /** Images of each class present in the dataset that go to the part; the rest go to `rest`. */
  perClass: number;
  /** The two output datasets' names. */
  name: string;
  restName: string;
} & Seeded &
  Fingerprinted;

export function createSplitSubsetActivities({ store }: { store: ArtifactStore }) {
  return {
    /**
     * Splits a dataset into two disjoint datasets: `dataset`, `perClass` images of every class the
     * input holds (a seeded draw per class), and `rest`, every other image. Both keep the input's
     * order. So the real sets of a study (R, a generator pool P, a control pool C) can be drawn
     * from one pool and never share an image. A class with fewer than `perClass` images fails.
     */
    splitSubset(input: SplitSubsetInput) {
      return runStage(async () => {
        const set = await loadImageSet(store, input.dataset);
        const rng = Rng.stream(input.seed, input.stream);
        const part: number[] = [];
        const taken = new Uint8Array(set.count);
        set.classes.forEach((className, c) => {
          const ix = indicesOf(set.labels, c);
          if (ix.length === 0) return;
          if (ix.length < input.perClass)
            throw new InputError(
              `${set.name}: class ${className} has ${ix.length} images, fewer than the ${input.perClass} to split off`,
            );
          for (const i of rng.sampleIndices(ix.length, input.perClass)) {
            part.push(ix[i]!);
            taken[ix[i]!] = 1;
          }
        });
        part.sort((a, b) => a - b);
        const rest = [...Array(set.count).keys()].filter((i) => !taken[i]);
        const params = { perClass: input.perClass, seed: input.seed, stream: input.stream };
        const first = await storeImageSet(
          store,
          selectImages(set, part, input.name),
          { kind: 'subset', parents: [input.dataset], params: { ...params, part: 'split' } },
          codeOf(input),
        );
        const second = await storeImageSet(
          store,
          selectImages(set, rest, input.restName),
          { kind: 'subset', parents: [input.dataset], params: { ...params, part: 'rest' } },
          codeOf(input),
        );
        return {
          outputs: { dataset: first.digest, rest: second.digest },
          facts: {
            count: first.manifest.count,
            classHistogram: first.manifest.classHistogram,
            restCount: second.manifest.count,
            restClassHistogram: second.manifest.classHistogram,
          },
        };
      });
    },
  };
}
