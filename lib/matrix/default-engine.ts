import type { MatrixEngine } from './matrix-engine.ts';
import { OnnxMatrixEngine } from './onnx-engine.ts';

const engines = new Map<number, MatrixEngine>();

/**
 * The engine metrics and audits run on: onnxruntime (MLAS GEMM) with `threads` intra-op threads,
 * by default CLAB_ORT_THREADS (0 = onnxruntime's choice, one per physical core). One per thread
 * count per process, so its sessions are built once. Results do not depend on the thread count
 * (MLAS splits a Gemm over output tiles, never over the summed dimension; test/unit/matrix-onnx-engine).
 */
export function defaultMatrixEngine(threads = threadsFromEnv()): MatrixEngine {
  let engine = engines.get(threads);
  if (!engine) {
    engine = new OnnxMatrixEngine({ threads });
    engines.set(threads, engine);
  }
  return engine;
}

function threadsFromEnv(): number {
  const raw = process.env.CLAB_ORT_THREADS;
  const n = raw === undefined || raw === '' ? 0 : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}
