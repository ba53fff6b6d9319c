import { InputError } from '../input-error.ts';
import type { FeatureMatrix } from '../metrics/feature-matrix.ts';

/**
 * Each row divided by its Euclidean norm, in float64: the whole embedding is normalised before
 * any dot product or split (Somepalli et al. 2023, and their public code, normalise the full
 * descriptor). A row holding NaN or an infinity, or a zero row (no direction), is an InputError
 * naming `name` and the row.
 */
export function l2NormalisedRows(m: FeatureMatrix, name: string): FeatureMatrix {
  const { rows, cols, data } = m;
  if (data.length !== rows * cols)
    throw new InputError(`${name}: expected ${rows}x${cols} values, got ${data.length}`);
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let largest = 0;
    for (let j = 0; j < cols; j++) {
      const v = data[base + j]!;
      if (v - v !== 0)
        throw new InputError(
          `${name}: embedding row ${r} holds ${v} at column ${j}; embeddings must be finite`,
        );
      largest = Math.max(largest, Math.abs(v));
    }
    if (largest === 0)
      throw new InputError(
        `${name}: embedding row ${r} is all zeros and has no direction to compare`,
      );
    // Scaled by the largest magnitude first, so the sum of squares neither overflows nor underflows.
    let squares = 0;
    for (let j = 0; j < cols; j++) {
      const v = data[base + j]! / largest;
      squares += v * v;
    }
    const norm = Math.sqrt(squares);
    for (let j = 0; j < cols; j++) out[base + j] = data[base + j]! / largest / norm;
  }
  return { rows, cols, data: out };
}
