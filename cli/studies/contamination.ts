import type { ContaminationSpec } from '../../lib/studies/specs/contamination.ts';
import { contaminationStudy } from '../../workflows/studies/contamination.ts';
import { writeContaminationReport } from '../contamination-report.ts';
import { loadContaminationTable, printContaminationTable } from '../contamination-table.ts';
import { defineStudyKind } from './kind.ts';

/** The contamination study: shared stages, then one child per replicate seed. */
export const contamination = defineStudyKind({
  workflow: contaminationStudy,
  input: (spec: ContaminationSpec, { force, cpuQueue, gpuQueue, store }) => ({
    spec,
    force,
    cpuQueue,
    gpuQueue,
    store,
  }),
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
  const tests = 1 + spec.evaluation.shifts.length;
  // ingest x2, the pool, two splits, fit, sample, the test subset, one stage per shift
  const shared = 7 + (spec.dataset.testSubset ? 1 : 0) + spec.evaluation.shifts.length;
  // r = 0: train R once; r > 0: per source a mix and a training; each training classifies `tests` sets
  const perSeed = spec.mixes.fractions.reduce(
    (n, r) => n + (r === 0 ? 1 + tests : 2 * (2 + tests)),
    0,
  );
  return { shared, perSeed };
}
