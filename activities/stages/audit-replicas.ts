import { DEFAULT_INFERENCE, type ClabConfig } from '../../lib/config.ts';
import type { Sha256 } from '../../lib/digest.ts';
import { InputError } from '../../lib/input-error.ts';
import { defaultMatrixEngine } from '../../lib/matrix/default-engine.ts';
import type { FeatureMatrix } from '../../lib/metrics/feature-matrix.ts';
import { calibratedThreshold } from '../../lib/replication/calibrated-threshold.ts';
import type { ImageSet as PixelImages } from '../../lib/replication/image-set.ts';
import {
  DEFAULT_AUDIT_OPTIONS,
  replicationAudit,
  type ScoreAudit,
} from '../../lib/replication/replication-audit.ts';
import { replicationRate } from '../../lib/replication/replication-rate.ts';
import { Rng } from '../../lib/rng.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { getJson, putJson } from '../../lib/storage/json-artifacts.ts';
import type {
  CalibrationSource,
  ReplicaAuditReport,
  ReplicaMatch,
  ScoreSummary,
} from '../../lib/studies/replication-result.ts';
import { runStage } from '../as-stage.ts';
import { loadImageSet, loadSampleSources, type ImageSet } from '../image-sets.ts';
import { embedWithOnnx, type OnnxEmbedding } from '../onnx-embedding.ts';
import { renderReplicaGallery } from '../replica-gallery.ts';
import type { Fingerprinted, Seeded } from './stage-input.ts';

export type AuditReplicasInput = {
  generated: Sha256;
  train: Sha256;
  /** Real images never trained on; without them, thresholds are calibrated leave-one-out. */
  heldOut?: Sha256;
  /** An embedding record (`defineOnnxEmbedding`); without one, the pixel-space scores. */
  embedding?: Sha256;
  topK: number;
  /** Chunks of the split-product variant (embeddings only). */
  split?: number;
  percentile: number;
  gallery: { top: number; random: number; matches: number };
  /** A threshold for the primary score instead of the calibrated one. */
  threshold?: number;
} & Seeded &
  Fingerprinted;

export function createAuditReplicasActivities({
  store,
  inference = DEFAULT_INFERENCE,
}: {
  store: ArtifactStore;
  inference?: ClabConfig['inference'];
}) {
  return {
    /**
     * The replication audit of a generated set against its training set (Somepalli et al. 2023;
     * lib/replication): in an embedding, the cosine (and split-product) scores; in pixel space,
     * normalised L2, tiled L2 and the nearest-neighbour ratio. Thresholds are calibrated on
     * held-out real images (or leave-one-out on the training set). Outputs the audit artifact
     * (`clab.replica-audit/v1`) and a gallery PNG of the top and random generated images beside
     * their best training matches.
     */
    auditReplicas(input: AuditReplicasInput) {
      return runStage(async () => {
        const generated = await loadImageSet(store, input.generated);
        const train = await loadImageSet(store, input.train);
        const heldOut = input.heldOut ? await loadImageSet(store, input.heldOut) : undefined;
        for (const [role, set] of [
          ['generated', generated],
          ['held-out', heldOut],
        ] as const)
          if (
            set &&
            (set.width !== train.width ||
              set.height !== train.height ||
              set.channels !== train.channels)
          )
            throw new InputError(
              `The ${role} images (${set.name}, ${set.width}x${set.height}x${set.channels}) and the training images (${train.name}, ${train.width}x${train.height}x${train.channels}) differ in shape; resize one set before the audit`,
            );
        const calibrationSet = heldOut ?? leaveOneOutPlaceholder(train);
        const engine = defaultMatrixEngine();
        let embeddingId = 'pixels';
        let audit;
        if (input.embedding) {
          const record = await getJson<OnnxEmbedding>(store, input.embedding);
          if (record.kind !== 'onnx')
            throw new InputError(
              `Embedding ${input.embedding} is a ${record.kind} embedding; the audit takes an ONNX embedding`,
            );
          embeddingId = record.id;
          const embed = (set: ImageSet): Promise<FeatureMatrix> =>
            embedWithOnnx(store, inference, record, set, [...Array(set.count).keys()]);
          audit = await replicationAudit(
            {
              embeddings: {
                generated: await embed(generated),
                train: await embed(train),
                test: await embed(calibrationSet),
              },
            },
            {
              ...DEFAULT_AUDIT_OPTIONS,
              topK: input.topK,
              calibrationPercentile: input.percentile,
              ...(input.split ? { splitProductChunks: input.split } : {}),
            },
            engine,
          );
        } else {
          audit = await replicationAudit(
            {
              images: {
                generated: unitPixels(generated),
                train: unitPixels(train),
                test: unitPixels(calibrationSet),
              },
            },
            {
              ...DEFAULT_AUDIT_OPTIONS,
              topK: input.topK,
              calibrationPercentile: input.percentile,
              pixel: { ...DEFAULT_AUDIT_OPTIONS.pixel, candidates: Math.max(2, input.topK) },
            },
            engine,
          );
        }
        const calibratedBy: CalibrationSource = heldOut ? 'held-out' : 'leave-one-out';
        const scores = audit.scores.map((s) => (heldOut ? s : calibrateLeaveOneOut(s, input)));
        const primary = scores[0]!;
        const summaries = scores.map((s, i) =>
          summaryOf(s, calibratedBy, i === 0 ? input.threshold : undefined),
        );

        const topK = matchesOf(primary);
        const galleryRows = pickGalleryRows(primary, input);
        const report: ReplicaAuditReport = {
          format: 'clab.replica-audit/v1',
          embedding: embeddingId,
          generated: {
            dataset: input.generated,
            count: generated.count,
            sources: await loadSampleSources(store, input.generated),
          },
          train: {
            dataset: input.train,
            count: train.count,
            sources: await loadSampleSources(store, input.train),
          },
          calibration: {
            source: calibratedBy,
            ...(input.heldOut ? { dataset: input.heldOut } : {}),
            count: heldOut ? heldOut.count : train.count,
          },
          summaries,
          flagged: Object.fromEntries(
            scores.map((s, i) => [
              s.kind,
              (i === 0 && input.threshold !== undefined
                ? replicationRate(s.generated, input.threshold, s.direction)
                : s.calibrated
              ).flagged.map((f) => ({ ...f })),
            ]),
          ),
          distributions: Object.fromEntries(
            scores.map((s) => [
              s.kind,
              {
                generated: [...s.generated.scores],
                calibration: heldOut ? [...s.test.scores] : [...s.background.scores],
                background: [...s.background.scores],
              },
            ]),
          ),
          primary: primary.kind,
          topK,
          ...(galleryRows.length
            ? {
                gallery: {
                  rows: galleryRows.map((row) => ({ ...row, matches: topK[row.generated]! })),
                  matches: input.gallery.matches,
                },
              }
            : {}),
        };
        const stored = await putJson(store, report);
        const outputs: Record<string, Sha256> = { audit: stored.digest };
        if (galleryRows.length) {
          const png = await renderReplicaGallery(
            generated,
            train,
            galleryRows.map((row) => ({
              generated: row.generated,
              train: topK[row.generated]!.train.slice(0, input.gallery.matches),
            })),
            Math.min(input.gallery.matches, input.topK),
          );
          outputs.gallery = (await store.put(png)).digest;
        }
        return {
          outputs,
          facts: {
            embeddingId,
            summaries: JSON.stringify(summaries),
            generatedCount: generated.count,
            trainCount: train.count,
            ...Object.fromEntries(summaries.map((s) => [`rate:${s.score}`, s.rate])),
          },
        };
      });
    },
  };
}

/**
 * Without held-out images, the audit's test set is one training image (a placeholder the
 * calibration below replaces): each training image's best match among the others, the
 * background, is then the calibration distribution (leave one out).
 */
function leaveOneOutPlaceholder(train: ImageSet): ImageSet {
  const size = train.width * train.height * train.channels;
  return {
    ...train,
    count: 1,
    pixels: train.pixels.subarray(0, size),
    labels: train.labels.subarray(0, 1),
  };
}

function calibrateLeaveOneOut(s: ScoreAudit, input: AuditReplicasInput): ScoreAudit {
  const calibration = calibratedThreshold(s.background.scores, s.direction, input.percentile);
  return {
    ...s,
    test: s.background,
    calibrated: {
      ...replicationRate(s.generated, calibration.threshold, s.direction),
      calibrated: true,
      percentile: calibration.percentile,
    },
  };
}

function summaryOf(
  s: ScoreAudit,
  calibratedBy: CalibrationSource,
  userThreshold: number | undefined,
): ScoreSummary {
  const chosen =
    userThreshold === undefined
      ? s.calibrated
      : replicationRate(s.generated, userThreshold, s.direction);
  return {
    score: s.kind,
    direction: s.direction,
    threshold: chosen.threshold,
    percentile: s.calibrated.calibrated ? s.calibrated.percentile : NaN,
    calibratedBy: userThreshold === undefined ? calibratedBy : 'user',
    rate: chosen.rate,
    distinctMatches: chosen.distinctMatches,
    flagged: chosen.flaggedCount,
    ...(s.fixed && !s.fixed.calibrated
      ? {
          fixed: {
            threshold: s.fixed.threshold,
            source: s.fixed.source,
            rate: s.fixed.rate,
            distinctMatches: s.fixed.distinctMatches,
          },
        }
      : {}),
  };
}

function matchesOf(s: ScoreAudit): ReplicaMatch[] {
  const { rows, k, indices, scores } = s.generatedTopK;
  return Array.from({ length: rows }, (_, i) => ({
    generated: i,
    train: [...indices.subarray(i * k, (i + 1) * k)],
    scores: [...scores.subarray(i * k, (i + 1) * k)],
  }));
}

/** The most copy-like generated images by the primary score, then random others (seeded). */
function pickGalleryRows(
  s: ScoreAudit,
  input: AuditReplicasInput,
): { generated: number; kind: 'top' | 'random' }[] {
  const n = s.generated.scores.length;
  const sign = s.direction === 'higher-is-copy' ? -1 : 1;
  const order = [...Array(n).keys()].sort(
    (a, b) => sign * (s.generated.scores[a]! - s.generated.scores[b]!) || a - b,
  );
  const top = order.slice(0, Math.min(input.gallery.top, n));
  const rest = order.slice(top.length).sort((a, b) => a - b);
  const rng = Rng.stream(input.seed, `${input.stream}/gallery`);
  const random = rng
    .sampleIndices(rest.length, Math.min(input.gallery.random, rest.length))
    .map((i) => rest[i]!);
  return [
    ...top.map((generated) => ({ generated, kind: 'top' as const })),
    ...random.map((generated) => ({ generated, kind: 'random' as const })),
  ];
}

/** The pixels in [0, 1], as the pixel-space scores take them. */
function unitPixels(set: ImageSet): PixelImages {
  const data = new Float32Array(set.pixels.length);
  for (let i = 0; i < data.length; i++) data[i] = set.pixels[i]! / 255;
  return { count: set.count, height: set.height, width: set.width, channels: set.channels, data };
}
