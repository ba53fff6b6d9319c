import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Log } from '../binaries.ts';
import {
  isRunning,
  spawnServer,
  waitUntilHealthy,
  type StartedProcess,
} from '../server-process.ts';

/**
 * PostgreSQL from Debian's packages (`postgresql`: the distribution's major version, 15 on
 * bookworm), run as a private cluster of the project's: its own data directory, port and
 * superuser, listening on loopback only, no Unix socket. The system's own cluster, if any, is
 * left alone.
 */

/** The newest /usr/lib/postgresql/<major>/bin with initdb, or CLAB_POSTGRES_BIN_DIR. */
export function postgresBinDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CLAB_POSTGRES_BIN_DIR) return env.CLAB_POSTGRES_BIN_DIR;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] ? join(root, majors[0], 'bin') : undefined;
}

/**
 * The profile's set-up step: installs Debian's `postgresql` when no server binaries are present
 * (a fresh CI machine). Runs only when the production profile is used.
 */
export function ensurePostgresInstalled(log: Log, env: NodeJS.ProcessEnv = process.env): string {
  const found = postgresBinDir(env);
  if (found) return found;
  log('postgres: not installed; installing Debian package postgresql (apt-get)...');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'postgresql'],
  ]) {
    const cmd = [...sudo, ...args];
    const result = spawnSync(cmd[0]!, cmd.slice(1), { stdio: 'inherit', env: aptEnv });
    if (result.status !== 0) throw new Error(`${cmd.join(' ')} failed (${result.status})`);
  }
  const installed = postgresBinDir(env);
  if (!installed) throw new Error('apt-get installed postgresql, but no initdb was found');
  return installed;
}

/**
 * PostgreSQL refuses to run as root. As root, its programs run in a user namespace where the
 * caller is mapped to the `postgres` account (which the Debian package creates): inside, they run
 * unprivileged; outside, the files they write belong to the caller, so the cluster can live
 * under a home directory other users cannot enter (/root is mode 700).
 */
function unprivileged(cmd: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [cmd, args];
  return ['unshare', ['--user', '--map-user=postgres', '--map-group=postgres', cmd, ...args]];
}

export interface PostgresCluster {
  binDir: string;
  dataDir: string;
  port: number;
  user: string;
  password: string;
}

/** Creates the cluster's data directory with initdb (password auth for TCP) unless it exists. */
export async function initPostgresCluster(
  cluster: PostgresCluster,
  stateDir: string,
  log: Log,
): Promise<boolean> {
  if (existsSync(join(cluster.dataDir, 'PG_VERSION'))) return false;
  rmSync(cluster.dataDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const pwFile = join(stateDir, '.initdb-password');
  writeFileSync(pwFile, cluster.password + '\n', { mode: 0o600 });
  log(`postgres: initdb ${cluster.dataDir}`);
  const [cmd, args] = unprivileged(join(cluster.binDir, 'initdb'), [
    '--pgdata',
    cluster.dataDir,
    '--username',
    cluster.user,
    `--pwfile=${pwFile}`,
    '--auth=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C',
  ]);
  try {
    await promisify(execFile)(cmd, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new Error(
      `initdb failed${cmd === 'unshare' ? ' (as root it runs in a user namespace: these must be enabled, or run infra:up as another user)' : ''}:\n${e.stderr ?? e.message}`,
    );
  } finally {
    rmSync(pwFile, { force: true });
  }
  return true;
}

/** Starts `postgres` on 127.0.0.1:<port> and waits until it accepts connections. */
export async function startPostgres(
  cluster: PostgresCluster,
  logFile: string,
  detached: boolean,
): Promise<StartedProcess> {
  const [cmd, args] = unprivileged(join(cluster.binDir, 'postgres'), [
    '-D',
    cluster.dataDir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `port=${cluster.port}`,
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=200',
  ]);
  const proc = spawnServer(cmd, args, { logFile, detached });
  await waitUntilHealthy(
    `PostgreSQL (port ${cluster.port})`,
    () => postgresReady(cluster),
    proc,
    60_000,
  );
  return proc;
}

export async function postgresReady(cluster: PostgresCluster): Promise<boolean> {
  const result = spawnSync(
    join(cluster.binDir, 'pg_isready'),
    ['-q', '-h', '127.0.0.1', '-p', String(cluster.port), '-U', cluster.user],
    { stdio: 'ignore' },
  );
  return result.status === 0;
}

/** Runs one SQL statement with psql and returns its unaligned output. */
export async function psql(cluster: PostgresCluster, database: string, sql: string) {
  const { stdout } = await promisify(execFile)(
    join(cluster.binDir, 'psql'),
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(cluster.port),
      '-U',
      cluster.user,
      '-d',
      database,
      '-tAX',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      sql,
    ],
    { env: { ...process.env, PGPASSWORD: cluster.password } },
  );
  return stdout.trim();
}

/**
 * Fast shutdown (SIGINT: clients are disconnected, then a checkpoint), then an immediate one
 * (SIGQUIT) if it has not stopped after `graceMs`. Never SIGKILL: the postmaster's children and
 * shared memory would be left behind.
 */
export async function stopPostgresPid(pid: number, graceMs = 30_000): Promise<void> {
  if (!isRunning(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid)) return;
    await sleep(100);
  }
  if (isRunning(pid)) process.kill(pid, 'SIGQUIT');
  for (let i = 0; i < 100 && isRunning(pid); i++) await sleep(100);
}
