import type { GenerationsSpec } from '../../lib/studies/specs/generations.ts';
import { generationsStudy, replicatesOf } from '../../workflows/studies/generations.ts';
import { loadGenerationsTable, printGenerationsTable } from '../generations-table.ts';
import { writeGenerationsReport } from '../study-report.ts';
import { defineStudyKind, studyInput } from './kind.ts';

/**
 * The generational retraining study: a parent workflow, then one loop child per alpha (per seed and
 * alpha with replicate `seeds`).
 */
export const generations = defineStudyKind({
  workflow: generationsStudy,
  input: (spec: GenerationsSpec, options) => studyInput(spec, options),
  workflows: (spec, workflowId) => {
    const planned = plannedStages(spec);
    return [
      { label: 'shared', workflowId, stages: planned.shared },
      ...replicatesOf(spec).flatMap(({ prefix }) =>
        spec.loop.alphas.map((alpha) => ({
          label: `${prefix}alpha=${alpha}`,
          workflowId: `${workflowId}/${prefix}alpha=${alpha}`,
          stages: planned.perLoop,
        })),
      ),
    ];
  },
  load: loadGenerationsTable,
  print: printGenerationsTable,
  writeReport: writeGenerationsReport,
});

/**
 * How many stages the parent and each loop of a study run (workflows/studies/generations.ts): the
 * parent's 8 (two ingests, the embedding, the real reference, D_0, its features, metrics and grid;
 * a classifier embedding adds 2) and V_1 for each replicate seed.
 */
export function plannedStages(spec: GenerationsSpec): { shared: number; perLoop: number } {
  const mixStages = { accumulate: 1, replace: 0, fresh: 2 }[spec.loop.mode];
  const embeddingStages = spec.evaluation.embedding.kind === 'classifier' ? 2 : 0;
  return {
    shared: 8 + embeddingStages + replicatesOf(spec).length,
    perLoop: spec.loop.generations * (5 + mixStages),
  };
}
