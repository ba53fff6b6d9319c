import { InputError } from '../../lib/input-error.ts';
import type { SpecOf, StudyKindName, StudySpec } from '../../lib/studies/specs/index.ts';
import { contamination } from './contamination.ts';
import { detection } from './detection.ts';
import { generations } from './generations.ts';
import { replication } from './replication.ts';
import type { AnyStudyKind } from './kind.ts';

export type { AnyStudyKind, StudyKind, StudyRunOptions, StudyWorkflow } from './kind.ts';

/**
 * Every study kind the CLI runs, by the `study:` of its spec. A new kind is one entry here (and
 * its file in this folder); this does not compile while a spec kind has no entry.
 */
const STUDY_KINDS: { [K in StudyKindName]: AnyStudyKind<SpecOf<K>> } = {
  generations,
  contamination,
  detection,
  replication,
};

/** The study kind of a spec. */
export function studyKindOf(spec: StudySpec): AnyStudyKind {
  return STUDY_KINDS[spec.study] as unknown as AnyStudyKind;
}

/** The workflow types of the study kinds (their top workflows' names), e.g. `generationsStudy`. */
export function studyWorkflowTypes(): string[] {
  return Object.values(STUDY_KINDS).map((kind) => kind.workflow.name);
}

/** The study kind whose top workflow has this type; an InputError for any other workflow type. */
export function studyKindOfWorkflowType(
  type: string | undefined,
  workflowId: string,
): AnyStudyKind {
  const found = (Object.values(STUDY_KINDS) as AnyStudyKind[]).find(
    (kind) => kind.workflow.name === type,
  );
  if (!found)
    throw new InputError(
      `${workflowId} is not a study run (its type is ${type ?? 'unknown'}; study runs are ${studyWorkflowTypes().join(', ')})`,
    );
  return found;
}
