import { ApplicationFailure, Context } from '@temporalio/activity';
import type { CodeFingerprints } from '../../activities/code-fingerprints.ts';
import type { Activities } from '../../activities/index.ts';
import { createIngestActivities, type DatasetManifestRef } from '../../activities/ingest.ts';
import { createStageCacheActivities, type StageLookup } from '../../activities/stage-cache.ts';
import { canonicalJson } from '../../lib/canonical-json.ts';
import type { ShardRecord } from '../../lib/datasets/manifest.ts';
import type { ShardBatchRef } from '../../lib/datasets/shard-batch.ts';
import type { ShardRange } from '../../lib/datasets/shard-plan.ts';
import { sha256, type Sha256 } from '../../lib/digest.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { getJsonRecord } from '../../lib/storage/json-artifacts.ts';
import {
  stageCallMaterial,
  type StageCall,
  type StageOutput,
  type StageRecord,
} from '../../lib/studies/stage.ts';
import {
  hashingStore,
  isPlaceholder,
  PLACEHOLDER_PREFIX,
  readOnlyStore,
} from './read-only-store.ts';

/** Why a stage of a plan is reused or computed. */
export type PlanReason =
  /** The store holds a complete record for the stage's key. */
  | 'cached'
  /** An identical call computes earlier in the same run, so the run reuses that result. */
  | 'same-run'
  | 'new-call'
  | 'new-code'
  | 'missing-output'
  | 'forced'
  /** An input is the output of a stage that computes: the key cannot be known yet. */
  | 'upstream';

export interface PlannedStage {
  label: string;
  name: string;
  /** The stage key, unless an input is still to be computed. */
  key?: string;
  status: 'hit' | 'compute';
  reason: PlanReason;
  /** new-code: the files whose fingerprint changed since the call was last computed. */
  changedFiles?: string[];
  /** missing-output: the digest the store lost, and the output it is (or is a part of). */
  missing?: Sha256;
  missingOutput?: { name: string; part: boolean };
  /** same-run: the label of the stage that computes the result first. */
  reuses?: string;
  /** The workflow that looked the stage up (the study or one loop), and in which order. */
  workflowId: string;
  seq: number;
}

/** Activities whose plan version is written below rather than generated from STAGE_OUTPUTS. */
type NonStageActivity =
  | 'lookupStage'
  | 'recordStage'
  | 'putStudyTablePiece'
  | 'indexSource'
  | 'writeShard'
  | 'writeShardBatch'
  | 'writeDatasetManifest';
type StageActivityName = Exclude<keyof Activities, NonStageActivity>;

/**
 * The outputs each stage activity produces and the facts the workflows read from it. A plan's
 * stage returns placeholders for the outputs and zeros for the facts (what the workflows need to
 * carry on). Typed over every activity, so a new stage activity does not compile until it is here.
 */
const MIX_FACTS = {
  count: 0,
  classHistogram: [],
  fromReal: 0,
  fromOther: 0,
  realPerClass: [],
  otherPerClass: [],
};

const STAGE_OUTPUTS: Record<
  StageActivityName,
  { outputs: readonly string[]; facts: StageOutput['facts']; idFact?: string }
> = {
  realSubset: { outputs: ['dataset'], facts: { count: 0, classHistogram: [] } },
  splitSubset: {
    outputs: ['dataset', 'rest'],
    facts: { count: 0, classHistogram: [], restCount: 0, restClassHistogram: [] },
  },
  replaceMix: { outputs: ['dataset', 'provenance'], facts: MIX_FACTS },
  fillMix: { outputs: ['dataset', 'provenance', 'subset'], facts: MIX_FACTS },
  appendMix: { outputs: ['dataset', 'provenance'], facts: MIX_FACTS },
  shiftTestSet: {
    outputs: ['dataset'],
    facts: { count: 0, classHistogram: [], shift: '', severity: 0, parameter: 0, meanAbsChange: 0 },
  },
  fitEmbedding: { outputs: ['embedding'], facts: {}, idFact: 'embeddingId' },
  embed: { outputs: ['features'], facts: { rows: 0 } },
  fitGenerator: { outputs: ['model'], facts: { trainedOn: 0 } },
  sampleImages: { outputs: ['dataset'], facts: { count: 0, classHistogram: [] } },
  mixDatasets: { outputs: ['dataset'], facts: { count: 0, classHistogram: [] } },
  evaluate: {
    outputs: ['metrics'],
    facts: { fid: 0, precision: 0, recall: 0, classHistogramDistance: 0 },
  },
  sampleGrid: { outputs: ['grid'], facts: {} },
  gaussianChainsGeneration: { outputs: ['state'], facts: { meanVariance: 0 } },
  train: { outputs: ['model', 'onnx', 'checkpoint'], facts: { trainedOn: 0, steps: 0 } },
  generate: { outputs: ['dataset'], facts: { count: 0, classHistogram: [] } },
  defineOnnxEmbedding: { outputs: ['embedding'], facts: {}, idFact: 'embeddingId' },
  classify: {
    outputs: ['report'],
    facts: { count: 0, accuracy: 0, perClassCount: [], perClassCorrect: [] },
  },
  powerSpectra: {
    outputs: ['spectra'],
    facts: {
      bins: 0,
      realCount: 0,
      generatedCount: 0,
      maxAbsZ: 0,
      peakRadius: 0,
      criticalZ: 0,
      significantBins: 0,
    },
  },
  trainDetector: {
    outputs: ['report', 'split'],
    facts: {
      accuracy: 0,
      low: 0,
      high: 0,
      correct: 0,
      testCount: 0,
      trainCount: 0,
      trainAccuracy: 0,
    },
  },
  hardSubset: { outputs: ['dataset'], facts: { count: 0, perClassCount: [] } },
  auditReplicas: {
    outputs: ['audit', 'gallery'],
    facts: { embeddingId: '', summaries: '[]', generatedCount: 0, trainCount: 0 },
  },
  transformImages: {
    outputs: ['dataset'],
    facts: { count: 0, classHistogram: [], meanAbsChange: 0 },
  },
};

export interface PlanActivityDeps {
  /** The user's store: only read (writes throw, see readOnlyStore). */
  store: ArtifactStore;
  /** The fingerprints of the code on disk: what a worker started now would key stages with. */
  code: CodeFingerprints;
  /** The stage names the plan forces (what `--force` names). */
  force: readonly string[];
}

type AnyActivity = (input: never) => Promise<unknown>;

/**
 * The activities of a plan. `lookupStage` is the stage cache's own lookup over the read-only
 * store, except for a call that reads a placeholder (the output of a stage that computes): it is
 * not looked up. Stage activities, the ingest child's writers and the table writer only return
 * placeholders of the right shape; `indexSource` really indexes the source (the ingest stage's
 * key is the source's content digest) without storing the index. Each lookup is noted, in order,
 * as one PlannedStage.
 */
export function createPlanActivities({ store, code, force }: PlanActivityDeps) {
  const readOnly = readOnlyStore(store);
  const cache = createStageCacheActivities({ store: readOnly, code, codeVersion: 'plan' });
  const ingest = createIngestActivities({
    store: hashingStore(store),
    codeVersion: code.stage('ingest').fingerprint,
  });
  const forced = new Set(force);
  const noted = new Map<string, PlannedStage>();
  let seq = 0;
  // What a miss computes, by the stage activity's flat input: the placeholders' `<key or label>`.
  const pendingRefs = new Map<string, { ref: string; label: string }>();
  // Calls computed (recorded) earlier in this run: an identical call later reuses their outputs.
  const computed = new Map<string, { label: string; key: string; output: StageOutput }>();
  // Source index digest -> sample count, for the ingest manifest's count.
  const indexCounts = new Map<Sha256, number>();
  let tables = 0;

  const note = (stage: Omit<PlannedStage, 'workflowId' | 'seq'>) => {
    const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
    // one entry per label and workflow, even if an activity were ever retried
    const id = `${workflowId}\n${stage.label}`;
    noted.set(id, { ...stage, workflowId, seq: noted.get(id)?.seq ?? seq++ });
  };

  async function lookupStage(input: {
    call: StageCall;
    reuse: boolean;
    label?: string;
  }): Promise<StageLookup> {
    const { call } = input;
    const label = input.label ?? call.name;
    const callId = callIdOf(call);
    const stageCode = code.stage(call.name, call.params).fingerprint;
    const earlier = input.reuse ? computed.get(callId) : undefined;
    if (earlier) {
      note({
        label,
        name: call.name,
        ...(isPlaceholder(earlier.key) ? {} : { key: earlier.key }),
        status: 'hit',
        reason: 'same-run',
        reuses: earlier.label,
      });
      return { key: earlier.key, code: stageCode, hit: earlier.output };
    }
    if (holdsPlaceholder(call)) {
      // Never looked up: its key depends on outputs that do not exist yet.
      note({
        label,
        name: call.name,
        status: 'compute',
        reason: !input.reuse && forced.has(call.name) ? 'forced' : 'upstream',
      });
      pendingRefs.set(flatId(call.name, flat(call)), { ref: label, label });
      return { key: `${PLACEHOLDER_PREFIX}${label}`, code: stageCode };
    }
    const found = await cache.lookupStage(input);
    if (found.hit) {
      note({ label, name: call.name, key: found.key, status: 'hit', reason: 'cached' });
      return found;
    }
    const miss = found.miss ?? { reason: 'new-call' as const };
    const holding =
      miss.reason === 'missing-output'
        ? await outputHolding(readOnly, found.key, miss.missing)
        : undefined;
    note({
      label,
      name: call.name,
      key: found.key,
      status: 'compute',
      reason: miss.reason,
      ...(miss.reason === 'new-code' ? { changedFiles: miss.changedFiles } : {}),
      ...(miss.reason === 'missing-output'
        ? {
            missing: miss.missing,
            ...(holding ? { missingOutput: holding } : {}),
          }
        : {}),
    });
    pendingRefs.set(flatId(call.name, flat(call)), {
      ref: found.key,
      label,
    });
    return found;
  }

  /** Nothing is stored; the run's later identical calls reuse the output, as they would. */
  async function recordStage(input: {
    key: string;
    code: Sha256;
    call: StageCall;
    output: StageOutput;
  }): Promise<void> {
    const callId = callIdOf(input.call);
    const pending = pendingRefs.get(flatId(input.call.name, flat(input.call)));
    computed.set(callId, {
      label: pending?.label ?? input.call.name,
      key: input.key,
      output: input.output,
    });
  }

  const refOf = (name: string, input: Record<string, unknown>): string => {
    const { codeFingerprint: _code, ...rest } = input;
    const id = flatId(name, rest);
    return pendingRefs.get(id)?.ref ?? `${name}@${sha256(id).slice(0, 12)}`;
  };

  const stageMocks = Object.fromEntries(
    Object.entries(STAGE_OUTPUTS).map(([name, shape]) => [
      name,
      async (input: Record<string, unknown>): Promise<StageOutput> => {
        const ref = refOf(name, input);
        return {
          outputs: Object.fromEntries(
            shape.outputs.map((output) => [output, `${PLACEHOLDER_PREFIX}${ref}/${output}`]),
          ),
          facts: {
            ...shape.facts,
            ...(shape.idFact
              ? { [shape.idFact]: `${PLACEHOLDER_PREFIX}${ref}/${shape.idFact}` }
              : {}),
          },
          attempt: 1,
          computeMs: 0,
        };
      },
    ]),
  ) as unknown as Record<StageActivityName, AnyActivity>;

  const activities: Record<keyof Activities, AnyActivity> = {
    lookupStage,
    recordStage,
    async putStudyTablePiece(): Promise<string> {
      return `${PLACEHOLDER_PREFIX}study-table/${tables++}`;
    },
    async indexSource(input: Parameters<typeof ingest.indexSource>[0]) {
      const indexed = await ingest.indexSource(input);
      indexCounts.set(indexed.indexDigest, indexed.count);
      return indexed;
    },
    async writeShard(input: { indexDigest: Sha256; shard: ShardRange }): Promise<ShardRecord> {
      const { shard } = input;
      const ref = `${PLACEHOLDER_PREFIX}${input.indexDigest}/shard-${shard.index}`;
      return {
        index: shard.index,
        key: ref,
        sha256: ref,
        bytes: 0,
        count: shard.end - shard.start,
        firstSample: shard.start,
        classHistogram: [],
      };
    },
    async writeShardBatch(input: {
      indexDigest: Sha256;
      records: ShardRecord[];
    }): Promise<ShardBatchRef> {
      const first = input.records[0]?.index ?? 0;
      return {
        digest: `${PLACEHOLDER_PREFIX}${input.indexDigest}/shard-batch-${first}`,
        shards: input.records.length,
        images: input.records.reduce((n, r) => n + r.count, 0),
      };
    },
    async writeDatasetManifest(input: {
      indexDigest: Sha256;
      batches: Sha256[];
    }): Promise<DatasetManifestRef> {
      const ref = refOf('ingest', { source: input.indexDigest });
      const digest = `${PLACEHOLDER_PREFIX}${ref}/dataset`;
      return {
        digest,
        key: digest,
        name: 'pending',
        count: indexCounts.get(input.indexDigest) ?? 0,
        shards: 0,
      };
    },
    ...stageMocks,
  };

  return {
    /** For the worker: each fails its workflow at once, not after retries (a plan has no retries). */
    activities: Object.fromEntries(
      Object.entries(activities).map(([name, fn]) => [name, failFast(name, fn)]),
    ) as Record<keyof Activities, AnyActivity>,
    /** The stages looked up so far, in the order each workflow looked them up. */
    stages: (): PlannedStage[] => [...noted.values()].sort((a, b) => a.seq - b.seq),
  };
}

function flat(call: StageCall): Record<string, unknown> {
  return { ...call.params, ...call.inputs };
}

/** A stage activity's identity: its name and flat input (what StageRunner.stage passes it). */
function flatId(name: string, input: Record<string, unknown>): string {
  return `${name}\n${canonicalJson(input)}`;
}

function callIdOf(call: StageCall): string {
  return sha256(canonicalJson(stageCallMaterial(call)));
}

/** Whether a call's inputs or parameters hold a placeholder anywhere. */
function holdsPlaceholder(call: StageCall): boolean {
  const walk = (value: unknown): boolean =>
    isPlaceholder(value) ||
    (Array.isArray(value)
      ? value.some(walk)
      : value !== null && typeof value === 'object' && Object.values(value).some(walk));
  return walk(call.inputs) || walk(call.params);
}

/**
 * The record's output that is the missing digest, or that holds it as a part (a shard of a
 * dataset); undefined when that is ambiguous (a part, and several outputs).
 */
async function outputHolding(
  store: ArtifactStore,
  key: string,
  missing: Sha256,
): Promise<PlannedStage['missingOutput']> {
  const record = await getJsonRecord<StageRecord>(store, `stages/${key}`);
  const outputs = Object.entries(record?.outputs ?? {});
  const direct = outputs.find(([, digest]) => digest === missing);
  if (direct) return { name: direct[0], part: false };
  return outputs.length === 1 ? { name: outputs[0]![0], part: true } : undefined;
}

function failFast(name: string, fn: AnyActivity): AnyActivity {
  return async (input: never) => {
    try {
      return await fn(input);
    } catch (error) {
      if (error instanceof ApplicationFailure && error.nonRetryable) throw error;
      const e = error as Error;
      throw ApplicationFailure.create({
        message: `${name}: ${e.message}`,
        type: e.name,
        nonRetryable: true,
        cause: e,
      });
    }
  };
}
