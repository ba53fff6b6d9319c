import type { Sha256 } from '../lib/digest.ts';
import type { StageEntry } from '../lib/studies/stage.ts';
import { StageRunner } from './stage-runner.ts';

export interface VarianceCollapseInput {
  chains: number;
  /** Samples per chain per generation. */
  n: number;
  generations: number;
  seed: number;
  cpuQueue?: string;
}

/**
 * The generational loop's theory check, run through the same stage engine as the studies: many
 * 1-D Gaussian chains in replace mode, one cached stage per generation. The mean ML variance at
 * generation g should follow var_0 ((n-1)/n)^g with var_0 = 1.
 */
export async function varianceCollapseCheck(
  input: VarianceCollapseInput,
): Promise<{ meanVariance: number[]; stages: StageEntry[] }> {
  const cpuQueue = input.cpuQueue ?? 'cpu';
  const runner = new StageRunner({ cpuQueue, gpuQueue: cpuQueue, force: [] });
  const meanVariance: number[] = [];
  let state: Sha256 | undefined;
  for (let g = 1; g <= input.generations; g++) {
    const out = await runner.stage(
      `g=${g}`,
      'cpu',
      'gaussianChainsGeneration',
      { chains: input.chains, n: input.n, seed: input.seed, stream: `chains/g=${g}` },
      state ? { state } : {},
    );
    state = out.outputs.state!;
    meanVariance.push(Number(out.facts.meanVariance));
  }
  return { meanVariance, stages: runner.entries };
}
