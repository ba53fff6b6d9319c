// The digits variant of the contamination study through the real Temporal server and MinIO: R, P,
// the clean control C and the test set from OpenCV's digits.png, the source control C-sklearn from
// scikit-learn's digits resized to 20x20, and the null control's defining property: replacing all
// of R by a disjoint pool of the same real source behaves like R itself, within noise.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadImageSet, type ImageSet } from '../../activities/image-sets.ts';
import { loadContaminationTable, type ContaminationTable } from '../../cli/contamination-table.ts';
import { meanSe } from '../../lib/report/stats.ts';
import type { ContaminationRow } from '../../lib/studies/contamination-result.ts';
import { contaminationSpecSchema } from '../../lib/studies/specs/contamination.ts';
import { contaminationStudy } from '../../workflows/studies/contamination.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { isolatedConfig, s3StoreOf, studyInput, testClient } from '../helpers/stack.ts';

const PER_CLASS = 40;

const spec = contaminationSpecSchema.parse({
  study: 'contamination',
  name: 'test-contamination-digits',
  seed: 11,
  seeds: [1, 2],
  dataset: { name: 'digits', perClass: PER_CLASS, generatorPoolPerClass: 20, testPerClass: 40 },
  controls: [
    { name: 'C', kind: 'disjoint' },
    { name: 'C-sklearn', kind: 'source', source: 'sklearn-digits' },
  ],
  generator: { kind: 'gmm', latentDim: 8, components: 1, iterations: 5 },
  mixes: { fractions: [0, 1] },
  classifier: { epochs: 8, batchSize: 32, featureDim: 32, learningRate: 0.003 },
  evaluation: { shifts: [] },
});

describe('contamination study, digits variant', () => {
  const { config } = isolatedConfig('contamination-digits');
  let table: ContaminationTable;

  beforeAll(async () => {
    const client = await testClient();
    const result = await withWorkers(config, () =>
      client.workflow.execute(contaminationStudy, {
        taskQueue: config.queues.cpu,
        workflowId: `contamination-digits-${Date.now()}`,
        args: [studyInput(config, spec)],
      }),
    );
    table = await loadContaminationTable(s3StoreOf(config), result);
  }, 600_000);

  it('draws R, P, C and the test set from digits.png, disjoint; C-sklearn is the resized 8x8 set', async () => {
    const store = s3StoreOf(config);
    const digests = [
      table.datasets.real,
      table.datasets.test,
      ...['C', 'C-sklearn'].map((n) => table.controls.find((c) => c.name === n)!.dataset),
    ];
    const [real, test, clean, sklearn] = (await Promise.all(
      digests.map((d) => loadImageSet(store, d)),
    )) as [ImageSet, ImageSet, ImageSet, ImageSet];
    expect([real, test, clean].map((s) => [s.count, s.width, s.height])).toEqual([
      [10 * PER_CLASS, 20, 20],
      [10 * 40, 20, 20],
      [10 * PER_CLASS, 20, 20],
    ]);
    expect([sklearn.count, sklearn.width, sklearn.height]).toEqual([1797, 20, 20]);
    expect(sklearn.classes).toEqual(real.classes);
    const key = (s: ImageSet, i: number) =>
      Buffer.from(s.pixels.subarray(i * 400, (i + 1) * 400)).toString('base64');
    const inReal = new Set(Array.from({ length: real.count }, (_, i) => key(real, i)));
    for (const s of [test, clean])
      for (let i = 0; i < s.count; i++) expect(inReal.has(key(s, i))).toBe(false);
  });

  it('the null control: R/C-100% (a disjoint pool of the same source) is as accurate as R, within noise', () => {
    const accuracy = (source: string, fraction: number) =>
      meanSe(
        table.rows
          .filter((r: ContaminationRow) => r.source === source && r.fraction === fraction)
          .map((r) => r.accuracy),
      );
    const r0 = accuracy('C', 0);
    const c100 = accuracy('C', 1);
    console.info(
      `[digits null control] R ${(100 * r0.mean).toFixed(1)}%, R/C-100% ${(100 * c100.mean).toFixed(1)}%, R/C-sklearn-100% ${(100 * accuracy('C-sklearn', 1).mean).toFixed(1)}%, R/S-100% ${(100 * accuracy('S', 1).mean).toFixed(1)}%`,
    );
    // the classifier learns digits (chance is 10%)
    expect(r0.mean).toBeGreaterThan(0.7);
    // 400 test images: a binomial standard error of about 2 points per seed, plus training noise
    expect(Math.abs(c100.mean - r0.mean)).toBeLessThan(0.08);
  });
});
