// Every workflow the cpu worker registers. Workflow code is bundled and replayed by Temporal:
// deterministic, no I/O (enforced by the lint rules for this folder). One file per study kind in
// studies/, built from the shared blocks in blocks/.
export { ingestDataset } from './ingest-dataset.ts';
export { contaminationSeed, contaminationStudy } from './studies/contamination.ts';
export { detectionStudy } from './studies/detection.ts';
export { generationsLoop, generationsStudy } from './studies/generations.ts';
export { replicationStudy } from './studies/replication.ts';
export { replicaAudit } from './replica-audit.ts';
export { varianceCollapseCheck, varianceCollapseLoop } from './variance-collapse.ts';
