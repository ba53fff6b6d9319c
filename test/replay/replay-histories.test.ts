// The replay gate: every workflow history recorded in test/fixtures/histories (by
// `npm run histories:record`) must replay against the current workflow code. A change to a
// workflow's command sequence that is not guarded by patched() fails here, naming the history,
// instead of failing every run in flight with a non-determinism error. The replays need no server;
// the negative test records a fresh history on the test servers to show that the gate catches a
// swap of two stages.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../workers/run-workers.ts';
import { historyFromJson } from '../fixtures/histories/history-json.ts';
import type { HistoryIndex } from '../fixtures/histories/record.ts';
import { testClient } from '../helpers/stack.ts';
import type { StageName, TwoStagesInput } from './workflows/two-stages.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const HISTORIES = join(HERE, '..', 'fixtures', 'histories');
const INDEX = join(HISTORIES, 'index.json');
const index: HistoryIndex = existsSync(INDEX)
  ? (JSON.parse(readFileSync(INDEX, 'utf8')) as HistoryIndex)
  : { about: '', histories: [] };

const logger = new DefaultLogger('WARN');
try {
  // Core logs the negative test's expected non-determinism as a warning: errors only.
  Runtime.install({
    logger,
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
} catch {
  // installed already by another test in this process
}

const bundle = (workflowsPath: string) => bundleWorkflowCode({ workflowsPath, logger });

/** Replays one history; a failure names the fixture and says what to do. */
async function replay(
  workflowBundle: WorkflowBundleWithSourceMap,
  history: unknown,
  workflowId: string,
  name: string,
): Promise<void> {
  try {
    await Worker.runReplayHistory(
      { workflowBundle, replayName: 'replay-gate' },
      historyFromJson(history),
      workflowId,
    );
  } catch (error) {
    const e = error as Error;
    throw new Error(
      `${name} does not replay against the current workflow code (${e.name}: ${e.message}). ` +
        'Guard the change with patched() (see test/fixtures/histories/README.md), or if it is ' +
        'intentional and no run of the old code can still be running, record new histories ' +
        'with npm run histories:record.',
      { cause: error },
    );
  }
}

describe('replay gate: recorded histories replay against the current workflow code', () => {
  let current: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    current = await bundle(WORKFLOWS_PATH);
  }, 120_000);

  it('has recorded histories, each listed in index.json and present', () => {
    expect(
      index.histories.length,
      'no recorded histories: run npm run histories:record',
    ).toBeGreaterThan(0);
    const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json') && f !== 'index.json');
    expect(files.sort(), 'history files vs index.json').toEqual(
      index.histories.map((h) => h.file).sort(),
    );
  });

  for (const entry of index.histories) {
    it(`${entry.file} (${entry.workflowType}, ${entry.scenario}${entry.kept ? ', kept' : ''})`, async () => {
      const history: unknown = JSON.parse(readFileSync(join(HISTORIES, entry.file), 'utf8'));
      await replay(current, history, entry.workflowId, entry.file);
    });
  }
});

describe('replay gate: negative test', () => {
  it('a history recorded with stages subset, grid fails to replay against grid, subset', async () => {
    const [recorded, swapped] = await Promise.all([
      bundle(join(HERE, 'workflows', 'recorded.ts')),
      bundle(join(HERE, 'workflows', 'swapped.ts')),
    ]);

    // Record a run of the real StageRunner on the test server. The activities are stand-ins (a
    // cache that always misses, stages that return fixed digests): what is checked is the
    // workflow's command sequence, which does not depend on what the activities compute.
    const address = inject('temporalAddress');
    const taskQueue = `replay-gate-${randomUUID().slice(0, 8)}`;
    const workflowId = `${taskQueue}-two-stages`;
    const stage = (outputs: Record<string, string>) => async () => ({
      outputs,
      facts: {},
      attempt: 1,
      computeMs: 0,
    });
    const connection = await NativeConnection.connect({ address });
    const client = await testClient(address);
    let outputs: Record<StageName, string>;
    try {
      const worker = await Worker.create({
        connection,
        taskQueue,
        workflowBundle: recorded,
        activities: {
          lookupStage: async () => ({ key: 'stage-key', code: 'code-fingerprint' }),
          recordStage: async () => undefined,
          realSubset: stage({ dataset: 'subset-digest' }),
          sampleGrid: stage({ grid: 'grid-digest' }),
        },
      });
      const input: TwoStagesInput = { dataset: 'dataset-digest', cpuQueue: taskQueue, seed: 3 };
      outputs = await worker.runUntil(
        client.workflow.execute('twoStages', { taskQueue, workflowId, args: [input] }),
      );
    } finally {
      await connection.close();
    }
    expect(outputs).toEqual({ subset: 'subset-digest', grid: 'grid-digest' });
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = (history.events ?? []).flatMap(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [],
    );
    // (the stage runner also runs its cache activities around each stage)
    expect(scheduled.filter((t) => t === 'realSubset' || t === 'sampleGrid')).toEqual([
      'realSubset',
      'sampleGrid',
    ]);

    // The same code replays its own history; the swapped stages do not.
    await Worker.runReplayHistory({ workflowBundle: recorded }, history, workflowId);
    const error = await Worker.runReplayHistory(
      { workflowBundle: swapped },
      history,
      workflowId,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeterminismViolationError);
    expect((error as Error).message).toMatch(/realSubset|sampleGrid/);
  }, 180_000);
});
