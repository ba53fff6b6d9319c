import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveBinary, type Log } from './binaries.ts';
import { startTemporalServer, temporalAnswers } from './temporal-server.ts';

export interface LocalTemporalOptions {
  /** CLAB_HOME: the server keeps its database in `<home>/infra/temporal.db`. */
  home: string;
  port: number;
  uiPort: number;
  log: Log;
}

export interface LocalTemporal {
  address: string;
  /** Started now (and left running, detached); false when a server already answered. */
  started: boolean;
  dbFile: string;
}

/** Where the local Temporal server keeps its state: workflows survive its restarts. */
export function localTemporalDb(home: string): string {
  return join(home, 'infra', 'temporal.db');
}

/**
 * The machine's local Temporal dev server, the one `npm run infra:up` starts: reused when it
 * answers at 127.0.0.1:<port>, otherwise started detached on its persistent database with its
 * process id recorded, so that `npm run infra:down` stops it. Every local run (the demo, `clab
 * run`) thus lands in one history that `clab runs list` shows.
 */
export async function ensureLocalTemporal(opts: LocalTemporalOptions): Promise<LocalTemporal> {
  const address = `127.0.0.1:${opts.port}`;
  const infraDir = join(opts.home, 'infra');
  const dbFile = localTemporalDb(opts.home);
  if (await temporalAnswers(address)) return { address, started: false, dbFile };
  const bin = await resolveBinary('temporal', { log: opts.log });
  if (!bin)
    throw new Error(
      'No Temporal server answers and no binary could be found or built (npm run infra:build needs Go)',
    );
  mkdirSync(infraDir, { recursive: true });
  opts.log(`starting Temporal dev server (database ${dbFile})...`);
  const proc = await startTemporalServer({
    bin,
    port: opts.port,
    uiPort: opts.uiPort,
    dbFile,
    logFile: join(infraDir, 'temporal.log'),
    detached: true,
  });
  writeFileSync(join(infraDir, 'temporal.pid'), String(proc.pid));
  return { address, started: true, dbFile };
}
