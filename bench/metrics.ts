// npm run bench:metrics — one run, figures not a test (issue 12). Each side in its own process:
//   1. FID and improved precision/recall (k = 3) on 10,000 x 10,000 samples of 256 dims, the
//      onnxruntime matrix engine (bench/metrics-ts.ts) against numpy/scipy (bench/metrics_reference.py);
//   2. FID on 10,000 x 10,000 samples of 2,048 dims (Inception width), the same pair, on the
//      Gaussian sets and on ReLU-like sets (|mean| >> std, many near-zero columns);
//   FID is timed cold (a fresh process: onnxruntime's sessions, JIT compilation, BLAS threads
//   inside the timing) and warm (the best of 5 more calls in that process, 2 at 2,048 dims, as a
//   worker sees it), on both sides; the FID from float32 covariance
//   Gemms is printed with its relative difference from the float64 one;
//   3. top-20 cosine search of 10,000 queries among 60,000 keys of 128 dims: the engine against
//      numpy (blocked GEMM + argpartition) and faiss-cpu IndexFlatIP (bench/metrics_search.py).
// Python: CLAB_BENCH_PYTHON, else trainers/.venv/bin/python (pip install -r bench/requirements.txt).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMatrixEngine } from '../lib/matrix/default-engine.ts';
import { parseNpyMatrix, writeNpyMatrix } from '../lib/npy.ts';
import { Rng } from '../lib/rng.ts';

const dir = mkdtempSync(join(tmpdir(), 'clab-bench-metrics-'));
const python =
  process.env.CLAB_BENCH_PYTHON ??
  (existsSync('trainers/.venv/bin/python') ? 'trainers/.venv/bin/python' : 'python3');
const rng = Rng.stream(12, 'bench-metrics');

interface MetricsRun {
  fid: number;
  fidSeconds: number;
  /** Starting onnxruntime's environment before the cold FID (left out of fidSeconds). */
  runtimeStartSeconds: number;
  fidWarmSeconds: number;
  fidFloat32: number;
  fidFloat32Seconds: number;
  precision?: number;
  recall?: number;
  prSeconds?: number;
  peakRssMiB: number;
}

/**
 * Real: N(0, I); fake: a non-commuting covariance (neighbouring columns mixed) and a shifted mean.
 * ReLU-like (Inception pool features are post-ReLU averages): 2 + max(0, mixed) per column, a
 * column-dependent scale over three decades, so |mean| >> std and the spectrum spans ~1e-6.
 */
function featureSets(n: number, d: number, relu = false): { real: string; fake: string } {
  const z = new Float64Array(d);
  const scale = Float64Array.from({ length: d }, (_, j) => 10 ** ((-3 * ((j * 37) % d)) / d));
  const sample = (out: Float32Array, shift: number, mix: number) => {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) z[j] = rng.normal();
      for (let j = 0; j < d; j++) {
        const v =
          shift + (0.8 + (j % 7) / 50) * z[j]! + mix * z[(j + 1) % d]! - 0.1 * z[(j * 31 + 5) % d]!;
        out[i * d + j] = relu ? 2 + scale[j]! * Math.max(0, v) : v;
      }
    }
    return out;
  };
  const real = relu
    ? sample(new Float32Array(n * d), 0, 0.2)
    : new Float32Array(n * d).map(() => rng.normal());
  const fake = sample(new Float32Array(n * d), 0.05, 0.3);
  const tag = `${d}${relu ? '-relu' : ''}`;
  const paths = { real: join(dir, `real-${tag}.npy`), fake: join(dir, `fake-${tag}.npy`) };
  writeFileSync(paths.real, writeNpyMatrix({ rows: n, cols: d, data: real }));
  writeFileSync(paths.fake, writeNpyMatrix({ rows: n, cols: d, data: fake }));
  return paths;
}

interface ReferenceRun {
  fid: number;
  fidSeconds: number;
  /** The best of 5 calls after the first in the Python process. */
  fidWarmSeconds: number;
  precision?: number;
  recall?: number;
  prSeconds?: number;
  peakRssMiB: number;
}

function run<T = MetricsRun>(command: string, args: string[]): T {
  return JSON.parse(execFileSync(command, args, { maxBuffer: 1 << 24 }).toString()) as T;
}

const ratio = (a: number, b: number) => (a / b).toFixed(2);
const n = 10_000;
// The reference's speed depends on its versions (scipy's sqrtm was rewritten in C in 1.16) and
// on its BLAS: printed with the figures.
const versions = execFileSync(python, [
  '-c',
  'import numpy, scipy; c = numpy.show_config(mode="dicts") if numpy.__version__ >= "1.26" else None; ' +
    'print(f"numpy {numpy.__version__}, scipy {scipy.__version__}" + (f", BLAS {c[\'Build Dependencies\'][\'blas\'][\'name\']}" if c else ""))',
])
  .toString()
  .trim();
console.log(`matrix engine: ${defaultMatrixEngine().name}; Python: ${python} (${versions})`);

const relative = (a: number, b: number) => (Math.abs(a - b) / Math.abs(b)).toExponential(1);
for (const [d, fidOnly, relu] of [
  [256, false, false],
  [2048, true, false],
  [2048, true, true],
] as const) {
  const { real, fake } = featureSets(n, d, relu);
  // warm FID: the best of 5 further calls at 256 dims, of 2 at 2,048 (numpy takes 12-17 s a call)
  const flags = [...(fidOnly ? ['--fid-only'] : []), `--warm-calls=${d > 1024 ? 2 : 5}`];
  const ts = run(process.execPath, [
    '--import',
    'tsx',
    'bench/metrics-ts.ts',
    real,
    fake,
    '--fid-variants',
    '--runtime-first',
    ...flags,
  ]);
  const py = run<ReferenceRun>(python, ['bench/metrics_reference.py', real, fake, ...flags]);
  console.log(`\n${n} x ${n} samples, ${d} dims${relu ? ', ReLU-like (|mean| >> std)' : ''}`);
  console.log(
    `  FID cold          engine ${ts.fidSeconds.toFixed(2)} s   numpy/scipy ${py.fidSeconds.toFixed(2)} s   ratio ${ratio(ts.fidSeconds, py.fidSeconds)}   (first call in a fresh process, its sessions built inside; as numpy's and scipy's imports, onnxruntime's start-up is left out: ${ts.runtimeStartSeconds.toFixed(2)} s, ratio with it ${ratio(ts.fidSeconds + ts.runtimeStartSeconds, py.fidSeconds)})`,
  );
  console.log(
    `  FID warm          engine ${ts.fidWarmSeconds.toFixed(2)} s   numpy/scipy ${py.fidWarmSeconds.toFixed(2)} s   ratio ${ratio(ts.fidWarmSeconds, py.fidWarmSeconds)}   (best of ${d > 1024 ? 2 : 5} more calls in each process: sessions reused, code compiled)`,
  );
  console.log(
    `  FID f32 cov       engine ${ts.fidFloat32Seconds.toFixed(2)} s   ratio ${ratio(ts.fidFloat32Seconds, py.fidWarmSeconds)} (to warm)   FID ${ts.fidFloat32.toPrecision(12)}: relative to float64 ${relative(ts.fidFloat32, ts.fid)}, to numpy ${relative(ts.fidFloat32, py.fid)}`,
  );
  if (!fidOnly)
    console.log(
      `  precision/recall  engine ${ts.prSeconds!.toFixed(2)} s   numpy ${py.prSeconds!.toFixed(2)} s   ratio ${ratio(ts.prSeconds!, py.prSeconds!)}`,
    );
  console.log(
    `  peak RSS          engine ${ts.peakRssMiB.toFixed(0)} MiB   Python ${py.peakRssMiB.toFixed(0)} MiB   ratio ${ratio(ts.peakRssMiB, py.peakRssMiB)}`,
  );
  console.log(
    `  agreement         FID ${ts.fid.toPrecision(12)} vs ${py.fid.toPrecision(12)} (relative ${(Math.abs(ts.fid - py.fid) / Math.abs(py.fid)).toExponential(1)})` +
      (fidOnly
        ? ''
        : `; precision ${ts.precision} vs ${py.precision}; recall ${ts.recall} vs ${py.recall}`),
  );
}

// 3. top-20 cosine search
{
  const [queries, keys, d, k] = [10_000, 60_000, 128, 20];
  const unitRows = (rows: number) => {
    const data = new Float32Array(rows * d).map(() => rng.normal());
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += data[r * d + j]! ** 2;
      for (let j = 0; j < d; j++) data[r * d + j]! /= Math.sqrt(s);
    }
    return { rows, cols: d, data };
  };
  const q = unitRows(queries);
  const kk = unitRows(keys);
  writeFileSync(join(dir, 'queries.npy'), writeNpyMatrix(q));
  writeFileSync(join(dir, 'keys.npy'), writeNpyMatrix(kk));
  const engine = defaultMatrixEngine();
  const t = performance.now();
  const found = await engine.topKInnerProduct(q, kk, k);
  const seconds = (performance.now() - t) / 1000;
  const py = JSON.parse(
    execFileSync(python, [
      'bench/metrics_search.py',
      join(dir, 'queries.npy'),
      join(dir, 'keys.npy'),
      String(k),
      join(dir, 'numpy-found.npy'),
    ]).toString(),
  ) as {
    numpySeconds: number;
    faissSeconds: number | null;
    faissAgreement?: number;
    peakRssMiB: number;
  };
  const numpyFound = parseNpyMatrix(readFileSync(join(dir, 'numpy-found.npy')), 'numpy-found.npy');
  let same = 0;
  for (let i = 0; i < queries; i++) {
    const a = Array.from(found.indices.subarray(i * k, (i + 1) * k)).sort((x, y) => x - y);
    const b = Array.from(numpyFound.data.subarray(i * k, (i + 1) * k)).sort((x, y) => x - y);
    if (a.every((v, j) => v === b[j])) same++;
  }
  const rate = (s: number) => (queries / s).toFixed(0);
  console.log(`\ntop-${k} cosine search, ${queries} queries x ${keys} keys, ${d} dims`);
  console.log(
    `  engine ${seconds.toFixed(2)} s (${rate(seconds)} images/s)   numpy ${py.numpySeconds.toFixed(2)} s (${rate(py.numpySeconds)} images/s)   ratio ${ratio(seconds, py.numpySeconds)}`,
  );
  if (py.faissSeconds !== null)
    console.log(
      `  faiss-cpu IndexFlatIP ${py.faissSeconds.toFixed(2)} s (${rate(py.faissSeconds)} images/s)   engine/faiss ratio ${ratio(seconds, py.faissSeconds)}`,
    );
  else console.log('  (faiss-cpu not installed: pip install -r bench/requirements.txt)');
  console.log(
    `  peak RSS engine process ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB   Python ${py.peakRssMiB.toFixed(0)} MiB`,
  );
  console.log(
    `  agreement  same top-${k} set as numpy for ${((100 * same) / queries).toFixed(2)}% of queries` +
      (py.faissAgreement === undefined
        ? ''
        : `; faiss vs numpy ${(100 * py.faissAgreement).toFixed(2)}%`),
  );
}
rmSync(dir, { recursive: true, force: true });
