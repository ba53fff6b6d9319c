import type { ClabConfig } from '../lib/config.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { checkStageCode } from './check-stage-code.ts';
import type { CodeFingerprints } from './code-fingerprints.ts';
import { createGenerateActivities } from './generate.ts';
import { createIngestActivities } from './ingest.ts';
import { createOnnxEmbeddingActivities } from './onnx-embedding.ts';
import { createStageCacheActivities } from './stage-cache.ts';
import { createClassifyActivities } from './stages/classify.ts';
import { createEmbedActivities } from './stages/embed.ts';
import { createEvaluateActivities } from './stages/evaluate.ts';
import { createFitEmbeddingActivities } from './stages/fit-embedding.ts';
import { createFitGeneratorActivities } from './stages/fit-generator.ts';
import { createGaussianChainsActivities } from './stages/gaussian-chains.ts';
import { createHardSubsetActivities } from './stages/hard-subset.ts';
import { createMixDatasetsActivities } from './stages/mix-datasets.ts';
import { createPowerSpectraActivities } from './stages/power-spectra.ts';
import { createRealSubsetActivities } from './stages/real-subset.ts';
import { createReplaceMixActivities } from './stages/replace-mix.ts';
import { createSampleGridActivities } from './stages/sample-grid.ts';
import { createSampleImagesActivities } from './stages/sample-images.ts';
import { createShiftTestSetActivities } from './stages/shift-test-set.ts';
import { createSplitSubsetActivities } from './stages/split-subset.ts';
import { createTrainDetectorActivities } from './stages/train-detector.ts';
import { createAuditReplicasActivities } from './stages/audit-replicas.ts';
import { createTransformImagesActivities } from './stages/transform-images.ts';
import { createStudyTableActivities } from './study-tables.ts';
import { createTrainActivities } from './train.ts';

export interface ActivityDeps extends Pick<ClabConfig, 'trainer' | 'inference'> {
  store: ArtifactStore;
  /** The fingerprints of the code this worker runs (stage keys, provenance, code checks). */
  code: CodeFingerprints;
  /** The commit (or package version), recorded for people in stage records. */
  codeVersion: string;
}

/** Every activity, bound to the worker's clients (the worker passes real ones, tests may pass fakes). */
export function createActivities(deps: ActivityDeps) {
  const { store, code } = deps;
  const stages = {
    ...createRealSubsetActivities(deps),
    ...createSplitSubsetActivities(deps),
    ...createFitEmbeddingActivities(deps),
    ...createEmbedActivities(deps),
    ...createFitGeneratorActivities(deps),
    ...createSampleImagesActivities(deps),
    ...createMixDatasetsActivities(deps),
    ...createReplaceMixActivities(deps),
    ...createShiftTestSetActivities(deps),
    ...createEvaluateActivities(deps),
    ...createSampleGridActivities(deps),
    ...createGaussianChainsActivities(deps),
    ...createTrainActivities(deps),
    ...createGenerateActivities(deps),
    ...createOnnxEmbeddingActivities(deps),
    ...createClassifyActivities(deps),
    ...createPowerSpectraActivities(deps),
    ...createTrainDetectorActivities(deps),
    ...createAuditReplicasActivities(deps),
    ...createHardSubsetActivities(deps),
    ...createTransformImagesActivities(deps),
  };
  return {
    ...createIngestActivities({ store, codeVersion: code.stage('ingest').fingerprint }),
    ...createStageCacheActivities(deps),
    ...createStudyTableActivities(deps),
    ...checkStageCode(stages, code),
  };
}

export type Activities = ReturnType<typeof createActivities>;
