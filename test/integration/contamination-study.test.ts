// The contamination study (Hataya et al., ICCV 2023) through the real Temporal server and MinIO,
// at a tiny scale: disjoint real sets, the exact per-class composition of a mix, a classifier per
// mix trained by the PyTorch trainer and measured with onnxruntime-node, the table over seeds, and
// a rerun that computes nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadImageSet } from '../../activities/image-sets.ts';
import {
  loadContaminationTable,
  printContaminationTable,
  type ContaminationTable,
} from '../../cli/contamination-table.ts';
import type { ContaminationRow } from '../../lib/studies/contamination-result.ts';
import { writeContaminationReport } from '../../cli/contamination-report.ts';
import { studyKindOf } from '../../cli/studies/index.ts';
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
import { isolatedConfig, s3StoreOf, studyInput, testClient } from '../helpers/stack.ts';
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
    testSubset: 200,
  },
  controls: [
    { name: 'C', kind: 'disjoint' },
    { name: 'C-web', kind: 'disjoint', transform: 'web-like' },
  ],
  generator: { kind: 'gmm', latentDim: 4, components: 1, iterations: 3 },
  mixes: { fractions: [0, 0.5], subsample: [0.5], append: [0.5], sizeControlSources: ['S'] },
  classifier: { epochs: 1, batchSize: 16, featureDim: 8 },
  generatorMetrics: {
    embedding: { kind: 'pca', components: 4, fitSamples: 100 },
    samples: 60,
    k: 3,
    temperatures: [0.5, 1],
  },
  evaluation: {
    shifts: [{ shift: 'blur', severity: 3 }],
    hardSubset: { references: 2, perClass: PER_CLASS },
  },
});

const SOURCES = ['S', 'C', 'C-web'];

let counter = 0;
async function run(config: ClabConfig, s: ContaminationSpec) {
  const client = await testClient();
  const workflowId = `contamination-test-${Date.now()}-${counter++}`;
  const result = await withWorkers(config, () =>
    client.workflow.execute(contaminationStudy, {
      taskQueue: config.queues.cpu,
      workflowId,
      args: [studyInput(config, s)],
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
    const { real, pool } = table.datasets;
    const control = table.controls.find((c) => c.name === 'C')!.dataset;
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
    const mixes = table.rows.filter((r) => r.kind === 'replace' && r.fraction === 0.5);
    expect(mixes).toHaveLength(6); // 2 seeds x 3 sources
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
        row.source === 'S'
          ? table.datasets.synthetic
          : table.controls.find((c) => c.name === row.source)!.dataset,
      ]);
    }
  });

  it('finishes with a table: every seed, kind, source and fraction, accuracies in [0, 1], one step count', async () => {
    const key = (r: ContaminationRow) => `${r.seed}/${r.kind}/${r.source}/${r.fraction}`;
    const expected = [1, 2].flatMap((seed) => [
      ...SOURCES.flatMap((source) => [0, 0.5].map((f) => `${seed}/replace/${source}/${f}`)),
      `${seed}/subsample/R/0.5`,
      `${seed}/fill/S/0.5`,
      `${seed}/append/S/0.5`,
    ]);
    expect(table.rows.map(key).sort()).toEqual(expected.sort());
    for (const row of table.rows) {
      expect(row.accuracy).toBeGreaterThanOrEqual(0);
      expect(row.accuracy).toBeLessThanOrEqual(1);
      expect(Object.keys(row.shifted)).toEqual(['blur-3', 'hard']);
      expect(row.perClassAccuracy).toHaveLength(10);
    }
    // every training set, small (T7), equal (T1) or large (T8), trains for the same steps
    expect(new Set(table.rows.map((r) => r.steps)).size).toBe(1);
    // r = 0 is R itself: one model per seed for every source
    const r0 = table.rows.filter((r) => r.kind === 'replace' && r.fraction === 0);
    expect(new Set(r0.map((r) => r.model)).size).toBe(2);
    expect(r0.every((r) => r.mix === table.datasets.real)).toBe(true);
    // T7 and T8 compositions: p = 0.5 keeps 3 of 6 per class; fill tops up to 6; append adds 3
    const bySeed1 = (kind: string) => table.rows.find((r) => r.seed === 1 && r.kind === kind)!;
    expect([bySeed1('subsample').fromReal, bySeed1('subsample').fromOther]).toEqual([30, 0]);
    expect([bySeed1('fill').fromReal, bySeed1('fill').fromOther]).toEqual([30, 30]);
    expect([bySeed1('append').fromReal, bySeed1('append').fromOther]).toEqual([60, 30]);
    // the subsample alone is exactly the real part of the filled set
    const store = s3StoreOf(config);
    const alone = await loadImageSet(store, bySeed1('subsample').mix);
    expect(alone.count).toBe(30);
    // the stored report of the test set agrees with the row
    const report = await getJson<{ accuracy: number; confusion: number[][]; count: number }>(
      store,
      table.rows[0]!.report,
    );
    expect(report.count).toBe(200);
    expect(report.accuracy).toBe(table.rows[0]!.accuracy);
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(200);
    expect(table.temperature).toBe(1);
    // `clab plan` / the progress bars count the stages the workflows really run
    const planned = studyKindOf(spec).workflows(spec, workflowId);
    expect(table.stages).toHaveLength(planned.reduce((n, w) => n + w.stages, 0));
  });

  it('T3: a generator per replace mix, with FID / precision / recall in the PCA embedding', () => {
    const replace = table.rows.filter((r) => r.kind === 'replace');
    for (const row of replace) {
      expect(row.generator!.embedding).toMatch(/^pca4@/);
      expect(row.generator!.fid).toBeGreaterThan(0);
      expect(row.generator!.precision).toBeGreaterThanOrEqual(0);
      expect(row.generator!.recall).toBeLessThanOrEqual(1);
    }
    expect(table.rows.filter((r) => r.kind !== 'replace').every((r) => !r.generator)).toBe(true);
    // T4/T5: R-train and S at two temperatures; a lower temperature cannot be more diverse here
    expect(table.diversity.map((d) => d.set)).toEqual(['R-train', 'S@0.5', 'S@1']);
    // every metric names the artifact it was read from
    const digests = [
      ...table.diversity.map((d) => d.report),
      ...replace.map((r) => r.generator!.report),
    ];
    for (const d of digests) expect(d).toMatch(/^[0-9a-f]{64}$/);
    expect(table.metricEmbedding).toMatch(/^pca4@/);
  });

  it('the hard subset holds exactly the test images both reference classifiers get wrong', async () => {
    const store = s3StoreOf(config);
    const hard = table.hardSubset!;
    expect(hard.references).toHaveLength(2);
    const test = await loadImageSet(store, table.datasets.test);
    const subset = await loadImageSet(store, hard.dataset);
    expect(subset.count).toBe(hard.count);
    const predictions = await Promise.all(
      hard.reports.map(async (d) => (await getJson<{ predicted: number[] }>(store, d)).predicted),
    );
    const wrong = [...test.labels].flatMap((label, i) =>
      predictions.every((p) => p[i] !== label) ? [i] : [],
    );
    expect(hard.count).toBe(wrong.length);
    expect([...subset.labels]).toEqual(wrong.map((i) => test.labels[i]));
    expect(hard.count).toBeGreaterThan(0);
    expect(hard.count).toBeLessThan(test.count);
    expect(table.shiftedTests.hard).toBe(hard.dataset);
  });

  it('the web-like control is a transformed copy of a disjoint pool: same labels, other pixels', async () => {
    const store = s3StoreOf(config);
    const web = await loadImageSet(store, table.controls.find((c) => c.name === 'C-web')!.dataset);
    const clean = await loadImageSet(store, table.controls.find((c) => c.name === 'C')!.dataset);
    expect(web.count).toBe(10 * PER_CLASS);
    expect(clean.count).toBe(10 * PER_CLASS);
    expect(Object.keys(table.grids).sort()).toEqual(
      ['C', 'C-web', 'R', 'S', 'test', 'test blur-3', 'test hard'].sort(),
    );
  });

  it('writes a report: markdown, CSV and an HTML table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clab-contamination-report-'));
    try {
      const html = await writeContaminationReport(table, s3StoreOf(config), dir, workflowId);
      expect(readFileSync(html, 'utf8')).toContain('R/S-50%');
      expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('R/C-web-50%');
      // a header and one line per row
      expect(readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n')).toHaveLength(
        table.rows.length + 1,
      );
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
