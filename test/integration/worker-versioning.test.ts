// Worker Deployment versioning on the real dev server: a study started on build v1 stays on v1
// (its workflow tasks and its activities) after build v2 is promoted, while a new study starts on
// v2. The two builds run the same code: a different build id is all routing looks at.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { loadGenerationsTable } from '../../cli/generations-table.ts';
import { workflowTaskBuilds } from '../../cli/run-history.ts';
import { configFromEnv, type ClabConfig } from '../../lib/config.ts';
import { generationsSpecSchema } from '../../lib/studies/specs/generations.ts';
import { generationsStudy } from '../../workflows/studies/generations.ts';
import { startWorkers, type RunningWorkers } from '../helpers/in-process-worker.ts';
import { isolatedEnv, s3StoreOf, studyInput, testClient } from '../helpers/stack.ts';

const CLAB = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'clab.mjs');

const spec = generationsSpecSchema.parse({
  study: 'generations',
  name: 'test-versioning',
  seed: 11,
  dataset: { name: 'fashion-mnist', subset: 200 },
  // The metric embedding is a small CNN: its training is the study's first gpu stage (the
  // PCA+GMM generator's stages run on cpu).
  evaluation: {
    samples: 200,
    k: 3,
    embedding: { kind: 'classifier', trainSamples: 200, epochs: 1, batchSize: 64, featureDim: 8 },
  },
  generator: { kind: 'gmm', latentDim: 8, components: 2, iterations: 5 },
  loop: { mode: 'accumulate', alphas: [0.5, 1], generations: 2, gridPerClass: 2 },
});

describe('worker deployment versioning', () => {
  it('keeps a running study on the build that started it and starts new studies on the promoted build', async () => {
    const env = isolatedEnv('versioning');
    const tag = randomUUID().slice(0, 8);
    const build = (id: string): ClabConfig =>
      configFromEnv({ ...env, CLAB_BUILD_ID: `${id}-${tag}`, CLAB_DEPLOYMENT_AUTOPROMOTE: '0' });
    const v1 = build('v1');
    const v2 = build('v2');
    const client = await testClient();
    const running: RunningWorkers[] = [];
    const start = async (config: ClabConfig, roles: ('cpu' | 'gpu')[]) => {
      const workers = await startWorkers(config, roles);
      running.push(workers);
      return workers;
    };
    const study = (workflowId: string) =>
      client.workflow.start(generationsStudy, {
        taskQueue: v1.queues.cpu,
        workflowId,
        args: [studyInput(v1, spec)],
      });
    try {
      // Build v1, as two workers (cpu and gpu) like on a machine that splits the queues: the
      // deployment's first build becomes current by itself, the second worker finds it current.
      const v1Cpu = await start(v1, ['cpu']);
      const v1Gpu = await start(v1, ['gpu']);
      expect(v1Cpu.version).toEqual({ deploymentName: v1.deployment.name, buildId: `v1-${tag}` });
      expect(v1Cpu.routing).toEqual({ kind: 'made-current' });
      expect(v1Gpu.routing).toEqual({ kind: 'already-current' });
      // Without v1's gpu worker, the study stops at its first gpu stage (training the embedding).
      await v1Gpu.stop();
      const s1 = await study(`versioning-s1-${tag}`);
      await pendingActivity(s1, 'train');

      // Build v2 joins: not promoted by itself (auto-promotion is off), then promoted with the CLI.
      const v2Workers = await start(v2, ['cpu', 'gpu']);
      expect(v2Workers.routing).toEqual({ kind: 'not-promoted', current: `v1-${tag}` });
      const promoted = await clab(env, ['deploy', 'promote', `v2-${tag}`]);
      expect(promoted).toContain(`v2-${tag} is current (was v1-${tag}`);

      // v2's gpu worker polls the gpu queue and v2 is current, yet it leaves s1's activity alone.
      await sleep(5000);
      expect((await s1.describe()).status.name).toBe('RUNNING');
      const waiting = await pendingActivity(s1, 'train');
      expect(waiting.state).toBe('scheduled');

      // A new study starts, and finishes, on v2.
      const s2 = await study(`versioning-s2-${tag}`);
      const t2 = await loadGenerationsTable(s3StoreOf(v2), await s2.result());
      expect((await s1.describe()).status.name).toBe('RUNNING');

      // v1's gpu worker is back: s1 finishes on v1.
      const v1Back = await start(v1, ['gpu']);
      expect(v1Back.routing).toEqual({ kind: 'not-promoted', current: `v2-${tag}` });
      const t1 = await loadGenerationsTable(s3StoreOf(v1), await s1.result());
      expect(t1.rows).toEqual(t2.rows);

      // Every workflow task of each study's workflows (the parent, ingests and loops) ran on its build.
      const s1Builds = await buildsOfTree(client, s1.workflowId);
      const s2Builds = await buildsOfTree(client, s2.workflowId);
      expect(Object.keys(s1Builds).length).toBeGreaterThanOrEqual(3); // parent and two loops at least
      expect(new Set(Object.values(s1Builds).flat())).toEqual(new Set([`v1-${tag}`]));
      expect(new Set(Object.values(s2Builds).flat())).toEqual(new Set([`v2-${tag}`]));

      // What `clab runs show` and `clab deploy status` report.
      const shown = JSON.parse(await clab(env, ['runs', 'show', s1.workflowId, '--json'])) as {
        deployment: unknown;
      };
      expect(shown.deployment).toEqual({
        behavior: 'pinned',
        deploymentName: v1.deployment.name,
        buildId: `v1-${tag}`,
        workflowTaskBuilds: [`v1-${tag}`],
      });
      const status = JSON.parse(await clab(env, ['deploy', 'status', '--json'])) as {
        current: string;
        versions: { buildId: string; status: string }[];
      };
      expect(status.current).toBe(`v2-${tag}`);
      expect(status.versions.map((v) => [v.buildId, v.status]).sort()).toEqual([
        [`v1-${tag}`, expect.stringMatching(/^(draining|drained)$/)],
        [`v2-${tag}`, 'current'],
      ]);
    } finally {
      for (const workers of running.reverse()) await workers.stop();
    }
  }, 600_000);
});

/** Waits until the run has a pending activity of this type; returns its state and attempt. */
async function pendingActivity(
  handle: WorkflowHandle,
  type: string,
): Promise<{ state: string; attempt: number }> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const { raw } = await handle.describe();
    const pending = (raw.pendingActivities ?? []).find((a) => a.activityType?.name === type);
    if (pending) {
      // the client decodes this enum as its name; a number would be temporal.api.enums.v1.PendingActivityState
      const state = String(pending.state ?? '')
        .replace(/^PENDING_ACTIVITY_STATE_/, '')
        .toLowerCase();
      return {
        state: { '1': 'scheduled', '2': 'started' }[state] ?? state,
        attempt: pending.attempt ?? 0,
      };
    }
    if (Date.now() > deadline)
      throw new Error(`no pending ${type} activity in ${handle.workflowId}`);
    await sleep(250);
  }
}

/** The builds that completed the workflow tasks of a workflow and of its children, by workflow id. */
async function buildsOfTree(client: Client, workflowId: string): Promise<Record<string, string[]>> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  let builds: Record<string, string[]> = { [workflowId]: workflowTaskBuilds(events) };
  for (const e of events) {
    const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
    if (child) builds = { ...builds, ...(await buildsOfTree(client, child)) };
  }
  return builds;
}

/** Runs the clab CLI against the test servers; returns its stdout. */
async function clab(env: Record<string, string>, args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLAB, ...args], {
    env: { ...process.env, ...env },
  });
  return stdout;
}
