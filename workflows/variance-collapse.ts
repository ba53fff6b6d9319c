import { continueAsNew, executeChild, workflowInfo } from '@temporalio/workflow';
import type { Sha256 } from '../lib/digest.ts';
import { StageRunner } from './stage-runner.ts';
import { historyIsLong, storeTablePiece, type TableRef } from './table-pieces.ts';

export interface VarianceCollapseInput {
  chains: number;
  /** Samples per chain per generation: one loop (child workflow) for each n. */
  ns: number[];
  generations: number;
  seed: number;
  cpuQueue?: string;
  /** Passed to each loop: continue as new once the history holds this many events. */
  continueAsNewAfterEvents?: number;
}

/** One row of the check: the mean ML variance over the chains at generation g, for n samples. */
export interface VarianceRow {
  n: number;
  generation: number;
  meanVariance: number;
  /** The closed form ((n-1)/n)^g (var_0 = 1). */
  expected: number;
}

/**
 * The generational loop's theory check, run through the same stage engine as the studies: many
 * 1-D Gaussian chains in replace mode, one cached stage per generation, one loop per sample size
 * n. The mean ML variance at generation g should follow var_0 ((n-1)/n)^g with var_0 = 1. The
 * result is a stored table (see readStudyTable) of VarianceRow.
 */
export async function varianceCollapseCheck(input: VarianceCollapseInput): Promise<TableRef> {
  const cpuQueue = input.cpuQueue ?? 'cpu';
  const loops = await Promise.all(
    input.ns.map((n) =>
      executeChild(varianceCollapseLoop, {
        workflowId: `${workflowInfo().workflowId}/n=${n}`,
        taskQueue: cpuQueue,
        args: [{ ...input, cpuQueue, n }],
      }),
    ),
  );
  const runner = new StageRunner({ cpuQueue, gpuQueue: cpuQueue, force: [] });
  return storeTablePiece(runner, [], { parts: loops });
}

export interface VarianceCollapseLoopInput extends Omit<VarianceCollapseInput, 'ns'> {
  n: number;
  /** Where a continued run picks up. */
  resume?: { generation: number; state: Sha256 } & TableRef;
}

/** The chains for one n, generation after generation; continues as new when its history is long. */
export async function varianceCollapseLoop(input: VarianceCollapseLoopInput): Promise<TableRef> {
  const cpuQueue = input.cpuQueue ?? 'cpu';
  const runner = new StageRunner({ cpuQueue, gpuQueue: cpuQueue, force: [] });
  const earlier = input.resume;
  const rows: VarianceRow[] = [];
  let state = earlier?.state;
  for (let g = (earlier?.generation ?? 0) + 1; g <= input.generations; g++) {
    const out = await runner.stage(
      `n=${input.n}/g=${g}`,
      'cpu',
      'gaussianChainsGeneration',
      { chains: input.chains, n: input.n, seed: input.seed, stream: `chains/n=${input.n}/g=${g}` },
      state ? { state } : {},
    );
    state = out.outputs.state!;
    const expected = ((input.n - 1) / input.n) ** g;
    rows.push({
      n: input.n,
      generation: g,
      meanVariance: Number(out.facts.meanVariance),
      expected,
    });
    if (g < input.generations && historyIsLong(input.continueAsNewAfterEvents)) {
      const done = await storeTablePiece(runner, rows, earlier ? { earlier } : {});
      await continueAsNew<typeof varianceCollapseLoop>({
        ...input,
        resume: { generation: g, state, ...done },
      });
    }
  }
  return storeTablePiece(runner, rows, earlier ? { earlier } : {});
}
