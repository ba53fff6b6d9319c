/** A stage whose randomness comes from the spec's seed through a named stream. */
export interface Seeded {
  seed: number;
  /** The named random stream of this stage, e.g. `alpha=1/g=2/sample`. */
  stream: string;
}

/**
 * The fingerprint of the code that runs a stage (set by the worker before the stage runs, after
 * checking that it matches the fingerprint the stage's key was computed with). Artifacts record it
 * as the code that made them.
 */
export interface Fingerprinted {
  codeFingerprint?: string;
}

export function codeOf(input: Fingerprinted): string {
  return input.codeFingerprint ?? 'unfingerprinted';
}
