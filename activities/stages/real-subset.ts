import { apportion } from '../../lib/datasets/apportion.ts';
import type { Sha256 } from '../../lib/digest.ts';
import { Rng } from '../../lib/rng.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { runStage } from '../as-stage.ts';
import { classFilter, indicesOf, selectImages } from '../image-selection.ts';
import { loadImageSet, storeImageSet } from '../image-sets.ts';
import { codeOf, type Fingerprinted, type Seeded } from './stage-input.ts';

export function createRealSubsetActivities({ store }: { store: ArtifactStore }) {
  return {
    /**
     * A class-balanced random subset of `count` images (largest-remainder per-class quotas), of
     * the given classes only if `classes` names some.
     */
    realSubset(
      input: { dataset: Sha256; count: number; name: string; classes?: number[] } & Seeded &
        Fingerprinted,
    ) {
      return runStage(async () => {
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
          codeOf(input),
        );
        return {
          outputs: { dataset: digest },
          facts: { count: manifest.count, classHistogram: manifest.classHistogram },
        };
      });
    },
  };
}
