/** Feature vectors, one row per sample, row-major: the input of every embedding-space metric. */
export interface FeatureMatrix {
  rows: number;
  cols: number;
  data: Float32Array | Float64Array;
}

export function featureMatrix(
  rows: number,
  cols: number,
  data: Float32Array | Float64Array,
): FeatureMatrix {
  if (data.length !== rows * cols)
    throw new RangeError(`Expected ${rows}x${cols} = ${rows * cols} values, got ${data.length}`);
  return { rows, cols, data };
}

export function assertSameWidth(a: FeatureMatrix, b: FeatureMatrix, what: string): void {
  if (a.cols !== b.cols)
    throw new RangeError(
      `${what}: the two feature sets have ${a.cols} and ${b.cols} dimensions; they must match`,
    );
}
