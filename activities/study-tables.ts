import type { Sha256 } from '../lib/digest.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { putJson } from '../lib/storage/json-artifacts.ts';
import type { StageEntry } from '../lib/studies/stage.ts';
import { STUDY_TABLE_FORMAT } from '../lib/studies/study-table.ts';

export function createStudyTableActivities({ store }: { store: ArtifactStore }) {
  return {
    /** Stores one piece of a study's table (see StudyTablePiece) and returns its digest. */
    async putStudyTablePiece(input: {
      previous?: Sha256;
      parts?: Sha256[];
      rows: unknown[];
      stages: StageEntry[];
    }): Promise<Sha256> {
      const ref = await putJson(store, { format: STUDY_TABLE_FORMAT, ...input });
      return ref.digest;
    },
  };
}
