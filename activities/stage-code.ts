import { trainerModule, TRAINERS } from './trainer-process.ts';

/**
 * Where the code of each stage starts: the module that defines its activity (its import closure,
 * computed from the code, is what the stage's code fingerprint covers), plus the trainer files for
 * trainer stages and the runtime whose version and settings change the stage's bytes.
 */
export type StageCodeRuntime = 'onnx' | 'trainer';

interface StageModules {
  modules: readonly string[];
  runtime?: StageCodeRuntime;
}

const STAGES: Record<string, StageModules> = {
  realSubset: { modules: ['activities/stages/real-subset.ts'] },
  splitSubset: { modules: ['activities/stages/split-subset.ts'] },
  fitEmbedding: { modules: ['activities/stages/fit-embedding.ts'] },
  embed: { modules: ['activities/stages/embed.ts'], runtime: 'onnx' },
  fitGenerator: { modules: ['activities/stages/fit-generator.ts'] },
  sampleImages: { modules: ['activities/stages/sample-images.ts'] },
  mixDatasets: { modules: ['activities/stages/mix-datasets.ts'] },
  replaceMix: { modules: ['activities/stages/replace-mix.ts'] },
  fillMix: { modules: ['activities/stages/replace-mix.ts'] },
  appendMix: { modules: ['activities/stages/replace-mix.ts'] },
  shiftTestSet: { modules: ['activities/stages/shift-test-set.ts'] },
  evaluate: { modules: ['activities/stages/evaluate.ts'] },
  sampleGrid: { modules: ['activities/stages/sample-grid.ts'] },
  gaussianChainsGeneration: { modules: ['activities/stages/gaussian-chains.ts'] },
  generate: { modules: ['activities/generate.ts'], runtime: 'onnx' },
  defineOnnxEmbedding: { modules: ['activities/onnx-embedding.ts'], runtime: 'onnx' },
  train: { modules: ['activities/train.ts'], runtime: 'trainer' },
  classify: { modules: ['activities/stages/classify.ts'], runtime: 'onnx' },
  hardSubset: { modules: ['activities/stages/hard-subset.ts'] },
  transformImages: { modules: ['activities/stages/transform-images.ts'] },
  powerSpectra: { modules: ['activities/stages/power-spectra.ts'] },
  trainDetector: { modules: ['activities/stages/train-detector.ts'] },
  auditReplicas: { modules: ['activities/stages/audit-replicas.ts'], runtime: 'onnx' },
  // A custom stage: the ingest child workflow and its activities.
  ingest: { modules: ['activities/ingest.ts', 'workflows/ingest-dataset.ts'] },
};

/** The stage names that have code entries (every stage activity, and the custom `ingest` stage). */
export const STAGE_NAMES: readonly string[] = Object.keys(STAGES);

/** The entry files of every stage with every trainer: what a worker snapshots at start-up. */
export function allStageEntries(): string[][] {
  return STAGE_NAMES.flatMap((name) =>
    STAGES[name]!.runtime === 'trainer'
      ? TRAINERS.map((trainer) => stageCodeEntries(name, { trainer }).entries)
      : [stageCodeEntries(name, {}).entries],
  );
}

/** The entry files of stage `name`; a trainer stage adds its module's file (`trainers/<name>.py`). */
export function stageCodeEntries(
  name: string,
  params: Record<string, unknown>,
): { entries: string[]; runtime?: StageCodeRuntime } {
  const stage = STAGES[name];
  if (!stage)
    throw new RangeError(
      `No code entry for stage \`${name}\`; add it to activities/stage-code.ts (known: ${STAGE_NAMES.join(', ')})`,
    );
  const entries = [...stage.modules];
  if (stage.runtime === 'trainer') {
    const trainer = params.trainer;
    if (typeof trainer !== 'string' || !/^[a-z_-]+$/.test(trainer))
      throw new RangeError(`Expected a trainer name for stage ${name}, got \`${String(trainer)}\``);
    entries.push('trainers/__init__.py', `${trainerModule(trainer).replace('.', '/')}.py`);
  }
  return { entries, ...(stage.runtime ? { runtime: stage.runtime } : {}) };
}
