import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { resolveBinary } from '../../infra/binaries.ts';
import { freePort } from '../../infra/free-port.ts';
import { loadConfig } from '../../infra/load-config.ts';
import { stopChild, type StartedProcess } from '../../infra/server-process.ts';
import { startTemporalServer, temporalAnswers } from '../../infra/temporal-server.ts';
import type { ClabConfig } from '../../lib/config.ts';
import { openStore } from '../../lib/storage/open-store.ts';
import { ingestDataset } from '../../workflows/ingest-dataset.ts';
import { createWorkers } from '../../workers/run-workers.ts';
import { followIngest } from '../follow-ingest.ts';
import { connectClient } from '../temporal-client.ts';

/**
 * The demo: on a machine with nothing running, starts a private Temporal dev server (unless one
 * answers already) and in-process workers, then ingests both Fashion-MNIST splits into the
 * configured store (the local directory by default) and says where everything is.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run the demo end to end on this machine (starts what it needs, stops it after)')
    .action(async () => {
      const log = (line: string) => console.error(`[demo] ${line}`);
      // own task queues, so that workers started elsewhere (perhaps on another store) never take its tasks
      let config: ClabConfig = { ...loadConfig(), queues: { cpu: 'demo-cpu', gpu: 'demo-gpu' } };
      let server: { proc: StartedProcess; port: number } | undefined;
      if (await temporalAnswers(config.temporal.address)) {
        log(`using the Temporal server at ${config.temporal.address}`);
      } else {
        const bin = await resolveBinary('temporal', { log });
        if (!bin)
          throw new Error(
            'No Temporal server answers and no binary could be found or built (npm run infra:build needs Go)',
          );
        server = await startPrivateServer(bin, config);
        config = {
          ...config,
          temporal: { ...config.temporal, address: `127.0.0.1:${server.port}` },
        };
        log(
          `started a private Temporal dev server at ${config.temporal.address} (log ${server.proc.logFile})`,
        );
      }
      Runtime.install({ logger: new DefaultLogger('WARN') });
      const { workers, connection } = await createWorkers({ config, roles: ['cpu', 'gpu'] });
      const running = Promise.all(workers.map((w) => w.run()));
      try {
        const client = await connectClient(config);
        for (const split of ['train', 'test'] as const) {
          const workflowId = `demo-ingest-fashion-mnist-${split}-${Date.now().toString(36)}`;
          log(`ingesting Fashion-MNIST ${split} (workflow ${workflowId})`);
          const handle = await client.workflow.start(ingestDataset, {
            taskQueue: config.queues.cpu,
            workflowId,
            args: [
              {
                source: { kind: 'fashion-mnist', split },
                cpuQueue: config.queues.cpu,
                store: openStore(config.store).location,
              },
            ],
          });
          const manifest = await followIngest(handle);
          log(
            `${manifest.name}: ${manifest.count} images in ${manifest.shards} shards; manifest sha256:${manifest.digest}`,
          );
        }
        const where =
          config.store.kind === 'local'
            ? config.store.root
            : `s3://${config.store.bucket}/${config.store.prefix}`;
        log(`artifacts are in ${where} (content-addressed: sha256/<2 hex>/<digest>)`);
        if (!server)
          log('inspect the runs with: npx clab runs list, npx clab runs show <workflow-id>');
      } finally {
        for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
        await connection.close();
        if (server) await stopChild(server.proc.child);
      }
    });
}

async function startPrivateServer(
  bin: string,
  config: ClabConfig,
): Promise<{ proc: StartedProcess; port: number }> {
  const dir = join(config.home, 'demo');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const proc = await startTemporalServer({
    bin,
    port,
    uiPort: await freePort(),
    dbFile: join(dir, 'temporal.db'),
    logFile: join(dir, 'temporal.log'),
    detached: false,
  });
  return { proc, port };
}
