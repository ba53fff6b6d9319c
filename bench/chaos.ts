// npm run bench:chaos [-- --spec studies/generations-gmm.yaml --faults 20 --seed 1]
//
// Runs a study twice on a throw-away Temporal dev server and MinIO, with one cpu and one gpu worker
// process (`clab worker --queues cpu` / `--queues gpu`): once undisturbed (the reference), once
// while faults are injected at seeded random moments: a worker process SIGKILLed and started again,
// the Temporal server SIGKILLed and started again on the same SQLite file and port, MinIO SIGKILLed
// and started again on the same data directory and port. Then it checks:
//   - every stage's output digests equal the reference run's;
//   - every object under the disturbed run's prefix: a `sha256/..` object's content hashes to its
//     key, a `records/..` object is whole JSON, and no other key (a temporary or partial object) is
//     there, nor any unfinished multipart upload;
//   - orphans: content objects that no record reaches (following every digest named in the
//     records, the study result and, transitively, the JSON artifacts they reach); an orphan that
//     the undisturbed run also wrote (a training checkpoint, say) is by design, one it did not
//     write was made by a fault.
// Prints faults injected, faults survived, objects checked and whether the digests are equal;
// exits 1 when a check fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { Client as Minio } from 'minio';
import { readSpec } from '../cli/commands/study.ts';
import { studyKindOf } from '../cli/studies/index.ts';
import { resolveBinary } from '../infra/binaries.ts';
import { freePort } from '../infra/free-port.ts';
import { ensureBucket, startMinioServer } from '../infra/minio-server.ts';
import { stopChild, type StartedProcess } from '../infra/server-process.ts';
import { startTemporalServer } from '../infra/temporal-server.ts';
import { configFromEnv } from '../lib/config.ts';
import { Rng } from '../lib/rng.ts';
import { openStore } from '../lib/storage/open-store.ts';

const CLAB = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'clab.mjs');
const { values: args } = parseArgs({
  options: {
    spec: { type: 'string', default: 'studies/generations-gmm.yaml' },
    faults: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const faultCount = Number(args.faults);
const rng = Rng.stream(Number(args.seed), 'bench-chaos');
const between = (lo: number, hi: number) => lo + (hi - lo) * rng.uniform();
const say = (line: string) =>
  console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);

// ---- the servers, restartable on the same files and ports ----
const dir = mkdtempSync(join(tmpdir(), 'clab-chaos-'));
const temporalBin = await resolveBinary('temporal', { log: say });
const minioBin = await resolveBinary('minio', { log: say });
if (!temporalBin || !minioBin) throw new Error('the Temporal and MinIO binaries are missing');
const ports = { temporal: await freePort(), ui: await freePort() };
const minioPorts = { s3: await freePort(), console: await freePort() };
const s3 = {
  endpoint: `http://127.0.0.1:${minioPorts.s3}`,
  bucket: 'clab-chaos',
  accessKey: 'clab-chaos-user',
  secretKey: 'clab-chaos-secret-0123456789',
};
const temporalAddress = `127.0.0.1:${ports.temporal}`;
const startTemporal = () =>
  startTemporalServer({
    bin: temporalBin,
    port: ports.temporal,
    uiPort: ports.ui,
    dbFile: join(dir, 'temporal.db'),
    logFile: join(dir, 'temporal.log'),
    detached: false,
  });
const startMinio = () =>
  startMinioServer({
    bin: minioBin,
    port: minioPorts.s3,
    consolePort: minioPorts.console,
    dataDir: join(dir, 'minio-data'),
    logFile: join(dir, 'minio.log'),
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    detached: false,
  });
let temporal: StartedProcess = await startTemporal();
let minio: StartedProcess = await startMinio();
await ensureBucket(s3.endpoint, s3.bucket, s3.accessKey, s3.secretKey);
say(`Temporal at ${temporalAddress}, MinIO at ${s3.endpoint}, files in ${dir}`);

const killed = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

// ---- worker processes, restarted when they exit on their own (as a supervisor would) ----
type Role = 'cpu' | 'gpu';
interface Workers {
  env: Record<string, string>;
  procs: Map<Role, ChildProcess>;
  unexpectedExits: number;
  stopping: boolean;
}

function envFor(name: string): Record<string, string> {
  return {
    CLAB_HOME: join(dir, `home-${name}`),
    CLAB_TEMPORAL_ADDRESS: temporalAddress,
    CLAB_STORE: `s3://${s3.bucket}/${name}`,
    CLAB_S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKey,
    AWS_SECRET_ACCESS_KEY: s3.secretKey,
    CLAB_QUEUE_PREFIX: `${name}-`,
    CLAB_DEPLOYMENT_NAME: `clab-${name}`,
    CLAB_SHUTDOWN_GRACE: '3s',
    CLAB_LOG_FORMAT: 'json',
  };
}

function spawnWorker(workers: Workers, role: Role): void {
  const log = openSync(join(dir, `worker-${workers.env.CLAB_QUEUE_PREFIX}${role}.log`), 'a');
  const child = spawn(process.execPath, [CLAB, 'worker', '--queues', role], {
    env: { ...process.env, ...workers.env },
    stdio: ['ignore', log, log],
  });
  workers.procs.set(role, child);
  child.once('exit', () => {
    if (workers.stopping || workers.procs.get(role) !== child) return;
    workers.unexpectedExits++;
    say(
      `the ${role} worker exited on its own (${child.signalCode ?? child.exitCode}); restarting it`,
    );
    setTimeout(() => {
      if (!workers.stopping && workers.procs.get(role) === child) spawnWorker(workers, role);
    }, 1000);
  });
}

function startWorkers(name: string): Workers {
  const workers: Workers = {
    env: envFor(name),
    procs: new Map(),
    unexpectedExits: 0,
    stopping: false,
  };
  spawnWorker(workers, 'cpu');
  spawnWorker(workers, 'gpu');
  return workers;
}

async function stopWorkers(workers: Workers): Promise<void> {
  workers.stopping = true;
  await Promise.all([...workers.procs.values()].map((child) => stopChild(child, 10_000)));
}

// ---- faults ----
type FaultKind = 'cpu worker' | 'gpu worker' | 'Temporal' | 'MinIO';
const KINDS: FaultKind[] = ['cpu worker', 'gpu worker', 'Temporal', 'MinIO'];

async function inject(kind: FaultKind, workers: Workers): Promise<void> {
  if (kind === 'cpu worker' || kind === 'gpu worker') {
    const role: Role = kind === 'cpu worker' ? 'cpu' : 'gpu';
    const child = workers.procs.get(role)!;
    workers.procs.delete(role); // not an exit on its own
    child.kill('SIGKILL');
    await killed(child);
    await sleep(between(200, 2000));
    spawnWorker(workers, role);
  } else if (kind === 'Temporal') {
    temporal.child.kill('SIGKILL');
    await killed(temporal.child);
    await sleep(between(500, 4000));
    temporal = await startTemporal();
  } else {
    minio.child.kill('SIGKILL');
    await killed(minio.child);
    await sleep(between(500, 4000));
    minio = await startMinio();
  }
}

// ---- one study run ----
const spec = readSpec(args.spec);
const kind = studyKindOf(spec);

/** Waits for the workflow to close, through server restarts (describe fails while it is down). */
async function waitClosed(client: Client, workflowId: string): Promise<string> {
  for (;;) {
    try {
      const status = (await client.workflow.getHandle(workflowId).describe()).status.name;
      if (status !== 'RUNNING') return status;
    } catch {
      // the server is down or restarting
    }
    await sleep(1000);
  }
}

interface Run {
  workflowId: string;
  status: string;
  seconds: number;
  stages: Map<string, string>;
  resultJson: string;
  faults: { at: number; kind: FaultKind }[];
  unexpectedExits: number;
}

async function runStudy(name: string, faults: number, expectedSeconds?: number): Promise<Run> {
  const workers = startWorkers(name);
  const config = configFromEnv(workers.env);
  const store = openStore(config.store);
  const client = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
  const workflowId = `chaos-${name}-${Date.now()}`;
  const started = performance.now();
  await client.workflow.start(kind.workflow, {
    taskQueue: config.queues.cpu,
    workflowId,
    args: [
      kind.input(spec, {
        force: [],
        cpuQueue: config.queues.cpu,
        gpuQueue: config.queues.gpu,
        store: store.location,
      }),
    ],
  });
  const closed = waitClosed(client, workflowId);
  let done = false;
  void closed.then(() => (done = true));
  // Fault moments: seeded, spread over 90% of the undisturbed run's time.
  const moments = Array.from(
    { length: faults },
    () => between(0.03, 0.9) * (expectedSeconds ?? 0),
  ).sort((a, b) => a - b);
  const injected: Run['faults'] = [];
  for (const at of moments) {
    while (!done && (performance.now() - started) / 1000 < at) await sleep(100);
    if (done) break;
    const fault = KINDS[Math.floor(rng.uniform() * KINDS.length)]!;
    const t = (performance.now() - started) / 1000;
    say(`fault ${injected.length + 1}/${faults} at ${t.toFixed(1)} s: SIGKILL ${fault}`);
    await inject(fault, workers);
    injected.push({ at: t, kind: fault });
  }
  const status = await closed;
  const seconds = (performance.now() - started) / 1000;
  const handle = client.workflow.getHandle(workflowId);
  let stages = new Map<string, string>();
  let resultJson = '';
  if (status === 'COMPLETED') {
    const result = await handle.result();
    resultJson = JSON.stringify(result);
    const table = await kind.load(store, result);
    stages = new Map(table.stages.map((s) => [s.label, JSON.stringify(s.outputs)]));
  }
  await stopWorkers(workers);
  await client.connection.close();
  return {
    workflowId,
    status,
    seconds,
    stages,
    resultJson,
    faults: injected,
    unexpectedExits: workers.unexpectedExits,
  };
}

// ---- the bucket check ----
const minioClient = new Minio({
  endPoint: '127.0.0.1',
  port: minioPorts.s3,
  useSSL: false,
  accessKey: s3.accessKey,
  secretKey: s3.secretKey,
  region: 'us-east-1',
  pathStyle: true,
});

async function readObject(key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await minioClient.getObject(s3.bucket, key))
    chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of minioClient.listObjectsV2(
    s3.bucket,
    `${prefix}/`,
    true,
  ) as AsyncIterable<{
    name?: string;
  }>)
    if (item.name) keys.push(item.name.slice(prefix.length + 1));
  return keys.sort();
}

async function incompleteUploads(prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of minioClient.listIncompleteUploads(
    s3.bucket,
    `${prefix}/`,
    true,
  ) as AsyncIterable<unknown>)
    n++;
  return n;
}

const DIGEST = /[0-9a-f]{64}/g;

interface BucketCheck {
  objects: number;
  content: number;
  records: number;
  badContent: string[];
  badRecords: string[];
  unexpected: string[];
  incomplete: number;
  orphans: string[];
}

async function checkBucket(prefix: string, resultJson: string): Promise<BucketCheck> {
  const keys = await listKeys(prefix);
  const check: BucketCheck = {
    objects: keys.length,
    content: 0,
    records: 0,
    badContent: [],
    badRecords: [],
    unexpected: [],
    incomplete: await incompleteUploads(prefix),
    orphans: [],
  };
  const content = new Map<string, Buffer>();
  const roots = new Set<string>(resultJson.match(DIGEST) ?? []);
  for (const key of keys) {
    const m = /^sha256\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(key);
    if (m && m[2]!.startsWith(m[1]!)) {
      const bytes = await readObject(`${prefix}/${key}`);
      check.content++;
      if (createHash('sha256').update(bytes).digest('hex') !== m[2]) check.badContent.push(key);
      content.set(m[2]!, bytes);
    } else if (key.startsWith('records/')) {
      const text = (await readObject(`${prefix}/${key}`)).toString('utf8');
      check.records++;
      try {
        JSON.parse(text);
      } catch {
        check.badRecords.push(key);
      }
      for (const d of text.match(DIGEST) ?? []) roots.add(d);
    } else check.unexpected.push(key);
  }
  // reachability: from the records and the result through every JSON artifact they name
  const reached = new Set<string>();
  const pending = [...roots];
  while (pending.length) {
    const d = pending.pop()!;
    if (reached.has(d)) continue;
    reached.add(d);
    const bytes = content.get(d);
    if (!bytes || bytes.byteLength > 8 << 20) continue;
    const first = bytes[0];
    if (first !== 0x7b && first !== 0x5b) continue; // `{` or `[`: a JSON artifact
    for (const next of bytes.toString('utf8').match(DIGEST) ?? []) pending.push(next);
  }
  check.orphans = [...content.keys()].filter((d) => !reached.has(d));
  return check;
}

// ---- the benchmark ----
let failed = false;
try {
  say(`${args.spec}: the undisturbed reference run`);
  const reference = await runStudy('reference', 0);
  say(
    `reference: ${reference.status} in ${reference.seconds.toFixed(1)} s, ${reference.stages.size} stages`,
  );
  if (reference.status !== 'COMPLETED') throw new Error('the reference run did not complete');

  say(`the run under ${faultCount} faults (seed ${args.seed})`);
  const chaos = await runStudy('chaos', faultCount, reference.seconds);
  say(`chaos run: ${chaos.status} in ${chaos.seconds.toFixed(1)} s`);

  const differing = [...reference.stages].filter(
    ([label, outputs]) => chaos.stages.get(label) !== outputs,
  );
  const digestsEqual =
    chaos.status === 'COMPLETED' &&
    differing.length === 0 &&
    chaos.stages.size === reference.stages.size;
  const bucket = await checkBucket('chaos', chaos.resultJson);
  const referenceKeys = new Set(await listKeys('reference'));
  const faultOrphans = bucket.orphans.filter(
    (d) => !referenceKeys.has(`sha256/${d.slice(0, 2)}/${d}`),
  );
  const bucketClean =
    bucket.badContent.length === 0 &&
    bucket.badRecords.length === 0 &&
    bucket.unexpected.length === 0 &&
    bucket.incomplete === 0;
  const byKind = KINDS.map((k) => `${k} ${chaos.faults.filter((f) => f.kind === k).length}`).join(
    ', ',
  );
  const survived =
    chaos.status === 'COMPLETED' && digestsEqual && bucketClean ? chaos.faults.length : 0;

  console.log('');
  console.log(`study                 ${spec.name} (${args.spec}), ${reference.stages.size} stages`);
  console.log(`undisturbed run       ${reference.seconds.toFixed(1)} s`);
  console.log(`run under faults      ${chaos.seconds.toFixed(1)} s, ${chaos.status}`);
  console.log(`faults injected       ${chaos.faults.length} of ${faultCount} (${byKind})`);
  console.log(`faults survived       ${survived} of ${chaos.faults.length}`);
  console.log(`worker self-exits     ${chaos.unexpectedExits} (restarted by the supervisor)`);
  console.log(
    `stage digests equal   ${digestsEqual ? 'yes' : 'NO'} (${chaos.stages.size} of ${reference.stages.size} stages compared${differing.length ? `; differing: ${differing.map(([l]) => l).join(', ')}` : ''})`,
  );
  console.log(
    `objects checked       ${bucket.objects} (${bucket.content} content objects hashed, ${bucket.records} records parsed)`,
  );
  console.log(
    `  content != key      ${bucket.badContent.length}${bucket.badContent.length ? `: ${bucket.badContent.slice(0, 5).join(', ')}` : ''}`,
  );
  console.log(`  broken records      ${bucket.badRecords.length}`);
  console.log(
    `  temp/partial keys   ${bucket.unexpected.length}${bucket.unexpected.length ? `: ${bucket.unexpected.slice(0, 5).join(', ')}` : ''}`,
  );
  console.log(`  unfinished uploads  ${bucket.incomplete}`);
  console.log(
    `  unreached objects   ${bucket.orphans.length} (${bucket.orphans.length - faultOrphans.length} also written by the undisturbed run; ${faultOrphans.length} only by the faulted run)`,
  );
  failed = !(digestsEqual && bucketClean && faultOrphans.length === 0);
} catch (error) {
  console.error(error);
  failed = true;
} finally {
  await stopChild(temporal.child);
  await stopChild(minio.child);
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
  else say(`files kept in ${dir}`);
}
process.exit(failed ? 1 : 0);
