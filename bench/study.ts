// npm run bench:study — prints figures (not a test; compare ratios measured in one run):
//   1. FID and precision/recall (k = 3) on 10,000 x 10,000 samples of 256 dims: seconds and peak
//      memory of the TypeScript code against numpy/scipy (bench/metrics_reference.py), each in its
//      own process;
//   2. orchestration overhead of the demo study (studies/generations-gmm.yaml) on a fresh store:
//      (wall time - time when at least one activity was running) / wall time, with one activity
//      slot per queue, plus the plain sum of activity run times and that sum per activity type.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { activityRows, type ActivityRow } from '../cli/run-history.ts';
import { startEphemeralStack } from '../infra/ephemeral-stack.ts';
import { configFromEnv } from '../lib/config.ts';
import { writeNpyMatrix } from '../lib/npy.ts';
import { Rng } from '../lib/rng.ts';
import { parseGenerationsSpec } from '../lib/studies/specs/generations.ts';
import { generationsStudy } from '../workflows/studies/generations.ts';
import { createWorkers } from '../workers/run-workers.ts';

const dir = mkdtempSync(join(tmpdir(), 'clab-bench-'));

// 1. metrics, TypeScript vs numpy/scipy
const n = 10_000;
const d = 256;
const rng = Rng.stream(1, 'bench-metrics');
const real = new Float32Array(n * d).map(() => rng.normal());
const mix = Array.from({ length: d * d }, () => rng.normal() / Math.sqrt(d));
const fake = new Float32Array(n * d);
for (let i = 0; i < n; i++) {
  const z = Array.from({ length: d }, () => rng.normal());
  for (let j = 0; j < d; j++) {
    let v = 0.3;
    for (let k = 0; k < d; k++) v += mix[j * d + k]! * z[k]!;
    fake[i * d + j] = v;
  }
}
writeFileSync(join(dir, 'real.npy'), writeNpyMatrix({ rows: n, cols: d, data: real }));
writeFileSync(join(dir, 'fake.npy'), writeNpyMatrix({ rows: n, cols: d, data: fake }));
const ts = JSON.parse(
  execFileSync(process.execPath, [
    '--import',
    'tsx',
    'bench/metrics-ts.ts',
    join(dir, 'real.npy'),
    join(dir, 'fake.npy'),
  ]).toString(),
);
let py: typeof ts | undefined;
try {
  py = JSON.parse(
    execFileSync('python3', [
      'bench/metrics_reference.py',
      join(dir, 'real.npy'),
      join(dir, 'fake.npy'),
    ]).toString(),
  );
} catch (error) {
  console.log(
    `(numpy/scipy reference not run: ${(error as Error).message.split('\n')[0]}; pip install numpy scipy)`,
  );
}
console.log(`metrics on ${n} x ${n} samples, ${d} dims`);
console.log(
  `  FID            TypeScript ${ts.fidSeconds.toFixed(2)} s${py ? `   numpy/scipy ${py.fidSeconds.toFixed(2)} s   ratio ${(ts.fidSeconds / py.fidSeconds).toFixed(2)}` : ''}`,
);
console.log(
  `  precision/recall TypeScript ${ts.prSeconds.toFixed(1)} s${py ? `   numpy ${py.prSeconds.toFixed(1)} s   ratio ${(ts.prSeconds / py.prSeconds).toFixed(2)}` : ''}`,
);
console.log(
  `  peak RSS       TypeScript ${ts.peakRssMiB.toFixed(0)} MiB${py ? `   Python ${py.peakRssMiB.toFixed(0)} MiB   ratio ${(ts.peakRssMiB / py.peakRssMiB).toFixed(2)}` : ''}`,
);
if (py)
  console.log(
    `  agreement      FID ${ts.fid.toFixed(6)} vs ${py.fid.toFixed(6)}; precision ${ts.precision} vs ${py.precision}; recall ${ts.recall} vs ${py.recall}`,
  );

// 2. orchestration overhead of the demo study
Runtime.install({ logger: new DefaultLogger('WARN') });
const stack = await startEphemeralStack();
try {
  const config = configFromEnv({
    CLAB_HOME: dir,
    CLAB_TEMPORAL_ADDRESS: stack.temporalAddress,
    CLAB_ACTIVITY_CONCURRENCY: '1',
  });
  const spec = parseGenerationsSpec(
    readFileSync('studies/generations-gmm.yaml', 'utf8'),
    'studies/generations-gmm.yaml',
  );
  const { workers, connection } = await createWorkers({ config, roles: ['cpu', 'gpu'] });
  const running = Promise.all(workers.map((w) => w.run()));
  const client = new Client({
    connection: await Connection.connect({ address: stack.temporalAddress }),
  });
  const workflowId = `bench-study-${Date.now()}`;
  const t0 = Date.now();
  const result = await client.workflow.execute(generationsStudy, {
    taskQueue: 'cpu',
    workflowId,
    args: [{ spec }],
  });
  const wall = Date.now() - t0;
  workers.forEach((w) => w.shutdown());
  await running;
  await connection.close();

  const ids = [
    workflowId,
    `${workflowId}/ingest-train`,
    `${workflowId}/ingest-test`,
    ...spec.loop.alphas.map((a) => `${workflowId}/alpha=${a}`),
  ];
  const rows: ActivityRow[] = [];
  for (const id of ids)
    rows.push(...activityRows((await client.workflow.getHandle(id).fetchHistory()).events ?? []));
  const intervals = rows
    .filter((r) => r.startedAtMs !== undefined)
    .map((r) => [r.startedAtMs!, r.closedAtMs!] as const)
    .sort((a, b) => a[0] - b[0]);
  let busy = 0;
  let [start, end] = [-Infinity, -Infinity];
  for (const [s, e] of intervals) {
    if (s > end) {
      if (end > start) busy += end - start;
      [start, end] = [s, e];
    } else end = Math.max(end, e);
  }
  if (end > start) busy += end - start;
  const sum = rows.reduce((a, r) => a + (r.durationMs ?? 0), 0);
  console.log(
    `demo study (${result.stageCount} stages, ${rows.length} activities, one slot per queue)`,
  );
  console.log(`  wall time                      ${(wall / 1000).toFixed(1)} s`);
  console.log(
    `  time with an activity running  ${(busy / 1000).toFixed(1)} s   (sum of activity run times ${(sum / 1000).toFixed(1)} s)`,
  );
  console.log(
    `  orchestration overhead         ${((wall - busy) / wall).toFixed(3)}   ((wall - busy) / wall)`,
  );
  // where the time goes: run time per activity type, largest first
  const byType = new Map<string, number>();
  for (const r of rows) byType.set(r.type, (byType.get(r.type) ?? 0) + (r.durationMs ?? 0));
  for (const [type, ms] of [...byType].sort((a, b) => b[1] - a[1]))
    console.log(`    ${type.padEnd(28)} ${(ms / 1000).toFixed(1)} s`);
} finally {
  await stack.stop();
}
