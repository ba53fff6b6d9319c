// `clab cancel` on a study in the middle of a long training, through the real Temporal server: the
// study closes as cancelled within seconds, the trainer process is gone, its work directory removed
// and the cancelled stage left no record. Before that, with no gpu worker, `clab runs show`'s
// waiting note names the queue the training waits on.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cancelWorkflow } from '../../cli/commands/cancel.ts';
import { activityRows } from '../../cli/run-history.ts';
import { describeWaiting, waitingNotes, type WaitingNote } from '../../cli/waiting-stages.ts';
import { generationsSpecSchema } from '../../lib/studies/specs/generations.ts';
import { generationsStudy } from '../../workflows/studies/generations.ts';
import { startWorkers } from '../helpers/in-process-worker.ts';
import { isolatedConfig, studyInput, testClient } from '../helpers/stack.ts';

// The metric embedding's classifier (the study's first training) made long: 1,000 epochs.
const spec = generationsSpecSchema.parse({
  study: 'generations',
  name: 'test-cancel',
  seed: 3,
  dataset: { name: 'fashion-mnist', subset: 100, classes: [1, 8] },
  evaluation: {
    samples: 100,
    k: 3,
    embedding: { kind: 'classifier', trainSamples: 1000, epochs: 1000, batchSize: 64 },
  },
  generator: {
    kind: 'ddpm',
    training: { steps: 10, channels: [8, 8, 8], batchSize: 16, warmupSteps: 1 },
    sampling: { steps: 2, batchSize: 50 },
  },
  loop: { mode: 'accumulate', alphas: [1], generations: 1, gridPerClass: 1 },
});

/** Process ids of trainer processes working under `home` (their arguments name its work dir). */
function trainerPids(home: string): number[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps
    .split('\n')
    .filter((line) => line.includes('-m trainers.') && line.includes(home))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

describe('clab cancel', () => {
  const { config } = isolatedConfig('cancel');

  it('cancels a study mid-training: cancelled in seconds, no trainer left, nothing recorded for the stage', async () => {
    const client = await testClient();
    // first only a cpu worker: the training waits for a gpu worker, and `runs show` says so
    const cpuWorker = await startWorkers(config, ['cpu']);
    let gpuWorker: Awaited<ReturnType<typeof startWorkers>> | undefined;
    const workflowId = `cancel-test-${Date.now()}`;
    try {
      const handle = await client.workflow.start(generationsStudy, {
        taskQueue: config.queues.cpu,
        workflowId,
        args: [studyInput(config, spec)],
      });
      let waiting: WaitingNote[] = [];
      const waitUntil = Date.now() + 300_000;
      while (!waiting.some((n) => n.task === 'train')) {
        if (Date.now() > waitUntil) throw new Error('the training was never scheduled');
        await sleep(1000);
        waiting = await waitingNotes(client, workflowId);
      }
      const roles = { [config.queues.cpu]: 'cpu', [config.queues.gpu]: 'gpu' };
      expect(waiting.map((n) => describeWaiting(n, roles))).toEqual([
        `waiting: no worker polls the gpu queue (${config.queues.gpu}): train in ${workflowId}`,
      ]);
      expect(trainerPids(config.home)).toEqual([]);

      gpuWorker = await startWorkers(config, ['gpu']);
      const deadline = Date.now() + 120_000;
      while (trainerPids(config.home).length === 0) {
        if (Date.now() > deadline) throw new Error('the classifier training never started');
        await sleep(250);
      }
      await sleep(3000); // well into its training
      expect(trainerPids(config.home)).toHaveLength(1);
      expect(await waitingNotes(client, workflowId)).toEqual([]);

      const outcome = await cancelWorkflow(client, workflowId, 60_000);
      console.log(`cancel -> ${outcome.status} in ${outcome.seconds.toFixed(2)} s`);
      expect(outcome).toMatchObject({ status: 'CANCELLED', alreadyClosed: false });
      expect(outcome.seconds).toBeLessThan(15);
      // the study closed only once its stage had stopped: the trainer is gone already
      expect(trainerPids(config.home)).toEqual([]);
      const work = config.trainer.workDir;
      expect(existsSync(work) ? readdirSync(work) : []).toEqual([]);

      const rows = activityRows((await handle.fetchHistory()).events ?? []);
      const train = rows.filter((r) => r.type === 'train');
      expect(train.map((r) => r.status)).toEqual(['canceled']);
      // the stage cache recorded every stage before the training and nothing after it started
      const trainAt = rows.indexOf(train[0]!);
      expect(rows.slice(trainAt + 1).map((r) => r.type)).not.toContain('recordStage');

      // a second cancel finds nothing to do
      expect(await cancelWorkflow(client, workflowId)).toMatchObject({
        alreadyClosed: true,
        status: 'CANCELLED',
      });
    } finally {
      await gpuWorker?.stop();
      await cpuWorker.stop();
    }
    expect(trainerPids(config.home)).toEqual([]);
  }, 600_000);
});
