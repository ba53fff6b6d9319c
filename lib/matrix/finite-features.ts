import { InputError } from '../input-error.ts';
import type { FeatureMatrix } from '../metrics/feature-matrix.ts';

/**
 * Rejects a feature set holding NaN or an infinity, naming the input and the first bad entry: a
 * metric of such features is meaningless, and retrying cannot repair them (an InputError).
 */
export function assertFiniteFeatures(m: FeatureMatrix, name: string): void {
  const { data, cols } = m;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // v - v is NaN exactly when v is NaN or infinite; one comparison per entry.
    if (v - v !== 0) {
      const row = Math.floor(i / cols);
      throw new InputError(
        `${name}: the features hold ${v} at row ${row}, column ${i - row * cols}; ` +
          'every feature must be a finite number',
      );
    }
  }
}
