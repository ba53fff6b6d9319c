import { execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { binaryCacheDir, type Log } from '../binaries.ts';

/**
 * The production profile's Temporal server: the server module itself (not the CLI's dev server),
 * from the Go module proxy. v1.32.1 is the newest tag whose go.mod the machine's Go (1.26.8)
 * accepts: v1.31.5 and v1.32.2 ask for go >= 1.26.10. The module has no replace directives, so
 * `go install module/cmd/...@version` builds it as released.
 */
export const TEMPORAL_SERVER_PIN = {
  module: 'go.temporal.io/server',
  version: 'v1.32.1',
  /** The schema directory inside the module that the postgres12 plugin uses. */
  schemaSubdir: 'schema/postgresql/v12',
} as const;

export interface TemporalServerBuild {
  /** `temporal-server` (built from cmd/server). */
  server: string;
  /** `temporal-sql-tool` (built from cmd/tools/sql). */
  sqlTool: string;
  /** The module's `schema/postgresql/v12`, with `temporal/versioned` and `visibility/versioned`. */
  schemaDir: string;
  version: string;
}

/** `<cache>/temporal-server@<version>/`: both binaries and the schema, placed there atomically. */
export function temporalServerBuildDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(binaryCacheDir(env), `temporal-server@${TEMPORAL_SERVER_PIN.version}`);
}

function buildIn(dir: string): TemporalServerBuild {
  return {
    server: join(dir, 'temporal-server'),
    sqlTool: join(dir, 'temporal-sql-tool'),
    schemaDir: join(dir, 'schema', 'postgresql', 'v12'),
    version: TEMPORAL_SERVER_PIN.version,
  };
}

function complete(build: TemporalServerBuild): boolean {
  return (
    existsSync(build.server) &&
    existsSync(build.sqlTool) &&
    existsSync(join(build.schemaDir, 'temporal', 'versioned')) &&
    existsSync(join(build.schemaDir, 'visibility', 'versioned'))
  );
}

/**
 * The server, the SQL tool and the schema: from CLAB_TEMPORAL_SERVER_DIR (a directory laid out
 * like the cache), the cache, or a `go install` of the pinned module into the cache (a cold build
 * takes a long while: the server is a large Go program).
 */
export async function resolveTemporalServer({
  log = () => {},
  build = true,
  env = process.env,
}: { log?: Log; build?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<
  TemporalServerBuild | undefined
> {
  if (env.CLAB_TEMPORAL_SERVER_DIR) {
    const explicit = buildIn(env.CLAB_TEMPORAL_SERVER_DIR);
    if (!complete(explicit))
      throw new Error(
        `CLAB_TEMPORAL_SERVER_DIR=${env.CLAB_TEMPORAL_SERVER_DIR} lacks temporal-server, temporal-sql-tool or schema/postgresql/v12`,
      );
    log(`temporal-server: using ${explicit.server} (from CLAB_TEMPORAL_SERVER_DIR)`);
    return explicit;
  }
  const cached = buildIn(temporalServerBuildDir(env));
  if (complete(cached)) {
    log(`temporal-server: using cached build ${cached.server}`);
    return cached;
  }
  if (!build) return undefined;
  await buildTemporalServer(log, env);
  return cached;
}

async function buildTemporalServer(log: Log, env: NodeJS.ProcessEnv): Promise<void> {
  const { module, version } = TEMPORAL_SERVER_PIN;
  const cacheDir = binaryCacheDir(env);
  mkdirSync(cacheDir, { recursive: true });
  const staging = mkdtempSync(join(cacheDir, '.build-temporal-server-'));
  log(
    `temporal-server: building ${module}/cmd/server and cmd/tools/sql @${version} with go install (a cold build takes 10-30 minutes on 2 cores)...`,
  );
  const started = Date.now();
  try {
    await run(
      'go',
      ['install', `${module}/cmd/server@${version}`, `${module}/cmd/tools/sql@${version}`],
      { ...env, GOBIN: staging, CGO_ENABLED: env.CGO_ENABLED ?? '0' },
      staging,
    );
    await assembleTemporalServerBuild(staging, env);
    log(
      `temporal-server: built ${temporalServerBuildDir(env)} in ${Math.round((Date.now() - started) / 1000)} s`,
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Turns a staging directory holding the `go install` outputs (`server`, `sql`) into the cached
 * build: names them, copies the schema from the module's source in the Go module cache (`go mod
 * download` puts it there; already there after the install), then moves the whole directory into
 * place in one rename, so a half-made build is never in the cache.
 */
export async function assembleTemporalServerBuild(
  staging: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const { module, version, schemaSubdir } = TEMPORAL_SERVER_PIN;
  renameSync(join(staging, 'server'), join(staging, 'temporal-server'));
  renameSync(join(staging, 'sql'), join(staging, 'temporal-sql-tool'));
  const { stdout } = await promisify(execFile)(
    'go',
    ['mod', 'download', '-json', `${module}@${version}`],
    { env, cwd: staging },
  );
  const moduleDir = (JSON.parse(stdout) as { Dir?: string }).Dir;
  if (!moduleDir) throw new Error(`go mod download ${module}@${version} reported no directory`);
  copyTree(join(moduleDir, schemaSubdir), join(staging, schemaSubdir));
  const target = temporalServerBuildDir(env);
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
}

/** Copies a tree of plain files with fresh (writable) modes: the module cache's are read-only. */
function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    if (statSync(source).isDirectory()) copyTree(source, join(to, name));
    else writeFileSync(join(to, name), readFileSync(source));
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`)),
    );
  });
}
