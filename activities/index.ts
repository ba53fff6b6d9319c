import type { ClabConfig } from '../lib/config.ts';
import { createGenerateActivities } from './generate.ts';
import { createIngestActivities, type IngestDeps } from './ingest.ts';
import { createOnnxEmbeddingActivities } from './onnx-embedding.ts';
import { createStageCacheActivities } from './stage-cache.ts';
import { createStudyStageActivities } from './study-stages.ts';
import { createTrainActivities } from './train.ts';

export type ActivityDeps = IngestDeps & Pick<ClabConfig, 'trainer' | 'inference'>;

/** Every activity, bound to the worker's clients (the worker passes real ones, tests may pass fakes). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createIngestActivities(deps),
    ...createStageCacheActivities(deps),
    ...createStudyStageActivities(deps),
    ...createTrainActivities(deps),
    ...createGenerateActivities(deps),
    ...createOnnxEmbeddingActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
