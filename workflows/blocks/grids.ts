import type { Sha256 } from '../../lib/digest.ts';
import type { StageRunner } from '../stage-runner.ts';

/** A PNG grid of `perClass` images of each class of a dataset, for reports (stage `sampleGrid`). */
export async function sampleGrid(
  runner: StageRunner,
  label: string,
  params: { perClass: number; seed: number; stream: string },
  dataset: Sha256,
): Promise<Sha256> {
  const { perClass, seed, stream } = params;
  const grid = await runner.stage(
    label,
    'cpu',
    'sampleGrid',
    { perClass, seed, stream },
    { dataset },
  );
  return grid.outputs.grid!;
}
