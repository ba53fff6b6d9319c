import { createIngestActivities, type IngestDeps } from './ingest.ts';

export type ActivityDeps = IngestDeps;

/** Every activity, bound to the worker's clients (the worker passes real ones, tests may pass fakes). */
export function createActivities(deps: ActivityDeps) {
  return { ...createIngestActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
