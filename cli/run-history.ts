import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

/** One activity of a workflow run, as its history tells it. */
export interface ActivityRow {
  id: string;
  type: string;
  status: 'scheduled' | 'running' | 'completed' | 'failed' | 'timed out' | 'canceled';
  attempts: number;
  /** Run time of the last attempt (start to close). */
  durationMs?: number;
  /** From scheduling to close: queueing, every attempt and the retry back-offs. */
  totalMs?: number;
  /** Epoch milliseconds when the last attempt started and when the activity closed. */
  startedAtMs?: number;
  closedAtMs?: number;
  input?: unknown;
  output?: unknown;
  failure?: string;
}

/**
 * Folds a workflow history into one row per activity: attempts, schedule-to-close duration,
 * decoded input and output, and the failure message of a failed one.
 */
export function activityRows(events: readonly HistoryEvent[]): ActivityRow[] {
  type Tracked = ActivityRow & { scheduledAt: number; startedAt?: number };
  const byScheduledId = new Map<string, Tracked>();
  const rows: Tracked[] = [];
  for (const event of events) {
    const at = timeOf(event);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const row = {
        id: scheduled.activityId ?? '',
        type: scheduled.activityType?.name ?? '?',
        status: 'scheduled' as const,
        attempts: 0,
        input: decode(scheduled.input),
        scheduledAt: at,
      };
      byScheduledId.set(String(event.eventId), row);
      rows.push(row);
      continue;
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const row = byScheduledId.get(String(started.scheduledEventId));
      if (row)
        Object.assign(row, { status: 'running', attempts: started.attempt ?? 1, startedAt: at });
      continue;
    }
    const closed =
      event.activityTaskCompletedEventAttributes ??
      event.activityTaskFailedEventAttributes ??
      event.activityTaskTimedOutEventAttributes ??
      event.activityTaskCanceledEventAttributes;
    const row = closed ? byScheduledId.get(String(closed.scheduledEventId)) : undefined;
    if (!row) continue;
    row.totalMs = at - row.scheduledAt;
    row.closedAtMs = at;
    if (row.startedAt !== undefined) {
      row.durationMs = at - row.startedAt;
      row.startedAtMs = row.startedAt;
    }
    if (event.activityTaskCompletedEventAttributes) {
      row.status = 'completed';
      row.output = decode(event.activityTaskCompletedEventAttributes.result);
    } else if (event.activityTaskFailedEventAttributes) {
      row.status = 'failed';
      row.failure = event.activityTaskFailedEventAttributes.failure?.message ?? 'failed';
    } else if (event.activityTaskTimedOutEventAttributes) {
      row.status = 'timed out';
      row.failure = event.activityTaskTimedOutEventAttributes.failure?.message ?? 'timed out';
    } else {
      row.status = 'canceled';
    }
  }
  return rows.map(({ scheduledAt: _s, startedAt: _t, ...row }) => row);
}

function timeOf(event: HistoryEvent): number {
  const t = event.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
}

function decode(payloads: Payloads): unknown {
  const list = payloads?.payloads ?? [];
  try {
    const values = list.map((p) => defaultPayloadConverter.fromPayload(p));
    return values.length === 1 ? values[0] : values;
  } catch {
    return '(undecodable payload)';
  }
}

type VersioningInfo = temporal.api.workflow.v1.IWorkflowExecutionVersioningInfo;

/** Where a run's workflow code runs under Worker Deployment versioning (see workers/deployment.ts). */
export interface RunVersion {
  /** pinned (stays on its build), auto-upgrade (moves to the current build), or '' (unversioned) */
  behavior: 'pinned' | 'auto-upgrade' | '';
  deploymentName?: string;
  buildId?: string;
  /** An operator's override (`temporal workflow update-options`), e.g. `pinned to clab.wf-1234`. */
  override?: string;
  /** The build the run is being moved to (a pending transition), if any. */
  transitionTo?: string;
}

/** The deployment version of a run, from its description's `workflowExecutionInfo.versioningInfo`. */
export function runVersion(info: VersioningInfo | null | undefined): RunVersion {
  const version = info?.deploymentVersion;
  const override = info?.versioningOverride;
  const pinnedTo = override?.pinned?.version ?? undefined;
  const overrideText = pinnedTo
    ? `pinned to ${pinnedTo.deploymentName}/${pinnedTo.buildId}`
    : override?.autoUpgrade
      ? 'auto-upgrade'
      : override
        ? behaviorName(override.behavior)
        : '';
  const transition = info?.versionTransition?.deploymentVersion?.buildId;
  return {
    behavior: behaviorName(info?.behavior),
    ...(version?.deploymentName ? { deploymentName: version.deploymentName } : {}),
    ...(version?.buildId ? { buildId: version.buildId } : {}),
    ...(overrideText ? { override: overrideText } : {}),
    ...(transition ? { transitionTo: transition } : {}),
  };
}

/** The build id that completed each workflow task of a history, in order ('' if unversioned). */
export function workflowTaskBuilds(events: readonly HistoryEvent[]): string[] {
  return events.flatMap((e) => {
    const completed = e.workflowTaskCompletedEventAttributes;
    return completed ? [completed.deploymentVersion?.buildId ?? ''] : [];
  });
}

/** temporal.api.enums.v1.VersioningBehavior, which arrives as its number or as its name. */
function behaviorName(value: unknown): RunVersion['behavior'] {
  if (value === 1 || value === 'VERSIONING_BEHAVIOR_PINNED') return 'pinned';
  if (value === 2 || value === 'VERSIONING_BEHAVIOR_AUTO_UPGRADE') return 'auto-upgrade';
  return '';
}
