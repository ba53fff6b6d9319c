// Child process of bench/study.ts and bench/metrics.ts: FID and precision/recall (k = 3) on the
// onnxruntime matrix engine, on two .npy files; `--fid-only` skips precision/recall. Prints JSON
// with seconds and peak RSS.
import { readFileSync } from 'node:fs';
import { defaultMatrixEngine } from '../lib/matrix/default-engine.ts';
import { fidWithEngine } from '../lib/metrics/fid.ts';
import { precisionRecallWithEngine } from '../lib/metrics/precision-recall.ts';
import { parseNpyMatrix } from '../lib/npy.ts';

const [realPath, fakePath, flag] = process.argv.slice(2) as [string, string, string?];
const real = parseNpyMatrix(readFileSync(realPath), realPath);
const fake = parseNpyMatrix(readFileSync(fakePath), fakePath);
const engine = defaultMatrixEngine();
let t = performance.now();
const fidValue = await fidWithEngine(real, fake, engine);
const fidSeconds = (performance.now() - t) / 1000;
let pr: { precision?: number; recall?: number; prSeconds?: number } = {};
if (flag !== '--fid-only') {
  t = performance.now();
  const { precision, recall } = await precisionRecallWithEngine(real, fake, 3, engine);
  pr = { precision, recall, prSeconds: (performance.now() - t) / 1000 };
}
console.log(
  JSON.stringify({
    fid: fidValue,
    fidSeconds,
    ...pr,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
);
