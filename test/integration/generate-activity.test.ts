// The generate activity under Temporal's mock activity environment: a retry that finds finished
// shards in its heartbeat details keeps them and produces the same dataset as a clean run.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { CancelledFailure } from '@temporalio/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { CodeFingerprints } from '../../activities/code-fingerprints.ts';
import { createActivities } from '../../activities/index.ts';
import { storeImageSet } from '../../activities/image-sets.ts';
import { runTrainer } from '../../activities/trainer-process.ts';
import { configFromEnv } from '../../lib/config.ts';
import type { DatasetManifest, ShardRecord } from '../../lib/datasets/manifest.ts';
import { Rng } from '../../lib/rng.ts';
import { getJson, putJson } from '../../lib/storage/json-artifacts.ts';
import { LocalArtifactStore } from '../../lib/storage/local-store.ts';
import type { StageOutput } from '../../lib/studies/stage.ts';

describe('generate', () => {
  let activities: ReturnType<typeof createActivities>;
  let store: LocalArtifactStore;
  let input: Parameters<ReturnType<typeof createActivities>['generate']>[0];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clab-generate-'));
    const config = configFromEnv({ CLAB_HOME: dir });
    store = new LocalArtifactStore(join(dir, 'store'));
    const rng = Rng.stream(2, 'generate-test');
    const count = 40;
    const pixels = Uint8Array.from({ length: count * 64 }, () => rng.int(256));
    const labels = Uint8Array.from({ length: count }, (_, i) => i % 2);
    const classes = ['a', 'b'];
    const reference = await storeImageSet(
      store,
      { name: 'ref', classes, width: 8, height: 8, channels: 1, count, pixels, labels },
      { kind: 'subset' },
      'test',
    );

    // a tiny DDPM, trained and exported by the real trainer
    const data = join(dir, 'data');
    const out = join(dir, 'out');
    for (const d of [data, out]) mkdirSync(d);
    writeFileSync(join(data, 'images.u8'), pixels);
    writeFileSync(join(data, 'labels.u8'), labels);
    writeFileSync(
      join(data, 'meta.json'),
      JSON.stringify({ count, width: 8, height: 8, channels: 1, classes }),
    );
    await runTrainer({
      python: config.trainer.python,
      trainer: 'ddpm',
      dataDir: data,
      outDir: out,
      config: { steps: 3, batchSize: 8, channels: [8, 8, 8], timesteps: 50 },
      onEvent: () => {},
    });
    const onnx = await store.put(readFileSync(join(out, 'model.onnx')));
    const card = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    const model = await putJson(store, { ...card, onnx: onnx.digest });

    activities = createActivities({
      store,
      code: new CodeFingerprints(config),
      codeVersion: 'test',
      trainer: config.trainer,
      inference: config.inference,
    });
    input = {
      model: model.digest,
      reference: reference.digest,
      alpha: 0.75, // 30 images in 3 shards of 10
      sampling: {
        steps: 4,
        eta: 0.5,
        guidance: 2,
        batchSize: 4,
        timestepSpacing: 'trailing' as const,
      },
      name: 'S',
      seed: 9,
      stream: 'sample',
      shardSize: 10,
    };
  }, 120_000);

  it('resumes from the shards its heartbeat recorded and yields the same bytes', async () => {
    const clean = new MockActivityEnvironment();
    let firstShard: ShardRecord[] | undefined;
    clean.on('heartbeat', (d: { shards?: ShardRecord[] }) => {
      if (!firstShard && d?.shards?.length === 1) firstShard = d.shards;
    });
    const whole: StageOutput = await clean.run(activities.generate, input);
    expect(firstShard).toHaveLength(1);

    const retry = new MockActivityEnvironment({ heartbeatDetails: { shards: firstShard } });
    const resumed: StageOutput = await retry.run(activities.generate, input);
    expect(resumed.facts.resumedShards).toBe(1);
    expect(resumed.outputs).toEqual(whole.outputs);
    const manifest = await getJson<DatasetManifest>(store, whole.outputs.dataset!);
    expect(manifest.count).toBe(30);
    expect(manifest.shards.map((s) => s.count)).toEqual([10, 10, 10]);
    expect(manifest.classHistogram).toEqual([15, 15]);
  }, 120_000);

  it('stops between DDIM steps when cancelled and ends as cancelled, not failed', async () => {
    const env = new MockActivityEnvironment();
    let batches = 0;
    env.on('heartbeat', (d: { shards?: ShardRecord[]; failures?: number }) => {
      // the sampling loop's heartbeats (one per batch) carry no failure count
      if (d?.shards && d.failures === undefined && ++batches === 1) env.cancel();
    });
    const started = performance.now();
    await expect(env.run(activities.generate, { ...input, seed: 10 })).rejects.toBeInstanceOf(
      CancelledFailure,
    );
    expect(batches).toBe(1); // no batch sampled after the cancellation
    expect(performance.now() - started).toBeLessThan(30_000);
  }, 60_000);
});
