import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { Log } from '../binaries.ts';
import { psql, type PostgresCluster } from './postgres.ts';
import type { TemporalServerBuild } from './server-build.ts';

/** The ports of the production Temporal server: the frontend and each service's internals. */
export interface TemporalPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  metrics: number;
}

export const TEMPORAL_DATABASES = { main: 'temporal', visibility: 'temporal_visibility' } as const;

/**
 * History shards are fixed when the cluster is created and cannot change later. 4 suits one
 * machine with a few cores; a cluster meant to grow wants more (Temporal suggests 512+ for large
 * deployments).
 */
export const HISTORY_SHARDS = 4;

/**
 * The server's static configuration: every service (frontend, history, matching, worker) in one
 * process on loopback, the default store and SQL visibility on PostgreSQL with the postgres12
 * plugin, archival off, and dynamic config from a file beside it.
 */
export function temporalServerConfig(opts: {
  ports: TemporalPorts;
  postgres: PostgresCluster;
  dynamicConfigFile: string;
  logLevel?: string;
}): Record<string, unknown> {
  const { ports, postgres } = opts;
  const sql = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${postgres.port}`,
      connectProtocol: 'tcp',
      user: postgres.user,
      password: postgres.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number, extra: object = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  return {
    log: { stdout: true, level: opts.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: HISTORY_SHARDS,
      datastores: {
        // each of the four services opens its own pools: 4 x (10 + 4) connections at most
        'postgres-default': sql(TEMPORAL_DATABASES.main, 10),
        'postgres-visibility': sql(TEMPORAL_DATABASES.visibility, 4),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      metrics: {
        prometheus: {
          framework: 'tally',
          timerType: 'histogram',
          listenAddress: `127.0.0.1:${ports.metrics}`,
        },
      },
    },
    services: {
      frontend: service(ports.frontend, ports.frontendMembership, {
        httpPort: ports.frontendHttp,
      }),
      history: service(ports.history, ports.historyMembership),
      matching: service(ports.matching, ports.matchingMembership),
      worker: service(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: {
      archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    },
    dynamicConfigClient: { filepath: opts.dynamicConfigFile, pollInterval: '10s' },
  };
}

/**
 * Dynamic config the workers rely on, written out explicitly although this server version
 * defaults to it: Worker Deployment versions (`clab worker` registers its build as a deployment
 * version) and the versioning workflow APIs (`clab deploy`).
 */
export const DYNAMIC_CONFIG: Record<string, { value: unknown }[]> = {
  'system.enableDeploymentVersions': [{ value: true }],
  'frontend.workerVersioningWorkflowAPIs': [{ value: true }],
};

/** Writes the server's config and its dynamic config (mode 600: the config holds a password). */
export function writeTemporalConfig(
  configFile: string,
  dynamicConfigFile: string,
  config: Record<string, unknown>,
): void {
  mkdirSync(dirname(configFile), { recursive: true });
  writeFileSync(
    configFile,
    '# Written by infra/production (npm run infra:up -- --profile production); rewritten on every start.\n' +
      stringify(config),
    { mode: 0o600 },
  );
  writeFileSync(dynamicConfigFile, stringify(DYNAMIC_CONFIG), { mode: 0o600 });
}

/**
 * Creates the two databases (once) and brings both schemas to the newest version the build ships,
 * with temporal-sql-tool: `setup-schema -v 0.0` on a new database, then `update-schema` over the
 * module's versioned schema directory (a no-op when already current; a server upgrade upgrades
 * the schema on the next start).
 */
export async function setupTemporalSchemas(
  build: TemporalServerBuild,
  postgres: PostgresCluster,
  log: Log,
): Promise<void> {
  const tool = async (database: string, args: string[]) => {
    try {
      await promisify(execFile)(
        build.sqlTool,
        [
          '--plugin',
          'postgres12',
          '--endpoint',
          '127.0.0.1',
          '--port',
          String(postgres.port),
          '--user',
          postgres.user,
          '--database',
          database,
          ...args,
        ],
        // the password goes through the environment, not the command line
        { env: { ...process.env, SQL_PASSWORD: postgres.password }, maxBuffer: 64 * 1024 * 1024 },
      );
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      throw new Error(
        `temporal-sql-tool ${args[0]} on ${database} failed:\n${e.stderr ?? ''}${e.stdout ?? ''}`,
      );
    }
  };
  for (const [database, subdir] of [
    [TEMPORAL_DATABASES.main, 'temporal'],
    [TEMPORAL_DATABASES.visibility, 'visibility'],
  ] as const) {
    const exists =
      (await psql(
        postgres,
        'postgres',
        `SELECT 1 FROM pg_database WHERE datname = '${database}'`,
      )) === '1';
    if (!exists) {
      log(`temporal-sql-tool: create-database ${database}, setup-schema`);
      await tool(database, ['create-database']);
      await tool(database, ['setup-schema', '-v', '0.0']);
    }
    await tool(database, ['update-schema', '-d', join(build.schemaDir, subdir, 'versioned')]);
    const version = await psql(
      postgres,
      database,
      'SELECT curr_version FROM schema_version LIMIT 1',
    );
    log(`temporal-sql-tool: ${database} schema at version ${version}`);
  }
}
