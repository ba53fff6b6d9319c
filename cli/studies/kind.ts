import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import type { StudySpec } from '../../lib/studies/specs/index.ts';
import type { StageEntry } from '../../lib/studies/stage.ts';
import type { StudyInput, StudyResult } from '../../workflows/blocks/study.ts';

/** Where and how a study runs: what every study workflow's input holds besides its spec. */
export interface StudyRunOptions {
  force: string[];
  cpuQueue: string;
  gpuQueue: string;
  /** The store the workers must use (`store.location`). */
  store: string;
}

/** One workflow of a study run (the study itself, or one of its children) and the stages it runs. */
export interface StudyWorkflow {
  /** What its progress bar is called, e.g. `shared` or `alpha=0.5`. */
  label: string;
  workflowId: string;
  /** How many stages it runs: what its progress bar counts towards. */
  stages: number;
}

/** A study result with its stored table read back (see withTable). */
export type StudyTable = StudyResult & { rows: unknown[]; stages: StageEntry[] };

/**
 * What the CLI needs to know of one study kind: how to start its workflow, follow it, read its
 * table back, print it and write its report. `clab run`, `rerun` and `plan` look the kind up
 * (cli/studies/index.ts) instead of naming it.
 */
export interface StudyKind<
  Spec extends StudySpec,
  Input extends StudyInput<Spec>,
  Result extends StudyResult,
  Table extends StudyTable,
> {
  /** The study's top workflow; its function name is the workflow type its runs have. */
  workflow: (input: Input) => Promise<Result>;
  /** The workflow's input for a spec. */
  input(spec: Spec, options: StudyRunOptions): Input;
  /**
   * The workflows of a run started with `workflowId`, the study's own first, then its children
   * in the order their stages are listed.
   */
  workflows(spec: Spec, workflowId: string): StudyWorkflow[];
  /** Reads the result's stored table. */
  load(store: ArtifactStore, result: Result): Promise<Table>;
  /** Prints the table to stdout. */
  print(table: Table): void;
  /** Writes the report into `dir`; returns the path of its main page. */
  writeReport(table: Table, store: ArtifactStore, dir: string, workflowId: string): Promise<string>;
}

/** A study kind as the commands see it: they only pass its values from one function to the next. */
export type AnyStudyKind<Spec extends StudySpec = StudySpec> = StudyKind<
  Spec,
  StudyInput<Spec>,
  StudyResult,
  StudyTable
>;

/** Checks one kind's entry against its own types and erases them for the registry. */
export function defineStudyKind<
  Spec extends StudySpec,
  Input extends StudyInput<Spec>,
  Result extends StudyResult,
  Table extends StudyTable,
>(kind: StudyKind<Spec, Input, Result, Table>): AnyStudyKind<Spec> {
  return kind as unknown as AnyStudyKind<Spec>;
}

/** The input of every study workflow: its spec, and how and where its stages run. */
export function studyInput<Spec>(
  spec: Spec,
  { force, cpuQueue, gpuQueue, store }: StudyRunOptions,
): StudyInput<Spec> {
  return { spec, force, cpuQueue, gpuQueue, store };
}

/** The workflows of a study that runs as one workflow: itself, with `stages` stages. */
export function oneWorkflow(workflowId: string, stages: number): StudyWorkflow[] {
  return [{ label: 'shared', workflowId, stages }];
}
