import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { ClabConfig } from '../../lib/config.ts';
import { createWorkers } from '../../workers/run-workers.ts';

let runtimeInstalled = false;

/** Runs `fn` while cpu and gpu workers for `config` run in this process, then shuts them down. */
export async function withWorkers<T>(config: ClabConfig, fn: () => Promise<T>): Promise<T> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const { workers, connection } = await createWorkers({ config, roles: ['cpu', 'gpu'] });
  const running = Promise.all(workers.map((w) => w.run()));
  try {
    return await fn();
  } finally {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await connection.close();
  }
}
