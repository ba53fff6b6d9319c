// The detection study (Hataya et al. 2023, section 6.1) through the real Temporal server and MinIO,
// at a tiny scale, on sets made by code from real Fashion-MNIST test images: a "generated" set that
// is real images plus a periodic pattern at one frequency must show in that frequency's radius bin
// only and be detected from pixels and from the log spectrum; a control whose "generated" set is
// other unchanged real images must show no significant bin and no detector better than chance.
// A forced recompute gives byte-identical artifacts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { storeImageSet, type ImageSet } from '../../activities/image-sets.ts';
import { writeDetectionReport } from '../../cli/detection-report.ts';
import {
  loadDetectionTable,
  printDetectionTable,
  summarizeDetectors,
  type DetectionTable,
} from '../../cli/detection-table.ts';
import { plannedDetectionStages } from '../../cli/studies/detection.ts';
import type { ClabConfig } from '../../lib/config.ts';
import { parseIdx } from '../../lib/datasets/idx.ts';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR } from '../../lib/datasets/source.ts';
import { radiusBin } from '../../lib/detection/power-spectrum.ts';
import type { Sha256 } from '../../lib/digest.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import type { DetectorReport, DetectorSplit } from '../../lib/studies/detection-result.ts';
import { detectionSpecSchema, type DetectionSpec } from '../../lib/studies/specs/detection.ts';
import { detectionStudy } from '../../workflows/studies/detection.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { isolatedConfig, s3StoreOf, testClient } from '../helpers/stack.ts';

/** Images per class in each set: 600 per set. */
const PER_CLASS = 60;
/** The planted pattern: amplitude (8-bit levels) x cos(2 pi (U x + V y) / 28): radius bin 10. */
const [U, V, AMPLITUDE] = [5, 9, 16];
const PLANTED_BIN = radiusBin(U, V, 28, 28);

/**
 * Three disjoint class-balanced sets of real Fashion-MNIST test images (the first, second and
 * third PER_CLASS images of each class), each image's contrast reduced to [32, 223] so that the
 * planted pattern is never clipped (clipping would add harmonics in other bins); the second set
 * carries the pattern.
 */
function makeSets(): { real: ImageSet; planted: ImageSet; control: ImageSet } {
  const read = (file: string, dims: number) =>
    parseIdx(gunzipSync(readFileSync(join(FASHION_MNIST_DIR, file))), file, dims).data;
  const images = read('t10k-images-idx3-ubyte.gz', 3);
  const labels = read('t10k-labels-idx1-ubyte.gz', 1);
  const byClass: number[][] = FASHION_MNIST_CLASSES.map(() => []);
  labels.forEach((label, i) => byClass[label]!.push(i));
  const set = (name: string, part: number, plant: boolean): ImageSet => {
    const rows = byClass.flatMap((ix) => ix.slice(part * PER_CLASS, (part + 1) * PER_CLASS));
    const pixels = new Uint8Array(rows.length * 784);
    rows.forEach((row, i) => {
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) {
          let f = 32 + (images[row * 784 + y * 28 + x]! * 191) / 255;
          if (plant) f += AMPLITUDE * Math.cos((2 * Math.PI * (U * x + V * y)) / 28);
          pixels[i * 784 + y * 28 + x] = Math.round(f);
        }
    });
    return {
      name,
      classes: [...FASHION_MNIST_CLASSES],
      width: 28,
      height: 28,
      channels: 1,
      count: rows.length,
      pixels,
      labels: Uint8Array.from(rows, (row) => labels[row]!),
    };
  };
  return {
    real: set('R', 0, false),
    planted: set('S-planted', 1, true),
    control: set('C', 2, false),
  };
}

function specOf(
  name: string,
  real: Sha256,
  generated: Sha256,
  extra: Partial<DetectionSpec['detectors']> = {},
  seeds = [1],
): DetectionSpec {
  return detectionSpecSchema.parse({
    study: 'detection',
    name,
    seed: 5,
    seeds,
    dataset: { name: 'fashion-mnist' },
    real: { dataset: real },
    generated: { dataset: generated },
    spectra: { images: 1000 },
    detectors: {
      features: ['pixels', 'log-spectrum'],
      trainPerClass: 400,
      testPerClass: 200,
      logistic: { epochs: 200, learningRate: 0.05 },
      mlp: { hidden: 16, epochs: 20, batchSize: 64, learningRate: 0.005 },
      ...extra,
    },
  });
}

let counter = 0;
/** Runs a study on workers that are already running; its table read back. */
async function run(config: ClabConfig, spec: DetectionSpec, force: string[] = []) {
  const client = await testClient();
  const workflowId = `detection-test-${Date.now()}-${counter++}`;
  const result = await client.workflow.execute(detectionStudy, {
    taskQueue: config.queues.cpu,
    workflowId,
    args: [
      {
        spec,
        force,
        cpuQueue: config.queues.cpu,
        gpuQueue: config.queues.gpu,
        store: s3StoreOf(config).location,
      },
    ],
  });
  return { table: await loadDetectionTable(s3StoreOf(config), result), workflowId };
}

describe('detection study', () => {
  const { config } = isolatedConfig('detection');
  let plantedSpec: DetectionSpec;
  let planted: DetectionTable;
  let control: DetectionTable;
  let forced: DetectionTable;
  let workflowId: string;

  beforeAll(async () => {
    const t0 = Date.now();
    const store = s3StoreOf(config);
    const sets = makeSets();
    const stored = async (set: ImageSet) =>
      (await storeImageSet(store, set, { kind: 'detection-test' }, 'test')).digest;
    const [real, plantedSet, controlSet] = [
      await stored(sets.real),
      await stored(sets.planted),
      await stored(sets.control),
    ];
    plantedSpec = specOf('test-detection-planted', real, plantedSet, {}, [1, 2]);
    await withWorkers(config, async () => {
      const [first, second] = await Promise.all([
        run(config, plantedSpec),
        run(config, specOf('test-detection-control', real, controlSet)),
      ]);
      planted = first.table;
      workflowId = first.workflowId;
      control = second.table;
      // determinism: the same spec with its spectra and detectors recomputed
      forced = (await run(config, plantedSpec, ['powerSpectra', 'trainDetector'])).table;
    });
    console.log(`detection study: three runs in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    for (const t of [planted, control])
      console.log(
        t.stages.map((e) => `${e.label} ${e.cacheHit ? 'hit' : `${e.computeMs} ms`}`).join('; '),
      );
    printDetectionTable(planted);
    printDetectionTable(control);
  }, 180_000);

  it('the planted pattern shows in its radius bin only', () => {
    const s = planted.spectraReport;
    expect(PLANTED_BIN).toBe(10); // round(sqrt(5^2 + 9^2)) = round(10.30)
    expect([s.real.count, s.generated.count]).toEqual([600, 600]);
    expect(s.radii).toHaveLength(21);
    expect(s.binSizes.reduce((a, b) => a + b, 0)).toBe(784);
    expect(planted.spectraSummary.peakRadius).toBe(PLANTED_BIN);
    expect(s.z[PLANTED_BIN]).toBeGreaterThan(10 * s.criticalZ);
    expect(s.significantRadii).toEqual([PLANTED_BIN]);
    for (const r of s.radii)
      if (r !== PLANTED_BIN) expect(Math.abs(s.z[r]!)).toBeLessThan(s.criticalZ);
  });

  it('pixel and log-spectrum detectors find it', () => {
    expect(planted.rows.map((r) => [r.features, r.model, r.seed])).toEqual([
      ['pixels', 'logistic', 1],
      ['pixels', 'logistic', 2],
      ['pixels', 'mlp', 1],
      ['pixels', 'mlp', 2],
      ['log-spectrum', 'logistic', 1],
      ['log-spectrum', 'logistic', 2],
      ['log-spectrum', 'mlp', 1],
      ['log-spectrum', 'mlp', 2],
    ]);
    for (const row of planted.rows) {
      expect(row.accuracy).toBeGreaterThan(0.95);
      expect(row.low).toBeGreaterThan(0.9);
      expect(row.low).toBeLessThanOrEqual(row.accuracy);
      expect(row.high).toBeGreaterThanOrEqual(row.accuracy);
    }
    const summary = summarizeDetectors(planted.rows);
    expect(summary.map((s) => s.accuracy.n)).toEqual([2, 2, 2, 2]);
  });

  it('trains and tests on disjoint images, as its report and split record', async () => {
    const store = s3StoreOf(config);
    const report = await getJson<DetectorReport>(store, planted.rows[0]!.report);
    expect(report.format).toBe('clab.detector/v1');
    expect(report.features).toEqual({ kind: 'pixels', dims: 784 });
    expect(report.train).toEqual({ real: 400, generated: 400 });
    expect(report.test).toEqual({ real: 200, generated: 200 });
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(400);
    expect(report.correct / 400).toBe(report.accuracy);
    const split = await getJson<DetectorSplit>(store, report.split);
    for (const [train, test] of [
      [split.realTrain, split.realTest],
      [split.generatedTrain, split.generatedTest],
    ] as const) {
      expect([train.length, test.length]).toEqual([400, 200]);
      expect(new Set([...train, ...test]).size).toBe(600);
    }
    // every detector of a seed has the same split; another seed another
    const splits = await Promise.all(
      planted.rows.map(async (r) => (await getJson<DetectorReport>(store, r.report)).split),
    );
    expect(new Set(splits.filter((_, i) => planted.rows[i]!.seed === 1)).size).toBe(1);
    expect(new Set(splits).size).toBe(2);
  });

  it('unchanged real images: no significant bin, no detector better than chance', () => {
    const s = control.spectraReport;
    expect(s.significantRadii).toEqual([]);
    expect(control.spectraSummary.maxAbsZ).toBeLessThan(s.criticalZ);
    expect(control.rows).toHaveLength(4);
    for (const row of control.rows) {
      expect(row.low).toBeLessThan(0.5);
      expect(row.high).toBeGreaterThan(0.5);
      expect(Math.abs(row.accuracy - 0.5)).toBeLessThan(0.08);
    }
  });

  it('runs the stages the CLI plans for, and writes a report with plots, tables and CSVs', async () => {
    expect(planted.stageCount).toBe(plannedDetectionStages(plantedSpec));
    const dir = mkdtempSync(join(tmpdir(), 'clab-detection-report-'));
    try {
      const html = await writeDetectionReport(planted, s3StoreOf(config), dir, workflowId);
      const page = readFileSync(html, 'utf8');
      expect(page).toContain('<svg');
      expect(page).toContain('log-spectrum');
      expect(readFileSync(join(dir, 'plots', 'spectra.svg'), 'utf8')).toContain('<svg');
      expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('| 10 | 56 |');
      expect(readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n')).toHaveLength(9);
      const spectra = readFileSync(join(dir, 'spectra.csv'), 'utf8').trim().split('\n');
      expect(spectra).toHaveLength(22);
      expect(spectra[11]).toMatch(/^10,56,.*,true$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('recomputed by force, its spectra and detectors are byte-identical', () => {
    const computed = forced.stages.filter((s) => !s.cacheHit).map((s) => s.name);
    expect(computed.filter((n) => n === 'trainDetector')).toHaveLength(8);
    expect(computed).toContain('powerSpectra');
    expect(forced.spectra).toBe(planted.spectra);
    expect(forced.rows).toEqual(planted.rows);
  });
});
