// A split deployment, as on a cluster: one cpu worker process (the workflows and the CPU stages)
// and two gpu worker processes with one activity slot each, every process with its own identity.
// A small DDPM study runs on them; the gpu worker running the training is SIGKILLed after the
// training heartbeated a checkpoint. The workflow histories then show where every task ran, the
// killed training is retried on the other gpu worker, and the stage outputs equal a reference.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrainProgress } from '../../activities/train.ts';
import { loadGenerationsTable, type GenerationsTable } from '../../cli/generations-table.ts';
import { configFromEnv } from '../../lib/config.ts';
import { generationsSpecSchema } from '../../lib/studies/specs/generations.ts';
import { generationsStudy } from '../../workflows/studies/generations.ts';
import { historyFigures } from '../helpers/history-figures.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { isolatedEnv, s3StoreOf, studyInput, testClient } from '../helpers/stack.ts';
import { exited } from '../helpers/worker-process.ts';

const CLAB = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'clab.mjs');
const EventType = temporal.api.enums.v1.EventType;

/** The identity the Temporal SDK gives a worker process by default. */
const identityOf = (child: ChildProcess) => `${child.pid}@${hostname()}`;

/** `clab worker --queues <queues>` logging JSON lines to `<log>.out` (stdout), stderr to `<log>.err`. */
function spawnQueueWorker(
  env: Record<string, string>,
  queues: 'cpu' | 'gpu',
  log: string,
): ChildProcess {
  const child = spawn(process.execPath, [CLAB, 'worker', '--queues', queues], {
    env: { ...process.env, ...env, CLAB_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(createWriteStream(`${log}.out`));
  child.stderr!.pipe(createWriteStream(`${log}.err`));
  return child;
}

/** A worker's stdout: every line must be one JSON object. */
function jsonLines(log: string): Record<string, unknown>[] {
  return readFileSync(`${log}.out`, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// A tiny DDPM loop (one alpha, one generation) with a PCA embedding, so that the only trainer run
// is the diffusion model's: long enough (checkpoints every 20 of 80 steps) to be killed midway.
const spec = generationsSpecSchema.parse({
  study: 'generations',
  name: 'test-split-deployment',
  seed: 7,
  dataset: { name: 'fashion-mnist', subset: 200, classes: [1, 8] },
  evaluation: { samples: 200, k: 3, embedding: { kind: 'pca', components: 8, fitSamples: 400 } },
  generator: {
    kind: 'ddpm',
    training: {
      channels: [16, 32, 32],
      batchSize: 32,
      warmupSteps: 10,
      steps: 80,
      checkpointEvery: 20,
    },
    sampling: { steps: 5, guidance: 2, batchSize: 64 },
  },
  loop: { mode: 'accumulate', alphas: [1], generations: 1, gridPerClass: 2 },
});

const outputsByLabel = (r: GenerationsTable) =>
  Object.fromEntries(r.stages.map((s) => [s.label, s.outputs]));

describe('split deployment: one cpu worker, two single-slot gpu workers', () => {
  const env = isolatedEnv('split');
  const config = configFromEnv(env);
  const children: ChildProcess[] = [];

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(children.map(exited));
  });

  it('routes every stage to its queue, retries the killed training on the other gpu worker, and ends with the reference outputs', async () => {
    const started = performance.now();
    const gpuEnv = { ...env, CLAB_ACTIVITY_CONCURRENCY: '1' };
    const logs = ['cpu', 'gpu-1', 'gpu-2'].map((n) => `/tmp/clab-test-split-${n}`);
    const cpu = spawnQueueWorker(env, 'cpu', logs[0]!);
    const gpus = [1, 2].map((n) => spawnQueueWorker(gpuEnv, 'gpu', logs[n]!));
    children.push(cpu, ...gpus);
    const cpuIdentity = identityOf(cpu);
    const gpuIdentities = gpus.map(identityOf);

    const client = await testClient();
    const workflowId = `split-deployment-${Date.now()}`;
    const handle = await client.workflow.start(generationsStudy, {
      taskQueue: config.queues.cpu,
      workflowId,
      args: [studyInput(config, spec)],
    });

    // Wait until the training heartbeated a checkpoint, then SIGKILL the gpu worker running it.
    let progress: TrainProgress | undefined;
    let killed: { identity: string; activityId: string; attempt: number } | undefined;
    for (let i = 0; !killed; i++) {
      if (i > 3000) throw new Error('the DDPM training never heartbeated a checkpoint');
      await sleep(100);
      const pending = await handle.describe().then(
        (d) => d.raw.pendingActivities ?? [],
        () => [],
      );
      const training = pending.find((p) => p.activityType?.name === 'train');
      const payload = training?.heartbeatDetails?.payloads?.[0];
      if (payload) progress = defaultPayloadConverter.fromPayload<TrainProgress>(payload);
      if (progress?.checkpoint && training?.lastWorkerIdentity && training.activityId)
        killed = {
          identity: training.lastWorkerIdentity,
          activityId: training.activityId,
          attempt: training.attempt ?? 1,
        };
    }
    expect(gpuIdentities).toContain(killed.identity);
    const victim = gpus[gpuIdentities.indexOf(killed.identity)]!;
    victim.kill('SIGKILL');
    await exited(victim);
    const survivor = gpuIdentities.find((id) => id !== killed.identity)!;
    const killedAt = (performance.now() - started) / 1000;

    const crashed = await loadGenerationsTable(s3StoreOf(config), await handle.result());
    const finishedAt = (performance.now() - started) / 1000;
    for (const child of children) if (child !== victim) child.kill('SIGTERM');
    await Promise.all(children.map(exited));

    // Where every task ran, from the histories of the study and its child workflows. Temporal
    // writes an activity's Started event when the activity closes, for its last attempt only: the
    // killed attempt's worker is the one the pending activity named above.
    const { histories } = await historyFigures(client, workflowId);
    const seen = { cpu: new Set<string>(), gpu: new Set<string>(), workflow: new Set<string>() };
    let retried: { identity: string; attempt: number } | undefined;
    let activities = 0;
    for (const events of histories) {
      const scheduled = new Map<string, { type: string; queue: string; activityId: string }>();
      for (const e of events) {
        const id = String(e.eventId);
        const a = e.activityTaskScheduledEventAttributes;
        if (a)
          scheduled.set(id, {
            type: a.activityType?.name ?? '',
            queue: a.taskQueue?.name ?? '',
            activityId: a.activityId ?? '',
          });
        if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)
          seen.workflow.add(e.workflowTaskStartedEventAttributes?.identity ?? '');
        const s = e.activityTaskStartedEventAttributes;
        if (!s) continue;
        activities++;
        const of = scheduled.get(String(s.scheduledEventId))!;
        const identity = s.identity ?? '';
        if (['train', 'generate'].includes(of.type)) expect(of.queue).toBe(config.queues.gpu);
        if (of.queue === config.queues.gpu) {
          expect(gpuIdentities, `${of.type} ran on ${identity}`).toContain(identity);
          seen.gpu.add(identity);
        } else {
          expect(of.queue).toBe(config.queues.cpu);
          expect(identity, `${of.type} ran on ${identity}`).toBe(cpuIdentity);
          seen.cpu.add(identity);
        }
        if (events === histories[0] && of.activityId === killed.activityId)
          retried = { identity, attempt: s.attempt ?? 0 };
      }
    }
    expect([...seen.workflow]).toEqual([cpuIdentity]);
    expect([...seen.cpu]).toEqual([cpuIdentity]);
    expect(retried).toEqual({ identity: survivor, attempt: killed.attempt + 1 });
    const trained = crashed.stages.find((s) => s.label === 'g=1 (shared) train V_g')!;
    expect(trained.attempt).toBe(killed.attempt + 1);
    expect(Number(trained.facts.startStep)).toBeGreaterThanOrEqual(progress!.checkpointStep!);

    // The workers' JSON logs: the killed attempt's start in the victim's log, the retry's start
    // and completion in the survivor's, each with the workflow, stage, attempt and queue.
    const lines = Object.fromEntries(
      gpuIdentities.map((id, i) => [id, jsonLines(logs[i + 1]!)] as const),
    );
    for (const line of [...Object.values(lines).flat(), ...jsonLines(logs[0]!)])
      expect(line).toMatchObject({ time: expect.any(String), level: expect.any(String) });
    const trainLine = (msg: string, attempt: number) =>
      expect.objectContaining({
        msg,
        level: 'info',
        workflowId,
        activityType: 'train',
        attempt,
        taskQueue: config.queues.gpu,
      });
    expect(lines[killed.identity]).toContainEqual(trainLine('activity started', killed.attempt));
    expect(lines[survivor]).toContainEqual(trainLine('activity started', killed.attempt + 1));
    expect(lines[survivor]).toContainEqual(trainLine('activity completed', killed.attempt + 1));

    // The reference: the training forced in-process, so it trains again undisturbed from step 0
    // (forced in the alpha loop too, which recomputes what follows it there: sampling, metrics).
    const reference = await loadGenerationsTable(
      s3StoreOf(config),
      await withWorkers(config, () =>
        client.workflow.execute(generationsStudy, {
          taskQueue: config.queues.cpu,
          workflowId: `${workflowId}-reference`,
          args: [
            {
              spec,
              force: ['train'],
              cpuQueue: config.queues.cpu,
              gpuQueue: config.queues.gpu,
              store: s3StoreOf(config).location,
            },
          ],
        }),
      ),
    );
    const recomputed = reference.stages.filter((s) => !s.cacheHit).map((s) => s.label);
    expect(recomputed).toContain('g=1 (shared) train V_g');
    for (const s of reference.stages.filter((s) => !s.cacheHit && s.name === 'train'))
      expect(s.facts.startStep).toBe(0);
    expect(outputsByLabel(reference)).toEqual(outputsByLabel(crashed));
    expect(reference.rows).toEqual(crashed.rows);
    console.info(
      `[split deployment] ${activities} activities: cpu on ${cpuIdentity}, gpu on ${[...seen.gpu].join(' and ')}; ` +
        `killed ${killed.identity} at ${killedAt.toFixed(0)} s after checkpoint step ${progress!.checkpointStep}, ` +
        `attempt ${trained.attempt} on ${survivor} resumed at step ${trained.facts.startStep}; study done at ${finishedAt.toFixed(0)} s; ` +
        `reference recomputed ${recomputed.length} stages, ${reference.stages.length} outputs equal; ${((performance.now() - started) / 1000).toFixed(0)} s in all`,
    );
  }, 600_000);
});
