import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { relative } from 'node:path';
import { CodeFingerprints, REPO_ROOT } from '../activities/code-fingerprints.ts';
import { guardThreadCode } from '../activities/compute/run-in-thread.ts';
import { createActivities } from '../activities/index.ts';
import type { ClabConfig } from '../lib/config.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { openStore } from '../lib/storage/open-store.ts';
import { codeVersion } from './code-version.ts';
import { routeVersion, workerDeploymentVersion, type RoutingOutcome } from './deployment.ts';
import { JsonLogger, logActivityAttempts } from './logging.ts';
import { installRuntime } from './runtime.ts';
import { workerTracing, type WorkerTracing } from './tracing.ts';

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
  /** The store the activities use (default: the one the config names; tests wrap it). */
  store?: ArtifactStore;
  /** Where the deployment routing lines go; by default the worker log (JSON) or stderr (text). */
  log?: (line: string) => void;
}

const stderrLog = (line: string) => console.error(`clab worker: ${line}`);

export interface CreatedWorkers {
  workers: Worker[];
  connection: NativeConnection;
  /** The deployment version every worker of this process reports (see workers/deployment.ts). */
  version: WorkerDeploymentVersion;
  /**
   * Settles (never rejects) once the workers run and this version is routed: made current when
   * the deployment had none (or auto-promotion is on), or left as it is with a logged hint.
   */
  routing: Promise<RoutingOutcome>;
  /**
   * Exports the spans the workers still buffer and stops tracing (CLAB_OTEL_ENDPOINT); call once
   * the workers have stopped. Does nothing when tracing is off.
   */
  flushTracing(): Promise<void>;
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
  log = stderrLog,
  store = openStore(config.store),
}: WorkerOptions): Promise<CreatedWorkers> {
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  // The code this process loaded, fingerprinted now: stage keys describe it, and compute threads
  // refuse to load files edited since.
  const code = new CodeFingerprints(config).snapshot();
  guardThreadCode((module) =>
    code.assertUnchanged([relative(REPO_ROOT, fileURLToPath(module))], 'compute thread'),
  );
  const activities = createActivities({
    store,
    code,
    codeVersion: codeVersion(),
    trainer: config.trainer,
    inference: config.inference,
  });
  // One version for the process (cpu and gpu alike), from the workflow code it loaded. Each
  // workflow stays on the version whose worker ran its first task (PINNED): a study that runs for
  // days keeps its code while new studies start on the deployment's current version.
  const version = workerDeploymentVersion(config, code.workflows().fingerprint);
  const workers: Worker[] = [];
  const tracings: WorkerTracing[] = [];
  for (const role of roles) {
    // OpenTelemetry spans (workers/tracing.ts) when CLAB_OTEL_ENDPOINT is set; otherwise the
    // options, and so the workflow bundle, are as without tracing
    const tracing = config.otelEndpoint
      ? workerTracing(config.otelEndpoint, config.queues[role], role)
      : undefined;
    if (tracing) tracings.push(tracing);
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
        // each activity attempt's start and completion in the worker's log (workers/logging.ts)
        interceptors: tracing
          ? {
              activity: [...tracing.activityInterceptors, logActivityAttempts],
              ...(role === 'cpu' ? { workflowModules: tracing.workflowModules } : {}),
            }
          : { activity: [logActivityAttempts] },
        ...(tracing && role === 'cpu' ? { sinks: tracing.sinks } : {}),
        // A routine restart (SIGTERM) stops polling and lets in-flight activities finish for this
        // long (CLAB_SHUTDOWN_GRACE) before cancelling them, rather than cancelling them at once
        // and spending one of their attempts.
        shutdownGraceTime: config.worker.shutdownGraceMs,
        // Heartbeat details are what a retried activity resumes from (the last uploaded training
        // checkpoint, the finished sample shards): send them every few seconds, not only every
        // 80% of the heartbeat timeout, the SDK's default throttle.
        maxHeartbeatThrottleInterval: '5 seconds',
        workerDeploymentOptions: {
          useWorkerVersioning: true,
          version,
          defaultVersioningBehavior: 'PINNED',
        },
      }),
    );
  }
  const states = () => workers.map((w) => w.getState());
  const routing = routeVersion({
    service: connection.workflowService,
    namespace: config.temporal.namespace,
    version,
    queues: roles.map((role) => config.queues[role]),
    autoPromote: config.deployment.autoPromote,
    log,
    running: () =>
      states().includes('RUNNING')
        ? 'running'
        : states().every((s) => s === 'INITIALIZED')
          ? 'waiting'
          : 'stopped',
  }).catch((error: unknown) => ({ kind: 'gave-up' as const, reason: String(error) }));
  const flushTracing = async () => {
    await Promise.all(tracings.map((t) => t.shutdown()));
  };
  return { workers, connection, version, routing, flushTracing };
}

/**
 * Installs the runtime (see installRuntime), then runs the workers until SIGINT/SIGTERM (the SDK
 * installs those handlers) and closes the connection.
 */
export async function runWorkers(options: WorkerOptions): Promise<void> {
  const logger = installRuntime(options.config);
  // the process's own lines: JSON objects like the SDK's, or the text lines on stderr
  const log =
    options.log ??
    (logger instanceof JsonLogger
      ? (line: string) => logger.info(line, { sdkComponent: 'clab-worker' })
      : stderrLog);
  const { workers, connection, version, flushTracing } = await createWorkers({ ...options, log });
  log(
    `deployment ${version.deploymentName}, build ${version.buildId}: each study stays on the build that started it`,
  );
  if (options.config.metricsAddress)
    log(`Prometheus metrics at http://${options.config.metricsAddress}/metrics`);
  if (options.config.otelEndpoint)
    log(`OpenTelemetry spans to ${options.config.otelEndpoint} (OTLP/HTTP)`);
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await flushTracing().catch((error: unknown) => log(`flushing spans failed: ${String(error)}`));
    await connection.close();
  }
}
