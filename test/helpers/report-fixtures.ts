// Small hand-made tables of each study kind, with the artifacts their reports read (sample grids,
// classification reports) put in a store: what a report writer gets from a finished run, without
// running one. Values are made up but shaped like real results.
import sharp from 'sharp';
import type { ContaminationTable } from '../../cli/contamination-table.ts';
import { sortRows } from '../../cli/contamination-table.ts';
import type { DetectionTable } from '../../cli/detection-table.ts';
import type { GenerationsTable } from '../../cli/generations-table.ts';
import type { ReplicationTable } from '../../cli/replication-table.ts';
import { sha256 } from '../../lib/digest.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { putJson } from '../../lib/storage/json-artifacts.ts';
import type { ContaminationRow, MixKind } from '../../lib/studies/contamination-result.ts';
import type { DetectionRow, PowerSpectraReport } from '../../lib/studies/detection-result.ts';
import type {
  ReplicaAuditReport,
  ReplicationRow,
  ScoreSummary,
} from '../../lib/studies/replication-result.ts';
import type { GenerationRow } from '../../workflows/studies/generations.ts';

/** A digest standing for an artifact the report only names. */
export const fakeDigest = (what: string): string => sha256(what);

const EMBEDDING = 'pca64@07ba0e4414c6';
const CLASSES = ['T-shirt', 'Trouser', 'Bag'];

/**
 * A sample grid: `cols` x `rows` tiles of 28 x 28 grey "images" (a blob whose size and place
 * vary with `seed`), as a PNG in the store. Returns its digest.
 */
export async function putGrid(store: ArtifactStore, seed: number, cols = 8, rows = 2) {
  const size = 28;
  const width = cols * size;
  const height = rows * size;
  const pixels = Buffer.alloc(width * height);
  for (let t = 0; t < cols * rows; t++) {
    const cx = 8 + ((seed * 7 + t * 5) % 12);
    const cy = 8 + ((seed * 3 + t * 11) % 12);
    const r = 4 + ((seed + t) % 6);
    const x0 = (t % cols) * size;
    const y0 = Math.floor(t / cols) * size;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const d = Math.hypot(x - cx, y - cy);
        pixels[(y0 + y) * width + x0 + x] = Math.max(0, Math.round(255 - (255 * d) / (r * 1.6)));
      }
  }
  const png = await sharp(pixels, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
  return (await store.put(png)).digest;
}

/**
 * A generational study of 2 replicate seeds x 2 alphas x generations 0-3 (16 rows, 8 per seed),
 * each with a grid; generation 0 (the shared D_0) is the same for both seeds.
 */
export async function generationsFixture(
  store: ArtifactStore,
  name = 'gens fixture',
): Promise<GenerationsTable> {
  const rows: GenerationRow[] = [];
  for (const alpha of [0.5, 2])
    for (let g = 0; g <= 3; g++)
      for (const [i, seed] of [1, 2].entries()) {
        const wobble = g === 0 ? 1 : 1 + (i ? 0.04 : -0.04) * g;
        rows.push({
          seed,
          alpha,
          generation: g,
          trainedOn: Math.round(1000 * (1 + alpha) ** Math.max(0, g - 1)),
          samples: g === 0 ? 0 : Math.round(1000 * alpha * (1 + alpha) ** (g - 1)),
          fid: wobble * (g === 0 ? 1.2 : 1.2 + g * (alpha === 2 ? 3.1 : 1.4)),
          precision: wobble * (0.72 + 0.03 * g * (alpha === 2 ? 1 : 0.5)),
          recall: wobble * (0.7 - 0.08 * g * (alpha === 2 ? 1 : 0.6)),
          classHistogramDistance: wobble * (0.01 + 0.02 * g * (alpha === 2 ? 1.5 : 1)),
          grid: await putGrid(store, 100 * alpha + g + 1000 * i),
          metrics: fakeDigest(`metrics ${seed} ${alpha} ${g}`),
        });
      }
  return {
    study: 'generations',
    name,
    table: fakeDigest('generations table'),
    rowCount: rows.length,
    stageCount: 33,
    cacheHits: 0,
    embeddingId: EMBEDDING,
    embedding: fakeDigest('embedding'),
    rows,
    stages: [],
  };
}

/**
 * A contamination study of 2 seeds: R, S and a control C at r = 50% and 100%, a 5% subsample
 * filled with S and C, R + S (+20%); accuracies on the clean test set, one shift and the hard
 * subset; classification reports (for the confusion matrices) of R, R/S-100% and R/C-100%.
 */
export async function contaminationFixture(
  store: ArtifactStore,
  name = 'mix fixture',
): Promise<ContaminationTable> {
  const confusion = (accuracy: number) =>
    CLASSES.map((_, t) =>
      CLASSES.map((__, p) => {
        const right = Math.round(10 * accuracy);
        return p === t ? right : p === (t + 1) % 3 ? 10 - right : 0;
      }),
    );
  const row = (
    kind: MixKind,
    source: string,
    fraction: number,
    seed: number,
    accuracy: number,
    generator?: [number, number, number],
  ): ContaminationRow => {
    const key = `${kind} ${source} ${fraction} ${seed}`;
    return {
      seed,
      kind,
      source,
      fraction,
      fromReal: Math.round(300 * (1 - (kind === 'replace' ? fraction : 0))),
      fromOther: Math.round(300 * fraction),
      accuracy,
      shifted: { 'blur-3': accuracy - 0.12, hard: accuracy / 3 },
      perClassAccuracy: [accuracy + 0.05, accuracy + 0.1, accuracy - 0.15],
      mix: fakeDigest(`mix ${key}`),
      model: fakeDigest(`model ${fraction === 0 ? `R ${seed}` : key}`),
      report: fakeDigest(`report ${key}`),
      shiftedReports: { 'blur-3': fakeDigest(`blur ${key}`), hard: fakeDigest(`hard ${key}`) },
      steps: 200,
      ...(generator
        ? {
            generator: {
              fid: generator[0],
              precision: generator[1],
              recall: generator[2],
              embedding: EMBEDDING,
              model: fakeDigest(`generator ${key}`),
              report: fakeDigest(`generator report ${key}`),
            },
          }
        : {}),
    };
  };
  const rows: ContaminationRow[] = [];
  for (const seed of [1, 2]) {
    const d = seed === 1 ? 0 : 0.02;
    rows.push(
      row('replace', 'S', 0, seed, 0.82 + d, [10 + seed, 0.6, 0.6]),
      row('replace', 'C', 0, seed, 0.82 + d, [10 + seed, 0.6, 0.6]),
      row('replace', 'S', 0.5, seed, 0.76 + d, [8 + seed, 0.7, 0.48]),
      row('replace', 'S', 1, seed, 0.42 + d, [15 + seed, 0.82, 0.31]),
      row('replace', 'C', 0.5, seed, 0.8 + d),
      row('replace', 'C', 1, seed, 0.68 + d),
      row('subsample', 'R', 0.05, seed, 0.5 + d),
      row('fill', 'S', 0.05, seed, 0.62 + d),
      row('fill', 'C', 0.05, seed, 0.7 + d),
      row('append', 'S', 0.2, seed, 0.83 + d),
    );
  }
  for (const r of rows) {
    if (r.kind !== 'replace' || (r.fraction !== 0 && r.fraction !== 1)) continue;
    const ref = await putJson(store, {
      format: 'clab.classification/v1',
      model: r.model,
      dataset: fakeDigest('test'),
      classes: CLASSES,
      count: 30,
      accuracy: r.accuracy,
      perClassAccuracy: r.perClassAccuracy,
      confusion: confusion(r.accuracy),
    });
    r.report = ref.digest;
  }
  const controls = [{ name: 'C', description: 'a disjoint real pool', dataset: fakeDigest('C') }];
  sortRows(rows, controls);
  return {
    study: 'contamination',
    name,
    table: fakeDigest('contamination table'),
    rowCount: rows.length,
    stageCount: 60,
    cacheHits: 0,
    datasets: {
      real: fakeDigest('R'),
      pool: fakeDigest('P'),
      synthetic: fakeDigest('S'),
      test: fakeDigest('test'),
    },
    controls,
    generator: fakeDigest('generator'),
    temperature: 1,
    shiftedTests: { 'blur-3': fakeDigest('blur'), hard: fakeDigest('hard') },
    hardSubset: {
      dataset: fakeDigest('hard'),
      count: 12,
      references: [fakeDigest('ref1'), fakeDigest('ref2')],
      reports: [fakeDigest('ref1 report'), fakeDigest('ref2 report')],
    },
    diversity: [
      {
        set: 'R-train',
        temperature: null,
        fid: 1.5,
        precision: 0.7,
        recall: 0.72,
        embedding: EMBEDDING,
        dataset: fakeDigest('R'),
        report: fakeDigest('div R'),
      },
      {
        set: 'S',
        temperature: 1,
        fid: 9.25,
        precision: 0.81,
        recall: 0.35,
        embedding: EMBEDDING,
        dataset: fakeDigest('S'),
        report: fakeDigest('div S'),
      },
    ],
    metricEmbedding: EMBEDDING,
    grids: {
      R: await putGrid(store, 1),
      S: await putGrid(store, 2),
      C: await putGrid(store, 3),
      test: await putGrid(store, 4),
      'blur-3': await putGrid(store, 5),
      hard: await putGrid(store, 6),
    },
    rows,
    stages: [],
  };
}

/** Radius bins of a 28 x 28 image's spectrum: 0 .. 20. */
export const DETECTION_RADII = 21;

/**
 * A detection study of 2 seeds x {pixels, log-spectrum} x {logistic, mlp} (8 rows), with a
 * spectra report of 21 radius bins in which the generated set loses high frequencies.
 */
export function detectionFixture(name = 'det fixture'): DetectionTable {
  const radii = Array.from({ length: DETECTION_RADII }, (_, r) => r);
  const real = radii.map((r) => 3 - 0.11 * r);
  const generated = radii.map(
    (r) => 3 - 0.11 * r + 0.004 * Math.sin(r) - (r > 8 ? 0.02 * (r - 8) ** 1.5 : 0),
  );
  const std = radii.map((r) => 0.2 + 0.005 * r);
  // Welch's z of 1,000 + 1,000 images per bin
  const z: (number | null)[] = radii.map(
    (r) => (generated[r]! - real[r]!) / Math.sqrt((2 * std[r]! ** 2) / 1000),
  );
  const criticalZ = 3.2;
  const significantRadii = radii.filter((r) => z[r] === null || Math.abs(z[r]!) > criticalZ);
  const spectraReport: PowerSpectraReport = {
    format: 'clab.power-spectra/v1',
    quantity: 'log10 of the mean power |F|^2 / (W H) per integer radius',
    image: { width: 28, height: 28 },
    radii,
    binSizes: radii.map((r) => (r === 0 ? 1 : Math.round(2 * Math.PI * r))),
    real: { dataset: fakeDigest('R'), count: 1000, mean: real, std },
    generated: { dataset: fakeDigest('S'), count: 1000, mean: generated, std },
    z,
    alpha: 0.05,
    criticalZ,
    significantRadii,
    seed: 1,
    stream: 'spectra',
    codeVersion: 'fixture',
  };
  const rows: DetectionRow[] = [];
  for (const features of ['pixels', 'log-spectrum'] as const)
    for (const model of ['logistic', 'mlp'] as const)
      for (const seed of [1, 2]) {
        const accuracy =
          (features === 'pixels' ? 0.76 : 0.985) + (model === 'mlp' ? 0.006 : 0) + seed * 0.002;
        rows.push({
          seed,
          features,
          model,
          trainPerClass: 200,
          testPerClass: 100,
          accuracy,
          low: accuracy - 0.03,
          high: Math.min(1, accuracy + 0.03),
          trainAccuracy: Math.min(1, accuracy + 0.02),
          report: fakeDigest(`detector ${features} ${model} ${seed}`),
        });
      }
  const finite = radii.filter((r) => z[r] !== null);
  const peak = finite.reduce((a, r) => (Math.abs(z[r]!) > Math.abs(z[a]!) ? r : a), finite[0]!);
  return {
    study: 'detection',
    name,
    table: fakeDigest('detection table'),
    rowCount: rows.length,
    stageCount: 14,
    cacheHits: 0,
    datasets: { real: fakeDigest('R'), generated: fakeDigest('S'), pool: fakeDigest('P') },
    generatedBy: 'generator',
    generator: fakeDigest('generator'),
    temperature: 1,
    spectra: fakeDigest('spectra'),
    spectraSummary: {
      bins: radii.length,
      realCount: 1000,
      generatedCount: 1000,
      maxAbsZ: Math.abs(z[peak]!),
      peakRadius: peak,
      criticalZ,
      significantBins: significantRadii.length,
    },
    rows,
    stages: [],
    spectraReport,
  };
}

/**
 * A replication study of 2 seeds x N in {30, 300} x guidance 2, audited in pixels (three scores)
 * and in a copy-detection embedding (cosine): 16 audit rows and 4 metric rows. Each audit has its
 * artifact (score distributions, a gallery of 2 top and 2 random rows of 3 matches) and a gallery
 * PNG (a sample grid) in the store; smaller N replicates more.
 */
export async function replicationFixture(
  store: ArtifactStore,
  name = 'rep fixture',
): Promise<ReplicationTable> {
  const rows: ReplicationRow[] = [];
  const copyId = 'fashion-mnist-copy-detection@0123456789ab';
  const sources = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, i) => `${prefix}/${String(i).padStart(4, '0')}.png`);
  for (const seed of [1, 2])
    for (const n of [30, 300]) {
      const copying = n === 30 ? 0.4 + 0.05 * seed : 0.02 + 0.01 * seed;
      for (const [embedding, scores] of [
        ['pixels', ['normalised-l2', 'tiled-l2', 'nn-ratio']],
        [copyId, ['cosine']],
      ] as const) {
        const summaries: ScoreSummary[] = scores.map((score, i) => {
          const higher = score === 'cosine';
          return {
            score,
            direction: higher ? 'higher-is-copy' : 'lower-is-copy',
            threshold: higher ? 0.93 : 0.08 + 0.02 * i,
            percentile: 99.9,
            calibratedBy: 'held-out',
            rate: copying * (1 - 0.1 * i),
            distinctMatches: Math.round(copying * (n === 30 ? 20 : 60)),
            flagged: Math.round(copying * 100),
            fixed: {
              threshold: higher ? 0.5 : score === 'nn-ratio' ? 1 / 3 : 0.15,
              source: higher ? 'Somepalli et al. 2023' : 'Carlini et al. 2023',
              rate: higher ? 1 : copying + 0.3,
              distinctMatches: n === 30 ? 30 : 250,
            },
          };
        });
        const values = (center: number, spread: number) =>
          Array.from({ length: 100 }, (_, i) => center + spread * Math.sin(i * 1.7 + seed));
        const gallery = await putGrid(store, seed * 10 + n, 4, 4);
        const topK = Array.from({ length: 100 }, (_, g) => ({
          generated: g,
          train: [g % n, (g + 1) % n, (g + 2) % n],
          scores: [0.95, 0.9, 0.85],
        }));
        const report: ReplicaAuditReport = {
          format: 'clab.replica-audit/v1',
          embedding,
          generated: {
            dataset: fakeDigest(`S${seed}-${n}`),
            count: 100,
            sources: sources('generate', 100),
          },
          train: { dataset: fakeDigest(`T${seed}-${n}`), count: n, sources: sources('train', n) },
          calibration: { source: 'held-out', dataset: fakeDigest('H'), count: 100 },
          summaries,
          flagged: Object.fromEntries(summaries.map((s) => [s.score, []])),
          distributions: Object.fromEntries(
            summaries.map((s) => [
              s.score,
              s.direction === 'higher-is-copy'
                ? {
                    generated: values(0.9, 0.08),
                    calibration: values(0.8, 0.1),
                    background: values(0.82, 0.1),
                  }
                : {
                    generated: values(0.1, 0.05),
                    calibration: values(0.16, 0.04),
                    background: values(0.15, 0.05),
                  },
            ]),
          ),
          primary: summaries[0]!.score,
          topK,
          gallery: {
            rows: [0, 1, 2, 3].map((g) => ({
              generated: g,
              kind: g < 2 ? ('top' as const) : ('random' as const),
              matches: topK[g]!,
            })),
            matches: 3,
          },
        };
        const audit = (await putJson(store, report)).digest;
        for (const summary of summaries)
          rows.push({
            kind: 'audit',
            seed,
            n,
            guidance: 2,
            embedding,
            summary,
            generatedCount: 100,
            audit,
            gallery,
          });
      }
      rows.push({
        kind: 'metrics',
        seed,
        n,
        guidance: 2,
        fid: n === 30 ? 40 + seed : 20 + seed,
        precision: 0.8,
        recall: n === 30 ? 0.1 : 0.4,
        samples: fakeDigest(`S${seed}-${n}`),
      });
    }
  return {
    study: 'replication',
    name,
    embeddings: {
      cnn: { id: 'fashion-mnist-cnn-features@abcdefabcdef', digest: fakeDigest('cnn') },
      copy: { id: copyId, digest: fakeDigest('copy') },
    },
    heldOut: fakeDigest('H'),
    table: fakeDigest('table'),
    rowCount: rows.length,
    stageCount: 0,
    cacheHits: 0,
    rows,
    stages: [],
  };
}
