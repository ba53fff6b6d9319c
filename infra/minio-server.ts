import { mkdirSync } from 'node:fs';
import { Client } from 'minio';
import { spawnServer, waitUntilHealthy, type StartedProcess } from './server-process.ts';

export interface MinioServerOptions {
  bin: string;
  port: number;
  consolePort: number;
  dataDir: string;
  logFile: string;
  accessKey: string;
  secretKey: string;
  detached: boolean;
}

/** Starts MinIO on loopback with the given root credentials and waits until it is live. */
export async function startMinioServer(opts: MinioServerOptions): Promise<StartedProcess> {
  mkdirSync(opts.dataDir, { recursive: true });
  const env = {
    ...process.env,
    MINIO_ROOT_USER: opts.accessKey,
    MINIO_ROOT_PASSWORD: opts.secretKey,
    MINIO_BROWSER_LOGIN_ANIMATION: 'off',
  };
  const args = [
    'server',
    opts.dataDir,
    '--address',
    `127.0.0.1:${opts.port}`,
    '--console-address',
    `127.0.0.1:${opts.consolePort}`,
    '--quiet',
  ];
  const proc = spawnServer(opts.bin, args, { env, logFile: opts.logFile, detached: opts.detached });
  await waitUntilHealthy(
    `MinIO (port ${opts.port})`,
    () => minioIsLive(`http://127.0.0.1:${opts.port}`),
    proc,
  );
  return proc;
}

export async function minioIsLive(endpoint: string): Promise<boolean> {
  try {
    return (await fetch(`${endpoint}/minio/health/live`)).ok;
  } catch {
    return false;
  }
}

/** Creates a bucket unless it exists (plain S3 CreateBucket). */
export async function ensureBucket(
  endpoint: string,
  bucket: string,
  accessKey: string,
  secretKey: string,
): Promise<void> {
  const url = new URL(endpoint);
  const client = new Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: url.protocol === 'https:',
    accessKey,
    secretKey,
    region: 'us-east-1',
    pathStyle: true,
  });
  if (!(await client.bucketExists(bucket))) await client.makeBucket(bucket, 'us-east-1');
}
