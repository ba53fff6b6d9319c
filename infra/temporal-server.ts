import { Connection } from '@temporalio/client';
import { spawnServer, waitUntilHealthy, type StartedProcess } from './server-process.ts';

export interface TemporalServerOptions {
  bin: string;
  port: number;
  uiPort: number;
  /** SQLite file that keeps workflows across server restarts. */
  dbFile: string;
  logFile: string;
  detached: boolean;
}

/** Search attributes the studies set, registered when the dev server starts. */
export const SEARCH_ATTRIBUTES = [
  'ClabStudyKind=Keyword',
  'ClabSpecName=Keyword',
  'ClabDataset=Keyword',
];

/** Starts the Temporal CLI's dev server on loopback and waits until its frontend answers. */
export async function startTemporalServer(opts: TemporalServerOptions): Promise<StartedProcess> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--ui-port',
    String(opts.uiPort),
    '--db-filename',
    opts.dbFile,
    '--log-level',
    'warn',
    ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', a]),
  ];
  const proc = spawnServer(opts.bin, args, { logFile: opts.logFile, detached: opts.detached });
  await waitUntilHealthy(
    `Temporal dev server (port ${opts.port})`,
    () => temporalAnswers(`127.0.0.1:${opts.port}`),
    proc,
  );
  return proc;
}

export async function temporalAnswers(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    const response = await connection.healthService.check({});
    return response.status === 1; // SERVING
  } catch {
    return false;
  } finally {
    await connection?.close();
  }
}
