// The replication study (Somepalli et al. 2023) end to end through the real Temporal server,
// MinIO, workers and the PyTorch trainers, at the tiny size of test/helpers/tiny-replication-spec:
// every stage planned runs; H is disjoint from every T_N; each audit is checked against a brute
// force computed here from the stored images (every generated image's best normalised L2 to its
// T_N, and the held-out threshold as numpy's percentile would give it); the report is written
// with a gallery per N whose PNG has one row per gallery entry.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImageSet, type ImageSet } from '../../activities/image-sets.ts';
import { writeReplicationReport } from '../../cli/replication-report.ts';
import {
  auditRows,
  loadReplicationTable,
  metricRows,
  printReplicationTable,
  type ReplicationTable,
} from '../../cli/replication-table.ts';
import { plannedReplicationStages } from '../../cli/studies/replication.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import type { ReplicaAuditReport } from '../../lib/studies/replication-result.ts';
import { replicationStudy } from '../../workflows/studies/replication.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { isolatedConfig, s3StoreOf, testClient } from '../helpers/stack.ts';
import { tinyReplicationSpec as spec } from '../helpers/tiny-replication-spec.ts';

/** numpy's default (linear) percentile of `values` at q in [0, 100]. */
function numpyPercentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = ((sorted.length - 1) * q) / 100;
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/** Each query image's smallest RMS pixel difference (in [0, 1]) to any key image. */
function bestRms(queries: ImageSet, keys: ImageSet): number[] {
  const size = queries.width * queries.height * queries.channels;
  return Array.from({ length: queries.count }, (_, q) => {
    let best = Infinity;
    for (let k = 0; k < keys.count; k++) {
      let sum = 0;
      for (let p = 0; p < size; p++) {
        const d = (queries.pixels[q * size + p]! - keys.pixels[k * size + p]!) / 255;
        sum += d * d;
      }
      best = Math.min(best, Math.sqrt(sum / size));
    }
    return best;
  });
}

describe('replication study', () => {
  const { config } = isolatedConfig('replication');
  const store = s3StoreOf(config);
  const dir = mkdtempSync(join(tmpdir(), 'clab-replication-report-'));
  let table: ReplicationTable;

  beforeAll(async () => {
    const t0 = Date.now();
    const client = await testClient();
    const result = await withWorkers(config, () =>
      client.workflow.execute(replicationStudy, {
        taskQueue: config.queues.cpu,
        workflowId: `replication-test-${Date.now()}`,
        args: [
          {
            spec,
            cpuQueue: config.queues.cpu,
            gpuQueue: config.queues.gpu,
            store: store.location,
          },
        ],
      }),
    );
    table = await loadReplicationTable(store, result);
    console.log(`replication study: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    printReplicationTable(table);
  }, 600_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every planned stage and audits every set in every embedding and score', () => {
    expect(table.stages).toHaveLength(plannedReplicationStages(spec));
    const audits = auditRows(table.rows);
    const kinds = (embedding: string) =>
      audits
        .filter((a) => a.n === 10 && a.guidance === 1 && a.embedding.includes(embedding))
        .map((a) => a.summary.score);
    expect(kinds('pixels')).toEqual(['normalised-l2', 'tiled-l2', 'nn-ratio']);
    expect(kinds('cnn-features')).toEqual(['cosine']);
    expect(kinds('copy-detection')).toEqual(['cosine']);
    expect(audits).toHaveLength(2 * 2 * 5);
    for (const a of audits) {
      expect(a.generatedCount).toBe(30);
      expect(a.summary.calibratedBy).toBe('held-out');
      expect(a.summary.rate).toBeGreaterThanOrEqual(0);
      expect(a.summary.rate).toBeLessThanOrEqual(1);
    }
    expect(metricRows(table.rows).map((m) => [m.n, m.guidance])).toEqual([
      [10, 1],
      [10, 2],
      [40, 1],
      [40, 2],
    ]);
  });

  it('each pixel audit agrees with a brute force over the stored images', async () => {
    const pixelAudits = auditRows(table.rows).filter(
      (a) => a.embedding === 'pixels' && a.summary.score === 'normalised-l2',
    );
    const heldOut = await loadImageSet(store, table.heldOut);
    for (const a of pixelAudits) {
      const report = await getJson<ReplicaAuditReport>(store, a.audit);
      const generated = await loadImageSet(store, report.generated.dataset);
      const train = await loadImageSet(store, report.train.dataset);
      expect(train.count).toBe(a.n);
      // H is disjoint from T_N: no held-out image is at distance 0 from a training image
      const calibration = bestRms(heldOut, train);
      expect(Math.min(...calibration)).toBeGreaterThan(0);
      const expected = bestRms(generated, train);
      // the audit scores pixels / 255 in float32 (exact zeros stay zeros): agreement to 1e-6
      const d = report.distributions['normalised-l2']!;
      expect(d.generated).toHaveLength(expected.length);
      d.generated.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
      d.calibration.forEach((v, i) => expect(v).toBeCloseTo(calibration[i]!, 6));
      // lower is a copy: the threshold is the (100 - q)th percentile of the held-out scores
      expect(a.summary.threshold).toBeCloseTo(numpyPercentile(calibration, 100 - 99), 6);
      const flagged = expected.filter((v) => v < a.summary.threshold).length;
      expect(a.summary.flagged).toBe(flagged);
      expect(a.summary.rate).toBeCloseTo(flagged / expected.length, 12);
    }
  });

  it('writes the report with a gallery per N: one PNG row per entry, generated then matches', async () => {
    const path = await writeReplicationReport(table, store, dir, 'replication-test');
    const html = readFileSync(path, 'utf8');
    expect(html).toContain('Replication rate by training-set size');
    const copy = auditRows(table.rows).find((a) => a.embedding.includes('copy-detection'))!;
    const report = await getJson<ReplicaAuditReport>(store, copy.audit);
    expect(report.gallery!.rows.map((r) => r.kind)).toEqual([
      ...Array(4).fill('top'),
      ...Array(4).fill('random'),
    ]);
    const png = await sharp(await store.get(copy.gallery!)).metadata();
    // rows of 28 px + 2 px gaps (+ 2 px), doubled; columns: the image, 8 px, 3 matches of 28 + 2
    expect(png.height).toBe(2 * (8 * 30 + 2));
    expect(png.width).toBe(2 * (2 + 28 + 8 + 3 * 30));
    for (const n of spec.dataset.sizes) expect(html).toContain(`N=${n} guidance=1 seed=1`);
  });
});
