// The production server profile (`npm run infra:up -- --profile production`): the Temporal server
// built from go.temporal.io/server on PostgreSQL with SQL visibility, and MinIO erasure-coded over
// 4 drives. Opt-in (CLAB_TEST_PRODUCTION=1, or `npm run test:production`): it starts three more
// servers, and the first run builds temporal-server (a long Go build). It brings the profile up
// in a fresh CLAB_HOME on free ports, runs a small GMM study on it with a cpu worker, finds the
// run through visibility by its search attributes (`clab runs list --query`), checks MinIO's
// erasure layout, restarts everything and finds the run again, and stops it with infra:down.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { endpointsFile, readEnvFile } from '../../infra/endpoints-file.ts';
import { freePort } from '../../infra/free-port.ts';
import { driveFormats, erasureHealth } from '../../infra/production/minio-erasure.ts';
import { TEMPORAL_SERVER_PIN } from '../../infra/production/server-build.ts';
import { profileFromArgs } from '../../infra/production/profile.ts';
import { MINIO_DRIVES, productionDir } from '../../infra/production/stack.ts';
import {
  temporalServerConfig,
  type TemporalPorts,
} from '../../infra/production/temporal-config.ts';
import { isRunning } from '../../infra/server-process.ts';
import { configFromEnv } from '../../lib/config.ts';
import { generationsSpecSchema } from '../../lib/studies/specs/generations.ts';
import { generationsStudy } from '../../workflows/studies/generations.ts';
import { startWorkers } from '../helpers/in-process-worker.ts';
import { studyInput } from '../helpers/stack.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const CLAB = join(ROOT, 'bin', 'clab.mjs');

const spec = generationsSpecSchema.parse({
  study: 'generations',
  name: 'test-production-profile',
  seed: 5,
  dataset: { name: 'fashion-mnist', subset: 100 },
  evaluation: { samples: 100, k: 3, embedding: { kind: 'pca', components: 4, fitSamples: 200 } },
  generator: { kind: 'gmm', latentDim: 4, components: 1, iterations: 2 },
  loop: { mode: 'accumulate', alphas: [1], generations: 1, gridPerClass: 1 },
});

/** The environment of a child process: none of the caller's clab or MinIO settings leak in. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(CLAB_|AWS_|MINIO_)/.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

function countFiles(dir: string, name: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) n += countFiles(path, name);
    else if (entry === name) n++;
  }
  return n;
}

// cheap, and run by every `npm test`: the profile switch and the generated server config
describe('the production profile switch and server config', () => {
  it('reads --profile, with dev the default', () => {
    expect(profileFromArgs([])).toBe('dev');
    expect(profileFromArgs(['--profile', 'production'])).toBe('production');
    expect(profileFromArgs(['--profile=production'])).toBe('production');
    expect(() => profileFromArgs(['--profile', 'prod'])).toThrow(/unknown profile/);
  });

  it('puts both stores on PostgreSQL with the postgres12 plugin, every service on loopback', () => {
    const ports: TemporalPorts = {
      frontend: 20000,
      frontendHttp: 20001,
      frontendMembership: 20002,
      history: 20003,
      historyMembership: 20004,
      matching: 20005,
      matchingMembership: 20006,
      worker: 20007,
      workerMembership: 20008,
      metrics: 20009,
    };
    const postgres = { binDir: '', dataDir: '', port: 5999, user: 'temporal', password: 'x' };
    const config = temporalServerConfig({ ports, postgres, dynamicConfigFile: '/dc.yaml' }) as {
      persistence: { datastores: Record<string, { sql: Record<string, unknown> }> };
      services: Record<string, { rpc: { bindOnLocalHost: boolean } }>;
    };
    for (const [name, database] of [
      ['postgres-default', 'temporal'],
      ['postgres-visibility', 'temporal_visibility'],
    ] as const) {
      expect(config.persistence.datastores[name]!.sql).toMatchObject({
        pluginName: 'postgres12',
        databaseName: database,
        connectAddr: '127.0.0.1:5999',
      });
    }
    expect(Object.keys(config.services).sort()).toEqual([
      'frontend',
      'history',
      'matching',
      'worker',
    ]);
    expect(Object.values(config.services).every((s) => s.rpc.bindOnLocalHost)).toBe(true);
  });
});

describe.skipIf(process.env.CLAB_TEST_PRODUCTION !== '1')('the production server profile', () => {
  it('runs a study on temporal-server + PostgreSQL + erasure-coded MinIO, found by its search attributes', async () => {
    const home = mkdtempSync(join(tmpdir(), 'clab-production-'));
    const env = childEnv({
      CLAB_HOME: home,
      CLAB_TEMPORAL_PORT: String(await freePort()),
      CLAB_POSTGRES_PORT: String(await freePort()),
      CLAB_MINIO_PORT: String(await freePort()),
      CLAB_MINIO_CONSOLE_PORT: String(await freePort()),
    });
    const infra = (script: 'up' | 'down') =>
      promisify(execFile)(TSX, [join(ROOT, 'infra', `${script}.ts`), '--profile', 'production'], {
        env,
        cwd: ROOT,
        timeout: 3_600_000, // a first run builds temporal-server
        maxBuffer: 64 * 1024 * 1024,
      });
    const dir = productionDir(home);
    const pids = () =>
      ['postgres', 'temporal', 'minio'].map((n) =>
        existsSync(join(dir, `${n}.pid`)) ? Number(readFileSync(join(dir, `${n}.pid`), 'utf8')) : 0,
      );
    const started: number[] = [];
    try {
      const up = await infra('up');
      console.log(up.stdout);
      started.push(...pids());
      expect(started.every((pid) => pid > 0 && isRunning(pid))).toBe(true);
      const endpoints = readEnvFile(endpointsFile(home));
      expect(endpoints.CLAB_INFRA_PROFILE).toBe('production');
      const workflowId = `production-profile-${Date.now()}`;
      const config = configFromEnv({
        ...endpoints,
        CLAB_STORE: `${endpoints.CLAB_STORE}/${workflowId}`,
        CLAB_HOME: home,
        CLAB_QUEUE_PREFIX: 'production-test-',
        CLAB_DEPLOYMENT_NAME: 'clab-production-test',
        CLAB_SHUTDOWN_GRACE: '3s',
      });

      // the real server, on PostgreSQL for both stores
      const connection = await Connection.connect({ address: config.temporal.address });
      const client = new Client({ connection });
      const system = await connection.workflowService.getSystemInfo({});
      expect(system.serverVersion).toBe(TEMPORAL_SERVER_PIN.version.slice(1));
      const cluster = await connection.workflowService.getClusterInfo({});
      expect(cluster.persistenceStore).toBe('postgres12');
      expect(cluster.visibilityStore).toBe('postgres12');
      expect(cluster.historyShardCount).toBe(4);

      const workers = await startWorkers(config, ['cpu']);
      try {
        await client.workflow.execute(generationsStudy, {
          taskQueue: config.queues.cpu,
          workflowId,
          workflowExecutionTimeout: '15 minutes',
          args: [studyInput(config, spec)],
        });
      } finally {
        await workers.stop();
      }

      // visibility (SQL, in temporal_visibility) finds the run by the project's search attributes
      const described = await client.workflow.getHandle(workflowId).describe();
      expect(described.status.name).toBe('COMPLETED');
      expect(described.searchAttributes).toMatchObject({
        ClabStudyKind: ['generations'],
        ClabSpecName: ['test-production-profile'],
        ClabDataset: ['fashion-mnist'],
      });
      const listed: string[] = [];
      const query = `ClabStudyKind = 'generations' AND ClabSpecName = 'test-production-profile' AND ClabDataset = 'fashion-mnist'`;
      for await (const run of client.workflow.list({ query })) listed.push(run.workflowId);
      expect(listed).toEqual([workflowId]);
      await connection.close();
      const clabList = () =>
        promisify(execFile)(
          process.execPath,
          [CLAB, 'runs', 'list', '--query', `ClabStudyKind = 'generations'`],
          { env: childEnv({ CLAB_HOME: home }), cwd: ROOT },
        );
      const { stdout } = await clabList();
      console.log(stdout);
      expect(stdout).toMatch(new RegExp(`${workflowId}\\s+generationsStudy\\s+COMPLETED`));

      // MinIO is erasure-coded: one erasure set of 4 drives, write quorum 3 (EC:2), and every
      // object has its xl.meta (and its shard) on each drive
      const health = await erasureHealth(endpoints.CLAB_S3_ENDPOINT!);
      expect(health).toEqual({ healthy: true, writeQuorum: 3 });
      const formats = driveFormats(join(dir, 'minio'), MINIO_DRIVES);
      expect(formats.map((f) => f.format)).toEqual(Array(MINIO_DRIVES).fill('xl'));
      expect(formats[0]!.sets).toHaveLength(1);
      expect(formats[0]!.sets[0]).toHaveLength(MINIO_DRIVES);
      const objects = formats.map((f) => countFiles(join(f.drive, 'clab', workflowId), 'xl.meta'));
      console.log(`xl.meta files per drive: ${objects.join(', ')}`);
      expect(objects[0]).toBeGreaterThan(10);
      expect(new Set(objects).size).toBe(1);

      // down and up again: the run is still there (the history lives in PostgreSQL)
      await infra('down');
      expect(started.some((pid) => isRunning(pid))).toBe(false);
      const again = await infra('up');
      expect(again.stdout).not.toMatch(/initdb|create-database/);
      started.push(...pids());
      expect((await clabList()).stdout).toContain(workflowId);
    } finally {
      await infra('down').catch((error: Error) => console.error(error.message));
      const alive = started.filter((pid) => isRunning(pid));
      rmSync(home, { recursive: true, force: true });
      expect(alive).toEqual([]);
    }
  }, 4_000_000);
});
