import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { runVersion } from './run-history.ts';
import { describeQueue, type QueueState, type TaskKind } from './task-queues.ts';

// the package is CommonJS: its default export holds the generated namespaces
const { PendingActivityState, PendingWorkflowTaskState } = proto.temporal.api.enums.v1;

/** Why a workflow (or one of its running children) makes no progress: tasks no worker can take. */
export interface WaitingNote {
  workflowId: string;
  /** The activity type, or `workflow task`. */
  task: string;
  queue: string;
  /** A build the run is pinned to, when workers poll the queue but none of that build. */
  build?: string;
}

/**
 * The tasks of a running workflow and its running children (to `depth` levels) that are scheduled
 * but not started while their task queue has no poller (or none of the build the run is pinned
 * to): a stage waiting for a worker that is not there. Activities waiting out a retry back-off
 * are not listed.
 */
export async function waitingNotes(
  client: Client,
  workflowId: string,
  depth = 2,
): Promise<WaitingNote[]> {
  const queues = new Map<string, Promise<QueueState>>();
  const queue = (name: string, kind: TaskKind) => {
    const key = `${kind}:${name}`;
    if (!queues.has(key))
      queues.set(key, describeQueue(client.workflowService, client.options.namespace, name, kind));
    return queues.get(key)!;
  };
  const notes: WaitingNote[] = [];
  const visit = async (id: string, runId: string | undefined, level: number): Promise<void> => {
    const { raw, status, taskQueue } = await client.workflow.getHandle(id, runId).describe();
    if (status.name !== 'RUNNING') return;
    const build = runVersion(raw.workflowExecutionInfo?.versioningInfo).buildId;
    const check = async (task: string, name: string, kind: TaskKind) => {
      const { pollers } = await queue(name, kind);
      if (pollers.length === 0) notes.push({ workflowId: id, task, queue: name });
      else if (build && pollers.every((p) => p.buildId && p.buildId !== build))
        notes.push({ workflowId: id, task, queue: name, build });
    };
    const pendingTask = raw.pendingWorkflowTask;
    if (pendingTask?.state === PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED)
      await check('workflow task', taskQueue, 'workflow');
    const now = Date.now();
    for (const activity of raw.pendingActivities ?? []) {
      if (activity.state !== PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED) continue;
      const next = activity.nextAttemptScheduleTime;
      if (next && Number(next.seconds ?? 0) * 1000 > now) continue; // a retry back-off
      const name = activity.activityOptions?.taskQueue?.name;
      if (name) await check(activity.activityType?.name ?? '?', name, 'activity');
    }
    if (level < depth)
      for (const child of raw.pendingChildren ?? [])
        if (child.workflowId) await visit(child.workflowId, child.runId ?? undefined, level + 1);
  };
  await visit(workflowId, undefined, 0);
  return notes;
}

/** `waiting: no worker polls the gpu queue (train in <id>)`; roles name the configured queues. */
export function describeWaiting(
  note: WaitingNote,
  roles: Readonly<Record<string, string>>,
): string {
  const role = roles[note.queue];
  const where = role ? `the ${role} queue (${note.queue})` : `the queue ${note.queue}`;
  const who = note.build ? `no worker of build ${note.build} polls` : 'no worker polls';
  return `waiting: ${who} ${where}: ${note.task} in ${note.workflowId}`;
}
