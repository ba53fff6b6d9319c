// Workflows with the study kinds' top workflow types that run no stage: for `clab report`, which
// only reads a run's type, status and recorded result (test/integration/report-command.test.ts).
import { ApplicationFailure, condition } from '@temporalio/workflow';

/** Completes with the result it is given, as if the study had run. */
export async function detectionStudy(input: { result: unknown }): Promise<unknown> {
  return input.result;
}

/** Never finishes (until terminated). */
export async function generationsStudy(): Promise<never> {
  await condition(() => false);
  throw new Error('unreachable');
}

/** Fails at once. */
export async function contaminationStudy(): Promise<never> {
  throw ApplicationFailure.nonRetryable('a stage failed for good');
}

/** A finished workflow that is not a study run. */
export async function notAStudy(): Promise<number> {
  return 1;
}
