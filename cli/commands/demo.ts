import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { resolveBinary } from '../../infra/binaries.ts';
import { freePort } from '../../infra/free-port.ts';
import { loadConfig } from '../../infra/load-config.ts';
import { stopChild, type StartedProcess } from '../../infra/server-process.ts';
import { startTemporalServer, temporalAnswers } from '../../infra/temporal-server.ts';
import type { ClabConfig } from '../../lib/config.ts';
import { createWorkers } from '../../workers/run-workers.ts';
import { connectClient } from '../temporal-client.ts';
import { readSpec, startAndFollow } from './study.ts';

const STUDIES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'studies');
const DEFAULT_DEMO = 'generations-gmm';

/** The example study named `name` (a file `studies/<name>.yaml`); errors list the names there. */
export function demoSpecPath(name: string): string {
  const path = join(STUDIES_DIR, `${name}.yaml`);
  if (/^[a-z0-9-]+$/.test(name) && existsSync(path)) return path;
  const known = readdirSync(STUDIES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
  throw new Error(`No example study \`${name}\` (known: ${known.join(', ')})`);
}

/**
 * The demo: on a machine with nothing running, starts a private Temporal dev server (unless one
 * answers already) and in-process workers, runs an example study (by default the generational
 * study of studies/generations-gmm.yaml) on the configured store (the local directory by default)
 * and writes its report.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .argument(
      '[study]',
      'an example study by name: a file studies/<name>.yaml (e.g. contamination-gmm, contamination-digits)',
      DEFAULT_DEMO,
    )
    .description(
      'Run an example study (default studies/generations-gmm.yaml) end to end; starts what it needs, stops it after',
    )
    .action(async (study: string) => {
      const specPath = demoSpecPath(study);
      const log = (line: string) => console.error(`[demo] ${line}`);
      // own task queues, so that workers started elsewhere (perhaps on another store) never take its
      // tasks, and own worker deployment, whose current build is always the one the demo runs
      const loaded = loadConfig();
      let config: ClabConfig = {
        ...loaded,
        queues: { cpu: 'demo-cpu', gpu: 'demo-gpu' },
        deployment: {
          ...loaded.deployment,
          name: `${loaded.deployment.name}-demo`,
          autoPromote: true,
        },
      };
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
      const { workers, connection, routing } = await createWorkers({
        config,
        roles: ['cpu', 'gpu'],
        log,
      });
      const running = Promise.all(workers.map((w) => w.run()));
      try {
        const routed = await routing;
        if (routed.kind === 'gave-up')
          throw new Error(`the demo's workers could not be routed: ${routed.reason}`);
        const client = await connectClient(config);
        log(
          study === DEFAULT_DEMO
            ? `running ${specPath}: the Martinez et al. loop with a PCA + Gaussian-mixture generator`
            : `running ${specPath}`,
        );
        await startAndFollow(client, config, readSpec(specPath), [], {});
        if (!server)
          log('inspect the run with: npx clab runs show <workflow-id>, npx clab lineage <digest>');
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
