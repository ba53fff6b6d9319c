import type { WorkflowService } from '@temporalio/client';
import proto from '@temporalio/proto';

export type TaskKind = 'workflow' | 'activity';

// the package is CommonJS: its default export holds the generated namespaces
const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

const TASK_QUEUE_TYPE: Readonly<Record<TaskKind, number>> = {
  workflow: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  activity: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
};

/** A worker polling a task queue, as the server last saw it. */
export interface Poller {
  identity: string;
  lastAccess?: Date;
  /** The worker deployment build it reports (versioned workers). */
  buildId?: string;
}

/** One task queue and task type: who polls it and how many tasks wait there. */
export interface QueueState {
  queue: string;
  kind: TaskKind;
  pollers: Poller[];
  /** Tasks waiting for a worker (approximate; absent when the server reports no stats). */
  backlog?: number;
}

/**
 * The pollers of `queue` for `kind` tasks (those of the last few minutes: the server forgets a
 * worker that stopped polling), with the queue's backlog where the server reports statistics.
 */
export async function describeQueue(
  service: WorkflowService,
  namespace: string,
  queue: string,
  kind: TaskKind,
): Promise<QueueState> {
  const response = await service.describeTaskQueue({
    namespace,
    taskQueue: { name: queue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: TASK_QUEUE_TYPE[kind],
    reportStats: true,
  });
  const pollers = (response.pollers ?? []).map((p) => ({
    identity: p.identity ?? '',
    ...(p.lastAccessTime ? { lastAccess: timestampDate(p.lastAccessTime) } : {}),
    ...(p.deploymentOptions?.buildId ? { buildId: p.deploymentOptions.buildId } : {}),
  }));
  const count = response.stats?.approximateBacklogCount;
  return {
    queue,
    kind,
    pollers,
    ...(count !== undefined && count !== null ? { backlog: Number(count) } : {}),
  };
}

/** The workflow and activity sides of each queue, in that order. */
export async function describeQueues(
  service: WorkflowService,
  namespace: string,
  queues: readonly string[],
): Promise<QueueState[]> {
  const kinds: TaskKind[] = ['workflow', 'activity'];
  return Promise.all(
    queues.flatMap((queue) => kinds.map((kind) => describeQueue(service, namespace, queue, kind))),
  );
}

function timestampDate(t: { seconds?: unknown; nanos?: number | null }): Date {
  return new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6));
}
