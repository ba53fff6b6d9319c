import type { Command } from 'commander';
import { loadConfig } from '../../infra/load-config.ts';
import type { ClabConfig } from '../../lib/config.ts';
import { formatTable } from '../table.ts';
import { describeQueues, type QueueState } from '../task-queues.ts';
import { connectClient } from '../temporal-client.ts';

/** The task queues `clab workers` looks at: the configured cpu and gpu queues, and any named. */
export function watchedQueues(config: ClabConfig, extra: readonly string[] = []): string[] {
  return [...new Set([config.queues.cpu, config.queues.gpu, ...extra])];
}

/** One row per poller, or one `none` row for a queue side nobody polls. */
export function workerRows(states: readonly QueueState[], now = new Date()): string[][] {
  return states.flatMap((s) => {
    const backlog = s.backlog === undefined ? '' : String(s.backlog);
    if (s.pollers.length === 0) return [[s.queue, s.kind, '(none)', '', '', backlog]];
    return s.pollers.map((p) => [
      s.queue,
      s.kind,
      p.identity,
      p.buildId ?? '',
      p.lastAccess
        ? `${Math.max(0, (now.getTime() - p.lastAccess.getTime()) / 1000).toFixed(0)} s ago`
        : '',
      backlog,
    ]);
  });
}

export function registerWorkers(program: Command): void {
  program
    .command('workers')
    .description('List the workers polling the cpu and gpu task queues (and the backlog of each)')
    .option('--queue <name...>', 'more task queues to look at (e.g. demo-cpu demo-gpu)')
    .option('--json', 'print the queues and their pollers as JSON')
    .action(async (opts: { queue?: string[]; json?: boolean }) => {
      const config = loadConfig();
      const client = await connectClient(config);
      const states = await describeQueues(
        client.workflowService,
        config.temporal.namespace,
        watchedQueues(config, opts.queue),
      );
      if (opts.json) {
        console.log(JSON.stringify(states, null, 2));
        return;
      }
      console.log(
        formatTable(
          ['QUEUE', 'TASKS', 'WORKER', 'BUILD', 'LAST POLL', 'BACKLOG'],
          workerRows(states),
        ),
      );
      if (states.every((s) => s.pollers.length === 0))
        console.log('\nno worker polls these queues: start one with npx clab worker');
    });
}
