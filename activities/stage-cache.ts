import { Context } from '@temporalio/activity';
import { canonicalJson } from '../lib/canonical-json.ts';
import { codeChanges, type CodeManifest } from '../lib/code/code-manifest.ts';
import { sha256, type Sha256 } from '../lib/digest.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { artifactParts } from '../lib/storage/artifact-parts.ts';
import { getJsonRecord, putJsonRecord } from '../lib/storage/json-artifacts.ts';
import {
  stageCallMaterial,
  stageKeyMaterial,
  type StageCall,
  type StageMiss,
  type StageOutput,
  type StageRecord,
} from '../lib/studies/stage.ts';
import { whileHeartbeating } from './activity-context.ts';
import type { CodeFingerprints } from './code-fingerprints.ts';

export interface StageCacheDeps {
  store: ArtifactStore;
  code: CodeFingerprints;
  codeVersion: string;
}

/** What a lookup answers: the key and code fingerprint, and the record to reuse or why there is none. */
export interface StageLookup {
  key: string;
  code: Sha256;
  hit?: StageOutput;
  miss?: StageMiss;
}

// Outputs larger than this are not read to look for parts (a JSON document with parts is small;
// feature matrices and models are not JSON).
const MAX_DOCUMENT_BYTES = 8 * 1024 * 1024;
// Digests seen to exist, per workflow run: a growing D_g names every earlier shard again.
const RUNS_REMEMBERED = 32;

/**
 * The stage cache. A stage's key hashes its name, version, the fingerprint of the code that
 * computes it, its parameters and its input digests. A completed record is reused only if every
 * output and every part of an output (a manifest's shards, a model's files) still exists: a lost
 * piece means recompute, never a dangling reference.
 */
export function createStageCacheActivities({ store, code, codeVersion }: StageCacheDeps) {
  const seen = new Map<string, Set<Sha256>>();
  const seenIn = (run: string): Set<Sha256> => {
    let set = seen.get(run);
    if (!set) {
      set = new Set();
      seen.set(run, set);
      if (seen.size > RUNS_REMEMBERED) seen.delete(seen.keys().next().value!);
    }
    return set;
  };

  return {
    /** `label` names the stage for people (plans, logs); it never enters the key. */
    async lookupStage(input: {
      call: StageCall;
      reuse: boolean;
      label?: string;
      /** Check every output in the store again, not from this run's memory (a vanished input). */
      recheck?: boolean;
    }): Promise<StageLookup> {
      return whileHeartbeating(() => lookup(input));
    },

    async recordStage(input: {
      key: string;
      code: Sha256;
      call: StageCall;
      output: StageOutput;
    }): Promise<void> {
      return whileHeartbeating(() => record(input));
    },
  };

  async function lookup(input: {
    call: StageCall;
    reuse: boolean;
    recheck?: boolean;
  }): Promise<StageLookup> {
    const stageCode = code.stage(input.call.name, input.call.params);
    const key = sha256(canonicalJson(stageKeyMaterial(input.call, stageCode.fingerprint)));
    const found = { key, code: stageCode.fingerprint };
    if (!input.reuse) return { ...found, miss: { reason: 'forced' } };
    const record = await getJsonRecord<StageRecord>(store, `stages/${key}`);
    if (!record) return { ...found, miss: await whyNew(input.call, stageCode.manifest) };
    const exists = seenIn(runOf());
    for (const digest of [...Object.values(record.outputs), ...(record.closure ?? [])]) {
      if (exists.has(digest) && !input.recheck) continue;
      if (!(await store.has(digest))) {
        exists.delete(digest);
        return { ...found, miss: { reason: 'missing-output', missing: digest } };
      }
      exists.add(digest);
    }
    const { outputs, facts, attempt, computeMs } = record;
    return { ...found, hit: { outputs, facts, attempt, computeMs } };
  }

  async function record(input: {
    key: string;
    code: Sha256;
    call: StageCall;
    output: StageOutput;
  }): Promise<void> {
    const info = Context.current().info;
    const stageRecord: StageRecord = {
      key: input.key,
      ...input.call,
      ...input.output,
      code: input.code,
      codeVersion,
      closure: await closureOf(store, Object.values(input.output.outputs)),
      workflowId: info.workflowExecution?.workflowId ?? '',
      runId: info.workflowExecution?.runId ?? '',
      finishedAt: new Date().toISOString(),
    };
    const callDigest = sha256(canonicalJson(stageCallMaterial(input.call)));
    await putJsonRecord(
      store,
      `code/${input.code}`,
      code.stage(input.call.name, input.call.params).manifest,
    );
    await putJsonRecord(store, `stages/${input.key}`, stageRecord);
    await putJsonRecord(store, `stage-calls/${callDigest}`, { key: input.key, code: input.code });
    for (const digest of Object.values(input.output.outputs))
      await putJsonRecord(store, `produced-by/${digest}`, { stage: input.key });
  }

  /** A miss with no record: the same call under other code, or a call never computed. */
  async function whyNew(call: StageCall, manifest: CodeManifest): Promise<StageMiss> {
    const last = await getJsonRecord<{ key: string; code: Sha256 }>(
      store,
      `stage-calls/${sha256(canonicalJson(stageCallMaterial(call)))}`,
    );
    if (!last) return { reason: 'new-call' };
    const before = await getJsonRecord<CodeManifest>(store, `code/${last.code}`);
    return {
      reason: 'new-code',
      previousCode: last.code,
      changedFiles: before ? codeChanges(before, manifest) : [],
    };
  }
}

function runOf(): string {
  try {
    return Context.current().info.workflowExecution?.runId ?? '';
  } catch {
    return '';
  }
}

/** Every artifact the outputs need, transitively (see artifactParts), sorted; outputs excluded. */
async function closureOf(store: ArtifactStore, outputs: Sha256[]): Promise<Sha256[]> {
  const closure = new Set<Sha256>();
  const documents = [...outputs];
  const read = new Set<Sha256>();
  while (documents.length) {
    const digest = documents.pop()!;
    if (read.has(digest)) continue;
    read.add(digest);
    const size = await store.size(digest);
    if (size === undefined || size > MAX_DOCUMENT_BYTES) continue;
    const bytes = await store.get(digest);
    if (bytes[0] !== 0x7b) continue; // not a JSON object
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      continue;
    }
    const parts = artifactParts(json);
    for (const leaf of parts.leaves) closure.add(leaf);
    for (const doc of parts.documents) {
      closure.add(doc);
      documents.push(doc);
    }
  }
  for (const output of outputs) closure.delete(output);
  return [...closure].sort();
}
