// The generational study on diffusion models through the real Temporal server and MinIO: the
// PyTorch trainers behind the trainer contract, DDIM sampling with onnxruntime-node, the CNN
// embedding for the metrics, a training crash that resumes from a checkpoint, a config error.
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultPayloadConverter } from '@temporalio/common';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainProgress } from '../../activities/train.ts';
import type { ClabConfig } from '../../lib/config.ts';
import type { DatasetManifest } from '../../lib/datasets/manifest.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import {
  generationsSpecSchema,
  type GenerationsSpec,
} from '../../lib/studies/specs/generations.ts';
import type { TrainerEvent } from '../../lib/trainer/trainer-events.ts';
import { generationsStudy } from '../../workflows/studies/generations.ts';
import { loadGenerationsTable, type GenerationsTable } from '../../cli/generations-table.ts';
import { failedAttempts, failureChain } from '../helpers/failures.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { isolatedConfig, s3StoreOf, testClient } from '../helpers/stack.ts';
import { exited, spawnWorker } from '../helpers/worker-process.ts';

const CLASSES = [1, 8]; // trouser, bag

const tiny = (training: Record<string, unknown>): GenerationsSpec =>
  generationsSpecSchema.parse({
    study: 'generations',
    name: 'test-ddpm',
    seed: 5,
    dataset: { name: 'fashion-mnist', subset: 200, classes: CLASSES },
    evaluation: {
      samples: 200,
      k: 3,
      embedding: { kind: 'classifier', trainSamples: 1000, epochs: 1, batchSize: 64 },
    },
    generator: {
      kind: 'ddpm',
      training: { channels: [16, 32, 32], batchSize: 32, warmupSteps: 10, ...training },
      sampling: { steps: 5, guidance: 2, batchSize: 64 },
    },
    loop: { mode: 'accumulate', alphas: [1], generations: 1, gridPerClass: 2 },
  });

let counter = 0;
async function run(
  config: ClabConfig,
  spec: GenerationsSpec,
  force: string[] = [],
  attemptTimeouts?: Record<string, string>,
) {
  const client = await testClient();
  const result = await withWorkers(config, () =>
    client.workflow.execute(generationsStudy, {
      taskQueue: config.queues.cpu,
      workflowId: `ddpm-test-${Date.now()}-${counter++}`,
      args: [
        {
          spec,
          force,
          cpuQueue: config.queues.cpu,
          gpuQueue: config.queues.gpu,
          store: s3StoreOf(config).location,
          ...(attemptTimeouts ? { attemptTimeouts } : {}),
        },
      ],
    }),
  );
  return loadGenerationsTable(s3StoreOf(config), result);
}

const stage = (r: GenerationsTable, label: string) => {
  const found = r.stages.find((s) => s.label === label);
  if (!found) throw new Error(`no stage ${label} in ${r.stages.map((s) => s.label).join(', ')}`);
  return found;
};

async function trainerLog(config: ClabConfig, digest: unknown): Promise<TrainerEvent[]> {
  const text = (await s3StoreOf(config).get(String(digest))).toString('utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as TrainerEvent);
}

describe('generational study on a diffusion model', () => {
  const a = isolatedConfig('ddpm');
  const spec = tiny({ steps: 30, checkpointEvery: 10 });
  let first: GenerationsTable;

  beforeAll(async () => {
    first = await run(a.config, spec);
  }, 600_000);

  it('trains, exports, samples and evaluates: train -> ONNX -> DDIM in TypeScript -> metrics', async () => {
    expect(first.embeddingId).toMatch(/^fashion-mnist-cnn-features@[0-9a-f]{12}$/);
    expect(first.rows.map((r) => [r.alpha, r.generation, r.trainedOn, r.samples])).toEqual([
      [1, 0, 0, 200],
      [1, 1, 200, 200],
    ]);
    for (const row of first.rows) expect(row.fid).toBeGreaterThan(0);

    const trained = stage(first, 'alpha=1/g=1 train V_g');
    expect(trained.facts).toMatchObject({ trainedOn: 200, steps: 30, startStep: 0 });
    const log = await trainerLog(a.config, trained.facts.trainerLog);
    expect(log[0]).toMatchObject({ event: 'start', step: 0, resumedFrom: null });
    expect(log.filter((e) => e.event === 'checkpoint').map((e) => e.step)).toEqual([10, 20, 30]);
    const card = await getJson<{ onnx: string; export: { opset: number } }>(
      s3StoreOf(a.config),
      trained.outputs.model!,
    );
    expect(card.onnx).toBe(trained.outputs.onnx);
    expect(card.export.opset).toBeGreaterThanOrEqual(17);

    // |S_1| = alpha |D_0| with D_0's class balance: only the study's classes
    const samples = await getJson<DatasetManifest>(
      s3StoreOf(a.config),
      stage(first, 'alpha=1/g=1 sample S_g').outputs.dataset!,
    );
    expect(samples.count).toBe(200);
    expect(samples.classHistogram.map((n, c) => (CLASSES.includes(c) ? 0 : n))).toEqual(
      Array(10).fill(0),
    );
    expect(samples.classHistogram[1]! + samples.classHistogram[8]!).toBe(200);
  }, 120_000);

  it('samples are a pure function of the seed: forced sampling gives the same bytes', async () => {
    const again = await run(a.config, spec, ['generate']);
    const [before, after] = [first, again].map((r) => stage(r, 'alpha=1/g=1 sample S_g'));
    expect(after!.cacheHit).toBe(false);
    expect(after!.outputs).toEqual(before!.outputs);
    expect(again.rows).toEqual(first.rows);
  }, 600_000);

  it('a SIGKILLed worker mid-training: the retry resumes from the last checkpoint, and the model equals an uninterrupted run', async () => {
    const crashSpec = tiny({ steps: 240, checkpointEvery: 40 });
    const client = await testClient();
    const workflowId = `ddpm-crash-${Date.now()}`;
    const handle = await client.workflow.start(generationsStudy, {
      taskQueue: a.config.queues.cpu,
      workflowId,
      args: [
        {
          spec: crashSpec,
          cpuQueue: a.config.queues.cpu,
          gpuQueue: a.config.queues.gpu,
          store: s3StoreOf(a.config).location,
        },
      ],
    });
    const firstWorker = spawnWorker(a.env, '/tmp/clab-test-ddpm-worker-1.log');
    // V_1 trains in the parent study workflow, once for all alphas
    let seen: TrainProgress | undefined;
    try {
      for (let i = 0; !seen?.checkpoint; i++) {
        if (i > 3000) throw new Error('the DDPM training never reported a checkpoint');
        await sleep(100);
        const pending = await handle.describe().then(
          (d) => d.raw.pendingActivities ?? [],
          () => [],
        );
        const training = pending.find((p) => p.activityType?.name === 'train');
        const payload = training?.heartbeatDetails?.payloads?.[0];
        if (payload) seen = defaultPayloadConverter.fromPayload<TrainProgress>(payload);
      }
    } finally {
      firstWorker.kill('SIGKILL');
      await exited(firstWorker);
    }

    const secondWorker = spawnWorker(a.env, '/tmp/clab-test-ddpm-worker-2.log');
    let crashed: GenerationsTable;
    try {
      crashed = await loadGenerationsTable(s3StoreOf(a.config), await handle.result());
    } finally {
      secondWorker.kill('SIGTERM');
      await exited(secondWorker);
    }
    const trained = stage(crashed, 'g=1 (shared) train V_g');
    expect(trained.attempt).toBeGreaterThanOrEqual(2);
    expect(Number(trained.facts.startStep)).toBeGreaterThanOrEqual(seen.checkpointStep!);
    expect(Number(trained.facts.startStep)).toBeLessThan(240);
    const log = await trainerLog(a.config, trained.facts.trainerLog);
    expect(log[0]).toMatchObject({ event: 'start', step: trained.facts.startStep });
    console.info(
      `[ddpm crash test] killed after checkpoint step ${seen.checkpointStep}; attempt ${trained.attempt} started at step ${trained.facts.startStep} of 240`,
    );
    expect((log[0] as { resumedFrom: string | null }).resumedFrom).toMatch(/resume-step-\d+\.pt$/);

    // The same training without a crash (forced, so it really trains again) gives the same bytes:
    // CPU PyTorch with deterministic algorithms, per-step seeded streams, optimizer state resumed.
    const uninterrupted = await run(a.config, crashSpec, ['train']);
    const again = stage(uninterrupted, 'g=1 (shared) train V_g');
    expect(again.cacheHit).toBe(false);
    expect(again.facts.startStep).toBe(0);
    expect(again.outputs).toEqual(trained.outputs);
    expect(uninterrupted.rows).toEqual(crashed.rows);

    // A training longer than its attempt's time limit: each cut attempt resumes from the last
    // checkpoint (a time limit is not a failure: attempts are unlimited for resumable stages) and
    // the result is the same model.
    // Checkpoints every 10 steps, so that each 20-second attempt gets past the last one even on a
    // loaded machine (torch starts in a few seconds; 240 steps take well over 20 s on 2 cores).
    const limitedSpec = tiny({ steps: 240, checkpointEvery: 10 });
    const limited = await run(a.config, limitedSpec, [], { train: '20 seconds' });
    const resumed = stage(limited, 'g=1 (shared) train V_g');
    console.info(
      `[ddpm attempt-limit test] finished in attempt ${resumed.attempt}, which started at step ${resumed.facts.startStep} of 240`,
    );
    expect(resumed.attempt).toBeGreaterThanOrEqual(2);
    expect(Number(resumed.facts.startStep)).toBeGreaterThan(0);
    // The network equals the uninterrupted run's above, whose checkpoints came every 40 steps:
    // neither the cuts nor the checkpoint cadence change a weight. (The model records differ:
    // they name their own spec and last checkpoint.)
    expect(resumed.outputs.onnx).toBe(again.outputs.onnx);
  }, 1_200_000);

  it('a trainer config error fails at once, not retried, with the trainer message', async () => {
    const bad = tiny({ steps: 10, channels: [16, 32, 20] }); // GroupNorm needs multiples of 8
    const failure = await run(a.config, bad).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(failureChain(failure)).toContain(
      '--config channels: expected three multiples of 8 in [8, 512], got [16, 32, 20]',
    );
    expect(await failedAttempts(await testClient(), 'train')).toBe(1);
  }, 300_000);
});
