// Vitest global setup: starts a real Temporal dev server and a real MinIO on free loopback ports,
// from the cached (or freshly built) pinned binaries, and tears both down after the run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { resolveBinary } from '../../infra/binaries.ts';
import { ensureBucket, startMinioServer } from '../../infra/minio-server.ts';
import { stopChild } from '../../infra/server-process.ts';
import { startTemporalServer } from '../../infra/temporal-server.ts';
import { freePort } from '../../infra/free-port.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalBin: string;
    s3: { endpoint: string; bucket: string; accessKey: string; secretKey: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => console.log(`[test servers] ${line}`);
  const temporalBin = await resolveBinary('temporal', { log });
  const minioBin = await resolveBinary('minio', { log });
  if (!temporalBin || !minioBin)
    throw new Error(
      'The tests need the Temporal and MinIO binaries: run npm run infra:build (needs Go)',
    );

  const dir = mkdtempSync(join(tmpdir(), 'clab-test-servers-'));
  const temporalPort = await freePort();
  const temporal = await startTemporalServer({
    bin: temporalBin,
    port: temporalPort,
    uiPort: await freePort(),
    dbFile: join(dir, 'temporal.db'),
    logFile: join(dir, 'temporal.log'),
    detached: false,
  });
  const s3 = {
    endpoint: '',
    bucket: 'clab-test',
    accessKey: 'clab-test-user',
    secretKey: 'clab-test-secret-0123456789',
  };
  const minioPort = await freePort();
  const minio = await startMinioServer({
    bin: minioBin,
    port: minioPort,
    consolePort: await freePort(),
    dataDir: join(dir, 'minio-data'),
    logFile: join(dir, 'minio.log'),
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    detached: false,
  });
  s3.endpoint = `http://127.0.0.1:${minioPort}`;
  await ensureBucket(s3.endpoint, s3.bucket, s3.accessKey, s3.secretKey);
  log(`Temporal at 127.0.0.1:${temporalPort}, MinIO at ${s3.endpoint}, files in ${dir}`);

  project.provide('temporalAddress', `127.0.0.1:${temporalPort}`);
  project.provide('temporalBin', temporalBin);
  project.provide('s3', s3);

  return async () => {
    await stopChild(temporal.child);
    await stopChild(minio.child);
    rmSync(dir, { recursive: true, force: true });
  };
}
