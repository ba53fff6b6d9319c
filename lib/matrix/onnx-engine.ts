import * as ort from 'onnxruntime-node';
import type { FeatureMatrix } from '../metrics/feature-matrix.ts';
import { assertSameWidth } from '../metrics/feature-matrix.ts';
import { gramGraph, minScoreGraph, topKGraph } from './engine-graphs.ts';
import { assertFiniteFeatures, checkedColumnMeans } from './finite-features.ts';
import type { CovarianceOptions, MatrixEngine, TopK, TopKOptions } from './matrix-engine.ts';
import { checkBalls, insideSomeBall } from './reference-engine.ts';
import {
  centreTransposed,
  columnMeans,
  covarianceFromUpper,
  maxOf,
  rowDot,
  rowSquaredDistance,
  shiftedFloat32,
} from './row-kernels.ts';
import { ScratchBuffer } from './scratch-buffer.ts';
import { checkTopKArguments } from './top-k-arguments.ts';
import { TopKCollector } from './top-k-collector.ts';

/** Unit roundoff of float32. */
const U32 = 2 ** -24;
/** Score-block budget (elements): the n x m block a Gemm writes before its reduction. */
const BLOCK_ELEMENTS = 2 ** 24;
/** Rows per covariance Gemm, budget in elements of the centred chunk. */
const CHUNK_ELEMENTS = 2 ** 23;
/** The largest centred chunk an engine keeps between covariances: 32 MiB of float64. */
const SCRATCH_MAX_ELEMENTS = 2 ** 22;
/** Rows per float32 covariance Gemm: its float32 accumulation length (the error bound's CHUNK). */
export const FLOAT32_CHUNK_ROWS = 1024;
/**
 * Narrowest column band of the covariance Gemms: narrower bands save little of the lower
 * triangle and run Gemms too thin for MLAS's kernels.
 */
const COVARIANCE_BAND_MIN = 128;

export interface OnnxEngineOptions {
  /** onnxruntime intra-op threads; 0 lets onnxruntime choose (one per physical core). */
  threads?: number;
  /** Columns per band of the covariance's upper-triangle Gemms (default max(128, d / 8)). */
  covarianceBand?: number;
}

/** What the last searches did, for tests and benchmarks. */
export interface OnnxEngineStats {
  /** Queries whose float32 ranking could not be certified and were rescanned exactly. */
  exactRescans: number;
}

/**
 * The matrix engine on onnxruntime-node (MLAS GEMM, multi-threaded), with float32 where a
 * certified error bound lets an exact float64 step repair every decision, float64 where the
 * value itself is the result:
 *
 * - gram: float64 Gemm (or float32 on request).
 * - covariance: two-pass; the upper triangle of the centred cross-products X_c^T X_c in float64
 *   Gemms over column bands, or on request float32 Gemms of 1024-row chunks summed in float64
 *   (CovarianceOptions states the error).
 * - top-k: float32 Gemm + TopK over k' = k + max(8, k) candidates, rescored exactly in float64
 *   (exact differences for distances, after a shift to the key mean), then certified: with the
 *   worst-case bound B = 2 u ((2d + 6) |q| K + 2 K^2) (u = 2^-24, K = the largest key norm; Higham,
 *   "Accuracy and Stability of Numerical Algorithms", 2002, eq. 3.5, doubled as a margin) on each
 *   float32 score, no key outside the candidates can beat the exact k-th; queries failing that
 *   check are rescanned exactly. The result equals the reference's up to float64 rounding.
 * - coveredByBalls: float32 Gemm + ReduceMin, queries within the bound of a ball's edge decided
 *   by exact differences.
 */
export class OnnxMatrixEngine implements MatrixEngine {
  readonly name: string;
  readonly stats: OnnxEngineStats = { exactRescans: 0 };
  readonly #threads: number;
  readonly #covarianceBand: number | undefined;
  readonly #sessions = new Map<string, Promise<ort.InferenceSession>>();
  /** The covariance's centred chunk, kept between calls (up to SCRATCH_MAX_ELEMENTS). */
  readonly #scratch64 = new ScratchBuffer((n) => new Float64Array(n), SCRATCH_MAX_ELEMENTS);
  readonly #scratch32 = new ScratchBuffer((n) => new Float32Array(n), SCRATCH_MAX_ELEMENTS);

  constructor(options: OnnxEngineOptions = {}) {
    this.#threads = options.threads ?? 0;
    const band = options.covarianceBand;
    if (band !== undefined && !(Number.isInteger(band) && band >= 1))
      throw new RangeError(`covarianceBand must be an integer >= 1, got ${band}`);
    this.#covarianceBand = band;
    this.name = `onnxruntime-node ${ort.env.versions.node ?? ''} (MLAS, ${this.#threads || 'default'} threads)`;
  }

  async gram(
    a: FeatureMatrix,
    b: FeatureMatrix,
    options?: { precision?: 'float32' | 'float64' },
  ): Promise<FeatureMatrix> {
    assertSameWidth(a, b, 'gram');
    assertFiniteFeatures(a, 'gram: A');
    assertFiniteFeatures(b, 'gram: B');
    const type = options?.precision === 'float32' ? 'float32' : 'float64';
    const session = await this.#session(`gram_${type}`, () => gramGraph(type));
    const out = await session.run({
      a: new ort.Tensor(type, typed(a.data, type), [a.rows, a.cols]),
      b: new ort.Tensor(type, typed(b.data, type), [b.rows, b.cols]),
    });
    return { rows: a.rows, cols: b.rows, data: out.y!.data as Float32Array | Float64Array };
  }

  /**
   * Two-pass (Chan, Golub & LeVeque, 1983): mean first, then the centred cross-products per chunk of
   * rows, summed in float64 (float64 Gemm by default, float32 on request: see CovarianceOptions).
   * Only the upper triangle is computed, as numpy's X^T X does with BLAS syrk: the chunk is laid
   * out transposed (d x rows, so that a band of columns is a contiguous band of rows) and each
   * column band I takes X_I^T X_[I..d) on the gram graph, (p + 1) / 2p of the full product for
   * p bands; the lower triangle is then mirrored.
   */
  async covariance(
    x: FeatureMatrix,
    options?: CovarianceOptions,
  ): Promise<{ n: number; dim: number; mean: Float64Array; cov: Float64Array }> {
    const { rows: n, cols: d, data } = x;
    if (n < 2) throw new RangeError(`Covariance needs at least 2 samples, got ${n}`);
    const type = options?.precision === 'float32' ? 'float32' : 'float64';
    const mean = checkedColumnMeans(x, options?.name ?? 'covariance');
    const session = await this.#session(`gram_${type}`, () => gramGraph(type));
    const chunkRows = Math.max(
      1,
      Math.min(n, type === 'float32' ? FLOAT32_CHUNK_ROWS : Math.floor(CHUNK_ELEMENTS / d)),
    );
    const band = this.#covarianceBand ?? Math.max(COVARIANCE_BAND_MIN, Math.ceil(d / 8));
    const scratch = type === 'float32' ? this.#scratch32 : this.#scratch64;
    const centredT = scratch.take(chunkRows * d);
    const cov = new Float64Array(d * d);
    for (let r0 = 0; r0 < n; r0 += chunkRows) {
      const rows = Math.min(chunkRows, n - r0);
      centreTransposed(data, d, r0, rows, mean, centredT);
      for (let c0 = 0; c0 < d; c0 += band) {
        const width = Math.min(band, d - c0);
        const rest = d - c0;
        const out = await session.run({
          a: new ort.Tensor(type, centredT.subarray(c0 * rows, (c0 + width) * rows), [width, rows]),
          b: new ort.Tensor(type, centredT.subarray(c0 * rows, d * rows), [rest, rows]),
        });
        const part = out.y!.data as Float32Array | Float64Array;
        for (let i = 0; i < width; i++) {
          const to = (c0 + i) * d + c0;
          for (let j = i; j < rest; j++) cov[to + j]! += part[i * rest + j]!;
        }
      }
    }
    scratch.give(centredT as Float32Array & Float64Array);
    covarianceFromUpper(cov, d, n);
    return { n, dim: d, mean, cov };
  }

  async topKInnerProduct(
    queries: FeatureMatrix,
    keys: FeatureMatrix,
    k: number,
    options?: TopKOptions,
  ): Promise<TopK> {
    checkTopKArguments(queries, keys, k, options, 'topKInnerProduct');
    return this.#search('inner', queries, keys, k, options?.excludeSelf === true);
  }

  async topKNearest(
    queries: FeatureMatrix,
    keys: FeatureMatrix,
    k: number,
    options?: TopKOptions,
  ): Promise<TopK> {
    checkTopKArguments(queries, keys, k, options, 'topKNearest');
    return this.#search('nearest', queries, keys, k, options?.excludeSelf === true);
  }

  async coveredByBalls(
    queries: FeatureMatrix,
    centres: FeatureMatrix,
    radiiSquared: Float64Array,
  ): Promise<Uint8Array> {
    checkBalls(queries, centres, radiiSquared);
    const d = queries.cols;
    const shift = columnMeans(centres);
    const q = shiftedFloat32(queries, shift);
    const c = shiftedFloat32(centres, shift);
    // min_j (|c_j|^2 - r_j - 2 q.c_j) <= -|q|^2  <=>  q is inside some ball.
    const offsets = new Float32Array(centres.rows);
    let offsetMax = 0;
    for (let j = 0; j < centres.rows; j++) {
      offsets[j] = c.norms[j]! ** 2 - radiiSquared[j]!;
      offsetMax = Math.max(offsetMax, c.norms[j]! ** 2 + Math.abs(radiiSquared[j]!));
    }
    const cMax = maxOf(c.norms);
    const session = await this.#session('min_score', minScoreGraph);
    const covered = new Uint8Array(queries.rows);
    const minScore = new Float64Array(queries.rows).fill(Infinity);
    const { keyRows, queryRows } = blockSizes(queries.rows, centres.rows);
    for (let k0 = 0; k0 < centres.rows; k0 += keyRows) {
      const kn = Math.min(keyRows, centres.rows - k0);
      const keyTensor = new ort.Tensor('float32', c.data.subarray(k0 * d, (k0 + kn) * d), [kn, d]);
      const offsetTensor = new ort.Tensor('float32', offsets.subarray(k0, k0 + kn), [kn]);
      for (let q0 = 0; q0 < queries.rows; q0 += queryRows) {
        const qn = Math.min(queryRows, queries.rows - q0);
        const out = await session.run({
          q: new ort.Tensor('float32', q.data.subarray(q0 * d, (q0 + qn) * d), [qn, d]),
          k: keyTensor,
          c: offsetTensor,
        });
        const min = out.min!.data as Float32Array;
        for (let i = 0; i < qn; i++) minScore[q0 + i] = Math.min(minScore[q0 + i]!, min[i]!);
      }
    }
    for (let i = 0; i < queries.rows; i++) {
      const bound = scoreBound(d, q.norms[i]!, cMax, offsetMax);
      const threshold = -(q.norms[i]! ** 2);
      if (minScore[i]! + bound < threshold) covered[i] = 1;
      else if (minScore[i]! - bound > threshold) covered[i] = 0;
      else {
        this.stats.exactRescans++;
        covered[i] = insideSomeBall(queries, i, centres, radiiSquared) ? 1 : 0;
      }
    }
    return covered;
  }

  async #search(
    kind: 'inner' | 'nearest',
    queries: FeatureMatrix,
    keys: FeatureMatrix,
    k: number,
    excludeSelf: boolean,
  ): Promise<TopK> {
    const d = queries.cols;
    const nearest = kind === 'nearest';
    // Distances do not change under a common shift; centring makes the float32 bound tight.
    const shift = nearest ? columnMeans(keys) : undefined;
    const q = shiftedFloat32(queries, shift);
    const key = shiftedFloat32(keys, shift);
    const keyMax = maxOf(key.norms);
    const offsets = nearest
      ? Float32Array.from(key.norms, (v) => v * v)
      : new Float32Array(keys.rows);
    const available = keys.rows - (excludeSelf ? 1 : 0);
    const candidates = Math.min(available, k + Math.max(8, k));
    const approx = new TopKCollector(queries.rows, candidates, nearest ? 'smallest' : 'largest');
    const offered = new Float64Array(queries.rows);
    // Every key a block cut off scores no better than the block's worst returned score.
    const cutOff = new Float64Array(queries.rows).fill(nearest ? Infinity : -Infinity);
    const session = await this.#session(`top_k_${kind}`, () =>
      topKGraph(nearest ? -2 : 1, !nearest),
    );
    const { keyRows, queryRows } = blockSizes(queries.rows, keys.rows);
    for (let k0 = 0; k0 < keys.rows; k0 += keyRows) {
      const kn = Math.min(keyRows, keys.rows - k0);
      const take = Math.min(kn, candidates + (excludeSelf ? 1 : 0));
      const keyTensor = new ort.Tensor('float32', key.data.subarray(k0 * d, (k0 + kn) * d), [
        kn,
        d,
      ]);
      const offsetTensor = new ort.Tensor('float32', offsets.subarray(k0, k0 + kn), [kn]);
      const takeTensor = new ort.Tensor('int64', BigInt64Array.of(BigInt(take)), [1]);
      for (let q0 = 0; q0 < queries.rows; q0 += queryRows) {
        const qn = Math.min(queryRows, queries.rows - q0);
        const out = await session.run({
          q: new ort.Tensor('float32', q.data.subarray(q0 * d, (q0 + qn) * d), [qn, d]),
          k: keyTensor,
          c: offsetTensor,
          kk: takeTensor,
        });
        const values = out.values!.data as Float32Array;
        const indices = out.indices!.data as BigInt64Array;
        for (let i = 0; i < qn; i++) {
          const row = q0 + i;
          for (let t = 0; t < take; t++) {
            const j = k0 + Number(indices[i * take + t]!);
            if (excludeSelf && j === row) continue;
            approx.offer(row, j, values[i * take + t]!);
            offered[row]!++;
          }
          if (take < kn) {
            const worst = values[i * take + take - 1]!;
            cutOff[row] = nearest ? Math.min(cutOff[row]!, worst) : Math.max(cutOff[row]!, worst);
          }
        }
      }
    }
    const exact = new TopKCollector(queries.rows, k, nearest ? 'smallest' : 'largest');
    const score = nearest ? rowSquaredDistance : rowDot;
    for (let row = 0; row < queries.rows; row++) {
      for (let slot = 0; slot < approx.held(row); slot++) {
        const j = approx.index(row, slot);
        exact.offer(row, j, score(queries, row, keys, j));
      }
      let cut = cutOff[row]!;
      if (offered[row]! > candidates)
        cut = nearest ? Math.min(cut, approx.threshold(row)) : Math.max(cut, approx.threshold(row));
      if (!Number.isFinite(cut)) continue; // every key was a candidate
      const kth = exact.threshold(row);
      const qNorm = q.norms[row]!;
      const certified = nearest
        ? cut + qNorm * qNorm - scoreBound(d, qNorm, keyMax, keyMax * keyMax) > kth
        : cut + scoreBound(d, qNorm, keyMax, 0) < kth;
      if (certified) continue;
      this.stats.exactRescans++;
      exact.resetRow(row);
      for (let j = 0; j < keys.rows; j++)
        if (!(excludeSelf && j === row)) exact.offer(row, j, score(queries, row, keys, j));
    }
    return exact.result();
  }

  /**
   * One session per graph, built on first use and reused for every shape (symbolic dimensions).
   * 'basic' optimization: the graphs are one or two nodes, nothing for the layout passes of 'all'
   * to fuse, and session creation is part of every cold metric.
   */
  #session(key: string, graph: () => Uint8Array): Promise<ort.InferenceSession> {
    const threads = this.#threads;
    let session = this.#sessions.get(key);
    if (!session) {
      session = ort.InferenceSession.create(graph(), {
        graphOptimizationLevel: 'basic',
        executionMode: 'sequential',
        interOpNumThreads: 1,
        ...(threads ? { intraOpNumThreads: threads } : {}),
        // Idle pool threads sleep rather than spin: on shared cores spinning steals the time the
        // next Gemm needs (measured equal or faster under load).
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
      this.#sessions.set(key, session);
    }
    return session;
  }
}

/**
 * Worst-case error of a float32 score alpha q.k + c computed from float64 inputs (each rounded
 * once, then a length-d float32 dot product): |error| <= gamma_{d+2} (2 |q| K) + 2 u C, with
 * gamma_n ~ n u; doubled as a margin for the float64 steps around it.
 */
function scoreBound(d: number, qNorm: number, keyNormMax: number, offsetMax: number): number {
  return 2 * U32 * ((2 * d + 6) * qNorm * keyNormMax + 2 * offsetMax);
}

/** The values as the tensor type, without a copy when they already are. */
function typed(
  data: Float32Array | Float64Array,
  type: 'float32' | 'float64',
): Float32Array | Float64Array {
  if (type === 'float64') return data instanceof Float64Array ? data : Float64Array.from(data);
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

function blockSizes(queries: number, keys: number): { keyRows: number; queryRows: number } {
  const keyRows = Math.min(keys, 16384);
  const queryRows = Math.max(1, Math.min(queries, Math.floor(BLOCK_ELEMENTS / keyRows)));
  return { keyRows, queryRows };
}
