// npm run bench:ingest — prints figures (not a test; this machine is shared and noisy, so compare
// the ratios, which are measured in one run):
//   1. ingest images/s of the Fashion-MNIST train split: activities called directly, and the full
//      workflow through Temporal, both into MinIO;
//   2. the storage layer's write throughput against the minio client's raw putObject of the same bytes.
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Client as MinioClient } from 'minio';
import { createIngestActivities } from '../activities/ingest.ts';
import { startEphemeralStack } from '../infra/ephemeral-stack.ts';
import { configFromEnv } from '../lib/config.ts';
import { planShards } from '../lib/datasets/shard-plan.ts';
import { S3ArtifactStore } from '../lib/storage/s3-store.ts';
import { ingestDataset } from '../workflows/ingest-dataset.ts';
import { createWorkers } from '../workers/run-workers.ts';

const CONCURRENCY = 2;
Runtime.install({ logger: new DefaultLogger('WARN') });
const stack = await startEphemeralStack();
const s3 = stack.s3;
const storeAt = (prefix: string) => new S3ArtifactStore({ ...s3, prefix, region: 'us-east-1' });
const seconds = (t0: number) => (performance.now() - t0) / 1000;

try {
  // 1a. activities only: index, then shards with the worker's concurrency, into MinIO
  const direct = createIngestActivities({ store: storeAt('bench-direct'), codeVersion: 'bench' });
  let t0 = performance.now();
  const indexed = await direct.indexSource({ source: { kind: 'fashion-mnist', split: 'train' } });
  const shards = planShards(indexed.count, 2000);
  const queue = [...shards];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let shard = queue.shift(); shard; shard = queue.shift())
        await direct.writeShard({ indexDigest: indexed.indexDigest, shard });
    }),
  );
  const directSeconds = seconds(t0);

  // 1b. the ingestDataset workflow through Temporal, in-process workers with the same concurrency
  const config = configFromEnv({
    CLAB_TEMPORAL_ADDRESS: stack.temporalAddress,
    CLAB_STORE: `s3://${s3.bucket}/bench-workflow`,
    CLAB_S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKey,
    AWS_SECRET_ACCESS_KEY: s3.secretKey,
    CLAB_ACTIVITY_CONCURRENCY: String(CONCURRENCY),
  });
  const { workers, connection } = await createWorkers({ config, roles: ['cpu'] });
  const running = Promise.all(workers.map((w) => w.run()));
  const client = new TemporalClient({
    connection: await Connection.connect({ address: stack.temporalAddress }),
  });
  t0 = performance.now();
  await client.workflow.execute(ingestDataset, {
    taskQueue: 'cpu',
    workflowId: `bench-${Date.now()}`,
    args: [{ source: { kind: 'fashion-mnist', split: 'train' } }],
  });
  const workflowSeconds = seconds(t0);
  workers.forEach((w) => w.shutdown());
  await running;
  await connection.close();

  console.log(
    'ingest of Fashion-MNIST train (60,000 images, 30 shards, concurrency 2, into MinIO)',
  );
  console.log(
    `  activities called directly  ${directSeconds.toFixed(1)} s  ${Math.round(60000 / directSeconds)} images/s`,
  );
  console.log(
    `  ingestDataset via Temporal  ${workflowSeconds.toFixed(1)} s  ${Math.round(60000 / workflowSeconds)} images/s`,
  );
  console.log(`  workflow / direct time      ${(workflowSeconds / directSeconds).toFixed(3)}`);

  // 2. storage layer vs raw putObject, alternating which goes first, on the same bytes
  const url = new URL(s3.endpoint);
  const raw = new MinioClient({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    region: 'us-east-1',
  });
  for (const [label, size, count] of [
    ['shard-sized (1.5 MiB)', 1.5 * 2 ** 20, 40],
    ['small (64 KiB)', 64 * 2 ** 10, 300],
  ] as const) {
    const store = storeAt(`bench-store-${size}`);
    const blobs = Array.from({ length: count }, (_, i) => pseudoRandomBytes(size, i + size));
    let storeSeconds = 0;
    let rawSeconds = 0;
    for (const [i, blob] of blobs.entries()) {
      const putStore = async () => {
        const t = performance.now();
        await store.put(blob);
        storeSeconds += seconds(t);
      };
      const putRaw = async () => {
        const t = performance.now();
        await raw.putObject(s3.bucket, `bench-raw-${size}/${i}`, blob, blob.byteLength);
        rawSeconds += seconds(t);
      };
      if (i % 2 === 0) await putStore().then(putRaw);
      else await putRaw().then(putStore);
    }
    const mib = (count * size) / 2 ** 20;
    console.log(`storage writes, ${count} x ${label}`);
    console.log(
      `  ArtifactStore.put (sha256 + PUT)               ${(mib / storeSeconds).toFixed(1)} MiB/s`,
    );
    console.log(
      `  minio putObject (raw)                            ${(mib / rawSeconds).toFixed(1)} MiB/s`,
    );
    console.log(
      `  store / raw throughput                           ${(rawSeconds / storeSeconds).toFixed(3)}`,
    );
  }
} finally {
  await stack.stop();
}

/** Incompressible filler bytes from a fixed seed (xorshift32), so runs write the same data. */
function pseudoRandomBytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  return out;
}
