// The replication study's own pieces without servers: its spec (the example file, defaults and
// what it refuses), the stages it plans, and the table's summary over seeds.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { summarizeReplication, summarizeReplicationMetrics } from '../../cli/replication-table.ts';
import { plannedReplicationStages } from '../../cli/studies/replication.ts';
import { parseStudySpec } from '../../lib/studies/specs/index.ts';
import type { ReplicationRow, ScoreSummary } from '../../lib/studies/replication-result.ts';
import type { ReplicationSpec } from '../../lib/studies/specs/replication.ts';

const example = readFileSync(
  new URL('../../studies/replication-ddpm.yaml', import.meta.url),
  'utf8',
);
const messageOf = (text: string): string => {
  try {
    parseStudySpec(text, 'r.yaml');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the spec to be refused');
};

describe('replication spec', () => {
  it('parses the example with the issue’s defaults: five sizes, two seeds, two guidance scales', () => {
    const spec = parseStudySpec(example, 'r.yaml') as ReplicationSpec;
    expect(spec.study).toBe('replication');
    expect(spec.dataset.sizes).toEqual([30, 100, 300, 1000, 3000]);
    expect(spec.seeds).toEqual([1, 2]);
    expect(spec.sampling).toEqual({ samples: 1000, guidances: [1, 3] });
    expect(spec.audit).toMatchObject({
      embeddings: ['pixels', 'cnn', 'copy'],
      topK: 20,
      percentile: 99.9,
      gallery: { top: 20, random: 20, matches: 5 },
    });
  });

  it('refuses repeated sizes, a held-out set too large, and `cnn` without a classifier', () => {
    expect(messageOf(example.replace('[30, 100, 300, 1000, 3000]', '[30, 30]'))).toContain(
      'dataset.sizes: lists 30 twice',
    );
    expect(messageOf(example.replace('heldOut: 1000', 'heldOut: 58000'))).toContain(
      'dataset.heldOut: the largest N (3000) plus the held-out images exceed the 60000 training images',
    );
    const pca = example.replace(
      /embedding:\n {4}kind: classifier\n(?: {4}\w+: \w+\n)+/,
      'embedding:\n    kind: pca\n',
    );
    expect(messageOf(pca)).toContain(
      'audit.embeddings: the `cnn` audit scores in the evaluation embedding',
    );
  });

  it('plans 4 shared set stages, 7 embedding stages and per seed and N 2 + guidances x 6', () => {
    const spec = parseStudySpec(example, 'r.yaml') as ReplicationSpec;
    // 4 + (3 CNN + 3 copy + 1 test features) + 2 seeds x 5 N x (2 + 2 x (1 + 3 + 2))
    expect(plannedReplicationStages(spec)).toBe(4 + 7 + 10 * 14);
  });
});

describe('replication table', () => {
  const summary = (rate: number, fixedRate: number): ScoreSummary => ({
    score: 'cosine',
    direction: 'higher-is-copy',
    threshold: 0.9,
    percentile: 99.9,
    calibratedBy: 'held-out',
    rate,
    distinctMatches: Math.round(rate * 100),
    flagged: Math.round(rate * 100),
    fixed: { threshold: 0.5, source: 'Somepalli et al. 2023', rate: fixedRate, distinctMatches: 1 },
  });
  const audit = (seed: number, n: number, rate: number, fixedRate: number): ReplicationRow => ({
    kind: 'audit',
    seed,
    n,
    guidance: 1,
    embedding: 'copy',
    summary: summary(rate, fixedRate),
    generatedCount: 100,
    audit: 'a'.repeat(64),
  });

  it('summarises rates over seeds per N (mean and standard error), sorted by N', () => {
    const rows = [audit(1, 300, 0.1, 0.9), audit(2, 300, 0.3, 0.7), audit(1, 30, 0.5, 1)];
    const [small, large] = summarizeReplication(rows);
    expect(small!.n).toBe(30);
    expect(small!.rate.mean).toBe(0.5);
    expect(Number.isNaN(small!.rate.se)).toBe(true);
    expect(large!.rate.mean).toBeCloseTo(0.2, 12);
    // sd of {0.1, 0.3} = 0.1414..., over sqrt 2: 0.1
    expect(large!.rate.se).toBeCloseTo(0.1, 12);
    expect(large!.fixedRate!.mean).toBeCloseTo(0.8, 12);
    expect(large!.fixedThreshold).toBe(0.5);
  });

  it('summarises FID / precision / recall per N and guidance', () => {
    const metric = (seed: number, fid: number): ReplicationRow => ({
      kind: 'metrics',
      seed,
      n: 100,
      guidance: 3,
      fid,
      precision: 0.5,
      recall: 0.25,
      samples: 'b'.repeat(64),
    });
    const [m] = summarizeReplicationMetrics([metric(1, 10), metric(2, 14)]);
    expect(m).toMatchObject({ n: 100, guidance: 3 });
    expect(m!.fid.mean).toBe(12);
    expect(m!.fid.se).toBeCloseTo(2, 12);
  });
});
