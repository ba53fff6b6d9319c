// The generational study through the real Temporal server and MinIO: determinism, the stage
// cache on reruns (no change, a changed alpha, --force, a deleted output), and a failing stage.
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ClabConfig } from '../../lib/config.ts';
import type { DatasetManifest } from '../../lib/datasets/manifest.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import type { GenerationsSpec } from '../../lib/studies/specs/generations.ts';
import { generationsSpecSchema } from '../../lib/studies/specs/generations.ts';
import { studyKindOf } from '../../cli/studies/index.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import type { StageEntry } from '../../lib/studies/stage.ts';
import { STUDY_TABLE_FORMAT } from '../../lib/studies/study-table.ts';
import { studyProgress } from '../../workflows/blocks/progress.ts';
import { generationsStudy } from '../../workflows/studies/generations.ts';
import { loadGenerationsTable, type GenerationsTable } from '../../cli/generations-table.ts';
import { failedAttempts, failureChain } from '../helpers/failures.ts';
import { historyFigures } from '../helpers/history-figures.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { isolatedConfig, listAll, s3StoreOf, testClient } from '../helpers/stack.ts';
import { exited, spawnWorker } from '../helpers/worker-process.ts';

const spec: GenerationsSpec = generationsSpecSchema.parse({
  study: 'generations',
  name: 'test-tiny',
  seed: 11,
  dataset: { name: 'fashion-mnist', subset: 200 },
  evaluation: { samples: 200, k: 3, embedding: { kind: 'pca', components: 8, fitSamples: 500 } },
  generator: { kind: 'gmm', latentDim: 8, components: 2, iterations: 5 },
  loop: { mode: 'accumulate', alphas: [0.5, 1], generations: 2, gridPerClass: 2 },
});

let counter = 0;
async function run(
  config: ClabConfig,
  s: GenerationsSpec,
  force: string[] = [],
  continueAsNewAfterEvents?: number,
  store?: ArtifactStore,
) {
  const client = await testClient();
  const workflowId = `study-test-${Date.now()}-${counter++}`;
  const result = await withWorkers(
    config,
    () =>
      client.workflow.execute(generationsStudy, {
        taskQueue: config.queues.cpu,
        workflowId,
        args: [
          {
            spec: s,
            force,
            cpuQueue: config.queues.cpu,
            gpuQueue: config.queues.gpu,
            store: s3StoreOf(config).location,
            ...(continueAsNewAfterEvents ? { continueAsNewAfterEvents } : {}),
          },
        ],
      }),
    store,
  );
  return { result: await loadGenerationsTable(s3StoreOf(config), result), workflowId };
}

const outputsByLabel = (r: GenerationsTable) =>
  Object.fromEntries(r.stages.map((s) => [s.label, s.outputs]));
const computed = (r: GenerationsTable) =>
  r.stages
    .filter((s) => !s.cacheHit)
    .map((s) => s.label)
    .sort();

describe('generational study', () => {
  const a = isolatedConfig('study-a');
  let first: GenerationsTable;

  beforeAll(async () => {
    first = (await run(a.config, spec)).result;
  }, 600_000);

  it('runs the loop: rows for each alpha and generation, |S_g| = alpha |D_{g-1}|, D_g accumulating', () => {
    expect(first.rows.map((r) => [r.alpha, r.generation, r.trainedOn, r.samples])).toEqual([
      [0.5, 0, 0, 200],
      [0.5, 1, 200, 100],
      [0.5, 2, 300, 150],
      [1, 0, 0, 200],
      [1, 1, 200, 200],
      [1, 2, 400, 400],
    ]);
    for (const row of first.rows) {
      expect(row.fid).toBeGreaterThan(0);
      expect(row.precision).toBeGreaterThanOrEqual(0);
      expect(row.recall).toBeLessThanOrEqual(1);
    }
    expect(first.embeddingId).toMatch(/^pca8@[0-9a-f]{12}$/);
    const planned = studyKindOf(spec).workflows(spec, 'w');
    expect(first.stages).toHaveLength(planned.reduce((n, w) => n + w.stages, 0));
  });

  it('is deterministic: the same spec in a fresh store gives byte-identical artifacts for every stage', async () => {
    const b = isolatedConfig('study-b');
    const second = (await run(b.config, spec)).result;
    expect(outputsByLabel(second)).toEqual(outputsByLabel(first));
  }, 600_000);

  it('replicate seeds: one loop per seed from the shared D_0, per-seed rows; planned stages = stages run', async () => {
    // Two seeds, one alpha, one generation: the cheapest run with per-seed loops; seed 11 is the spec's.
    const seeded: GenerationsSpec = {
      ...spec,
      name: 'test-seeds',
      seeds: [11, 3],
      loop: { ...spec.loop, alphas: [1], generations: 1 },
    };
    // In the first run's store: the shared stages and the seed-11 loop are cache hits.
    const { result, workflowId } = await run(a.config, seeded);
    expect(result.rows.map((r) => [r.alpha, r.generation, r.seed, r.samples])).toEqual([
      [1, 0, 3, 200],
      [1, 0, 11, 200],
      [1, 1, 3, 200],
      [1, 1, 11, 200],
    ]);
    const [d0a, d0b, g1a, g1b] = result.rows;
    expect(d0a!.fid).toBe(d0b!.fid); // the shared D_0
    expect(g1a!.metrics).not.toBe(g1b!.metrics); // each seed samples its own S_1
    const outputs = outputsByLabel(result);
    // the seed is the loop's randomness: seed 11 (the spec's seed) reproduces the unseeded loop
    expect(outputs['seed=11/alpha=1/g=1 sample S_g']).toEqual(
      outputsByLabel(first)['alpha=1/g=1 sample S_g'],
    );
    expect(outputs['seed=3/alpha=1/g=1 sample S_g']).not.toEqual(
      outputs['seed=11/alpha=1/g=1 sample S_g'],
    );
    // V_1 per seed in the parent, found in the cache by each loop
    for (const s of [3, 11]) {
      expect(result.stages.find((e) => e.label === `seed=${s}/g=1 (shared) fit V_g`)).toBeDefined();
      expect(result.stages.find((e) => e.label === `seed=${s}/alpha=1/g=1 fit V_g`)!.cacheHit).toBe(
        true,
      );
    }
    const client = await testClient();
    expect(
      (await client.workflow.getHandle(`${workflowId}/seed=3/alpha=1`).describe()).status.name,
    ).toBe('COMPLETED');
    // `clab plan` / the progress bars count the stages the workflows really run
    const planned = studyKindOf(seeded).workflows(seeded, workflowId);
    expect(planned.map((w) => w.workflowId)).toEqual([
      workflowId,
      `${workflowId}/seed=11/alpha=1`,
      `${workflowId}/seed=3/alpha=1`,
    ]);
    expect(result.stages).toHaveLength(planned.reduce((n, w) => n + w.stages, 0));
  }, 600_000);

  it('a rerun of a finished study recomputes nothing and writes only its own result table', async () => {
    const store = s3StoreOf(a.config);
    const before = new Set(await listAll(store.listKeys()));
    const again = (await run(a.config, spec)).result;
    expect(computed(again)).toEqual([]);
    const added = (await listAll(store.listKeys())).filter((k) => !before.has(k));
    // The new run's table (its stage entries say "from cache") and nothing else.
    for (const key of added) {
      expect(key).toMatch(/^sha256\//);
      const piece = await getJson<{ format: string }>(store, key.split('/').pop()!);
      expect(piece.format, key).toBe(STUDY_TABLE_FORMAT);
    }
  }, 600_000);

  it("changing alpha recomputes only the new alpha's stages, and reuses the shared first fit", async () => {
    const changed = (await run(a.config, { ...spec, loop: { ...spec.loop, alphas: [0.5, 2] } }))
      .result;
    const recomputed = changed.stages.filter((s) => !s.cacheHit);
    expect(recomputed.length).toBeGreaterThan(0);
    expect(recomputed.every((s) => s.label.startsWith('alpha=2/'))).toBe(true);
    expect(changed.stages.find((s) => s.label === 'alpha=2/g=1 fit V_g')!.cacheHit).toBe(true);
  }, 600_000);

  it('--force on one stage recomputes it and its descendants only', async () => {
    const forced = (await run(a.config, spec, ['sampleImages'])).result;
    const byLabel = new Map<string, StageEntry>(forced.stages.map((s) => [s.label, s]));
    for (const alpha of [0.5, 1]) {
      for (const stage of ['sample S_g', 'grid', 'features', 'metrics', 'D_g']) {
        expect(
          byLabel.get(`alpha=${alpha}/g=1 ${stage}`)!.cacheHit,
          `alpha=${alpha}/g=1 ${stage}`,
        ).toBe(false);
      }
      expect(byLabel.get(`alpha=${alpha}/g=2 fit V_g`)!.cacheHit).toBe(false); // reads the forced D_1
      expect(byLabel.get(`alpha=${alpha}/g=1 fit V_g`)!.cacheHit).toBe(true);
    }
    for (const label of ['ingest fashion-mnist/train', 'metric embedding', 'D0', 'D0 metrics'])
      expect(byLabel.get(label)!.cacheHit).toBe(true);
    expect(outputsByLabel(forced)).toEqual(outputsByLabel(first)); // deterministic recomputation
  }, 600_000);

  it('a loop that continues as new after every generation gives the same results', async () => {
    const { result, workflowId } = await run(a.config, spec, [], 1);
    expect(result.rows).toEqual(first.rows);
    expect(outputsByLabel(result)).toEqual(outputsByLabel(first));
    const client = await testClient();
    let runs = 0;
    for await (const _run of client.workflow.list({
      query: `WorkflowId = '${workflowId}/alpha=1'`,
    }))
      runs++;
    expect(runs).toBe(spec.loop.generations); // one run per generation: G - 1 continue-as-new
    // Loops carry the digest of their stored table, not the table: no payload grows with G.
    const figures = await historyFigures(client, workflowId);
    console.info(
      `[study payloads] ${figures.runs} workflow runs, ${figures.events} events, largest payload ${figures.largest.bytes} bytes (${figures.largest.where})`,
    );
    expect(figures.largest.bytes).toBeLessThan(64 * 1024);
  }, 600_000);

  it('a deleted output makes its stage recompute instead of returning a dangling reference', async () => {
    const store = s3StoreOf(a.config);
    const model = first.stages.find((s) => s.label === 'alpha=1/g=2 fit V_g')!.outputs.model!;
    await store.delete(model);
    const again = (await run(a.config, spec)).result;
    expect(computed(again)).toEqual(['alpha=1/g=2 fit V_g']);
    expect(await store.has(model)).toBe(true);
  }, 600_000);

  it('a lost shard under a cached manifest makes exactly the stage that wrote it recompute, with identical digests', async () => {
    const store = s3StoreOf(a.config);
    const d0 = first.stages.find((s) => s.label === 'D0')!.outputs.dataset!;
    const shard = (await getJson<DatasetManifest>(store, d0)).shards[0]!.sha256;
    await store.delete(shard);
    const again = (await run(a.config, spec)).result;
    // The mixes D_g list D0's shards too; D0 runs first and writes the same shard back.
    expect(computed(again)).toEqual(['D0']);
    expect(await store.has(shard)).toBe(true);
    expect(outputsByLabel(again)).toEqual(outputsByLabel(first));
  }, 600_000);

  it('an input that vanishes after its lookup: the run recomputes the stage that made it and goes on', async () => {
    const store = s3StoreOf(a.config);
    const features = first.stages.find((s) => s.label === 'D0 features')!.outputs.features!;
    // The workers' store deletes D0's features for real the first time a stage reads them: after
    // their stage was looked up (and found whole), when the forced D0 metrics read them.
    let vanished = false;
    const vanishing: ArtifactStore = {
      location: store.location,
      put: (bytes) => store.put(bytes),
      get: async (digest) => {
        if (digest === features && !vanished) {
          vanished = true;
          await store.delete(features);
        }
        return store.get(digest);
      },
      has: (digest) => store.has(digest),
      size: (digest) => store.size(digest),
      delete: (digest) => store.delete(digest),
      listKeys: () => store.listKeys(),
      putRecord: (name, bytes) => store.putRecord(name, bytes),
      getRecord: (name) => store.getRecord(name),
    };
    const { result: again, workflowId } = await run(
      a.config,
      spec,
      ['evaluate'],
      undefined,
      vanishing,
    );
    expect(vanished).toBe(true);
    expect(await store.has(features)).toBe(true);
    expect(outputsByLabel(again)).toEqual(outputsByLabel(first));
    // The D0 metrics failed once on the missing features (not retried: it could not help) ...
    const events = (await (await testClient()).workflow.getHandle(workflowId).fetchHistory())
      .events!;
    const missing = events.filter(
      (e) =>
        e.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type ===
        'ArtifactNotFoundError',
    );
    expect(missing).toHaveLength(1);
    // ... then the D0 features were recomputed (embed ran in this run, where every embed stage is
    // cached) and the metrics succeeded.
    const scheduled = events
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter((n): n is string => n !== undefined);
    expect(scheduled.filter((n) => n === 'embed')).toHaveLength(1);
  }, 600_000);

  it('a stage that keeps failing fails the study once (no retries), and a fixed rerun resumes from it', async () => {
    const bad = { ...spec, generator: { ...spec.generator, latentDim: 1000 } }; // more components than the 784 pixels
    const failure = await run(a.config, bad).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(failureChain(failure)).toContain(
      'Expected `components` to be a whole number from 1 to 784, got `1000`',
    );
    expect(await failedAttempts(await testClient(), 'fitGenerator')).toBe(1);

    const fixed = (
      await run(a.config, { ...bad, generator: { ...gmm(bad.generator), latentDim: 6 } })
    ).result;
    const reused = fixed.stages.filter((s) => s.cacheHit).map((s) => s.label);
    expect(reused).toEqual(
      expect.arrayContaining([
        'ingest fashion-mnist/train',
        'metric embedding',
        'D0',
        'D0 metrics',
      ]),
    );
    // V_1 is fitted once, in the parent, before the loops start
    expect(fixed.stages.find((s) => s.label === 'g=1 (shared) fit V_g')!.cacheHit).toBe(false);
    expect(fixed.stages.find((s) => s.label === 'alpha=1/g=1 fit V_g')!.cacheHit).toBe(true);
  }, 600_000);

  it('survives a SIGKILL of its worker in generation 2: a new worker finishes with identical results', async () => {
    const c = isolatedConfig('study-crash');
    const client = await testClient();
    const workflowId = `study-crash-${Date.now()}`;
    const handle = await client.workflow.start(generationsStudy, {
      taskQueue: c.config.queues.cpu,
      workflowId,
      args: [
        {
          spec,
          cpuQueue: c.config.queues.cpu,
          gpuQueue: c.config.queues.gpu,
          store: s3StoreOf(c.config).location,
        },
      ],
    });
    const firstWorker = spawnWorker(c.env, '/tmp/clab-test-study-worker-1.log');
    const loop = client.workflow.getHandle(`${workflowId}/alpha=1`);
    // generation 1 of a loop is 6 stages; the 7th starts generation 2
    for (;;) {
      const done = await loop.query(studyProgress).then(
        (p) => p.stagesDone,
        () => 0,
      );
      if (done >= 6) break;
      await sleep(50);
    }
    firstWorker.kill('SIGKILL');
    await exited(firstWorker);
    expect((await loop.describe()).status.name).toBe('RUNNING');

    const secondWorker = spawnWorker(c.env, '/tmp/clab-test-study-worker-2.log');
    try {
      const result = await loadGenerationsTable(s3StoreOf(c.config), await handle.result());
      expect(result.rows).toEqual(first.rows);
      expect(outputsByLabel(result)).toEqual(outputsByLabel(first));
    } finally {
      secondWorker.kill('SIGTERM');
      await exited(secondWorker);
    }
  }, 600_000);
});

function gmm(generator: GenerationsSpec['generator']) {
  if (generator.kind === 'ddpm') throw new Error('expected a gmm generator');
  return generator;
}
