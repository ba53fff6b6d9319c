import type { Sha256 } from '../../lib/digest.ts';
import { chainGeneration, initialChains } from '../../lib/models/gaussian-chains.ts';
import { parseNpyMatrix, writeNpyMatrix } from '../../lib/npy.ts';
import { Rng } from '../../lib/rng.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { runStage } from '../as-stage.ts';
import type { Fingerprinted, Seeded } from './stage-input.ts';

export function createGaussianChainsActivities({ store }: { store: ArtifactStore }) {
  return {
    /**
     * One generation of many 1-D Gaussian chains (replace mode): fit by maximum likelihood, resample.
     * The state is a chains x n float64 .npy; without one, generation 0 is drawn from N(0, 1).
     */
    gaussianChainsGeneration(
      input: { state?: Sha256; chains: number; n: number } & Seeded & Fingerprinted,
    ) {
      return runStage(async () => {
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
  };
}
