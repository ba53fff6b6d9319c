import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { minioIsLive } from '../minio-server.ts';
import { spawnServer, waitUntilHealthy, type StartedProcess } from '../server-process.ts';

/**
 * MinIO in erasure-coded mode on one node: `minio server <dir>/drive{1...N}`. With 4 drives the
 * default parity is EC:2 (each object split into 2 data + 2 parity shards, one per drive): reads
 * survive 2 lost drives and writes 1. Here the drives are directories on one disk (a stand-in for
 * a server's disks: the layout and code path are those of a real deployment, the fault tolerance
 * is not), so MinIO's refusal of drives on the root disk is turned off for them.
 */
export interface ErasureMinioOptions {
  bin: string;
  port: number;
  consolePort: number;
  /** Parent of drive1..driveN. */
  drivesDir: string;
  drives: number;
  logFile: string;
  accessKey: string;
  secretKey: string;
  detached: boolean;
}

export function driveDirs(drivesDir: string, drives: number): string[] {
  return Array.from({ length: drives }, (_, i) => join(drivesDir, `drive${i + 1}`));
}

export async function startErasureMinio(opts: ErasureMinioOptions): Promise<StartedProcess> {
  if (opts.drives < 4) throw new Error('erasure coding needs at least 4 drives');
  for (const dir of driveDirs(opts.drivesDir, opts.drives)) mkdirSync(dir, { recursive: true });
  const env = {
    ...process.env,
    MINIO_ROOT_USER: opts.accessKey,
    MINIO_ROOT_PASSWORD: opts.secretKey,
    MINIO_BROWSER_LOGIN_ANIMATION: 'off',
    // drives no larger than 1 byte count as the root disk, i.e. none: the directories share a disk
    MINIO_ROOTDRIVE_THRESHOLD_SIZE: '1B',
  };
  const args = [
    'server',
    join(opts.drivesDir, `drive{1...${opts.drives}}`), // MinIO's own ellipsis notation
    '--address',
    `127.0.0.1:${opts.port}`,
    '--console-address',
    `127.0.0.1:${opts.consolePort}`,
    '--quiet',
  ];
  const proc = spawnServer(opts.bin, args, { env, logFile: opts.logFile, detached: opts.detached });
  const endpoint = `http://127.0.0.1:${opts.port}`;
  await waitUntilHealthy(
    `MinIO (erasure, port ${opts.port})`,
    async () => (await minioIsLive(endpoint)) && (await erasureHealth(endpoint)).writeQuorum > 0,
    proc,
  );
  return proc;
}

export interface ErasureHealth {
  /** Drives that must take a write (X-Minio-Write-Quorum of /minio/health/cluster); 0 if none. */
  writeQuorum: number;
  healthy: boolean;
}

/** MinIO's cluster health check: answers 200 with the write quorum once the erasure sets are up. */
export async function erasureHealth(endpoint: string): Promise<ErasureHealth> {
  try {
    const response = await fetch(`${endpoint}/minio/health/cluster`);
    return {
      healthy: response.ok,
      writeQuorum: Number(response.headers.get('x-minio-write-quorum') ?? 0),
    };
  } catch {
    return { healthy: false, writeQuorum: 0 };
  }
}

export interface DriveFormat {
  drive: string;
  /** "xl" for erasure-coded drives ("xl-single" for MinIO's one-drive mode). */
  format: string;
  /** The erasure sets and their drive ids, as format.json records them. */
  sets: string[][];
}

/** Reads each drive's `.minio.sys/format.json`: how MinIO laid the drives out. */
export function driveFormats(drivesDir: string, drives: number): DriveFormat[] {
  return driveDirs(drivesDir, drives).map((drive) => {
    const file = join(drive, '.minio.sys', 'format.json');
    if (!existsSync(file)) return { drive, format: 'none', sets: [] };
    const json = JSON.parse(readFileSync(file, 'utf8')) as {
      format: string;
      xl?: { sets?: string[][] };
    };
    return { drive, format: json.format, sets: json.xl?.sets ?? [] };
  });
}
