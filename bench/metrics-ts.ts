// Child process of bench/study.ts: FID and precision/recall in TypeScript on two .npy files;
// prints JSON with seconds and peak RSS.
import { readFileSync } from 'node:fs';
import { fid } from '../lib/metrics/fid.ts';
import { precisionRecall } from '../lib/metrics/precision-recall.ts';
import { parseNpyMatrix } from '../lib/npy.ts';

const [realPath, fakePath] = process.argv.slice(2) as [string, string];
const real = parseNpyMatrix(readFileSync(realPath), realPath);
const fake = parseNpyMatrix(readFileSync(fakePath), fakePath);
let t = performance.now();
const fidValue = fid(real, fake);
const fidSeconds = (performance.now() - t) / 1000;
t = performance.now();
const pr = precisionRecall(real, fake, 3);
const prSeconds = (performance.now() - t) / 1000;
console.log(
  JSON.stringify({
    fid: fidValue,
    fidSeconds,
    precision: pr.precision,
    recall: pr.recall,
    prSeconds,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
);
