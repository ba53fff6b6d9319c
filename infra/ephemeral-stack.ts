import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveBinary, type Log } from './binaries.ts';
import { freePort } from './free-port.ts';
import { ensureBucket, startMinioServer } from './minio-server.ts';
import { stopChild } from './server-process.ts';
import { startTemporalServer } from './temporal-server.ts';

export interface EphemeralStack {
  temporalAddress: string;
  temporalBin: string;
  s3: { endpoint: string; bucket: string; accessKey: string; secretKey: string };
  dir: string;
  stop(): Promise<void>;
}

/**
 * A throw-away Temporal dev server and MinIO on free loopback ports, with their files in a temp
 * directory: what the tests and benchmarks run against. `stop()` ends both and removes the files.
 */
export async function startEphemeralStack(log: Log = () => {}): Promise<EphemeralStack> {
  const temporalBin = await resolveBinary('temporal', { log });
  const minioBin = await resolveBinary('minio', { log });
  if (!temporalBin || !minioBin) {
    throw new Error(
      'The Temporal and MinIO binaries are missing: run npm run infra:build (needs Go)',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'clab-stack-'));
  const temporalPort = await freePort();
  const temporal = await startTemporalServer({
    bin: temporalBin,
    port: temporalPort,
    uiPort: await freePort(),
    dbFile: join(dir, 'temporal.db'),
    logFile: join(dir, 'temporal.log'),
    detached: false,
  });
  const minioPort = await freePort();
  const s3 = {
    endpoint: `http://127.0.0.1:${minioPort}`,
    bucket: 'clab-test',
    accessKey: 'clab-test-user',
    secretKey: 'clab-test-secret-0123456789',
  };
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
  await ensureBucket(s3.endpoint, s3.bucket, s3.accessKey, s3.secretKey);
  log(`Temporal at 127.0.0.1:${temporalPort}, MinIO at ${s3.endpoint}, files in ${dir}`);
  return {
    temporalAddress: `127.0.0.1:${temporalPort}`,
    temporalBin,
    s3,
    dir,
    async stop() {
      await stopChild(temporal.child);
      await stopChild(minio.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
