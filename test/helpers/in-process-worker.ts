import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { ClabConfig } from '../../lib/config.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import type { RoutingOutcome } from '../../workers/deployment.ts';
import { createWorkers, type QueueRole } from '../../workers/run-workers.ts';

let runtimeInstalled = false;

export interface RunningWorkers {
  version: WorkerDeploymentVersion;
  /** How the deployment routes this version once its workers polled. */
  routing: RoutingOutcome;
  /**
   * Shuts the workers down (in-flight activities get the config's shutdown grace time to finish,
   * then are cancelled) and closes their connection; once.
   */
  stop(): Promise<void>;
}

/**
 * Starts workers for `config` (cpu and gpu by default) in this process and waits until their
 * deployment version is routed (made current, or left alone as the config's auto-promotion
 * says), so that a workflow started next finds its workers.
 */
export async function startWorkers(
  config: ClabConfig,
  roles: readonly QueueRole[] = ['cpu', 'gpu'],
  store?: ArtifactStore,
): Promise<RunningWorkers> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const { workers, connection, version, routing } = await createWorkers({
    config,
    roles,
    log: () => {},
    ...(store ? { store } : {}),
  });
  const running = Promise.all(workers.map((w) => w.run()));
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    })());
  const outcome = await routing;
  if (outcome.kind === 'gave-up') {
    await stop();
    throw new Error(`workers of build ${version.buildId} were not routed: ${outcome.reason}`);
  }
  return { version, routing: outcome, stop };
}

/** Runs `fn` while cpu and gpu workers for `config` run in this process, then shuts them down. */
export async function withWorkers<T>(
  config: ClabConfig,
  fn: () => Promise<T>,
  store?: ArtifactStore,
): Promise<T> {
  const workers = await startWorkers(config, ['cpu', 'gpu'], store);
  try {
    return await fn();
  } finally {
    await workers.stop();
  }
}
