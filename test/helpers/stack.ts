import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { configFromEnv, type ClabConfig } from '../../lib/config.ts';
import { S3ArtifactStore } from '../../lib/storage/s3-store.ts';

/**
 * The environment a worker process needs to use the test servers, with a fresh store prefix, fresh
 * task queues and a fresh worker deployment so that tests never see each other's objects, tasks
 * or deployment routing.
 */
export function isolatedEnv(name: string): Record<string, string> {
  const s3 = inject('s3');
  const id = `${name}-${randomUUID().slice(0, 8)}`;
  return {
    CLAB_HOME: `/tmp/clab-test-home-${id}`,
    CLAB_TEMPORAL_ADDRESS: inject('temporalAddress'),
    CLAB_STORE: `s3://${s3.bucket}/${id}`,
    CLAB_S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKey,
    AWS_SECRET_ACCESS_KEY: s3.secretKey,
    CLAB_QUEUE_PREFIX: `${id}-`,
    CLAB_DEPLOYMENT_NAME: `clab-${id}`,
    // tests stop workers often, some with activities still running (a failed or cut study):
    // a short grace keeps each stop from waiting out the production default of 30 s
    CLAB_SHUTDOWN_GRACE: '3s',
  };
}

export function isolatedConfig(name: string): { config: ClabConfig; env: Record<string, string> } {
  const env = isolatedEnv(name);
  return { config: configFromEnv(env), env };
}

export function s3StoreOf(config: ClabConfig): S3ArtifactStore {
  if (config.store.kind !== 's3') throw new Error('expected an S3 store config');
  return new S3ArtifactStore(config.store);
}

export async function testClient(address = inject('temporalAddress')): Promise<Client> {
  return new Client({ connection: await Connection.connect({ address }) });
}

export async function listAll(keys: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of keys) out.push(key);
  return out.sort();
}

/** A study workflow's input: `spec` on this config's cpu and gpu queues and its S3 store. */
export function studyInput<S>(
  config: ClabConfig,
  spec: S,
): { spec: S; cpuQueue: string; gpuQueue: string; store: string } {
  return {
    spec,
    cpuQueue: config.queues.cpu,
    gpuQueue: config.queues.gpu,
    store: s3StoreOf(config).location,
  };
}
