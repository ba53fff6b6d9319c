import { createIngestActivities, type IngestDeps } from './ingest.ts';
import { createStageCacheActivities } from './stage-cache.ts';
import { createStudyStageActivities } from './study-stages.ts';

export type ActivityDeps = IngestDeps;

/** Every activity, bound to the worker's clients (the worker passes real ones, tests may pass fakes). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createIngestActivities(deps),
    ...createStageCacheActivities(deps),
    ...createStudyStageActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
