import { setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { StageRunner } from '../stage-runner.ts';
import type { TableRef } from '../table-pieces.ts';
import { progressOf, studyProgress } from './progress.ts';

/** What every study workflow is started with: its spec, and how to run its stages. */
export interface StudyInput<Spec> {
  spec: Spec;
  force?: string[];
  cpuQueue?: string;
  gpuQueue?: string;
  /** The store the run expects its workers to use (checked by the ingest activities). */
  store?: string;
  /** Per-attempt time limits by stage name (see StageRunnerOptions). */
  attemptTimeouts?: Record<string, string>;
}

/** What every study workflow returns: its kind and name, and its stored table (see readStudyTable). */
export interface StudyResult extends TableRef {
  study: string;
  name: string;
}

/** The spec fields a study is found by in the Temporal UI. */
interface FindableSpec {
  study: string;
  name: string;
  dataset: { name: string };
}

export interface OpenedStudy {
  runner: StageRunner;
  cpuQueue: string;
  gpuQueue: string;
}

/**
 * Opens a study's top workflow: search attributes (study kind, spec name, dataset), the stage
 * runner with the run's forced stages and time limits, and the `studyProgress` query.
 */
export function openStudy(input: StudyInput<FindableSpec>): OpenedStudy {
  const { spec } = input;
  const cpuQueue = input.cpuQueue ?? 'cpu';
  const gpuQueue = input.gpuQueue ?? 'gpu';
  upsertSearchAttributes({
    ClabStudyKind: [spec.study],
    ClabSpecName: [spec.name],
    ClabDataset: [spec.dataset.name],
  });
  const runner = new StageRunner({
    cpuQueue,
    gpuQueue,
    force: input.force ?? [],
    ...(input.attemptTimeouts ? { attemptTimeouts: input.attemptTimeouts } : {}),
  });
  setHandler(studyProgress, () => progressOf(runner));
  return { runner, cpuQueue, gpuQueue };
}
