import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import proto, { type temporal } from '@temporalio/proto';
import { resolveBinary, type Log } from '../binaries.ts';
import { readEnvFile, writeEnvFile } from '../endpoints-file.ts';
import { freePort } from '../free-port.ts';
import { ensureBucket, minioIsLive } from '../minio-server.ts';
import { isRunning, spawnServer, stopPid, waitUntilHealthy } from '../server-process.ts';
import { SEARCH_ATTRIBUTES, temporalAnswers } from '../temporal-server.ts';
import { startErasureMinio } from './minio-erasure.ts';
import {
  ensurePostgresInstalled,
  initPostgresCluster,
  postgresReady,
  startPostgres,
  stopPostgresPid,
  type PostgresCluster,
} from './postgres.ts';
import { resolveTemporalServer } from './server-build.ts';
import {
  setupTemporalSchemas,
  temporalServerConfig,
  writeTemporalConfig,
  type TemporalPorts,
} from './temporal-config.ts';

/** `$CLAB_HOME/infra/production`: every file of the production profile's servers. */
export function productionDir(home: string): string {
  return join(home, 'infra', 'production');
}

export const MINIO_DRIVES = 4;
const POSTGRES_USER = 'temporal';

interface Ports {
  postgres: number;
  temporal: TemporalPorts;
  minio: number;
  minioConsole: number;
}

export interface ProductionEndpoints {
  temporalAddress: string;
  namespace: string;
  minioEndpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  postgresPort: number;
  dir: string;
  /** The values `infra:up` records in endpoints.env. */
  env: Record<string, string>;
}

/**
 * Starts (or finds running) the production profile's three servers, detached, with their process
 * ids in `<dir>/{postgres,temporal,minio}.pid`: PostgreSQL with the Temporal schemas, the
 * Temporal server with the namespace and the project's search attributes registered, and MinIO in
 * erasure-coded mode with the bucket. Public ports come from CLAB_TEMPORAL_PORT (7233),
 * CLAB_MINIO_PORT (9000), CLAB_MINIO_CONSOLE_PORT (9001) and CLAB_POSTGRES_PORT; the internal ones
 * are picked free once and kept in `<dir>/ports.json`.
 */
export async function productionUp(opts: {
  home: string;
  env?: NodeJS.ProcessEnv;
  log: Log;
}): Promise<ProductionEndpoints> {
  const { home, log } = opts;
  const env = opts.env ?? process.env;
  const dir = productionDir(home);
  mkdirSync(dir, { recursive: true });

  const build = await resolveTemporalServer({ log, env });
  const minioBin = await resolveBinary('minio', { log, env });
  if (!build || !minioBin)
    throw new Error(
      'cannot start the production profile: install Go (to build temporal-server and MinIO), or set CLAB_TEMPORAL_SERVER_DIR / CLAB_MINIO_BIN',
    );
  const pgBinDir = ensurePostgresInstalled(log, env);

  const ports = await portsOf(dir, env);
  const secrets = secretsOf(dir, env, log);
  const namespace = env.CLAB_TEMPORAL_NAMESPACE || 'default';
  const temporalAddress = `127.0.0.1:${ports.temporal.frontend}`;
  const minioEndpoint = `http://127.0.0.1:${ports.minio}`;
  const bucket = env.CLAB_BUCKET || 'clab';

  // PostgreSQL
  const postgres: PostgresCluster = {
    binDir: pgBinDir,
    dataDir: join(dir, 'postgres'),
    port: ports.postgres,
    user: POSTGRES_USER,
    password: secrets.POSTGRES_PASSWORD,
  };
  if (ours(dir, 'postgres') && (await postgresReady(postgres))) {
    log(`postgres: already running on 127.0.0.1:${postgres.port}`);
  } else {
    await initPostgresCluster(postgres, dir, log);
    log(`postgres: starting on 127.0.0.1:${postgres.port} (data ${postgres.dataDir})`);
    const proc = await startPostgres(postgres, join(dir, 'postgres.log'), true);
    writeFileSync(join(dir, 'postgres.pid'), String(proc.pid));
  }

  // Temporal
  if (ours(dir, 'temporal') && (await temporalAnswers(temporalAddress))) {
    log(`temporal-server: already running at ${temporalAddress}`);
  } else {
    if (await temporalAnswers(temporalAddress))
      throw new Error(
        `another Temporal server answers at ${temporalAddress} (the dev server? stop it with npm run infra:down, or set CLAB_TEMPORAL_PORT)`,
      );
    await setupTemporalSchemas(build, postgres, log);
    const configFile = join(dir, 'temporal', 'config.yaml');
    const dynamicConfigFile = join(dir, 'temporal', 'dynamicconfig.yaml');
    writeTemporalConfig(
      configFile,
      dynamicConfigFile,
      temporalServerConfig({ ports: ports.temporal, postgres, dynamicConfigFile }),
    );
    log(`temporal-server ${build.version}: starting at ${temporalAddress} (config ${configFile})`);
    const proc = spawnServer(
      build.server,
      ['--config-file', configFile, '--allow-no-auth', 'start'],
      { logFile: join(dir, 'temporal.log'), detached: true },
    );
    writeFileSync(join(dir, 'temporal.pid'), String(proc.pid));
    await waitUntilHealthy(
      `temporal-server (port ${ports.temporal.frontend})`,
      () => temporalAnswers(temporalAddress),
      proc,
      180_000,
    );
  }
  await registerNamespace(temporalAddress, namespace, log);

  // MinIO, erasure-coded
  const drivesDir = join(dir, 'minio');
  if (ours(dir, 'minio') && (await minioIsLive(minioEndpoint))) {
    log(`minio: already running at ${minioEndpoint}`);
  } else {
    if (await minioIsLive(minioEndpoint))
      throw new Error(
        `another MinIO answers at ${minioEndpoint} (the dev profile's? stop it with npm run infra:down, or set CLAB_MINIO_PORT)`,
      );
    log(`minio: starting at ${minioEndpoint}, erasure-coded over ${drivesDir}/drive{1...4}`);
    const proc = await startErasureMinio({
      bin: minioBin,
      port: ports.minio,
      consolePort: ports.minioConsole,
      drivesDir,
      drives: MINIO_DRIVES,
      logFile: join(dir, 'minio.log'),
      accessKey: secrets.MINIO_ROOT_USER,
      secretKey: secrets.MINIO_ROOT_PASSWORD,
      detached: true,
    });
    writeFileSync(join(dir, 'minio.pid'), String(proc.pid));
  }
  await ensureBucket(minioEndpoint, bucket, secrets.MINIO_ROOT_USER, secrets.MINIO_ROOT_PASSWORD);

  return {
    temporalAddress,
    namespace,
    minioEndpoint,
    bucket,
    accessKey: secrets.MINIO_ROOT_USER,
    secretKey: secrets.MINIO_ROOT_PASSWORD,
    postgresPort: ports.postgres,
    dir,
    env: {
      CLAB_INFRA_PROFILE: 'production',
      CLAB_TEMPORAL_ADDRESS: temporalAddress,
      CLAB_TEMPORAL_NAMESPACE: namespace,
      CLAB_STORE: `s3://${bucket}`,
      CLAB_S3_ENDPOINT: minioEndpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: secrets.MINIO_ROOT_USER,
      AWS_SECRET_ACCESS_KEY: secrets.MINIO_ROOT_PASSWORD,
    },
  };
}

/**
 * Stops the production profile's servers by their recorded process ids: Temporal first (it holds
 * connections to PostgreSQL), MinIO, then PostgreSQL with a fast shutdown. Data stays.
 */
export async function productionDown(home: string, log: Log): Promise<void> {
  const dir = productionDir(home);
  if (!existsSync(dir)) return;
  for (const name of ['temporal', 'minio', 'postgres'] as const) {
    const pidFile = join(dir, `${name}.pid`);
    if (!existsSync(pidFile)) continue;
    const pid = Number(readFileSync(pidFile, 'utf8'));
    if (isRunning(pid)) {
      if (name === 'postgres') await stopPostgresPid(pid);
      else await stopPid(pid, 30_000);
      log(`production ${name}: stopped (pid ${pid})`);
    } else {
      log(`production ${name}: pid ${pid} was not running`);
    }
    rmSync(pidFile, { force: true });
  }
}

/** Whether `<dir>/<name>.pid` names a live process: a server this profile started. */
function ours(dir: string, name: string): boolean {
  const pidFile = join(dir, `${name}.pid`);
  return existsSync(pidFile) && isRunning(Number(readFileSync(pidFile, 'utf8')));
}

async function portsOf(dir: string, env: NodeJS.ProcessEnv): Promise<Ports> {
  const file = join(dir, 'ports.json');
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Ports) : undefined;
  const taken = new Set<number>();
  const pick = async (fixed: string | undefined, kept: number | undefined, fallback?: number) => {
    let port = fixed ? Number(fixed) : (kept ?? fallback);
    while (port === undefined || taken.has(port)) port = await freePort();
    taken.add(port);
    return port;
  };
  const t = saved?.temporal;
  const ports: Ports = {
    temporal: {
      frontend: await pick(env.CLAB_TEMPORAL_PORT, t?.frontend, 7233),
      frontendHttp: await pick(undefined, t?.frontendHttp),
      frontendMembership: await pick(undefined, t?.frontendMembership),
      history: await pick(undefined, t?.history),
      historyMembership: await pick(undefined, t?.historyMembership),
      matching: await pick(undefined, t?.matching),
      matchingMembership: await pick(undefined, t?.matchingMembership),
      worker: await pick(undefined, t?.worker),
      workerMembership: await pick(undefined, t?.workerMembership),
      metrics: await pick(undefined, t?.metrics),
    },
    postgres: await pick(env.CLAB_POSTGRES_PORT, saved?.postgres),
    minio: await pick(env.CLAB_MINIO_PORT, saved?.minio, 9000),
    minioConsole: await pick(env.CLAB_MINIO_CONSOLE_PORT, saved?.minioConsole, 9001),
  };
  writeFileSync(file, JSON.stringify(ports, null, 2) + '\n');
  return ports;
}

interface Secrets {
  POSTGRES_PASSWORD: string;
  MINIO_ROOT_USER: string;
  MINIO_ROOT_PASSWORD: string;
}

/** Generated once into `<dir>/secrets.env` (mode 600); MINIO_ROOT_USER/PASSWORD override MinIO's. */
function secretsOf(dir: string, env: NodeJS.ProcessEnv, log: Log): Secrets {
  const file = join(dir, 'secrets.env');
  const saved = readEnvFile(file);
  const secrets: Secrets = {
    POSTGRES_PASSWORD: saved.POSTGRES_PASSWORD || randomBytes(18).toString('base64url'),
    MINIO_ROOT_USER: saved.MINIO_ROOT_USER || `clab-${randomBytes(4).toString('hex')}`,
    MINIO_ROOT_PASSWORD: saved.MINIO_ROOT_PASSWORD || randomBytes(18).toString('base64url'),
  };
  if (
    saved.POSTGRES_PASSWORD !== secrets.POSTGRES_PASSWORD ||
    saved.MINIO_ROOT_USER !== secrets.MINIO_ROOT_USER
  ) {
    writeEnvFile(file, { ...secrets });
    log(`generated the PostgreSQL password and MinIO credentials in ${file}`);
  }
  if (env.MINIO_ROOT_USER && env.MINIO_ROOT_PASSWORD) {
    secrets.MINIO_ROOT_USER = env.MINIO_ROOT_USER;
    secrets.MINIO_ROOT_PASSWORD = env.MINIO_ROOT_PASSWORD;
  }
  return secrets;
}

const { IndexedValueType } = proto.temporal.api.enums.v1;
const VALUE_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Double: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * What the dev server's `--namespace default --search-attribute ...` flags do, for a real server:
 * registers the namespace (30 days' retention of closed runs) and the project's search
 * attributes (the same list, SEARCH_ATTRIBUTES), then waits until a visibility query on them is
 * accepted. Idempotent.
 */
export async function registerNamespace(address: string, namespace: string, log: Log) {
  const connection = await Connection.connect({ address });
  try {
    const deadline = Date.now() + 120_000;
    const retry = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      for (;;) {
        try {
          return await fn();
        } catch (error) {
          if (Date.now() > deadline) throw new Error(`${what}: ${(error as Error).message}`);
          await sleep(500);
        }
      }
    };
    const service = connection.workflowService;
    const exists = await service.describeNamespace({ namespace }).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await retry(`register namespace ${namespace}`, () =>
        service
          .registerNamespace({
            namespace,
            workflowExecutionRetentionPeriod: msToTs('30 days'),
          })
          .catch(async (error: Error) => {
            if (!/already exists/i.test(error.message)) throw error;
          }),
      );
      log(`temporal-server: registered namespace ${namespace}`);
    }
    // the frontend learns of a new namespace from its cache, refreshed every few seconds
    await retry(`namespace ${namespace} usable`, () =>
      service.listWorkflowExecutions({ namespace, pageSize: 1 }),
    );
    const { customAttributes } = await retry('list search attributes', () =>
      connection.operatorService.listSearchAttributes({ namespace }),
    );
    const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
    for (const entry of SEARCH_ATTRIBUTES) {
      const [name, type] = entry.split('=') as [string, string];
      if (!customAttributes?.[name]) missing[name] = VALUE_TYPES[type]!;
    }
    if (Object.keys(missing).length > 0) {
      await retry('add search attributes', () =>
        connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing }),
      );
      log(`temporal-server: registered search attributes ${Object.keys(missing).join(', ')}`);
    }
    const names = SEARCH_ATTRIBUTES.map((a) => a.split('=')[0]!);
    await retry('search attributes usable in visibility queries', () =>
      service.listWorkflowExecutions({
        namespace,
        pageSize: 1,
        query: names.map((n) => `${n} = 'probe'`).join(' AND '),
      }),
    );
  } finally {
    await connection.close();
  }
}
