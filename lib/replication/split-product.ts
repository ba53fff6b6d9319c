import { InputError } from '../input-error.ts';
import type { MatrixEngine, TopK, TopKOptions } from '../matrix/matrix-engine.ts';
import { TopKCollector } from '../matrix/top-k-collector.ts';
import type { FeatureMatrix } from '../metrics/feature-matrix.ts';

/** Score-matrix entries held at once by the blocked search (32 MiB of float64). */
const BLOCK_ENTRIES = 1 << 22;

/**
 * The split-product similarity of the authors' public code (Somepalli et al. 2023): the already
 * whole-normalised vectors a, b are cut into `chunks` equal consecutive pieces and the score is
 * max_c <a_c, b_c>. The chunk products sum to the cosine <a, b>, so the score lies between
 * cosine / chunks (all chunks equal) and 1, and the paper's 0.5 cut-off, set for the plain cosine,
 * does not carry over: a split score needs its own (calibrated) threshold.
 */
export function splitProduct(a: ArrayLike<number>, b: ArrayLike<number>, chunks: number): number {
  if (a.length !== b.length)
    throw new RangeError(`split product: vectors of ${a.length} and ${b.length} values`);
  const width = chunkWidth(a.length, chunks);
  let best = -Infinity;
  for (let c = 0; c < chunks; c++) {
    let s = 0;
    for (let t = c * width; t < (c + 1) * width; t++) s += a[t]! * b[t]!;
    best = Math.max(best, s);
  }
  return best;
}

/**
 * For each query row, the k key rows of largest split product (best first; ties to the lower key
 * index). The maximum over chunks is not one inner product, so one engine top-k cannot find it.
 * Exact here: per block of query rows, one engine.gram per chunk (the queries' chunk c against the
 * keys' chunk c), their elementwise maximum, then a top-k scan of that block's scores. (Merging
 * per-chunk top-k lists would be exact too: a key's maximum is attained in some chunk, where every
 * key ranked before it also has a maximum at least as large.)
 * Memory O(block x keys); inputs must be whole-normalised (`l2NormalisedRows`).
 */
export async function splitProductTopK(
  queries: FeatureMatrix,
  keys: FeatureMatrix,
  chunks: number,
  k: number,
  engine: MatrixEngine,
  options?: TopKOptions,
): Promise<TopK> {
  if (queries.cols !== keys.cols)
    throw new InputError(
      `split product: queries have ${queries.cols} dimensions and keys ${keys.cols}; they must match`,
    );
  const width = chunkWidth(queries.cols, chunks);
  const excludeSelf = options?.excludeSelf === true;
  const available = keys.rows - (excludeSelf ? 1 : 0);
  if (!Number.isInteger(k) || k < 1 || k > available)
    throw new RangeError(
      `split product: k must be a whole number from 1 to ${available}, got ${k}`,
    );
  const keyChunks = Array.from({ length: chunks }, (_, c) =>
    columns(keys, 0, keys.rows, c * width, width),
  );
  const collector = new TopKCollector(queries.rows, k, 'largest');
  const block = Math.max(1, Math.floor(BLOCK_ENTRIES / Math.max(1, keys.rows)));
  for (let q0 = 0; q0 < queries.rows; q0 += block) {
    const q1 = Math.min(queries.rows, q0 + block);
    let best: Float64Array | undefined;
    for (let c = 0; c < chunks; c++) {
      const gram = await engine.gram(columns(queries, q0, q1, c * width, width), keyChunks[c]!);
      if (best === undefined) best = Float64Array.from(gram.data);
      else for (let e = 0; e < best.length; e++) best[e] = Math.max(best[e]!, gram.data[e]!);
    }
    for (let i = q0; i < q1; i++) {
      const row = (i - q0) * keys.rows;
      for (let j = 0; j < keys.rows; j++) {
        if (excludeSelf && i === j) continue;
        collector.offer(i, j, best![row + j]!);
      }
    }
  }
  return collector.result();
}

function chunkWidth(cols: number, chunks: number): number {
  if (!Number.isInteger(chunks) || chunks < 1 || cols % chunks !== 0)
    throw new RangeError(
      `split product: ${chunks} chunks must be a whole number dividing the embedding width ${cols}`,
    );
  return cols / chunks;
}

/** Rows [r0, r1) and columns [c0, c0 + width) as a new matrix. */
function columns(
  m: FeatureMatrix,
  r0: number,
  r1: number,
  c0: number,
  width: number,
): FeatureMatrix {
  const out = new Float64Array((r1 - r0) * width);
  for (let r = r0; r < r1; r++)
    for (let t = 0; t < width; t++) out[(r - r0) * width + t] = m.data[r * m.cols + c0 + t]!;
  return { rows: r1 - r0, cols: width, data: out };
}
