// `clab workers` and worker metrics against the real Temporal dev server: no worker, no pollers;
// a `clab worker` process with CLAB_METRICS_ADDRESS appears on both queues with its identity and
// serves Prometheus metrics, among them its task slots.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { watchedQueues, workerRows } from '../../cli/commands/workers.ts';
import { describeQueues, type QueueState } from '../../cli/task-queues.ts';
import { freePort } from '../../infra/free-port.ts';
import { configFromEnv } from '../../lib/config.ts';
import { isolatedEnv, testClient } from '../helpers/stack.ts';
import { exited, spawnWorker } from '../helpers/worker-process.ts';

const pollersOf = (states: QueueState[], queue: string, kind: string) =>
  states.find((s) => s.queue === queue && s.kind === kind)!.pollers;

describe('clab workers and worker metrics', () => {
  it('lists no pollers without a worker, then the worker with its identity; it serves /metrics', async () => {
    const metricsAddress = `127.0.0.1:${await freePort()}`;
    const env = { ...isolatedEnv('workers'), CLAB_METRICS_ADDRESS: metricsAddress };
    const config = configFromEnv(env);
    const { cpu, gpu } = config.queues;
    const client = await testClient();
    const describe = () =>
      describeQueues(client.workflowService, config.temporal.namespace, watchedQueues(config));

    const before = await describe();
    expect(before.map((s) => [s.queue, s.kind, s.pollers.length])).toEqual([
      [cpu, 'workflow', 0],
      [cpu, 'activity', 0],
      [gpu, 'workflow', 0],
      [gpu, 'activity', 0],
    ]);
    expect(workerRows(before).map((r) => r[2])).toEqual(Array(4).fill('(none)'));

    const worker = spawnWorker(env, `/tmp/clab-workers-test-${Date.now()}.log`);
    try {
      let states = before;
      const deadline = Date.now() + 90_000;
      while (
        pollersOf(states, cpu, 'workflow').length === 0 ||
        pollersOf(states, cpu, 'activity').length === 0 ||
        pollersOf(states, gpu, 'activity').length === 0
      ) {
        if (Date.now() > deadline) throw new Error('the worker never polled');
        await sleep(500);
        states = await describe();
      }
      // one process, one identity (<pid>@<host>), seen within the last minute, on the build it reports
      const identities = new Set(
        states.flatMap((s) => s.pollers.map((p) => p.identity)).filter(Boolean),
      );
      expect([...identities]).toEqual([expect.stringMatching(new RegExp(`^${worker.pid}@`))]);
      for (const p of pollersOf(states, gpu, 'activity')) {
        expect(Date.now() - p.lastAccess!.getTime()).toBeLessThan(60_000);
        expect(p.buildId).toMatch(/^wf-[0-9a-f]{16}$/);
      }
      // the gpu worker hosts no workflows
      expect(pollersOf(states, gpu, 'workflow')).toEqual([]);

      const metrics = await (await fetch(`http://${metricsAddress}/metrics`)).text();
      const slots = metrics
        .split('\n')
        .filter((l) => l.startsWith('temporal_worker_task_slots_available{'));
      expect(slots.some((l) => l.includes(`task_queue="${gpu}"`))).toBe(true);
      expect(slots.some((l) => l.includes(`task_queue="${cpu}"`))).toBe(true);
      const activitySlots = slots.find(
        (l) => l.includes(`task_queue="${gpu}"`) && l.includes('worker_type="ActivityWorker"'),
      );
      expect(Number(activitySlots?.split(' ').pop())).toBe(config.worker.activityConcurrency);
    } finally {
      worker.kill('SIGTERM');
      await exited(worker);
    }
  }, 120_000);
});
