import { encodeOnnxModel, type ElementType } from './onnx-graph.ts';

/**
 * The ONNX graphs behind the onnxruntime matrix engine, each a Gemm (MLAS, multi-threaded) with at
 * most one reduction after it, so that an n x m score block never leaves onnxruntime.
 */

/** Y = A B^T. */
export function gramGraph(type: ElementType): Uint8Array {
  return encodeOnnxModel({
    name: `gram_${type}`,
    inputs: [
      { name: 'a', type, shape: ['n', 'd'] },
      { name: 'b', type, shape: ['m', 'd'] },
    ],
    outputs: [{ name: 'y', type, shape: ['n', 'm'] }],
    nodes: [
      { op: 'Gemm', inputs: ['a', 'b'], outputs: ['y'], attributes: [{ name: 'transB', int: 1 }] },
    ],
  });
}

/**
 * Scores S = alpha Q K^T + c (c broadcast over rows), then the `kk` best per row (TopK: sorted,
 * equal values keep the lower index first). alpha = 1, c = 0 gives inner products; alpha = -2,
 * c = |k|^2 gives squared distances minus |q|^2, which rank keys the same way per query.
 */
export function topKGraph(alpha: number, largest: boolean): Uint8Array {
  return encodeOnnxModel({
    name: `top_k_${largest ? 'largest' : 'smallest'}`,
    inputs: [
      { name: 'q', type: 'float32', shape: ['n', 'd'] },
      { name: 'k', type: 'float32', shape: ['m', 'd'] },
      { name: 'c', type: 'float32', shape: ['m'] },
      { name: 'kk', type: 'int64', shape: [1] },
    ],
    outputs: [
      { name: 'values', type: 'float32', shape: ['n', 'kk'] },
      { name: 'indices', type: 'int64', shape: ['n', 'kk'] },
    ],
    nodes: [
      {
        op: 'Gemm',
        inputs: ['q', 'k', 'c'],
        outputs: ['s'],
        attributes: [
          { name: 'transB', int: 1 },
          { name: 'alpha', float: alpha },
        ],
      },
      {
        op: 'TopK',
        inputs: ['s', 'kk'],
        outputs: ['values', 'indices'],
        attributes: [{ name: 'largest', int: largest ? 1 : 0 }],
      },
    ],
  });
}

/** min over keys of (c_j - 2 q.k_j), per query row: the "inside some ball" test of precision/recall. */
export function minScoreGraph(): Uint8Array {
  return encodeOnnxModel({
    name: 'min_score',
    inputs: [
      { name: 'q', type: 'float32', shape: ['n', 'd'] },
      { name: 'k', type: 'float32', shape: ['m', 'd'] },
      { name: 'c', type: 'float32', shape: ['m'] },
    ],
    outputs: [{ name: 'min', type: 'float32', shape: ['n'] }],
    nodes: [
      {
        op: 'Gemm',
        inputs: ['q', 'k', 'c'],
        outputs: ['s'],
        attributes: [
          { name: 'transB', int: 1 },
          { name: 'alpha', float: -2 },
        ],
      },
      {
        op: 'ReduceMin',
        inputs: ['s'],
        outputs: ['min'],
        attributes: [
          { name: 'axes', ints: [1] },
          { name: 'keepdims', int: 0 },
        ],
      },
    ],
  });
}
