// The contamination study's own pieces without servers: the class metrics of the classify stage
// against hand-computed values, the splitSubset stage's disjoint parts, the summary over seeds, the
// spec and the CLI's stage counts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadImageSet, storeImageSet, type ImageSet } from '../../activities/image-sets.ts';
import { createSplitSubsetActivities } from '../../activities/stages/split-subset.ts';
import { studyKindOf } from '../../cli/studies/index.ts';
import { meanSe, summarize, type SummarizedRow } from '../../cli/contamination-table.ts';
import { argmaxRows, classificationReport } from '../../lib/metrics/class-metrics.ts';
import { InputError } from '../../lib/input-error.ts';
import { LocalArtifactStore } from '../../lib/storage/local-store.ts';
import { parseContaminationSpec } from '../../lib/studies/specs/contamination.ts';
import { parseStudySpec } from '../../lib/studies/specs/index.ts';

describe('classify: predictions, accuracy, per-class accuracy, confusion matrix', () => {
  it('argmax of each row of logits, the lowest index on ties, NaN never winning', () => {
    // 4 rows x 3 classes
    const logits = [
      [2.0, 1.0, -1.0], // 0
      [0.1, 0.3, 0.2], // 1
      [-5, -4, -3], // 2
      [1, 1, 0], // tie between 0 and 1: 0
    ].flat();
    expect([...argmaxRows(logits, 4, 3)]).toEqual([0, 1, 2, 0]);
    expect([...argmaxRows([NaN, 1, 0.5], 1, 3)]).toEqual([1]);
    expect(() => argmaxRows([1, 2, 3], 2, 2)).toThrowError('3 scores do not make 2 rows of 2');
  });

  it('a report worked by hand', () => {
    // truth:     0 0 0 1 1 2 2 2 2 (class 3 has no images)
    // predicted: 0 1 0 1 1 2 0 3 2
    // class 0: 2 of 3 right (one as 1); class 1: 2 of 2; class 2: 2 of 4 (one as 0, one as 3)
    const truth = [0, 0, 0, 1, 1, 2, 2, 2, 2];
    const predicted = [0, 1, 0, 1, 1, 2, 0, 3, 2];
    const report = classificationReport(truth, predicted, 4);
    expect(report.count).toBe(9);
    expect(report.confusion).toEqual([
      [2, 1, 0, 0],
      [0, 2, 0, 0],
      [1, 0, 2, 1],
      [0, 0, 0, 0],
    ]);
    expect(report.accuracy).toBeCloseTo(6 / 9, 15);
    expect(report.perClassAccuracy).toEqual([2 / 3, 1, 0.5, null]);
  });
});

describe('splitSubset: two disjoint parts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clab-split-'));
  const store = new LocalArtifactStore(dir);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // 3 classes x 5 images of 2x2 pixels; image i has every pixel i, so pixels identify images
  const set: ImageSet = {
    name: 'pool',
    classes: ['a', 'b', 'c'],
    width: 2,
    height: 2,
    channels: 1,
    count: 15,
    pixels: Uint8Array.from({ length: 15 * 4 }, (_, j) => Math.floor(j / 4)),
    labels: Uint8Array.from({ length: 15 }, (_, i) => i % 3),
  };
  const ids = (s: ImageSet) => Array.from({ length: s.count }, (_, i) => s.pixels[i * 4]!);
  const { splitSubset } = createSplitSubsetActivities({ store });

  it('takes perClass images of every class, the rest is everything else, and it is reproducible', async () => {
    const pool = (await storeImageSet(store, set, { kind: 'test' }, 'test')).digest;
    const input = { dataset: pool, perClass: 2, name: 'R', restName: 'rest', seed: 3, stream: 's' };
    const out = await splitSubset(input);
    expect(out.facts.count).toBe(6);
    expect(out.facts.classHistogram).toEqual([2, 2, 2]);
    expect(out.facts.restClassHistogram).toEqual([3, 3, 3]);
    const part = await loadImageSet(store, out.outputs.dataset!);
    const rest = await loadImageSet(store, out.outputs.rest!);
    const both = [...ids(part), ...ids(rest)];
    expect(new Set(both).size).toBe(15);
    expect(both.sort((a, b) => a - b)).toEqual([...Array(15).keys()]);
    // every image keeps its label
    for (const s of [part, rest]) ids(s).forEach((id, i) => expect(s.labels[i]).toBe(id % 3));
    expect((await splitSubset(input)).outputs).toEqual(out.outputs);
    expect((await splitSubset({ ...input, seed: 4 })).outputs.dataset).not.toBe(
      out.outputs.dataset,
    );
  });

  it('refuses a class with fewer images than perClass, for good (bad input)', async () => {
    const pool = (await storeImageSet(store, set, { kind: 'test' }, 'test')).digest;
    await expect(
      splitSubset({
        dataset: pool,
        perClass: 6,
        name: 'R',
        restName: 'rest',
        seed: 1,
        stream: 's',
      }),
    ).rejects.toMatchObject({
      type: InputError.name,
      nonRetryable: true,
      message: 'pool: class a has 5 images, fewer than the 6 to split off',
    });
  });
});

describe('the summary over seeds', () => {
  it('mean and standard error of the mean, worked by hand', () => {
    // mean 0.6; deviations -0.1, 0, 0.1: s^2 = 0.02 / 2 = 0.01, se = sqrt(0.01 / 3)
    const v = meanSe([0.5, 0.6, 0.7]);
    expect(v.mean).toBeCloseTo(0.6, 15);
    expect(v.se).toBeCloseTo(Math.sqrt(0.01 / 3), 15);
    expect(meanSe([0.4]).se).toBeNaN();
  });

  it('groups rows by source and fraction, in row order', () => {
    const row = (source: 'S' | 'C', fraction: number, accuracy: number): SummarizedRow => ({
      source,
      fraction,
      accuracy,
      shifted: { 'blur-3': accuracy / 2 },
    });
    const s = summarize({
      rows: [row('S', 0.5, 0.8), row('S', 0.5, 0.6), row('C', 0.5, 0.9)],
    });
    expect(s.map((x) => [x.source, x.fraction, x.accuracy.n])).toEqual([
      ['S', 0.5, 2],
      ['C', 0.5, 1],
    ]);
    expect(s[0]!.accuracy.mean).toBeCloseTo(0.7, 15);
    expect(s[0]!.shifted['blur-3']!.mean).toBeCloseTo(0.35, 15);
  });
});

describe('the contamination spec', () => {
  const example = readFileSync(
    new URL('../../studies/contamination-gmm.yaml', import.meta.url),
    'utf8',
  );

  it('parses the example, as its own parser does, with its workflows and stage counts', () => {
    const spec = parseStudySpec(example, 'c.yaml');
    expect(spec).toEqual(parseContaminationSpec(example, 'c.yaml'));
    if (spec.study !== 'contamination') throw new Error('expected a contamination spec');
    expect(spec.seeds).toEqual([1, 2, 3]);
    expect(spec.generator.temperature).toBe(1);
    // shared: ingest, pool, 6 splits (R, P, C, C-web, 3 reference pools), the web-like transform,
    // fit, sample S, test ingest and subset, 3 shifts, 3 x (reference train + test) + the hard
    // subset, metrics (embedding, test features, R: 2, S@0.5: sample + 2, S@1: 2), 9 grids = 41
    // per seed, tests = clean + 3 shifts + hard = 5, a measured set = train + 5 tests = 6, a
    // generator per T1 set = fit + sample + features + metrics = 4:
    //   T1: r = 0: 6 + 4; r > 0: 3 sources x (mix + 6 + 4) = 33, four times: 142
    //   T7: per p, the subsample alone 6 + 2 sources x (mix + 6) = 20, twice: 40
    //   T8: per p, 2 sources x (mix + 6) = 14, three times: 42
    expect(studyKindOf(spec).workflows(spec, 'w')).toEqual([
      { label: 'shared', workflowId: 'w', stages: 41 },
      { label: 'seed=1', workflowId: 'w/seed=1', stages: 224 },
      { label: 'seed=2', workflowId: 'w/seed=2', stages: 224 },
      { label: 'seed=3', workflowId: 'w/seed=3', stages: 224 },
    ]);
  });

  it('refuses a control pool smaller than R, repeated fractions or seeds, classes without a test subset', () => {
    const bad = example
      .replace('{ name: C, kind: disjoint }', '{ name: C, kind: disjoint, perClass: 50 }')
      .replace('fractions: [0, 0.2, 0.4, 0.8, 1]', 'fractions: [0, 0.2, 0.2]')
      .replace('sizeControlSources: [S, C]', 'sizeControlSources: [S, D]')
      .replace('seeds: [1, 2, 3]', 'seeds: [1, 1]')
      .replace('  testSubset: 2000\n', '  classes: [0, 1]\n');
    expect(() => parseStudySpec(bad, 'bad.yaml')).toThrowError(
      [
        'bad.yaml: invalid study spec:',
        '  controls.0.perClass: must be at least perClass (1000): a fraction 1 replaces all of R by C',
        '  mixes.fractions: lists 0.2 twice',
        '  mixes.sizeControlSources.1: `D` is not S or a control (S, C, C-web)',
        '  seeds: lists 1 twice',
        '  dataset.testSubset: required with `classes`: the test set is drawn from those classes only',
      ].join('\n'),
    );
  });

  it('the digits variant: R, P, C and the test set from digits.png, C-sklearn another source', () => {
    const digits = readFileSync(
      new URL('../../studies/contamination-digits.yaml', import.meta.url),
      'utf8',
    );
    const spec = parseContaminationSpec(digits, 'd.yaml');
    // 150 + 100 + 150 + 100 test = all 500 images per class of digits.png
    expect(spec.dataset).toMatchObject({
      perClass: 150,
      generatorPoolPerClass: 100,
      testPerClass: 100,
    });
    expect(() =>
      parseContaminationSpec(digits.replace('  testPerClass: 100\n', ''), 'd.yaml'),
    ).toThrowError('dataset.testPerClass: required: digits.png has no test split');
    expect(() =>
      parseContaminationSpec(
        example.replace(
          'kind: disjoint, transform: web-like',
          'kind: source, source: sklearn-digits',
        ),
        'f.yaml',
      ),
    ).toThrowError('controls.1.source: sklearn-digits has the digit classes: dataset digits only');
  });
});
