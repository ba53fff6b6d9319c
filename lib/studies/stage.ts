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
  codeVersion: string;
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

/** The stage key: sha256 of the canonical JSON of name, version, code version, parameters and inputs. */
export function stageKeyMaterial(call: StageCall, codeVersion: string): unknown {
  return {
    name: call.name,
    version: call.version,
    codeVersion,
    params: call.params,
    inputs: call.inputs,
  };
}
