// `clab plan`: the real study workflow on a private in-memory dev server with plan activities. A
// tiny GMM study runs first (in-process workers, the test servers' MinIO); each plan then checks
// what it says against what that run did: keys, hits, and the reasons a stage would compute.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundle } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { CodeFingerprints, REPO_ROOT } from '../../activities/code-fingerprints.ts';
import { loadGenerationsTable, type GenerationsTable } from '../../cli/generations-table.ts';
import { formatPlan, type PlanJson } from '../../cli/commands/plan.ts';
import type { PlannedStage } from '../../cli/plan/plan-activities.ts';
import { planStudy, PLAN_WORKFLOWS_PATH, type StudyPlan } from '../../cli/plan/plan-study.ts';
import { hashingStore, PlanStoreError, readOnlyStore } from '../../cli/plan/read-only-store.ts';
import type { ClabConfig } from '../../lib/config.ts';
import { sha256 } from '../../lib/digest.ts';
import type { GenerationsSpec } from '../../lib/studies/specs/generations.ts';
import { generationsSpecSchema } from '../../lib/studies/specs/generations.ts';
import { generationsStudy } from '../../workflows/studies/generations.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { isolatedConfig, listAll, s3StoreOf, studyInput, testClient } from '../helpers/stack.ts';

const CLAB = join(fileURLToPath(import.meta.url), '..', '..', '..', 'bin', 'clab.mjs');

const spec: GenerationsSpec = generationsSpecSchema.parse({
  study: 'generations',
  name: 'test-plan',
  seed: 11,
  dataset: { name: 'fashion-mnist', subset: 200 },
  evaluation: { samples: 200, k: 3, embedding: { kind: 'pca', components: 8, fitSamples: 500 } },
  generator: { kind: 'gmm', latentDim: 8, components: 2, iterations: 5 },
  loop: { mode: 'accumulate', alphas: [0.5, 1], generations: 2, gridPerClass: 2 },
});

async function run(config: ClabConfig, s: GenerationsSpec) {
  const client = await testClient();
  const workflowId = `study-plan-test-${Date.now()}`;
  const result = await withWorkers(config, () =>
    client.workflow.execute(generationsStudy, {
      taskQueue: config.queues.cpu,
      workflowId,
      args: [studyInput(config, s)],
    }),
  );
  return { result: await loadGenerationsTable(s3StoreOf(config), result), workflowId };
}

const byLabel = (plan: StudyPlan) => new Map(plan.stages.map((s) => [s.label, s]));
const stage = (plan: StudyPlan, label: string): PlannedStage => {
  const found = byLabel(plan).get(label);
  if (!found) throw new Error(`the plan has no stage ${label}`);
  return found;
};

describe('clab plan', () => {
  const a = isolatedConfig('plan');
  let first: GenerationsTable;
  let firstId: string;
  let bundle: WorkflowBundle;
  const plan = (s: GenerationsSpec, force: string[] = []) =>
    planStudy({ config: a.config, spec: s, force, workflowBundle: bundle });

  beforeAll(async () => {
    const started = Date.now();
    ({ result: first, workflowId: firstId } = await run(a.config, spec));
    bundle = await bundleWorkflowCode({
      workflowsPath: PLAN_WORKFLOWS_PATH,
      logger: new DefaultLogger('WARN'),
    });
    console.log(`study run and workflow bundle: ${Date.now() - started} ms`);
  }, 300_000);

  it('a finished study plans as all hits, with the keys and labels its run used, in run order', async () => {
    const started = Date.now();
    const p = await plan(spec);
    console.log(`plan of ${p.stages.length} stages: ${Date.now() - started} ms`);
    expect(p.computes).toBe(0);
    expect(p.hits).toBe(first.stages.length);
    expect(Object.fromEntries(p.stages.map((s) => [s.label, s.key]))).toEqual(
      Object.fromEntries(first.stages.map((s) => [s.label, s.key])),
    );
    expect(p.stages.every((s) => s.reason === 'cached')).toBe(true);
    expect(p.stages.slice(0, 2).map((s) => s.label)).toEqual([
      'ingest fashion-mnist/train',
      'ingest fashion-mnist/test',
    ]);
    expect(p.stages.at(-1)!.label).toBe('alpha=1/g=2 D_g');
    const text = formatPlan(p);
    expect(text.split('\n')[0]).toMatch(/^STAGE +NAME +KEY +STATUS +WHY$/);
    expect(text).toMatch(/\nD0 +realSubset +[0-9a-f]{12} +hit +cached\n/);
    expect(text.split('\n').at(-1)).toBe(`${p.stages.length} stages: ${p.hits} hit, 0 compute`);
  });

  it("a changed alpha: the new alpha's stages compute (a new call, then upstream), the rest hit", async () => {
    const p = await plan({ ...spec, loop: { ...spec.loop, alphas: [0.5, 2] } });
    const computing = p.stages.filter((s) => s.status === 'compute');
    expect(computing.length).toBeGreaterThan(0);
    expect(computing.every((s) => s.label.startsWith('alpha=2/'))).toBe(true);
    // V_1 is shared by every alpha: already in the store
    expect(stage(p, 'alpha=2/g=1 fit V_g')).toMatchObject({ status: 'hit', reason: 'cached' });
    const sample = stage(p, 'alpha=2/g=1 sample S_g');
    expect(sample).toMatchObject({ status: 'compute', reason: 'new-call' });
    expect(sample.key).toMatch(/^[0-9a-f]{64}$/);
    for (const label of [
      'alpha=2/g=1 grid',
      'alpha=2/g=1 features',
      'alpha=2/g=1 metrics',
      'alpha=2/g=1 D_g',
      'alpha=2/g=2 fit V_g',
      'alpha=2/g=2 sample S_g',
      'alpha=2/g=2 D_g',
    ])
      expect(stage(p, label), label).toMatchObject({ status: 'compute', reason: 'upstream' });
    expect(computing.filter((s) => s.key).map((s) => s.label)).toEqual(['alpha=2/g=1 sample S_g']);
    expect(p.stages.filter((s) => s.label.startsWith('alpha=0.5/'))).toHaveLength(
      first.stages.filter((s) => s.label.startsWith('alpha=0.5/')).length,
    );
    expect(formatPlan(p)).toMatch(
      /\nalpha=2\/g=1 grid +sampleGrid +- +compute +compute \(upstream\)/,
    );
  });

  it('--force sampleImages: those stages are forced, their descendants compute, the rest hit', async () => {
    const p = await plan(spec, ['sampleImages']);
    for (const alpha of [0.5, 1]) {
      for (const g of [1, 2])
        expect(stage(p, `alpha=${alpha}/g=${g} sample S_g`)).toMatchObject({
          status: 'compute',
          reason: 'forced',
        });
      // g=1's inputs are cached, so its key is known; g=2 reads the recomputed D_1
      expect(stage(p, `alpha=${alpha}/g=1 sample S_g`).key).toBe(
        first.stages.find((s) => s.label === `alpha=${alpha}/g=1 sample S_g`)!.key,
      );
      expect(stage(p, `alpha=${alpha}/g=2 sample S_g`).key).toBeUndefined();
      for (const label of ['g=1 grid', 'g=1 features', 'g=1 metrics', 'g=1 D_g', 'g=2 fit V_g'])
        expect(stage(p, `alpha=${alpha}/${label}`)).toMatchObject({
          status: 'compute',
          reason: 'upstream',
        });
      expect(stage(p, `alpha=${alpha}/g=1 fit V_g`).status).toBe('hit');
    }
    for (const label of ['ingest fashion-mnist/train', 'metric embedding', 'D0', 'D0 grid'])
      expect(stage(p, label).status).toBe('hit');
  });

  it('a plan writes nothing to the store, even one that computes; the plan store refuses writes', async () => {
    const store = s3StoreOf(a.config);
    const before = await listAll(store.listKeys());
    const p = await plan({ ...spec, seed: 12 }, ['fitEmbedding']);
    expect(stage(p, 'ingest fashion-mnist/train').status).toBe('hit'); // keyed on the source only
    expect(stage(p, 'metric embedding')).toMatchObject({ status: 'compute', reason: 'forced' });
    expect(stage(p, 'D0')).toMatchObject({ status: 'compute', reason: 'new-call' });
    expect(p.stages.filter((s) => s.status === 'hit').map((s) => s.label)).toEqual([
      'ingest fashion-mnist/train',
      'ingest fashion-mnist/test',
      'alpha=0.5/g=1 fit V_g', // the shared V_1, computed earlier in the same run
      'alpha=1/g=1 fit V_g',
    ]);
    expect(await listAll(store.listKeys())).toEqual(before);

    const readOnly = readOnlyStore(store);
    await expect(readOnly.put(Buffer.from('x'))).rejects.toThrow(PlanStoreError);
    await expect(readOnly.putRecord('stages/x', Buffer.from('x'))).rejects.toThrow(PlanStoreError);
    await expect(readOnly.delete(sha256('x'))).rejects.toThrow(PlanStoreError);
    expect(() => readOnly.has('pending:abc/dataset')).toThrow(PlanStoreError);
    const ref = await hashingStore(store).put(Buffer.from('not stored'));
    expect(ref.digest).toBe(sha256('not stored'));
    expect(await store.has(ref.digest)).toBe(false);
    expect(await listAll(store.listKeys())).toEqual(before);
  });

  it('`clab plan <workflow id> --json` plans the spec the run was started with', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [CLAB, 'plan', firstId, '--json'],
      { env: { ...process.env, ...a.env } },
    );
    const json = JSON.parse(stdout) as PlanJson;
    expect(json.computes).toBe(0);
    expect(json.hits).toBe(first.stages.length);
    expect(json.stages[0]).toEqual({
      label: 'ingest fashion-mnist/train',
      name: 'ingest',
      key: first.stages.find((s) => s.label === 'ingest fashion-mnist/train')!.key,
      status: 'hit',
      reason: 'cached',
    });
  }, 120_000);

  /** Plans the spec with the code of a copy of the tree in which `path` got one edit. */
  async function planWithEdit(path: string): Promise<StudyPlan> {
    // a copy of the tree with one edit, fingerprinted as a worker started on it would
    const root = mkdtempSync(join(tmpdir(), 'clab-plan-code-'));
    try {
      for (const dir of ['activities', 'lib', 'workflows', 'trainers'])
        cpSync(join(REPO_ROOT, dir), join(root, dir), {
          recursive: true,
          filter: (src) => !src.includes('.venv') && !src.includes('__pycache__'),
        });
      cpSync(join(REPO_ROOT, 'README.md'), join(root, 'README.md'));
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
      const edited = join(root, path);
      const comment = path.endsWith('.md') ? '\nan edit\n' : '// an edit\n';
      writeFileSync(edited, `${readFileSync(edited, 'utf8')}${comment}`);
      return await planStudy({
        config: a.config,
        spec,
        code: new CodeFingerprints(a.config, root),
        workflowBundle: bundle,
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }

  it('changed code: the stages it computes have new keys and say `new code` with the changed file', async () => {
    const p = await planWithEdit('activities/stages/sample-grid.ts');
    const computing = p.stages.filter((s) => s.status === 'compute');
    expect(computing.map((s) => s.label)).toEqual([
      'D0 grid',
      'alpha=0.5/g=1 grid',
      'alpha=0.5/g=2 grid',
      'alpha=1/g=1 grid',
      'alpha=1/g=2 grid',
    ]);
    for (const s of computing) {
      expect(s).toMatchObject({
        reason: 'new-code',
        changedFiles: ['activities/stages/sample-grid.ts'],
      });
      expect(s.key).not.toBe(first.stages.find((f) => f.label === s.label)!.key);
    }
    expect(formatPlan(p)).toMatch(
      /\nD0 grid +sampleGrid +[0-9a-f]{12} +compute +new code: activities\/stages\/sample-grid\.ts\n/,
    );
  });

  it('an edit of lib/metrics/fid.ts recomputes exactly the evaluation stages', async () => {
    const p = await planWithEdit('lib/metrics/fid.ts');
    const computing = p.stages.filter((s) => s.status === 'compute');
    expect(computing.map((s) => s.label)).toEqual([
      'D0 metrics',
      'alpha=0.5/g=1 metrics',
      'alpha=0.5/g=2 metrics',
      'alpha=1/g=1 metrics',
      'alpha=1/g=2 metrics',
    ]);
    for (const s of computing)
      expect(s).toMatchObject({ reason: 'new-code', changedFiles: ['lib/metrics/fid.ts'] });
  });

  it('an edit of README.md (or the trainers, which this study does not use) recomputes nothing', async () => {
    for (const path of ['README.md', 'trainers/ddpm.py']) {
      const p = await planWithEdit(path);
      expect(p.computes, path).toBe(0);
    }
  });

  it('a deleted output: its stage computes with `missing output`, and what reads it computes too', async () => {
    const store = s3StoreOf(a.config);
    const grid = first.stages.find((s) => s.label === 'D0 grid')!.outputs.grid!;
    await store.delete(grid);
    let p = await plan(spec);
    expect(stage(p, 'D0 grid')).toMatchObject({
      status: 'compute',
      reason: 'missing-output',
      missing: grid,
      missingOutput: { name: 'grid', part: false },
    });
    expect(p.computes).toBe(1);
    expect(formatPlan(p)).toContain(`missing output grid sha256:${grid}`);

    // a shard of D_0's dataset: D_0 recomputes, and every stage that reads D_0 waits for it
    const d0 = first.stages.find((s) => s.label === 'D0')!.outputs.dataset!;
    const manifest = JSON.parse((await store.get(d0)).toString('utf8')) as {
      shards: { sha256: string }[];
    };
    const shard = manifest.shards[0]!.sha256;
    await store.delete(shard);
    p = await plan(spec);
    expect(stage(p, 'D0')).toMatchObject({
      status: 'compute',
      reason: 'missing-output',
      missing: shard,
      missingOutput: { name: 'dataset', part: true },
    });
    for (const label of ['D0 features', 'D0 metrics', 'D0 grid', 'g=1 (shared) fit V_g'])
      expect(stage(p, label), label).toMatchObject({ status: 'compute', reason: 'upstream' });
    // the loops' first fit is the shared V_1's call: the run computes it once and reuses it
    expect(stage(p, 'alpha=1/g=1 fit V_g')).toMatchObject({
      status: 'hit',
      reason: 'same-run',
      reuses: 'g=1 (shared) fit V_g',
    });
    expect(stage(p, 'metric embedding').status).toBe('hit');
  });
});
