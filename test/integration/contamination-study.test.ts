// The contamination study (Hataya et al., ICCV 2023) through the real Temporal server and MinIO,
// at a tiny scale: disjoint real sets, the exact per-class composition of a mix, a classifier per
// mix trained by the PyTorch trainer and measured with onnxruntime-node, the table over seeds, and
// a rerun that computes nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadImageSet } from '../../activities/image-sets.ts';
import {
  loadContaminationTable,
  printContaminationTable,
  summarize,
  type ContaminationTable,
} from '../../cli/contamination-table.ts';
import { writeContaminationReport } from '../../cli/contamination-report.ts';
import type { ClabConfig } from '../../lib/config.ts';
import type { MixManifestSource } from '../../lib/datasets/replace-mix.ts';
import type { DatasetManifest } from '../../lib/datasets/manifest.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import {
  contaminationSpecSchema,
  type ContaminationSpec,
} from '../../lib/studies/specs/contamination.ts';
import { contaminationStudy } from '../../workflows/studies/contamination.ts';
import { historyFigures } from '../helpers/history-figures.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { isolatedConfig, s3StoreOf, testClient } from '../helpers/stack.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PER_CLASS = 6;

const spec: ContaminationSpec = contaminationSpecSchema.parse({
  study: 'contamination',
  name: 'test-contamination',
  seed: 7,
  seeds: [1, 2],
  dataset: {
    name: 'fashion-mnist',
    perClass: PER_CLASS,
    generatorPoolPerClass: 20,
    controlPerClass: PER_CLASS,
    testSubset: 200,
  },
  generator: { kind: 'gmm', latentDim: 4, components: 1, iterations: 3 },
  mixes: { fractions: [0, 0.5] },
  classifier: { epochs: 1, batchSize: 16, featureDim: 8 },
  evaluation: { shifts: [{ shift: 'blur', severity: 3 }] },
});

let counter = 0;
async function run(config: ClabConfig, s: ContaminationSpec) {
  const client = await testClient();
  const workflowId = `contamination-test-${Date.now()}-${counter++}`;
  const result = await withWorkers(config, () =>
    client.workflow.execute(contaminationStudy, {
      taskQueue: config.queues.cpu,
      workflowId,
      args: [
        {
          spec: s,
          cpuQueue: config.queues.cpu,
          gpuQueue: config.queues.gpu,
          store: s3StoreOf(config).location,
        },
      ],
    }),
  );
  return {
    table: await loadContaminationTable(s3StoreOf(config), result),
    workflowId,
    client,
  };
}

describe('contamination study', () => {
  const { config } = isolatedConfig('contamination');
  let table: ContaminationTable;
  let workflowId: string;

  beforeAll(async () => {
    const t0 = Date.now();
    const first = await run(config, spec);
    table = first.table;
    workflowId = first.workflowId;
    const figures = await historyFigures(first.client, workflowId);
    console.log(
      `contamination study: ${((Date.now() - t0) / 1000).toFixed(0)} s, ${figures.runs} workflow runs, largest payload ${figures.largest.bytes} bytes (${figures.largest.where})`,
    );
    expect(figures.largest.bytes).toBeLessThan(64 * 1024);
    printContaminationTable(table);
  }, 300_000);

  it('R, the generator pool P and the control C are disjoint, class-balanced real sets', async () => {
    const store = s3StoreOf(config);
    const { real, pool, control } = table.datasets;
    const sets = await Promise.all([real, pool, control].map((d) => loadImageSet(store, d)));
    expect(sets.map((s) => s.count)).toEqual([10 * PER_CLASS, 10 * 20, 10 * PER_CLASS]);
    for (const d of [real, pool, control]) {
      const manifest = await getJson<DatasetManifest>(store, d);
      expect(new Set(manifest.classHistogram).size).toBe(1);
    }
    // no image (by its pixels) is in two of them
    const size = 28 * 28;
    const keys = sets.map(
      (s) =>
        new Set(
          Array.from({ length: s.count }, (_, i) =>
            Buffer.from(s.pixels.subarray(i * size, (i + 1) * size)).toString('base64'),
          ),
        ),
    );
    for (const [a, b] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const)
      for (const k of keys[a]!) expect(keys[b]!.has(k)).toBe(false);
  });

  it('a mix replaces exactly r of each class of R, and its manifest records that composition', async () => {
    const store = s3StoreOf(config);
    const mixes = table.rows.filter((r) => r.fraction === 0.5);
    expect(mixes).toHaveLength(4); // 2 seeds x 2 sources
    for (const row of mixes) {
      expect([row.fromReal, row.fromOther]).toEqual([5 * PER_CLASS, 5 * PER_CLASS]);
      const manifest = await getJson<DatasetManifest & { source: MixManifestSource }>(
        store,
        row.mix,
      );
      expect(manifest.count).toBe(10 * PER_CLASS);
      expect(manifest.classHistogram).toEqual(new Array(10).fill(PER_CLASS));
      expect(manifest.source.composition.real).toEqual(new Array(10).fill(PER_CLASS / 2));
      expect(manifest.source.composition.other).toEqual(new Array(10).fill(PER_CLASS / 2));
      expect(manifest.source.parents).toEqual([
        table.datasets.real,
        row.source === 'S' ? table.datasets.synthetic : table.datasets.control,
      ]);
    }
  });

  it('finishes with a table: every seed, source and fraction, accuracies in [0, 1], one step count', async () => {
    expect(table.rows.map((r) => [r.source, r.fraction, r.seed])).toEqual([
      ['S', 0, 1],
      ['S', 0, 2],
      ['S', 0.5, 1],
      ['S', 0.5, 2],
      ['C', 0, 1],
      ['C', 0, 2],
      ['C', 0.5, 1],
      ['C', 0.5, 2],
    ]);
    for (const row of table.rows) {
      expect(row.accuracy).toBeGreaterThanOrEqual(0);
      expect(row.accuracy).toBeLessThanOrEqual(1);
      expect(Object.keys(row.shifted)).toEqual(['blur-3']);
      expect(row.perClassAccuracy).toHaveLength(10);
    }
    expect(new Set(table.rows.map((r) => r.steps)).size).toBe(1);
    // r = 0 is R itself: one model per seed for both sources
    const r0 = table.rows.filter((r) => r.fraction === 0);
    expect(new Set(r0.map((r) => r.model)).size).toBe(2);
    expect(r0.every((r) => r.mix === table.datasets.real)).toBe(true);
    // the stored report of the test set agrees with the row
    const report = await getJson<{ accuracy: number; confusion: number[][]; count: number }>(
      s3StoreOf(config),
      table.rows[0]!.report,
    );
    expect(report.count).toBe(200);
    expect(report.accuracy).toBe(table.rows[0]!.accuracy);
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(200);
    const summary = summarize(table);
    expect(summary.map((s) => [s.source, s.fraction, s.accuracy.n])).toEqual([
      ['S', 0, 2],
      ['S', 0.5, 2],
      ['C', 0, 2],
      ['C', 0.5, 2],
    ]);
    expect(table.temperature).toBe(1);
  });

  it('writes a report: markdown, CSV and an HTML table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clab-contamination-report-'));
    try {
      const html = await writeContaminationReport(table, s3StoreOf(config), dir, workflowId);
      expect(readFileSync(html, 'utf8')).toContain('<td>R/S-50%</td>');
      expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('| R/C-50% | C | 0.5 |');
      expect(readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n')).toHaveLength(9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a rerun computes nothing and gives the same table', async () => {
    const again = await run(config, spec);
    expect(again.table.stages.filter((s) => !s.cacheHit).map((s) => s.label)).toEqual([]);
    expect(again.table.rows).toEqual(table.rows);
  }, 180_000);
});
