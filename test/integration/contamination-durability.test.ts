// The contamination study's durability and reproducibility through the real Temporal server: a
// worker SIGKILLed in the middle of a classifier's training (the retry resumes from the last
// heartbeated checkpoint and gives the same model as an uninterrupted run), and the same spec on
// MinIO and on a local directory store giving byte-identical artifacts and the same accuracies.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrainProgress } from '../../activities/train.ts';
import { loadContaminationTable, type ContaminationTable } from '../../cli/contamination-table.ts';
import type { ClabConfig } from '../../lib/config.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { LocalArtifactStore } from '../../lib/storage/local-store.ts';
import {
  contaminationSpecSchema,
  type ContaminationSpec,
} from '../../lib/studies/specs/contamination.ts';
import type { TrainerEvent } from '../../lib/trainer/trainer-events.ts';
import {
  contaminationStudy,
  type ContaminationInput,
} from '../../workflows/studies/contamination.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { isolatedConfig, s3StoreOf, testClient } from '../helpers/stack.ts';
import { exited, spawnWorker } from '../helpers/worker-process.ts';

// OpenCV's digits (20x20; 5,000 images, so that a fresh store ingests and splits them in seconds,
// where Fashion-MNIST's 70,000 take over a minute per store on a busy machine). R: 30 images per
// class (300; 270 train after the 10% validation share), so at batch 32 an epoch is 8 steps. The
// crash test's 150 epochs (1,200 steps, a checkpoint every 40) take 10-25 s of CPU training: a
// checkpoint reaches the server's heartbeat details within the worker's 5 s heartbeat throttle,
// and the kill must come before the training ends, even on an idle machine. One seed, r = 0 only
// (R itself: one classifier), one shift.
const tiny = (classifier: Record<string, unknown>): ContaminationSpec =>
  contaminationSpecSchema.parse({
    study: 'contamination',
    name: 'test-contamination-durability',
    seed: 11,
    seeds: [1],
    dataset: { name: 'digits', perClass: 30, generatorPoolPerClass: 10, testPerClass: 20 },
    generator: { kind: 'gmm', latentDim: 4, components: 1, iterations: 3 },
    mixes: { fractions: [0] },
    classifier: { batchSize: 32, featureDim: 16, ...classifier },
    evaluation: { shifts: [{ shift: 'blur', severity: 3 }] },
    grids: { perClass: 2 },
  });

const CRASH_STEPS = 1200;
const CHECKPOINT_EVERY = 40;
const crashSpec = tiny({ epochs: 150, checkpointEvery: CHECKPOINT_EVERY });
const CLASSIFIER = 'seed=1/R classifier';
const SEED_WORKFLOW = (workflowId: string) => `${workflowId}/seed=1`;

let counter = 0;
const nextId = (name: string) => `${name}-${Date.now()}-${counter++}`;

const studyArgs = (
  config: ClabConfig,
  spec: ContaminationSpec,
  store: ArtifactStore,
  force: string[] = [],
) => ({
  taskQueue: config.queues.cpu,
  args: [
    {
      spec,
      force,
      cpuQueue: config.queues.cpu,
      gpuQueue: config.queues.gpu,
      store: store.location,
    },
  ] as [ContaminationInput],
});

/** The study run to the end by in-process workers using `store`. */
async function run(
  config: ClabConfig,
  spec: ContaminationSpec,
  store: ArtifactStore,
  force: string[] = [],
): Promise<ContaminationTable> {
  const client = await testClient();
  const result = await withWorkers(
    config,
    () =>
      client.workflow.execute(contaminationStudy, {
        workflowId: nextId('contamination-durability'),
        ...studyArgs(config, spec, store, force),
      }),
    store,
  );
  return loadContaminationTable(store, result);
}

const stage = (table: ContaminationTable, label: string) => {
  const found = table.stages.find((s) => s.label === label);
  if (!found)
    throw new Error(`no stage ${label} in ${table.stages.map((s) => s.label).join(', ')}`);
  return found;
};

async function trainerLog(store: ArtifactStore, digest: unknown): Promise<TrainerEvent[]> {
  const text = (await store.get(String(digest))).toString('utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as TrainerEvent);
}

const seconds = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(0)} s`;

describe('contamination study: durability and determinism', () => {
  const a = isolatedConfig('contamination-durability');
  const s3 = s3StoreOf(a.config);

  // The second test's spec (80 steps: nothing to resume) on a local directory store, with its own
  // queues and deployment, so that no worker of the S3 runs can take its tasks. The first test
  // starts it while it waits a minute for the killed worker's heartbeat to time out (an idle
  // minute otherwise); the second test awaits it, or starts it when run alone.
  const storesSpec = tiny({ epochs: 10 });
  const localDir = mkdtempSync(join(tmpdir(), 'clab-contamination-local-'));
  const local = new LocalArtifactStore(join(localDir, 'store'));
  let localRun: Promise<{ table: ContaminationTable; seconds: string }> | undefined;
  const startLocalRun = () =>
    (localRun ??= (async () => {
      const t0 = Date.now();
      const b = isolatedConfig('contamination-durability-local');
      const table = await run(b.config, storesSpec, local);
      return { table, seconds: seconds(t0) };
    })());
  afterAll(async () => {
    await localRun?.catch(() => undefined);
    rmSync(localDir, { recursive: true, force: true });
  });

  it('a SIGKILLed worker mid-classifier-training: the retry resumes from the last checkpoint, and the model equals an uninterrupted run', async () => {
    const t0 = Date.now();
    const client = await testClient();
    const workflowId = nextId('contamination-crash');
    const handle = await client.workflow.start(contaminationStudy, {
      workflowId,
      ...studyArgs(a.config, crashSpec, s3),
    });
    // The classifier trains in the seed's child workflow: watch its pending `train` activity.
    const seedHandle = client.workflow.getHandle(SEED_WORKFLOW(workflowId));
    const firstWorker = spawnWorker(a.env, '/tmp/clab-test-contamination-worker-1.log');
    let seen: TrainProgress | undefined;
    try {
      let training = false;
      for (let i = 0; !seen?.checkpoint; i++) {
        if (i > 3000) throw new Error('the classifier training never reported a checkpoint');
        await sleep(100);
        const pending = await seedHandle.describe().then(
          (d) => d.raw.pendingActivities ?? [],
          () => [],
        );
        const train = pending.find((p) => p.activityType?.name === 'train');
        if (training && !train)
          throw new Error(
            `the classifier finished its ${CRASH_STEPS} steps before a checkpoint was heartbeated: train longer`,
          );
        training ||= train !== undefined;
        const payload = train?.heartbeatDetails?.payloads?.[0];
        if (payload) seen = defaultPayloadConverter.fromPayload<TrainProgress>(payload);
      }
    } finally {
      firstWorker.kill('SIGKILL');
      await exited(firstWorker);
    }
    const killedAt = seconds(t0);
    startLocalRun().catch(() => undefined); // the second test's; it reports its failure

    // A new worker takes the training over once the dead one's heartbeat times out (a minute).
    const secondWorker = spawnWorker(a.env, '/tmp/clab-test-contamination-worker-2.log');
    let crashed: ContaminationTable;
    try {
      crashed = await loadContaminationTable(s3, await handle.result());
    } finally {
      secondWorker.kill('SIGTERM');
      await exited(secondWorker);
    }
    const trained = stage(crashed, CLASSIFIER);
    console.info(
      `[contamination crash test] killed at ${killedAt} after checkpoint step ${seen.checkpointStep} (step ${seen.step} heartbeated); attempt ${trained.attempt} started at step ${trained.facts.startStep} of ${CRASH_STEPS}; study done at ${seconds(t0)}`,
    );
    expect(trained.cacheHit).toBe(false);
    expect(trained.attempt).toBeGreaterThanOrEqual(2);
    expect(trained.facts.steps).toBe(CRASH_STEPS);
    expect(Number(trained.facts.startStep)).toBeGreaterThanOrEqual(seen.checkpointStep!);
    expect(Number(trained.facts.startStep)).toBeLessThan(CRASH_STEPS);
    expect(Number(trained.facts.startStep) % CHECKPOINT_EVERY).toBe(0);
    const log = await trainerLog(s3, trained.facts.trainerLog);
    expect(log[0]).toMatchObject({ event: 'start', step: trained.facts.startStep });
    expect((log[0] as { resumedFrom: string | null }).resumedFrom).toMatch(/resume-step-\d+\.pt$/);
    expect(crashed.rows).toHaveLength(2); // R, listed for S and for C
    expect(crashed.rows.every((r) => r.steps === CRASH_STEPS)).toBe(true);

    // The same training without a crash (forced, so that it really trains again) gives the same
    // bytes: deterministic CPU PyTorch, per-step seeded batches, the optimizer state resumed.
    const t1 = Date.now();
    const uninterrupted = await run(a.config, crashSpec, s3, ['train']);
    const again = stage(uninterrupted, CLASSIFIER);
    console.info(`[contamination crash test] forced uninterrupted run: ${seconds(t1)}`);
    expect(again.cacheHit).toBe(false);
    expect(again.attempt).toBe(1);
    expect(again.facts.startStep).toBe(0);
    expect(again.outputs).toEqual(trained.outputs);
    expect(uninterrupted.rows).toEqual(crashed.rows);
  }, 600_000);

  it('the same spec on MinIO and on a local directory store gives the same digests and accuracies', async () => {
    const t0 = Date.now();
    const onS3 = await run(a.config, storesSpec, s3);
    const s3Seconds = seconds(t0);
    const { table: onLocal, seconds: localSeconds } = await startLocalRun();
    console.info(
      `[contamination stores test] S3 run ${s3Seconds}, local run ${localSeconds} (done ${seconds(t0)} into this test)`,
    );
    // the local store computed everything itself, and holds what it computed
    expect(onLocal.stages.filter((s) => s.cacheHit)).toEqual([]);
    expect(stage(onS3, CLASSIFIER).cacheHit).toBe(false);
    expect((await local.get(onLocal.rows[0]!.model)).byteLength).toBeGreaterThan(0);

    expect(onLocal.rows).toHaveLength(2);
    for (const [i, row] of onLocal.rows.entries()) {
      const other = onS3.rows[i]!;
      expect([row.mix, row.model, row.report]).toEqual([other.mix, other.model, other.report]);
      expect(row.shiftedReports).toEqual(other.shiftedReports);
      expect([row.accuracy, row.shifted, row.perClassAccuracy]).toEqual([
        other.accuracy,
        other.shifted,
        other.perClassAccuracy,
      ]);
    }
    expect(onLocal.rows).toEqual(onS3.rows);
    expect(onLocal.datasets).toEqual(onS3.datasets);
    expect(onLocal.controls).toEqual(onS3.controls);
    expect(onLocal.generator).toBe(onS3.generator);
    expect(onLocal.shiftedTests).toEqual(onS3.shiftedTests);
    expect(onLocal.grids).toEqual(onS3.grids);
    // every stage's outputs, stage by stage
    const outputs = (t: ContaminationTable) => t.stages.map((s) => [s.label, s.outputs]);
    expect(outputs(onLocal)).toEqual(outputs(onS3));
  }, 300_000);
});
