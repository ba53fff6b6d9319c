import { Context } from '@temporalio/activity';
import { heartbeat } from './activity-context.ts';
import { canonicalJson } from '../lib/canonical-json.ts';
import { sha256 } from '../lib/digest.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { getJsonRecord, putJsonRecord } from '../lib/storage/json-artifacts.ts';
import {
  stageKeyMaterial,
  type StageCall,
  type StageOutput,
  type StageRecord,
} from '../lib/studies/stage.ts';

export interface StageCacheDeps {
  store: ArtifactStore;
  codeVersion: string;
}

/**
 * The stage cache. A stage's key hashes its name, version, the code version, its parameters and
 * its input digests; a completed record under that key is reused only if every output it names
 * still exists in the store (a deleted output means recompute, never a dangling reference).
 */
export function createStageCacheActivities({ store, codeVersion }: StageCacheDeps) {
  return {
    async lookupStage(input: {
      call: StageCall;
      reuse: boolean;
    }): Promise<{ key: string; hit?: StageRecord }> {
      const key = sha256(canonicalJson(stageKeyMaterial(input.call, codeVersion)));
      if (!input.reuse) return { key };
      const record = await getJsonRecord<StageRecord>(store, `stages/${key}`);
      if (!record) return { key };
      for (const digest of Object.values(record.outputs)) {
        if (!(await store.has(digest))) return { key };
      }
      return { key, hit: record };
    },

    async recordStage(input: { key: string; call: StageCall; output: StageOutput }): Promise<void> {
      const info = Context.current().info;
      const record: StageRecord = {
        key: input.key,
        ...input.call,
        ...input.output,
        codeVersion,
        workflowId: info.workflowExecution?.workflowId ?? '',
        runId: info.workflowExecution?.runId ?? '',
        finishedAt: new Date().toISOString(),
      };
      await putJsonRecord(store, `stages/${input.key}`, record);
      for (const digest of Object.values(input.output.outputs)) {
        await putJsonRecord(store, `produced-by/${digest}`, { stage: input.key });
      }
    },
  };
}

/** Wraps a stage's work: measures its compute time and reports the attempt it ran in. */
export async function asStage(
  work: () => Promise<Omit<StageOutput, 'attempt' | 'computeMs'>>,
  options: { heartbeatDetails?: () => unknown } = {},
): Promise<StageOutput> {
  // Heartbeats while the work runs, so a dead worker is noticed by the heartbeat timeout rather
  // than the hours-long start-to-close timeout. The details (if any) are what a retry resumes from.
  const started = performance.now();
  const beat = setInterval(() => heartbeat(options.heartbeatDetails?.()), 2000);
  let result: Omit<StageOutput, 'attempt' | 'computeMs'>;
  try {
    heartbeat(options.heartbeatDetails?.());
    result = await work();
  } finally {
    clearInterval(beat);
  }
  let attempt = 1;
  try {
    attempt = Context.current().info.attempt;
  } catch {
    // outside an activity (benchmarks): first attempt
  }
  return { ...result, attempt, computeMs: Math.round(performance.now() - started) };
}
