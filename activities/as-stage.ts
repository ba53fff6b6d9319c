import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { StageOutput } from '../lib/studies/stage.ts';
import {
  cancellationOr,
  failFastOnBadInput,
  heartbeat,
  previousHeartbeat,
} from './activity-context.ts';

export interface StageRunOptions {
  /** What the heartbeats carry: the position a retry resumes from. */
  heartbeatDetails?: () => object | undefined;
  /**
   * For stages with unlimited attempts (training, sampling): how many failed attempts (errors, not
   * lost workers or attempt time limits) to allow before failing for good. The count travels in
   * the heartbeat details, which Temporal hands to the next attempt with the failure.
   */
  failureBudget?: number;
}

/** Failed attempts a resumable stage (training, sampling) may have before it fails for good. */
export const FAILURE_BUDGET = 8;

/** What asStage adds to a stage's heartbeat details. */
interface FailureCount {
  failures?: number;
}

/** Wraps a stage's work: heartbeats, measures its compute time and reports the attempt it ran in. */
export async function asStage(
  work: () => Promise<Omit<StageOutput, 'attempt' | 'computeMs'>>,
  options: StageRunOptions = {},
): Promise<StageOutput> {
  const failures = previousHeartbeat<FailureCount>()?.failures ?? 0;
  const details = () => {
    const d = options.heartbeatDetails?.();
    return options.failureBudget === undefined ? d : { ...d, failures };
  };
  // Heartbeats while the work runs, so a dead worker is noticed by the heartbeat timeout rather
  // than the hours-long attempt time limit. The details (if any) are what a retry resumes from.
  const started = performance.now();
  const beat = setInterval(() => heartbeat(details()), 2000);
  let result: Omit<StageOutput, 'attempt' | 'computeMs'>;
  try {
    heartbeat(details());
    result = await work();
  } catch (thrown) {
    // A cancelled stage ends as cancelled, not failed, and costs none of its failure budget.
    const error = cancellationOr(thrown);
    if (options.failureBudget !== undefined && !(error instanceof CancelledFailure)) {
      heartbeat({ ...details(), failures: failures + 1 });
      if (failures + 1 >= options.failureBudget)
        throw ApplicationFailure.create({
          message: `${(error as Error).message} (failed ${failures + 1} times; lost workers and attempt time limits are not counted)`,
          type: (error as Error).name,
          nonRetryable: true,
          cause: error as Error,
        });
    }
    throw error;
  } finally {
    clearInterval(beat);
  }
  let attempt = 1;
  try {
    attempt = Context.current().info.attempt;
  } catch {
    // outside an activity (benchmarks): first attempt
  }
  return { ...result, attempt, computeMs: Math.round(performance.now() - started) };
}

/** A stage activity's body: bad input fails at once, the rest as asStage. */
export function runStage(
  work: () => Promise<Omit<StageOutput, 'attempt' | 'computeMs'>>,
): Promise<StageOutput> {
  return failFastOnBadInput(() => asStage(work));
}
