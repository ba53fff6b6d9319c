import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadConfig } from '../../infra/load-config.ts';
import { ensureLocalTemporal } from '../../infra/local-temporal.ts';
import { temporalAnswers } from '../../infra/temporal-server.ts';
import type { ClabConfig } from '../../lib/config.ts';
import { createWorkers } from '../../workers/run-workers.ts';
import { installRuntime } from '../../workers/runtime.ts';
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
 * The demo: uses the Temporal server that answers at the configured address, or on a machine with
 * nothing running starts the local one of `npm run infra:up` (same database, left running, so
 * `clab runs list` shows the demo's run), runs in-process workers and an example study (by default
 * the generational study of studies/generations-gmm.yaml) on the configured store (the local
 * directory by default) and writes its report.
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
      'Run an example study (default studies/generations-gmm.yaml) end to end; starts the local Temporal server if none answers and leaves it running',
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
      const local = await localServer(config, log);
      config = { ...config, temporal: { ...config.temporal, address: local.address } };
      installRuntime(config, 'WARN');
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
        log('inspect the run with: npx clab runs list, npx clab runs show <workflow-id>');
      } finally {
        for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
        await connection.close();
        if (local.started)
          log(
            `the Temporal server keeps running at ${local.address} (UI http://127.0.0.1:${uiPort()}) with the demo's history; stop it with npm run infra:down`,
          );
      }
    });
}

/**
 * The Temporal server the demo runs on: the one at the configured address if it answers, else
 * (for a loopback address) the local server of `npm run infra:up`, started on its persistent
 * database and left running, so that `clab runs list` shows the demo's run afterwards.
 */
async function localServer(
  config: ClabConfig,
  log: (line: string) => void,
): Promise<{ address: string; started: boolean }> {
  const address = config.temporal.address;
  if (await temporalAnswers(address)) {
    log(`using the Temporal server at ${address}`);
    return { address, started: false };
  }
  const port = /^(?:127\.0\.0\.1|localhost):(\d+)$/.exec(address)?.[1];
  if (!port)
    throw new Error(
      `No Temporal server answers at ${address} (CLAB_TEMPORAL_ADDRESS); start it, or unset the variable to use a local one`,
    );
  const local = await ensureLocalTemporal({
    home: config.home,
    port: Number(port),
    uiPort: uiPort(),
    log,
  });
  if (local.started) log(`started the local Temporal dev server at ${local.address}`);
  return local;
}

function uiPort(): number {
  return Number(process.env.CLAB_TEMPORAL_UI_PORT || 8233);
}
