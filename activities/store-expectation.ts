import type { ArtifactStore } from '../lib/storage/artifact-store.ts';

/** The store a run writes to, named (never with credentials) in every activity's input. */
export interface StoreExpectation {
  store?: string;
}

/**
 * Guards against a worker with another store polling the same task queue: its outputs would land
 * where the rest of the run cannot find them. A plain (retryable) error, so that a correctly
 * configured worker can pick the task up.
 */
export function assertSameStore(store: ArtifactStore, expected: string | undefined): void {
  if (expected !== undefined && expected !== store.location) {
    throw new Error(
      `This worker writes to ${store.location} but the run uses ${expected}: check CLAB_STORE on the workers of this task queue`,
    );
  }
}
