import type { ContaminationSpec } from '../../lib/studies/specs/contamination.ts';
import { contaminationStudy } from '../../workflows/studies/contamination.ts';
import { writeContaminationReport } from '../contamination-report.ts';
import { loadContaminationTable, printContaminationTable } from '../contamination-table.ts';
import { defineStudyKind, studyInput } from './kind.ts';

/** The contamination study: shared stages, then one child per replicate seed. */
export const contamination = defineStudyKind({
  workflow: contaminationStudy,
  input: (spec: ContaminationSpec, options) => studyInput(spec, options),
  workflows: (spec, workflowId) => {
    const planned = plannedContaminationStages(spec);
    return [
      { label: 'shared', workflowId, stages: planned.shared },
      ...spec.seeds.map((seed) => ({
        label: `seed=${seed}`,
        workflowId: `${workflowId}/seed=${seed}`,
        stages: planned.perSeed,
      })),
    ];
  },
  load: loadContaminationTable,
  print: printContaminationTable,
  writeReport: writeContaminationReport,
});

/** How many stages the parent and each seed's child run (workflows/studies/contamination.ts). */
export function plannedContaminationStages(spec: ContaminationSpec): {
  shared: number;
  perSeed: number;
} {
  const digits = spec.dataset.name === 'digits';
  const hard = spec.evaluation.hardSubset;
  const metrics = spec.generatorMetrics;
  const disjoint = spec.controls.filter((c) => c.kind === 'disjoint');
  const parts = 2 + disjoint.length + (digits ? 1 : 0) + (hard?.references ?? 0);
  const shifted = spec.evaluation.shifts.length + (hard ? 1 : 0);
  const shared =
    // ingest, the pool, the splits, each control's ingest or transform, fit G and sample S
    1 +
    1 +
    (parts - 1) +
    spec.controls.filter((c) => c.kind === 'source' || c.transform).length +
    2 +
    // the test set (ingest and subset), its shifted copies, the hard subset's references
    (digits ? 0 : 1 + (spec.dataset.testSubset ? 1 : 0)) +
    spec.evaluation.shifts.length +
    (hard ? 2 * hard.references + 1 : 0) +
    // the embedding, the test features, R's features and metrics, S at each temperature
    (metrics
      ? 2 +
        2 +
        metrics.temperatures.reduce((n, t) => n + 2 + (t === spec.generator.temperature ? 0 : 1), 0)
      : 0) +
    // grids: R, S, the controls, the test set and every shifted copy
    2 +
    spec.controls.length +
    1 +
    shifted;
  const sources = 1 + spec.controls.length;
  const sizeSources = (spec.mixes.sizeControlSources ?? ['S', spec.controls[0]!.name]).length;
  const tests = 1 + shifted;
  const measured = 1 + tests;
  const generator = metrics?.perMix ? 4 : 0;
  const perSeed =
    spec.mixes.fractions.reduce(
      (n, r) => n + (r === 0 ? measured + generator : sources * (1 + measured + generator)),
      0,
    ) +
    spec.mixes.subsample.length * (measured + sizeSources * (1 + measured)) +
    spec.mixes.append.length * sizeSources * (1 + measured);
  return { shared, perSeed };
}
