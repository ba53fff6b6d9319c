import { InputError } from '../input-error.ts';
import type { FeatureMatrix } from '../metrics/feature-matrix.ts';
import { columnMeans } from './row-kernels.ts';

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

/**
 * Column means that double as the finiteness check: a NaN or an infinity anywhere makes its
 * column's float64 sum non-finite, so one pass over the data serves both, and the full scan that
 * names the bad entry runs only then. Finite features whose sum overflows (|x| near 1e308) are
 * rejected too: no statistic of them is representable.
 */
export function checkedColumnMeans(m: FeatureMatrix, name: string): Float64Array {
  const mean = columnMeans(m);
  for (let j = 0; j < mean.length; j++) {
    if (Number.isFinite(mean[j])) continue;
    assertFiniteFeatures(m, name);
    throw new InputError(
      `${name}: the features of column ${j} overflow float64 when summed; rescale them`,
    );
  }
  return mean;
}
