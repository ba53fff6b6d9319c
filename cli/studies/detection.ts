import type { DetectionSpec } from '../../lib/studies/specs/detection.ts';
import { detectionStudy } from '../../workflows/studies/detection.ts';
import { writeDetectionReport } from '../detection-report.ts';
import { loadDetectionTable, printDetectionTable } from '../detection-table.ts';
import { defineStudyKind, oneWorkflow, studyInput } from './kind.ts';

/** The detection study: one workflow (R and S, their spectra, then every detector of every seed). */
export const detection = defineStudyKind({
  workflow: detectionStudy,
  input: (spec: DetectionSpec, options) => studyInput(spec, options),
  workflows: (spec, workflowId) => oneWorkflow(workflowId, plannedDetectionStages(spec)),
  load: loadDetectionTable,
  print: printDetectionTable,
  writeReport: writeDetectionReport,
});

/** How many stages the study runs (workflows/studies/detection.ts). */
export function plannedDetectionStages(spec: DetectionSpec): number {
  const fitted = 'generator' in spec.generated;
  // ingest the training split and draw R (or R + P); split, fit and sample when fitted here
  const sets = spec.real ? 0 : 2 + (fitted ? 3 : 0);
  const { features, models } = spec.detectors;
  // ingest the test split, fit the embedding (a PCA: 1; the CNN: subset, train, define), embed R and S
  const embedding = features.includes('embedding')
    ? 1 + (spec.embedding?.kind === 'classifier' ? 3 : 1) + 2
    : 0;
  return sets + 1 + embedding + spec.seeds.length * features.length * models.length;
}
