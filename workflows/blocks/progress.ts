import { defineQuery } from '@temporalio/workflow';
import type { StageRunner } from '../stage-runner.ts';

/** Stages finished so far in one workflow of a study (the parent or one loop), and the last one. */
export interface StudyProgress {
  stagesDone: number;
  cacheHits: number;
  lastStage?: string;
}

/** Answered by every workflow of every study: what the CLI's progress bars show. */
export const studyProgress = defineQuery<StudyProgress>('studyProgress');

/** The progress of `runner`'s workflow run, plus that of the runs it continues (`earlier`). */
export function progressOf(
  runner: StageRunner,
  earlier?: { stageCount: number; cacheHits: number },
): StudyProgress {
  const last = runner.entries[runner.entries.length - 1];
  return {
    stagesDone: (earlier?.stageCount ?? 0) + runner.entries.length,
    cacheHits: (earlier?.cacheHits ?? 0) + runner.entries.filter((e) => e.cacheHit).length,
    ...(last ? { lastStage: last.label } : {}),
  };
}
