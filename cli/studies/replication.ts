import type { ReplicationSpec } from '../../lib/studies/specs/replication.ts';
import { replicationStudy } from '../../workflows/studies/replication.ts';
import { writeReplicationReport } from '../replication-report.ts';
import { loadReplicationTable, printReplicationTable } from '../replication-table.ts';
import { defineStudyKind, oneWorkflow, studyInput } from './kind.ts';

/** The replication study: one workflow (shared sets and embeddings, then every seed and N). */
export const replication = defineStudyKind({
  workflow: replicationStudy,
  input: (spec: ReplicationSpec, options) => studyInput(spec, options),
  workflows: (spec, workflowId) => oneWorkflow(workflowId, plannedReplicationStages(spec)),
  load: loadReplicationTable,
  print: printReplicationTable,
  writeReport: writeReplicationReport,
});

/** How many stages the study runs (workflows/studies/replication.ts). */
export function plannedReplicationStages(spec: ReplicationSpec): number {
  // ingest both splits, the H + T pool and its split
  const sets = 4;
  // the CNN embedding (a PCA: 1; the classifier: subset, train, define), the copy-detection one
  // (subset, train, define) and the real test features
  const embeddings =
    (spec.evaluation.embedding.kind === 'classifier' ? 3 : 1) +
    (spec.audit.embeddings.includes('copy') ? 3 : 0) +
    1;
  // per seed and N: T_N and the DDPM; per guidance: sample, audits, features, metrics
  const perGuidance = 1 + spec.audit.embeddings.length + 2;
  const perModel = 2 + spec.sampling.guidances.length * perGuidance;
  return sets + embeddings + spec.seeds.length * spec.dataset.sizes.length * perModel;
}
