import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import type { ClabConfig } from '../lib/config.ts';
import { openStore } from '../lib/storage/open-store.ts';
import { codeVersion } from './code-version.ts';

export type QueueRole = 'cpu' | 'gpu';

export const WORKFLOWS_PATH = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'workflows',
  'index.ts',
);

export interface WorkerOptions {
  config: ClabConfig;
  roles: readonly QueueRole[];
  /** A prebuilt workflow bundle (tests share one); by default the workflows are bundled at start. */
  workflowBundle?: WorkflowBundle;
}

/**
 * Creates one Temporal worker per queue role on a shared connection. The `cpu` worker hosts the
 * workflows and the CPU activities; the `gpu` worker hosts the activities that want an accelerator.
 * On a machine without a GPU one process serves both.
 */
export async function createWorkers({
  config,
  roles,
  workflowBundle,
}: WorkerOptions): Promise<{ workers: Worker[]; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const activities = createActivities({
    store: openStore(config.store),
    codeVersion: codeVersion(),
    trainer: config.trainer,
    inference: config.inference,
  });
  const workers: Worker[] = [];
  for (const role of roles) {
    workers.push(
      await Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: config.queues[role],
        activities,
        ...(role === 'cpu'
          ? workflowBundle
            ? { workflowBundle }
            : { workflowsPath: WORKFLOWS_PATH }
          : {}),
        maxConcurrentActivityTaskExecutions: config.worker.activityConcurrency,
        // Heartbeat details are what a retried activity resumes from (the last uploaded training
        // checkpoint, the finished sample shards): send them every few seconds, not only every
        // 80% of the heartbeat timeout, the SDK's default throttle.
        maxHeartbeatThrottleInterval: '5 seconds',
      }),
    );
  }
  return { workers, connection };
}

/** Runs the workers until SIGINT/SIGTERM (the SDK installs those handlers), then closes the connection. */
export async function runWorkers(options: WorkerOptions): Promise<void> {
  const { workers, connection } = await createWorkers(options);
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await connection.close();
  }
}
