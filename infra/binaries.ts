import { execFileSync, spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export type ServerName = 'temporal' | 'minio';

/**
 * The pinned server builds. Temporal CLI v1.5.1 (dev server 1.29.1) is the newest tag whose go.mod
 * `go install` accepts; MinIO publishes no semver tags, so its pin is the module proxy's pseudo-version.
 */
export const PINNED: Record<ServerName, { module: string; version: string; envVar: string }> = {
  temporal: {
    module: 'github.com/temporalio/cli/cmd/temporal',
    version: 'v1.5.1',
    envVar: 'CLAB_TEMPORAL_BIN',
  },
  minio: {
    module: 'github.com/minio/minio',
    version: 'v0.0.0-20260212201848-7aac2a2c5b7c',
    envVar: 'CLAB_MINIO_BIN',
  },
};

export type Log = (line: string) => void;

export function binaryCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLAB_BIN_CACHE) return env.CLAB_BIN_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'contamination-lab', 'bin');
}

export function cachedBinaryPath(name: ServerName, env: NodeJS.ProcessEnv = process.env): string {
  return join(binaryCacheDir(env), `${name}@${PINNED[name].version}`, name);
}

/**
 * Finds a server binary, in order: an explicit path from the environment (CLAB_TEMPORAL_BIN,
 * CLAB_MINIO_BIN), one on PATH, the project's cache, and finally a `go install` of the pinned
 * version into the cache. Returns undefined only when every route fails and `build` is false or Go
 * is missing.
 */
export async function resolveBinary(
  name: ServerName,
  {
    log = () => {},
    build = true,
    env = process.env,
  }: { log?: Log; build?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<string | undefined> {
  const pin = PINNED[name];
  const explicit = env[pin.envVar];
  if (explicit) {
    if (!isExecutable(explicit))
      throw new Error(`${pin.envVar} is ${explicit}, which is not an executable file`);
    log(`${name}: using ${explicit} (from ${pin.envVar})`);
    return explicit;
  }
  const onPath = findOnPath(name, env);
  if (onPath) {
    log(`${name}: using ${onPath} (found on PATH)`);
    return onPath;
  }
  const cached = cachedBinaryPath(name, env);
  if (isExecutable(cached)) {
    log(`${name}: using cached build ${cached}`);
    return cached;
  }
  if (!build) return undefined;
  if (!findOnPath('go', env)) {
    log(`${name}: not found, and Go is not installed to build it`);
    return undefined;
  }
  await goInstall(name, cached, log, env);
  return cached;
}

async function goInstall(
  name: ServerName,
  target: string,
  log: Log,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const pin = PINNED[name];
  const cacheDir = binaryCacheDir(env);
  mkdirSync(cacheDir, { recursive: true });
  const staging = mkdtempSync(join(cacheDir, `.build-${name}-`));
  log(
    `${name}: building ${pin.module}@${pin.version} with go install (a cold build takes several minutes)...`,
  );
  const started = Date.now();
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('go', ['install', `${pin.module}@${pin.version}`], {
        env: { ...env, GOBIN: staging, CGO_ENABLED: env.CGO_ENABLED ?? '0' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`go install ${pin.module}@${pin.version} exited with ${code}`)),
      );
    });
    mkdirSync(join(target, '..'), { recursive: true });
    renameSync(join(staging, name), target); // atomic: a half-built binary is never in the cache
    log(`${name}: built ${target} in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return existsSync(path);
  } catch {
    return false;
  }
}

/** The version line a binary prints, for logs. */
export function binaryVersion(path: string): string {
  try {
    return execFileSync(path, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .split('\n')[0]!
      .trim();
  } catch {
    return 'unknown version';
  }
}
