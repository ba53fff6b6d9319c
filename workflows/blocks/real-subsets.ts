import type { Sha256 } from '../../lib/digest.ts';
import type { StageOutput } from '../../lib/studies/stage.ts';
import type { StageRunner } from '../stage-runner.ts';

export interface RealSubsetParams {
  /** Images to draw (class-balanced). */
  count: number;
  /** The subset's dataset name, e.g. `D0`. */
  name: string;
  seed: number;
  stream: string;
  /** Only these classes. */
  classes?: number[];
}

/** A seeded, class-balanced subset of a real dataset (stage `realSubset`, cpu). */
export function realSubset(
  runner: StageRunner,
  label: string,
  { count, name, seed, stream, classes }: RealSubsetParams,
  dataset: Sha256,
): Promise<StageOutput> {
  return runner.stage(
    label,
    'cpu',
    'realSubset',
    { count, name, seed, stream, ...(classes ? { classes } : {}) },
    { dataset },
  );
}
