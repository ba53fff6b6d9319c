// Every workflow the cpu worker registers. Workflow code is bundled and replayed by Temporal:
// deterministic, no I/O (enforced by the lint rules for this folder).
export { ingestDataset } from './ingest-dataset.ts';
export { generationsLoop, generationsStudy } from './generations.ts';
export { varianceCollapseCheck, varianceCollapseLoop } from './variance-collapse.ts';
