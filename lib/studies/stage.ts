import type { Sha256 } from '../digest.ts';

/** What a stage is: its name and version, parameters, and input artifacts. Its key hashes all of it. */
export interface StageCall {
  name: string;
  version: number;
  params: Record<string, unknown>;
  inputs: Record<string, Sha256>;
}

/** What every stage activity returns: output artifacts, small facts about them, and how it ran. */
export interface StageOutput {
  outputs: Record<string, Sha256>;
  /** Small values downstream stages or reports need (counts, metric values). */
  facts: Record<string, number | string | number[]>;
  attempt: number;
  computeMs: number;
}

/** The stored record of a completed stage: `records/stages/<key>`. */
export interface StageRecord extends StageCall, StageOutput {
  key: string;
  /** The fingerprint of the code that computed it (`records/code/<fingerprint>` lists the files). */
  code: Sha256;
  /** The commit (or package version) of the worker, for people; keys never use it. */
  codeVersion: string;
  /** Every artifact the outputs need, transitively (a manifest's shards, a model's files). */
  closure?: Sha256[];
  workflowId: string;
  runId: string;
  finishedAt: string;
}

/** One line of a run's stage table. */
export interface StageEntry {
  key: string;
  name: string;
  label: string;
  cacheHit: boolean;
  outputs: Record<string, Sha256>;
  facts: StageOutput['facts'];
  attempt: number;
  computeMs: number;
}

/**
 * The stage key: sha256 of the canonical JSON of name, version, the fingerprint of the code that
 * computes it, parameters and input digests. Content only: no commit id, no time, no run id.
 */
export function stageKeyMaterial(call: StageCall, code: Sha256): unknown {
  return { name: call.name, version: call.version, code, params: call.params, inputs: call.inputs };
}

/**
 * What a stage computes, whatever the code: name, version, parameters, inputs. Its digest names
 * `records/stage-calls/<digest>`, the last key computed for that call, so that a miss can say
 * whether the code changed or the call is new.
 */
export function stageCallMaterial(call: StageCall): unknown {
  return { name: call.name, version: call.version, params: call.params, inputs: call.inputs };
}

/** Why a stage's key has no usable record. */
export type StageMiss =
  | { reason: 'forced' }
  | { reason: 'new-call' }
  | { reason: 'new-code'; previousCode: Sha256; changedFiles: string[] }
  | { reason: 'missing-output'; missing: Sha256 };
