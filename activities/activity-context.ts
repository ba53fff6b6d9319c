import { ApplicationFailure, Context } from '@temporalio/activity';
import { InputError } from '../lib/input-error.ts';
import { InferenceConfigError } from './inference-config-error.ts';
import {
  ArtifactNotFoundError,
  DigestMismatchError,
  StoreConfigError,
} from '../lib/storage/errors.ts';

/** The current activity's context, or undefined when the code runs outside Temporal (benchmarks, tests). */
function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Records progress with the Temporal server (throttled by the SDK); a no-op outside an activity. */
export function heartbeat(details?: unknown): void {
  currentContext()?.heartbeat(details);
}

/**
 * Runs `work` while heartbeating every few seconds, so that a short activity with no progress of
 * its own (a cache lookup over a large manifest) is noticed within its heartbeat timeout when its
 * worker dies, not after its whole start-to-close timeout.
 */
export async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  heartbeat();
  const beat = setInterval(() => heartbeat(), 5000);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

/** The heartbeat details the previous attempt of this activity left, if any (what a retry resumes from). */
export function previousHeartbeat<T>(): T | undefined {
  return currentContext()?.info.heartbeatDetails as T | undefined;
}

/** Aborts when Temporal cancels the current activity (delivered with a heartbeat response). */
export function cancellationSignal(): AbortSignal | undefined {
  return currentContext()?.cancellationSignal;
}

/**
 * Throws the activity's CancelledFailure once Temporal has cancelled it: long loops call it between
 * steps, so that a cancelled study stops computing instead of finishing work nobody will read.
 */
export function throwIfCancelled(): void {
  cancellationSignal()?.throwIfAborted();
}

/**
 * The error an activity should end with: its CancelledFailure when it was cancelled (whatever the
 * work threw on the way out: a killed trainer, a terminated thread), so that Temporal records it
 * as cancelled rather than failed; otherwise `error` itself.
 */
export function cancellationOr(error: unknown): unknown {
  const signal = cancellationSignal();
  return signal?.aborted ? (signal.reason as unknown) : error;
}

/**
 * Errors that retrying cannot fix become non-retryable failures that keep their message: bad
 * input, a misconfigured or corrupt store, and RangeError, which the pure code throws for
 * parameters out of range (a spec asking for more PCA components than pixels, say), except the
 * RangeErrors of an exhausted worker (RESOURCE_EXHAUSTED), which are retried.
 */
const NON_RETRYABLE = [
  InputError,
  StoreConfigError,
  DigestMismatchError,
  ArtifactNotFoundError,
  RangeError,
  InferenceConfigError,
];

/**
 * The RangeErrors V8 throws when a worker runs out of memory or stack ("Array buffer allocation
 * failed" and its kin): a resource limit of this worker at this moment, not bad input, so the
 * activity is retried (perhaps on another worker) rather than failing the study.
 */
const RESOURCE_EXHAUSTED =
  /^(Array buffer allocation failed|Invalid array length|Invalid typed array length|Maximum call stack size exceeded)/i;

/** Whether `error` is one retrying cannot fix (see NON_RETRYABLE), so the activity fails at once. */
export function isNonRetryable(error: unknown): boolean {
  if (error instanceof RangeError && RESOURCE_EXHAUSTED.test(error.message)) return false;
  return NON_RETRYABLE.some((type) => error instanceof type);
}

export async function failFastOnBadInput<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isNonRetryable(error)) {
      const e = error as Error;
      throw ApplicationFailure.create({
        message: e.message,
        type: e.name,
        nonRetryable: true,
        cause: e,
      });
    }
    throw error;
  }
}
