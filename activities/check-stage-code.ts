import { ApplicationFailure } from '@temporalio/activity';
import type { CodeFingerprints } from './code-fingerprints.ts';
import { stageCodeEntries } from './stage-code.ts';
import type { Fingerprinted } from './stages/stage-input.ts';

type StageActivity = (input: Fingerprinted & Record<string, unknown>) => Promise<unknown>;

/**
 * Wraps each stage activity so that it runs only with the code its key describes: the workflow
 * passes the fingerprint the stage cache keyed the stage with, and a worker whose own code
 * fingerprints differently (another build polling the same queue) refuses it, retryably, so that a
 * worker with the right code can take it. Trainer stages also check that the trainer files on disk
 * are still those the worker fingerprinted, since the trainer process loads them when it starts.
 */
export function checkStageCode<T extends Record<string, unknown>>(
  activities: T,
  code: CodeFingerprints,
): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    const activity = fn as StageActivity;
    out[name] = (input: Fingerprinted & Record<string, unknown>) => {
      const mine = code.stage(name, input).fingerprint;
      if (input.codeFingerprint !== undefined && input.codeFingerprint !== mine)
        throw ApplicationFailure.retryable(
          `Stage ${name} was keyed with code ${input.codeFingerprint.slice(0, 12)}, but this worker runs code ${mine.slice(0, 12)}: workers of different builds poll one queue (run the same code on every worker, or use worker versioning)`,
          'CodeMismatchError',
        );
      const trainerFiles = stageCodeEntries(name, input).entries.filter((p) => p.endsWith('.py'));
      if (trainerFiles.length) {
        try {
          code.assertUnchanged(trainerFiles, `stage ${name}`);
        } catch (error) {
          throw ApplicationFailure.retryable((error as Error).message, 'CodeChangedError');
        }
      }
      return activity({ ...input, codeFingerprint: mine });
    };
  }
  return out as T;
}
