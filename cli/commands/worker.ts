import type { Command } from 'commander';
import { loadConfig } from '../../infra/load-config.ts';
import { runWorkers, type QueueRole } from '../../workers/run-workers.ts';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Run a Temporal worker for the cpu and/or gpu task queues until interrupted')
    .option('--queues <roles>', 'comma-separated queue roles to serve: cpu, gpu', 'cpu,gpu')
    .action(async (opts: { queues: string }) => {
      const roles = opts.queues
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean);
      for (const role of roles) {
        if (role !== 'cpu' && role !== 'gpu')
          throw new Error(`Expected --queues to list cpu and/or gpu, got \`${role}\``);
      }
      const config = loadConfig();
      const store =
        config.store.kind === 'local'
          ? config.store.root
          : `s3://${config.store.bucket}/${config.store.prefix}`;
      console.error(
        `clab worker: Temporal ${config.temporal.address}, queues ${roles.map((r) => config.queues[r as QueueRole]).join(', ')}, store ${store}`,
      );
      await runWorkers({ config, roles: roles as QueueRole[] });
    });
}
