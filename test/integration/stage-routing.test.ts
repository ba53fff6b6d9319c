// Stages go to the queue their work needs: the PCA + Gaussian-mixture generator is pure TypeScript,
// so a GMM study runs to the end with only a cpu worker, and every activity it schedules names the
// cpu queue; training and ONNX sampling stay on the gpu queue (test/integration/cancel-study.test.ts
// waits for a gpu worker to train).
import { describe, expect, it } from 'vitest';
import { activityRows } from '../../cli/run-history.ts';
import { generationsSpecSchema } from '../../lib/studies/specs/generations.ts';
import { generationsStudy } from '../../workflows/studies/generations.ts';
import { startWorkers } from '../helpers/in-process-worker.ts';
import { isolatedConfig, studyInput, testClient } from '../helpers/stack.ts';

const spec = generationsSpecSchema.parse({
  study: 'generations',
  name: 'test-routing',
  seed: 4,
  dataset: { name: 'fashion-mnist', subset: 100 },
  evaluation: { samples: 100, k: 3, embedding: { kind: 'pca', components: 4, fitSamples: 200 } },
  generator: { kind: 'gmm', latentDim: 4, components: 1, iterations: 2 },
  loop: { mode: 'accumulate', alphas: [1], generations: 1, gridPerClass: 1 },
});

describe('stage routing by need', () => {
  const { config } = isolatedConfig('routing');

  it('runs a GMM study with only a cpu worker: fitGenerator and sampleImages on the cpu queue', async () => {
    const client = await testClient();
    const workers = await startWorkers(config, ['cpu']);
    const workflowId = `routing-test-${Date.now()}`;
    try {
      await client.workflow.execute(generationsStudy, {
        taskQueue: config.queues.cpu,
        workflowId,
        workflowExecutionTimeout: '5 minutes',
        args: [studyInput(config, spec)],
      });
    } finally {
      await workers.stop();
    }
    const queues = new Map<string, Set<string>>();
    for (const id of [workflowId, `${workflowId}/alpha=1`]) {
      const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
      for (const e of events) {
        const scheduled = e.activityTaskScheduledEventAttributes;
        if (!scheduled) continue;
        const type = scheduled.activityType!.name!;
        if (!queues.has(type)) queues.set(type, new Set());
        queues.get(type)!.add(scheduled.taskQueue!.name!);
      }
      expect(activityRows(events).every((r) => r.status === 'completed')).toBe(true);
    }
    expect([...queues.get('fitGenerator')!]).toEqual([config.queues.cpu]);
    expect([...queues.get('sampleImages')!]).toEqual([config.queues.cpu]);
    const all = new Set([...queues.values()].flatMap((s) => [...s]));
    expect([...all]).toEqual([config.queues.cpu]);
  }, 400_000);
});
