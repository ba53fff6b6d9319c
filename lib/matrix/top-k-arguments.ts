import type { FeatureMatrix } from '../metrics/feature-matrix.ts';
import { assertSameWidth } from '../metrics/feature-matrix.ts';
import { assertFiniteFeatures } from './finite-features.ts';
import type { TopKOptions } from './matrix-engine.ts';

/** Validates a top-k search: same widths, finite features, 1 <= k <= the keys a query may match. */
export function checkTopKArguments(
  queries: FeatureMatrix,
  keys: FeatureMatrix,
  k: number,
  options: TopKOptions | undefined,
  what: string,
): void {
  assertSameWidth(queries, keys, what);
  assertFiniteFeatures(queries, `${what}: queries`);
  assertFiniteFeatures(keys, `${what}: keys`);
  const excludeSelf = options?.excludeSelf === true;
  const available = keys.rows - (excludeSelf ? 1 : 0);
  if (!Number.isInteger(k) || k < 1 || k > available)
    throw new RangeError(
      `${what}: k must be a whole number from 1 to ${available} (${keys.rows} keys` +
        `${excludeSelf ? ', self excluded' : ''}), got ${k}`,
    );
  if (excludeSelf && queries.rows > keys.rows)
    throw new RangeError(
      `${what}: excludeSelf pairs query i with key i, but there are ${queries.rows} queries and ${keys.rows} keys`,
    );
}
