// Theory check through Temporal: ML Gaussians refitted on their own samples (replace mode), one
// cached stage per generation, against the closed form E[var_g] = var_0 ((n-1)/n)^g. And the scale
// test of bounded state: many loops of many generations that continue as new, with every payload
// small and the same table as loops that never continue as new.
import { describe, expect, it } from 'vitest';
import type { ClabConfig } from '../../lib/config.ts';
import { readStudyTable, type StudyTablePiece } from '../../lib/studies/study-table.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import {
  varianceCollapseCheck,
  type VarianceCollapseInput,
  type VarianceRow,
} from '../../workflows/variance-collapse.ts';
import { historyFigures } from '../helpers/history-figures.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { isolatedConfig, s3StoreOf, testClient } from '../helpers/stack.ts';

let counter = 0;
async function check(config: ClabConfig, input: Omit<VarianceCollapseInput, 'cpuQueue'>) {
  const client = await testClient();
  const workflowId = `variance-collapse-${Date.now()}-${counter++}`;
  const started = performance.now();
  const ref = await withWorkers(config, () =>
    client.workflow.execute(varianceCollapseCheck, {
      taskQueue: config.queues.cpu,
      workflowId,
      args: [{ ...input, cpuQueue: config.queues.cpu }],
    }),
  );
  const store = s3StoreOf(config);
  const table = await readStudyTable<VarianceRow>(ref.table, (d) =>
    getJson<StudyTablePiece<VarianceRow>>(store, d),
  );
  return { ref, table, workflowId, seconds: (performance.now() - started) / 1000 };
}

describe('variance collapse through the stage engine', () => {
  it('follows E[var_g] = ((n-1)/n)^g within 4 standard errors', async () => {
    // Each generation multiplies a chain's ML variance by f ~ chi2(n-1)/n, independent across
    // generations: E f = (n-1)/n, E f^2 = ((n-1)/n)^2 + 2(n-1)/n^2, so the mean over C chains of
    // var_g has standard error sqrt((E f^2)^g - (E f)^(2g)) / sqrt(C).
    const n = 20;
    const chains = 4000;
    const generations = 6;
    const { table } = await check(isolatedConfig('variance-collapse').config, {
      chains,
      ns: [n],
      generations,
      seed: 5,
    });
    const ef = (n - 1) / n;
    const ef2 = ef * ef + (2 * (n - 1)) / (n * n);
    expect(table.rows.map((r) => r.generation)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const row of table.rows) {
      const g = row.generation;
      const se = Math.sqrt(ef2 ** g - ef ** (2 * g)) / Math.sqrt(chains);
      expect(row.expected).toBeCloseTo(ef ** g, 12);
      expect(
        Math.abs(row.meanVariance - ef ** g),
        `generation ${g}: ${row.meanVariance} vs ${ef ** g} (SE ${se})`,
      ).toBeLessThan(4 * se);
    }
    expect(table.stages.map((s) => s.label)).toEqual(
      [1, 2, 3, 4, 5, 6].map((g) => `n=${n}/g=${g}`),
    );
  }, 300_000);

  // CLAB_SCALE_FULL=1 runs the size: 10 loops x 100 generations.
  const full = process.env.CLAB_SCALE_FULL === '1';
  const loops = full ? 10 : 3;
  const generations = full ? 100 : 12;
  it(`scale: ${loops} loops x ${generations} generations continue as new with small payloads and the same table`, async () => {
    const input = {
      chains: 50,
      ns: Array.from({ length: loops }, (_, i) => 5 + 5 * i),
      generations,
      seed: 9,
    };
    // Continue as new after every few generations (each is about 20 events).
    const bounded = await check(isolatedConfig('scale-bounded').config, {
      ...input,
      continueAsNewAfterEvents: 60,
    });
    const unbounded = await check(isolatedConfig('scale-unbounded').config, {
      ...input,
      continueAsNewAfterEvents: 1_000_000,
    });
    const client = await testClient();
    const [b, u] = [
      await historyFigures(client, bounded.workflowId),
      await historyFigures(client, unbounded.workflowId),
    ];
    console.info(
      `[scale] ${loops} loops x ${generations} generations: continuing as new: ${b.runs} runs, ${b.events} events (at most ${b.maxEventsPerRun} in a run), largest payload ${b.largest.bytes} bytes, ${bounded.seconds.toFixed(1)} s; ` +
        `one run per loop: ${u.runs} runs, at most ${u.maxEventsPerRun} events in a run, largest payload ${u.largest.bytes} bytes, ${unbounded.seconds.toFixed(1)} s`,
    );
    expect(b.runs).toBeGreaterThan(u.runs);
    expect(b.largest.bytes).toBeLessThan(64 * 1024);
    expect(u.largest.bytes).toBeLessThan(64 * 1024);
    expect(bounded.table.rows).toHaveLength(loops * generations);
    const sorted = (rows: VarianceRow[]) =>
      [...rows].sort((x, y) => x.n - y.n || x.generation - y.generation);
    expect(sorted(bounded.table.rows)).toEqual(sorted(unbounded.table.rows));
    const outputs = (t: typeof bounded.table) =>
      Object.fromEntries(t.stages.map((s) => [s.label, s.outputs]));
    expect(outputs(bounded.table)).toEqual(outputs(unbounded.table));
  }, 1_800_000);
});
