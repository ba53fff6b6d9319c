// Child process of bench/study.ts and bench/metrics.ts: FID and precision/recall (k = 3) on the
// onnxruntime matrix engine, on two .npy files; `--fid-only` skips precision/recall. Prints JSON
// with seconds and peak RSS. FID is timed cold (first use in a fresh process: onnxruntime's
// environment and sessions are created inside the timing); `--fid-variants` also times it warm
// (the best of `--warm-calls=N` more calls, default 5, as a worker that keeps its engine sees it
// once V8 has compiled the code) and with float32 covariances, and `--runtime-first` starts onnxruntime's environment (one tiny Gemm on another engine
// instance) before the cold timing and reports that start-up separately, as the Python side's
// timing leaves out numpy's and scipy's imports.
import { readFileSync } from 'node:fs';
import { defaultMatrixEngine } from '../lib/matrix/default-engine.ts';
import { OnnxMatrixEngine } from '../lib/matrix/onnx-engine.ts';
import { fidWithEngine } from '../lib/metrics/fid.ts';
import { precisionRecallWithEngine } from '../lib/metrics/precision-recall.ts';
import { parseNpyMatrix } from '../lib/npy.ts';

const [realPath, fakePath, ...flags] = process.argv.slice(2) as [string, string, ...string[]];
const real = parseNpyMatrix(readFileSync(realPath), realPath);
const fake = parseNpyMatrix(readFileSync(fakePath), fakePath);
const seconds = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const value = await f();
  return [value, (performance.now() - t) / 1000];
};
let runtime = {};
if (flags.includes('--runtime-first')) {
  const tiny = { rows: 1, cols: 1, data: Float64Array.of(1) };
  const [, runtimeStartSeconds] = await seconds(() => new OnnxMatrixEngine().gram(tiny, tiny));
  runtime = { runtimeStartSeconds };
}
const [fidValue, fidSeconds] = await seconds(() =>
  fidWithEngine(real, fake, defaultMatrixEngine()),
);
let variants = {};
if (flags.includes('--fid-variants')) {
  let fidWarmSeconds = Infinity;
  const warmCalls = Number(flags.find((f) => f.startsWith('--warm-calls='))?.slice(13) ?? 5);
  for (let call = 0; call < warmCalls; call++) {
    const [, s] = await seconds(() => fidWithEngine(real, fake, defaultMatrixEngine()));
    fidWarmSeconds = Math.min(fidWarmSeconds, s);
  }
  const [fidFloat32, fidFloat32Seconds] = await seconds(() =>
    fidWithEngine(real, fake, defaultMatrixEngine(), { covariance: 'float32' }),
  );
  variants = { fidWarmSeconds, fidFloat32, fidFloat32Seconds };
}
let pr: { precision?: number; recall?: number; prSeconds?: number } = {};
if (!flags.includes('--fid-only')) {
  const [{ precision, recall }, prSeconds] = await seconds(() =>
    precisionRecallWithEngine(real, fake, 3, defaultMatrixEngine()),
  );
  pr = { precision, recall, prSeconds };
}
console.log(
  JSON.stringify({
    fid: fidValue,
    fidSeconds,
    ...runtime,
    ...variants,
    ...pr,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
);
