// A small workflow of the real StageRunner (workflows/stage-runner.ts) running two independent
// stages in a given order, for the replay gate's negative test: recorded.ts and swapped.ts export
// it under the same workflow type with the two stages in opposite orders, which is exactly the
// kind of harmless-looking edit that breaks every run started on the old code.
import type { Sha256 } from '../../../lib/digest.ts';
import type { StageOutput } from '../../../lib/studies/stage.ts';
import { StageRunner } from '../../../workflows/stage-runner.ts';

export interface TwoStagesInput {
  dataset: Sha256;
  cpuQueue: string;
  seed: number;
}

export type StageName = 'subset' | 'grid';

export function twoStagesInOrder(order: readonly [StageName, StageName]) {
  return async function twoStages(input: TwoStagesInput): Promise<Record<StageName, Sha256>> {
    const { dataset, cpuQueue, seed } = input;
    const runner = new StageRunner({ cpuQueue, gpuQueue: cpuQueue, force: [] });
    const stages: Record<StageName, () => Promise<StageOutput>> = {
      subset: () =>
        runner.stage(
          'subset',
          'cpu',
          'realSubset',
          { count: 6, name: 'subset', seed, stream: 'subset' },
          { dataset },
        ),
      grid: () =>
        runner.stage(
          'grid',
          'cpu',
          'sampleGrid',
          { perClass: 2, seed, stream: 'grid' },
          { dataset },
        ),
    };
    const out: Partial<Record<StageName, Sha256>> = {};
    for (const name of order) {
      const { outputs } = await stages[name]();
      out[name] = outputs.dataset ?? outputs.grid!;
    }
    return out as Record<StageName, Sha256>;
  };
}
