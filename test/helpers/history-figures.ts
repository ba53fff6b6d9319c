import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Bytes of the largest Payloads (or lone Payload) anywhere in an event, and where it was. */
export function largestPayload(event: HistoryEvent): { bytes: number; where: string } {
  let best = { bytes: 0, where: '' };
  const sizeOf = (p: temporal.api.common.v1.IPayload) =>
    (p.data?.byteLength ?? 0) +
    Object.entries(p.metadata ?? {}).reduce((n, [k, v]) => n + k.length + v.byteLength, 0);
  const visit = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    const o = value as Record<string, unknown>;
    let bytes: number | undefined;
    if (Array.isArray(o.payloads))
      bytes = (o.payloads as temporal.api.common.v1.IPayload[]).reduce((n, p) => n + sizeOf(p), 0);
    else if (o.data instanceof Uint8Array) bytes = sizeOf(o);
    if (bytes !== undefined) {
      if (bytes > best.bytes) best = { bytes, where: path };
      return;
    }
    for (const [k, v] of Object.entries(o)) visit(v, `${path}.${k}`);
  };
  visit(event, String(event.eventType));
  return best;
}

export interface RunFigures {
  runs: number;
  events: number;
  maxEventsPerRun: number;
  largest: { bytes: number; where: string };
  histories: HistoryEvent[][];
}

/**
 * Every run of a workflow (following continue-as-new from its first run) and, recursively, of
 * every child it started, with their event counts and the largest payload among their events.
 */
export async function historyFigures(
  client: Client,
  workflowId: string,
  firstRunId?: string,
): Promise<RunFigures> {
  const figures: RunFigures = {
    runs: 0,
    events: 0,
    maxEventsPerRun: 0,
    largest: { bytes: 0, where: '' },
    histories: [],
  };
  const pending: { workflowId: string; runId?: string }[] = [{ workflowId, runId: firstRunId }];
  for (let next = pending.shift(); next; next = pending.shift()) {
    const events = (await client.workflow.getHandle(next.workflowId, next.runId).fetchHistory())
      .events!;
    figures.runs++;
    figures.events += events.length;
    figures.maxEventsPerRun = Math.max(figures.maxEventsPerRun, events.length);
    figures.histories.push(events);
    for (const event of events) {
      const largest = largestPayload(event);
      if (largest.bytes > figures.largest.bytes)
        figures.largest = { ...largest, where: `${next.workflowId}: ${largest.where}` };
      const continued = event.workflowExecutionContinuedAsNewEventAttributes;
      if (continued)
        pending.push({ workflowId: next.workflowId, runId: continued.newExecutionRunId! });
      const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child) pending.push({ workflowId: child.workflowId!, runId: child.runId! });
    }
  }
  return figures;
}
