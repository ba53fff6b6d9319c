import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../infra/load-config.ts';
import { connectClient } from '../temporal-client.ts';

export interface CancelOutcome {
  workflowId: string;
  /** Temporal's status name once it settled (CANCELLED when it worked), or RUNNING on a timeout. */
  status: string;
  /** The run had closed before the request: nothing was cancelled. */
  alreadyClosed: boolean;
  /** From the request to the run's close (or to giving up). */
  seconds: number;
}

/**
 * Requests cancellation of a workflow and waits up to `waitMs` for it to close. Cancelling a study
 * cancels its child workflows and running stages: each stage learns of it from its next heartbeat
 * (within a few seconds), stops (a trainer process is killed, a compute thread terminated) and
 * the study closes as cancelled once they have, with no stage recorded that did not finish.
 */
export async function cancelWorkflow(
  client: Client,
  workflowId: string,
  waitMs = 120_000,
): Promise<CancelOutcome> {
  const handle = client.workflow.getHandle(workflowId);
  const before = await handle.describe();
  if (before.status.name !== 'RUNNING')
    return { workflowId, status: before.status.name, alreadyClosed: true, seconds: 0 };
  const started = performance.now();
  await handle.cancel();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    handle.result().catch(() => undefined), // a cancelled run's result rejects
    new Promise((resolve) => (timer = setTimeout(resolve, waitMs))),
  ]);
  clearTimeout(timer);
  const after = await handle.describe();
  return {
    workflowId,
    status: after.status.name,
    alreadyClosed: false,
    seconds: (performance.now() - started) / 1000,
  };
}

export function registerCancel(program: Command): void {
  program
    .command('cancel')
    .description('Cancel a running study (its child workflows and running stages too) and wait')
    .argument('<workflow-id>')
    .option('--wait <seconds>', 'how long to wait for the run to close', '120')
    .action(async (workflowId: string, opts: { wait: string }) => {
      const waitSeconds = Number(opts.wait);
      if (!Number.isFinite(waitSeconds) || waitSeconds < 0)
        throw new Error(`Expected --wait to be a number of seconds, got \`${opts.wait}\``);
      const client = await connectClient(loadConfig());
      const outcome = await cancelWorkflow(client, workflowId, waitSeconds * 1000);
      if (outcome.alreadyClosed) {
        console.log(`${workflowId} is not running (${outcome.status}): nothing to cancel`);
      } else if (outcome.status === 'RUNNING') {
        console.log(
          `${workflowId}: cancellation requested, still running after ${outcome.seconds.toFixed(1)} s (stages stop at their next heartbeat; see npx clab runs show ${workflowId})`,
        );
        process.exitCode = 1;
      } else {
        console.log(`${workflowId}: ${outcome.status} after ${outcome.seconds.toFixed(1)} s`);
        if (outcome.status !== 'CANCELLED') process.exitCode = 1;
      }
    });
}
