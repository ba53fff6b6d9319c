import { buildManifest, type DatasetManifest, type ShardRecord } from '../lib/datasets/manifest.ts';
import { planShards } from '../lib/datasets/shard-plan.ts';
import { DdimScheduler, type DdimConfig } from '../lib/diffusion/ddim-scheduler.ts';
import { guideNoise, toPixels } from '../lib/diffusion/guidance.ts';
import type { BetaSchedule } from '../lib/diffusion/noise-schedule.ts';
import type { ClabConfig } from '../lib/config.ts';
import type { Sha256 } from '../lib/digest.ts';
import { InputError } from '../lib/input-error.ts';
import { Rng } from '../lib/rng.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { getJson, putJson } from '../lib/storage/json-artifacts.ts';
import {
  cancellationSignal,
  failFastOnBadInput,
  heartbeat,
  previousHeartbeat,
} from './activity-context.ts';
import { storeImageShard, type ImageSet } from './image-sets.ts';
import { ort, withOnnxSession } from './onnx-session.ts';
import { asStage, FAILURE_BUDGET } from './as-stage.ts';
import { codeOf, type Fingerprinted } from './stages/stage-input.ts';
import { apportion } from '../lib/datasets/apportion.ts';

export interface GenerateDeps {
  store: ArtifactStore;
  inference: ClabConfig['inference'];
}

export interface SamplingOptions {
  /** DDIM steps. */
  steps: number;
  /** 0: deterministic DDIM; 1: DDPM-like noise (Song et al., 2021, Eq. 16). */
  eta: number;
  /** Classifier-free guidance scale s (1 = no guidance): the sampling-bias knob. */
  guidance: number;
  batchSize: number;
  timestepSpacing: DdimConfig['timestepSpacing'];
}

export interface GenerateInput extends Fingerprinted {
  /** The model card a `train` stage wrote for the DDPM trainer. */
  model: Sha256;
  /** The dataset whose size and class balance the samples follow: |S| = round(alpha |reference|). */
  reference: Sha256;
  alpha: number;
  sampling: SamplingOptions;
  name: string;
  seed: number;
  stream: string;
  /** Images per shard: the unit a retry resumes from. */
  shardSize?: number;
}

/** A DDPM trainer's model card (trainers/ddpm.py), as far as sampling needs it. */
interface DiffusionCard {
  trainer: 'ddpm';
  onnx: Sha256;
  image: { width: number; height: number; channels: number };
  classes: string[];
  nullClass: number;
  /** false: trained on the null label only (trainers/ddpm.py `conditional`); absent on older cards. */
  conditional?: boolean;
  schedule: { kind: BetaSchedule; timesteps: number; betaStart: number; betaEnd: number };
}

/**
 * Samples images from a class-conditional diffusion model exported to ONNX: DDIM in TypeScript,
 * the UNet in onnxruntime-node. Each shard has its own noise stream, so the shards finished before
 * a crash are kept (heartbeat details) and the rest come out byte-identical to an uninterrupted run.
 */
export function createGenerateActivities({ store, inference }: GenerateDeps) {
  return {
    generate(input: GenerateInput) {
      const resumed = previousHeartbeat<{ shards: ShardRecord[] }>()?.shards ?? [];
      const done = new Map<number, ShardRecord>();
      return failFastOnBadInput(() =>
        asStage(
          async () => {
            const card = await getJson<DiffusionCard>(store, input.model);
            if (card.trainer !== 'ddpm')
              throw new InputError(
                `Model ${input.model} was trained by ${card.trainer}, not the DDPM trainer`,
              );
            const reference = await getJson<DatasetManifest>(store, input.reference);
            const counts = apportion(
              reference.classHistogram,
              Math.round(input.alpha * reference.count),
            );
            const labels = Uint8Array.from(counts.flatMap((n, c) => Array<number>(n).fill(c)));
            const { width, height, channels } = card.image;
            const size = width * height * channels;
            const set: ImageSet = {
              name: input.name,
              classes: card.classes,
              width,
              height,
              channels,
              count: labels.length,
              pixels: new Uint8Array(labels.length * size),
              labels,
            };
            for (const shard of resumed)
              if (await store.has(shard.sha256)) done.set(shard.index, shard);

            // the session stays held (never evicted or released) until the last shard is sampled
            const timing = await withOnnxSession(store, card.onnx, inference, async (session) => {
              const sampler = new DiffusionSampler(session, card, input.sampling);
              const { batchSize } = input.sampling;
              // checked between DDIM steps: a cancelled activity stops within one UNet call
              const signal = cancellationSignal();
              for (const range of planShards(set.count, input.shardSize ?? 500)) {
                if (done.has(range.index)) continue;
                const rng = Rng.stream(input.seed, `${input.stream}/shard=${range.index}`);
                for (let start = range.start; start < range.end; start += batchSize) {
                  const end = Math.min(range.end, start + batchSize);
                  const x = await sampler.sample(labels.subarray(start, end), rng, signal);
                  set.pixels.set(toPixels(x), start * size);
                  heartbeat({ shards: [...done.values()] });
                }
                done.set(range.index, await storeImageShard(store, set, range, 'generated'));
                heartbeat({ shards: [...done.values()] });
              }
              return { sessionRunMs: sampler.sessionRunMs, samplingMs: sampler.totalMs };
            });
            const shards = [...done.values()].sort((a, b) => a.index - b.index);
            const manifest = buildManifest({
              name: input.name,
              source: {
                kind: 'generated',
                parents: [input.model, input.reference],
                params: {
                  alpha: input.alpha,
                  sampling: input.sampling,
                  seed: input.seed,
                  stream: input.stream,
                },
              },
              classes: card.classes,
              count: set.count,
              image: card.image,
              shards,
              codeVersion: codeOf(input),
            });
            const ref = await putJson(store, manifest);
            return {
              outputs: { dataset: ref.digest },
              facts: {
                count: manifest.count,
                classHistogram: manifest.classHistogram,
                resumedShards: resumed.length,
                sessionRunMs: Math.round(timing.sessionRunMs),
                samplingMs: Math.round(timing.samplingMs),
              },
            };
          },
          {
            heartbeatDetails: () => ({ shards: [...done.values()] }),
            failureBudget: FAILURE_BUDGET,
          },
        ),
      );
    },
  };
}

/** The DDIM loop around one ONNX noise-prediction model, with classifier-free guidance. */
export class DiffusionSampler {
  readonly scheduler: DdimScheduler;
  readonly #timesteps: number[];
  sessionRunMs = 0;
  totalMs = 0;

  constructor(
    readonly session: ort.InferenceSession,
    readonly card: Pick<DiffusionCard, 'image' | 'nullClass' | 'schedule' | 'conditional'>,
    readonly options: SamplingOptions,
  ) {
    if (card.conditional === false && options.guidance !== 1)
      throw new InputError(
        `Guidance ${options.guidance} needs a class-conditional model; this one is unconditional (use guidance 1)`,
      );
    this.scheduler = new DdimScheduler({
      numTrainTimesteps: card.schedule.timesteps,
      betaSchedule: card.schedule.kind,
      betaStart: card.schedule.betaStart,
      betaEnd: card.schedule.betaEnd,
      timestepSpacing: options.timestepSpacing,
    });
    this.#timesteps = this.scheduler.setTimesteps(options.steps);
  }

  /**
   * Samples one image per label, drawing x_T and any DDIM noise from `rng`; returns x_0 in [-1, 1].
   * Throws the reason of `signal` (a cancelled activity) before the next step once it aborts.
   */
  async sample(labels: Uint8Array, rng: Rng, signal?: AbortSignal): Promise<Float32Array> {
    const started = performance.now();
    const { width, height, channels } = this.card.image;
    const size = width * height * channels;
    const n = labels.length;
    const guided = this.options.guidance !== 1;
    const rows = guided ? 2 * n : n;
    let x: Float32Array = new Float32Array(n * size);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
    const classLabel = new BigInt64Array(rows);
    // An unconditional model only knows the null label; `labels` then only name the output rows.
    if (this.card.conditional === false) classLabel.fill(BigInt(this.card.nullClass));
    else labels.forEach((l, i) => (classLabel[i] = BigInt(l)));
    if (guided) classLabel.fill(BigInt(this.card.nullClass), n);
    const shape = [rows, channels, height, width];
    const batch = new Float32Array(rows * size);
    for (const t of this.#timesteps) {
      signal?.throwIfAborted();
      batch.set(x);
      if (guided) batch.set(x, n * size);
      const feeds = {
        sample: new ort.Tensor('float32', batch, shape),
        timestep: new ort.Tensor('int64', new BigInt64Array(rows).fill(BigInt(t)), [rows]),
        class_label: new ort.Tensor('int64', classLabel, [rows]),
      };
      const runStarted = performance.now();
      const out = await this.session.run(feeds);
      this.sessionRunMs += performance.now() - runStarted;
      const noise = out.noise!.data as Float32Array;
      const eps = guided
        ? guideNoise(noise.subarray(0, n * size), noise.subarray(n * size), this.options.guidance)
        : noise;
      x = this.scheduler.step(eps, t, x, { eta: this.options.eta, rng }).prevSample;
    }
    this.totalMs += performance.now() - started;
    return x;
  }
}
