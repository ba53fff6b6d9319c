import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3StoreOptions } from './storage/s3-store.ts';

export type StoreConfig = { kind: 'local'; root: string } | ({ kind: 's3' } & S3StoreOptions);

export interface ClabConfig {
  home: string;
  temporal: { address: string; namespace: string };
  store: StoreConfig;
  queues: { cpu: string; gpu: string };
  /**
   * Activities a worker runs at once, per queue, and how long a worker that is asked to stop
   * (SIGINT/SIGTERM) lets in-flight activities finish before cancelling them.
   */
  worker: { activityConcurrency: number; shutdownGraceMs: number };
  /** The Python side of the trainer contract and where training data is staged. */
  trainer: { python: string; workDir: string };
  /** onnxruntime-node sessions: execution providers in order of preference, and thread pools. */
  inference: {
    executionProviders: ExecutionProvider[];
    intraOpThreads: number;
    interOpThreads: number;
  };
  /**
   * Worker Deployment versioning: the deployment this process's workers belong to, the build id
   * they report (derived from the workflow code when unset) and whether a worker whose build is
   * not the deployment's current version makes itself current when it starts.
   */
  deployment: { name: string; buildId?: string; autoPromote: boolean };
  /** host:port where workers serve Prometheus metrics at /metrics (CLAB_METRICS_ADDRESS; off when unset). */
  metricsAddress?: string;
  /** OTLP/HTTP traces endpoint workers send OpenTelemetry spans to (CLAB_OTEL_ENDPOINT; off when unset). */
  otelEndpoint?: string;
}

export type ExecutionProvider = 'cpu' | 'cuda';

/** onnxruntime on the CPU with its default thread pool. */
export const DEFAULT_INFERENCE: ClabConfig['inference'] = {
  executionProviders: ['cpu'],
  intraOpThreads: 0,
  interOpThreads: 1,
};
const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'cuda'];

/** The interpreter trainers/setup.sh prepares (a venv beside this checkout's trainers). */
export const DEFAULT_TRAINER_PYTHON = fileURLToPath(
  new URL('../trainers/.venv/bin/python', import.meta.url),
);

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The configuration named by environment variables (see README, "Configuration"). Pure: the caller
 * decides which variables count (the process environment over the file `infra:up` writes).
 */
export function configFromEnv(env: Env): ClabConfig {
  const home = env.CLAB_HOME ? resolve(env.CLAB_HOME) : join(homedir(), '.contamination-lab');
  const prefix = env.CLAB_QUEUE_PREFIX ?? '';
  const address = env.CLAB_TEMPORAL_ADDRESS || '127.0.0.1:7233';
  return {
    home,
    temporal: {
      address,
      namespace: env.CLAB_TEMPORAL_NAMESPACE || 'default',
    },
    store: storeFromEnv(env, home),
    queues: { cpu: `${prefix}cpu`, gpu: `${prefix}gpu` },
    worker: {
      activityConcurrency: positiveInt(env, 'CLAB_ACTIVITY_CONCURRENCY', 2),
      shutdownGraceMs: durationMs(env, 'CLAB_SHUTDOWN_GRACE', '30s'),
    },
    trainer: {
      python: env.CLAB_PYTHON || DEFAULT_TRAINER_PYTHON,
      workDir: env.CLAB_WORK_DIR ? resolve(env.CLAB_WORK_DIR) : join(home, 'work'),
    },
    inference: {
      executionProviders: executionProviders(env.CLAB_ORT_PROVIDERS || 'cpu'),
      intraOpThreads: nonNegativeInt(env, 'CLAB_ORT_THREADS', 0),
      interOpThreads: nonNegativeInt(env, 'CLAB_ORT_INTER_THREADS', 1),
    },
    deployment: deploymentFromEnv(env, address),
    ...metricsFromEnv(env),
    ...otelFromEnv(env),
  };
}

/** CLAB_METRICS_ADDRESS: `host:port` (e.g. 127.0.0.1:9464, 0.0.0.0:9464); unset: no metrics server. */
function metricsFromEnv(env: Env): Pick<ClabConfig, 'metricsAddress'> {
  const raw = env.CLAB_METRICS_ADDRESS;
  if (!raw) return {};
  if (!/^(\[[0-9a-fA-F:]+\]|[\w.-]+):\d{1,5}$/.test(raw))
    throw new Error(
      `Expected CLAB_METRICS_ADDRESS to be host:port, like 127.0.0.1:9464, got \`${raw}\``,
    );
  return { metricsAddress: raw };
}

/** CLAB_OTEL_ENDPOINT: an http(s) URL (e.g. http://127.0.0.1:4318/v1/traces); unset: no tracing. */
function otelFromEnv(env: Env): Pick<ClabConfig, 'otelEndpoint'> {
  const raw = env.CLAB_OTEL_ENDPOINT;
  if (!raw) return {};
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new Error(
      `Expected CLAB_OTEL_ENDPOINT to be an http(s) URL, like http://127.0.0.1:4318/v1/traces, got \`${raw}\``,
    );
  return { otelEndpoint: raw };
}

/**
 * CLAB_DEPLOYMENT_NAME, CLAB_BUILD_ID and CLAB_DEPLOYMENT_AUTOPROMOTE. Auto-promotion defaults to
 * on when Temporal is on loopback (one machine: the worker just started runs the code just
 * pulled) and to off for a shared server, where promoting a build is an operator's decision.
 */
function deploymentFromEnv(env: Env, temporalAddress: string): ClabConfig['deployment'] {
  const name = env.CLAB_DEPLOYMENT_NAME || 'contamination-lab';
  // the server writes a version as `<deployment>.<build id>`: no dot in the deployment's name
  if (!/^[\w-]{1,200}$/.test(name))
    throw new Error(
      `Expected CLAB_DEPLOYMENT_NAME to be letters, digits, \`-\` and \`_\`, got \`${name}\``,
    );
  const buildId = env.CLAB_BUILD_ID || undefined;
  if (buildId !== undefined && !/^[\w.-]{1,200}$/.test(buildId))
    throw new Error(
      `Expected CLAB_BUILD_ID to be letters, digits, \`.\`, \`-\` and \`_\`, got \`${buildId}\``,
    );
  const autoPromote = env.CLAB_DEPLOYMENT_AUTOPROMOTE ?? '';
  if (!['', '0', '1'].includes(autoPromote))
    throw new Error(`Expected CLAB_DEPLOYMENT_AUTOPROMOTE to be 0 or 1, got \`${autoPromote}\``);
  const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(temporalAddress);
  return {
    name,
    ...(buildId ? { buildId } : {}),
    autoPromote: autoPromote === '' ? loopback : autoPromote === '1',
  };
}

function storeFromEnv(env: Env, home: string): StoreConfig {
  const url = env.CLAB_STORE || join(home, 'store');
  if (url.startsWith('s3://')) {
    const [bucket = '', ...rest] = url.slice('s3://'.length).split('/');
    if (!bucket)
      throw new Error(
        `Expected CLAB_STORE to name a bucket, like s3://my-bucket/prefix, got \`${url}\``,
      );
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
    const accessKey = env.AWS_ACCESS_KEY_ID;
    const secretKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKey || !secretKey) {
      throw new Error(
        `CLAB_STORE is ${url} but AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set`,
      );
    }
    return {
      kind: 's3',
      endpoint: env.CLAB_S3_ENDPOINT || `https://s3.${region}.amazonaws.com`,
      bucket,
      prefix: rest.filter(Boolean).join('/'),
      region,
      accessKey,
      secretKey,
    };
  }
  if (url.startsWith('file:')) return { kind: 'local', root: fileURLToPath(url) };
  if (isAbsolute(url)) return { kind: 'local', root: url };
  throw new Error(
    `Expected CLAB_STORE to be an absolute path, a file: URL or an s3:// URL, got \`${url}\``,
  );
}

function executionProviders(raw: string): ExecutionProvider[] {
  const names = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const name of names) {
    if (!EXECUTION_PROVIDERS.includes(name as ExecutionProvider))
      throw new Error(
        `Expected CLAB_ORT_PROVIDERS to list ${EXECUTION_PROVIDERS.join(' / ')}, got \`${raw}\``,
      );
  }
  // The CPU provider is always the last resort, as onnxruntime itself does.
  return [...new Set([...(names as ExecutionProvider[]), 'cpu' as const])];
}

function nonNegativeInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`Expected ${name} to be a whole number from 0 and up, got \`${raw}\``);
  return value;
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`Expected ${name} to be a whole number from 1 and up, got \`${raw}\``);
  }
  return value;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A duration such as `30s`, `1.5m`, `500ms` or `2h` (or `0`), in milliseconds. */
function durationMs(env: Env, name: string, fallback: string): number {
  const raw = env[name] || fallback;
  if (raw.trim() === '0') return 0;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(raw.trim());
  if (!match)
    throw new Error(`Expected ${name} to be a duration like 30s, 5m or 500ms, got \`${raw}\``);
  return Math.round(Number(match[1]) * DURATION_UNITS_MS[match[2]!]!);
}
