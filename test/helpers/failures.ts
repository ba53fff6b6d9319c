import type { Client } from '@temporalio/client';
import { activityRows } from '../../cli/run-history.ts';

/** The messages of an error and its causes, joined outermost first: what a user reads. */
export function failureChain(error: unknown): string {
  const chain: string[] = [];
  for (
    let e = error as { message?: string; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  )
    chain.push(e.message ?? '');
  return chain.join(' <- ');
}

/** Attempts of the first failed `activityType` found in failed generational-study runs. */
export async function failedAttempts(
  client: Client,
  activityType: string,
): Promise<number | undefined> {
  const runs = client.workflow.list({
    query: `WorkflowType IN ('generationsStudy', 'generationsLoop') AND ExecutionStatus = 'Failed'`,
  });
  for await (const r of runs) {
    const rows = activityRows(
      (await client.workflow.getHandle(r.workflowId).fetchHistory()).events ?? [],
    );
    const attempts = rows.find((x) => x.type === activityType && x.status === 'failed')?.attempts;
    if (attempts !== undefined) return attempts;
  }
  return undefined;
}
