import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { CodeFingerprints, REPO_ROOT } from '../../activities/code-fingerprints.ts';
import { resolveBinary } from '../../infra/binaries.ts';
import { SEARCH_ATTRIBUTES } from '../../infra/temporal-server.ts';
import type { ClabConfig } from '../../lib/config.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { openStore } from '../../lib/storage/open-store.ts';
import type { StudySpec } from '../../lib/studies/specs/index.ts';
import { studyKindOf } from '../studies/index.ts';
import { createPlanActivities, type PlannedStage } from './plan-activities.ts';

/** The workflows a plan runs: the very module the cpu workers register. */
export const PLAN_WORKFLOWS_PATH = join(REPO_ROOT, 'workflows', 'index.ts');

/** The plan's one task queue, on its private server: it stands for both `cpu` and `gpu`. */
const PLAN_QUEUE = 'plan';

export interface PlanStudyOptions {
  config: Pick<ClabConfig, 'store' | 'trainer' | 'inference'>;
  /** A spec of any study kind. */
  spec: StudySpec;
  /** Stage names to force, as `clab run --force` takes them. */
  force?: readonly string[];
  /** The store to plan against (default: the configured one). Only read. */
  store?: ArtifactStore;
  /** The code fingerprints (default: the code on disk now, as a worker started now would see it). */
  code?: CodeFingerprints;
  /** The Temporal CLI binary (default: found as `infra/binaries.ts` finds it; never built). */
  temporalBin?: string;
  /** A prebuilt bundle of PLAN_WORKFLOWS_PATH (tests share one); by default bundled here. */
  workflowBundle?: WorkflowBundle;
  /** Gives up after this long (default 30 minutes). */
  timeoutMs?: number;
}

export interface StudyPlan {
  /**
   * Every stage of the study in the order it runs: the study's own stages, then each child's (for
   * the generational study, each alpha's loop), as its kind lists its workflows.
   */
  stages: PlannedStage[];
  hits: number;
  computes: number;
}

/**
 * Plans a study without running it: the real workflow of the spec's study kind (with its
 * children) runs on a private in-memory Temporal dev server, against a worker whose activities
 * look each stage up with the stage cache's own lookup, compute nothing and write nothing (see
 * createPlanActivities). What the workflow decides is what `clab run` would decide now.
 */
export async function planStudy(options: PlanStudyOptions): Promise<StudyPlan> {
  const { spec } = options;
  const kind = studyKindOf(spec);
  const force = [...(options.force ?? [])];
  const store = options.store ?? openStore(options.config.store);
  const code = options.code ?? new CodeFingerprints(options.config).snapshot();
  const bin = options.temporalBin ?? (await resolveBinary('temporal', { build: false }));
  if (!bin)
    throw new Error(
      'clab plan runs the study on a private Temporal dev server and needs the Temporal CLI: run npm run infra:build, put `temporal` on PATH or set CLAB_TEMPORAL_BIN',
    );
  // Quiet: a failure reaches the user as the plan's error, and the worker's logs would drown it.
  if (Runtime._instance === undefined) Runtime.install({ logger: new DefaultLogger('ERROR') });

  const plan = createPlanActivities({ store, code, force });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: bin },
      ip: '127.0.0.1',
      log: { format: 'pretty', level: 'error' },
      // `--output none`: no start-up banner on stdout (the server shares this process's stdout)
      extraArgs: [
        '--output',
        'none',
        ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', a]),
      ],
    },
  });
  try {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: PLAN_QUEUE,
      activities: plan.activities,
      ...(options.workflowBundle
        ? { workflowBundle: options.workflowBundle }
        : { workflowsPath: PLAN_WORKFLOWS_PATH }),
    });
    const workflowId = `plan-${spec.name}`;
    const stopWatching = new AbortController();
    const finished = env.client.workflow.execute(kind.workflow, {
      taskQueue: PLAN_QUEUE,
      workflowId,
      workflowExecutionTimeout: options.timeoutMs ?? 30 * 60_000,
      args: [
        kind.input(spec, {
          force,
          cpuQueue: PLAN_QUEUE,
          gpuQueue: PLAN_QUEUE,
          store: store.location,
        }),
      ],
    });
    const watching = watchWorkflowTasks(env.client, stopWatching.signal);
    try {
      await worker.runUntil(Promise.race([finished, watching.then(() => finished)]));
    } catch (error) {
      // a study stuck on a failing workflow task: end it, so that nothing waits on it any more
      await env.client.workflow
        .getHandle(workflowId)
        .terminate('the plan failed')
        .catch(() => undefined);
      throw new Error(`the plan's run of the study failed: ${rootMessage(error)}`, {
        cause: error,
      });
    } finally {
      // no call may be in flight when the server goes
      stopWatching.abort();
      await watching.catch(() => undefined);
      await finished.catch(() => undefined);
    }
    // The study first, then its children, each in the order its workflow looked stages up.
    const order = kind.workflows(spec, workflowId).map((w) => w.workflowId);
    const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
    const stages = plan
      .stages()
      .sort((a, b) => rank(a.workflowId) - rank(b.workflowId) || a.seq - b.seq);
    const hits = stages.filter((s) => s.status === 'hit').length;
    return { stages, hits, computes: stages.length - hits };
  } finally {
    await env.teardown();
  }
}

/**
 * Rejects when a workflow of the plan keeps failing its workflow tasks (a bug in workflow code
 * meeting the plan's placeholders, say), which Temporal would retry forever; resolves once
 * `signal` aborts.
 */
async function watchWorkflowTasks(client: Client, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await sleep(1000, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    for await (const execution of client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
      const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
      const described = await handle.describe().catch(() => undefined);
      if ((described?.raw.pendingWorkflowTask?.attempt ?? 0) < 2) continue;
      const history = await handle.fetchHistory();
      const failed = [...(history.events ?? [])]
        .reverse()
        .find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes;
      throw new Error(
        `workflow ${execution.workflowId} fails its tasks: ${failed?.failure?.message ?? 'unknown failure'}`,
      );
    }
  }
}

/** The innermost message of a failure chain (workflow -> child -> activity -> error). */
function rootMessage(error: unknown): string {
  let e = error as Error | undefined;
  while (e && (e as { cause?: Error }).cause) e = (e as { cause?: Error }).cause;
  return e?.message ?? String(error);
}
