// npm run bench:diffusion — prints figures (not a test; compare ratios measured in one run):
//   1. DDPM training throughput (images/s) of trainers/ddpm.py with the architecture of
//      studies/generations-ddpm.yaml, on 1 and 2 threads;
//   2. DDIM sampling throughput of the TypeScript loop with onnxruntime-node against the same ONNX
//      model in Python onnxruntime (and PyTorch eager), same initial noise, labels, batch size,
//      steps and guidance; the share of the TypeScript loop spent outside session.run; and the
//      largest difference between the two loops' final images (an independent check of the
//      sampler: bench/ddim_reference.py is a separate numpy implementation).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DiffusionSampler, type SamplingOptions } from '../activities/generate.ts';
import { acquireOnnxSession } from '../activities/onnx-session.ts';
import { runTrainer } from '../activities/trainer-process.ts';
import { configFromEnv } from '../lib/config.ts';
import { parseIdx } from '../lib/datasets/idx.ts';
import { parseNpyMatrix, writeNpyMatrix } from '../lib/npy.ts';
import { Rng } from '../lib/rng.ts';
import { LocalArtifactStore } from '../lib/storage/local-store.ts';
import { parseGenerationsSpec } from '../lib/studies/specs/generations.ts';

const dir = mkdtempSync(join(tmpdir(), 'clab-bench-diffusion-'));
const config = configFromEnv(process.env);
const spec = parseGenerationsSpec(
  readFileSync('studies/generations-ddpm.yaml', 'utf8'),
  'generations-ddpm.yaml',
);
if (spec.generator.kind !== 'ddpm') throw new Error('generations-ddpm.yaml must use ddpm');
const { training } = spec.generator;
const classes = spec.dataset.classes ?? [1, 7, 8];
const TRAIN_STEPS = Number(process.env.BENCH_TRAIN_STEPS ?? 300);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 400);
const THREADS = 2;

// Stage 2,000 real images of the study's classes as the trainer contract's data directory.
const fmnist = '/usr/share/datasets/fashion-mnist';
const images = parseIdx(gunzipSync(readFileSync(`${fmnist}/train-images-idx3-ubyte.gz`)), 'x', 3);
const labels = parseIdx(gunzipSync(readFileSync(`${fmnist}/train-labels-idx1-ubyte.gz`)), 'y', 1);
const keep = [...Array(60_000).keys()]
  .filter((i) => classes.includes(labels.data[i]!))
  .slice(0, 2000);
const dataDir = join(dir, 'data');
execFileSync('mkdir', ['-p', dataDir]);
writeFileSync(
  join(dataDir, 'images.u8'),
  Uint8Array.from(keep.flatMap((i) => [...images.data.subarray(i * 784, (i + 1) * 784)])),
);
writeFileSync(join(dataDir, 'labels.u8'), Uint8Array.from(keep.map((i) => labels.data[i]!)));
writeFileSync(
  join(dataDir, 'meta.json'),
  JSON.stringify({
    count: keep.length,
    width: 28,
    height: 28,
    channels: 1,
    classes: [...Array(10).keys()].map(String),
  }),
);

// 1. training throughput
const trainingRate: Record<number, number> = {};
for (const threads of [1, THREADS]) {
  const rates: number[] = [];
  await runTrainer({
    python: config.trainer.python,
    trainer: 'ddpm',
    dataDir,
    outDir: join(dir, `train-${threads}`),
    config: {
      ...training,
      steps: TRAIN_STEPS,
      checkpointEvery: TRAIN_STEPS,
      logEvery: 25,
      threads,
    },
    onEvent: (e) => {
      if (e.event === 'progress' && e.step > 25 && e.imagesPerSecond) rates.push(e.imagesPerSecond);
    },
  });
  trainingRate[threads] = rates.reduce((a, b) => a + b, 0) / rates.length;
}
const outDir = join(dir, `train-${THREADS}`);
const card = JSON.parse(readFileSync(join(outDir, 'model.json'), 'utf8'));

// 2. sampling: TypeScript DDIM + onnxruntime-node
const store = new LocalArtifactStore(join(dir, 'store'));
const onnx = await store.put(readFileSync(join(outDir, 'model.onnx')));
const { session } = await acquireOnnxSession(store, onnx.digest, {
  executionProviders: ['cpu'],
  intraOpThreads: THREADS,
  interOpThreads: 1,
});
const sampling: SamplingOptions = { ...spec.generator.sampling, eta: 0 };
const sampler = new DiffusionSampler(session, card, sampling);
const sampleLabels = Uint8Array.from({ length: SAMPLES }, (_, i) => classes[i % classes.length]!);
const size = 784;
const xT = new Float32Array(SAMPLES * size);
const finals = new Float32Array(SAMPLES * size);
await sampler.sample(sampleLabels.subarray(0, 2), Rng.stream(0, 'warm-up'));
sampler.sessionRunMs = 0;
sampler.totalMs = 0;
const started = performance.now();
for (let b = 0, start = 0; start < SAMPLES; b++, start += sampling.batchSize) {
  const end = Math.min(SAMPLES, start + sampling.batchSize);
  finals.set(
    await sampler.sample(sampleLabels.subarray(start, end), Rng.stream(1, `batch=${b}`)),
    start * size,
  );
  const noise = Rng.stream(1, `batch=${b}`); // the same stream again: the x_T the sampler drew
  for (let i = start * size; i < end * size; i++) xT[i] = noise.normal();
}
const tsWall = (performance.now() - started) / 1000;
const tsRate = SAMPLES / tsWall;
const tsOutside = 1 - sampler.sessionRunMs / 1000 / tsWall;

// the same loop in Python: onnxruntime and PyTorch eager
writeFileSync(join(dir, 'xT.npy'), writeNpyMatrix({ rows: SAMPLES, cols: size, data: xT }));
const npyInt = (values: Uint8Array) =>
  writeNpyMatrix({ rows: values.length, cols: 1, data: Float64Array.from(values) });
writeFileSync(join(dir, 'labels.npy'), npyInt(sampleLabels));
const checkpoint = join(outDir, 'checkpoints', `step-${String(TRAIN_STEPS).padStart(8, '0')}.pt`);
const python = JSON.parse(
  execFileSync(config.trainer.python, [
    'bench/ddim_reference.py',
    join(outDir, 'model.onnx'),
    join(dir, 'xT.npy'),
    join(dir, 'labels.npy'),
    join(dir, 'py-final.npy'),
    `--steps=${sampling.steps}`,
    `--guidance=${sampling.guidance}`,
    `--batch=${sampling.batchSize}`,
    `--threads=${THREADS}`,
    `--timesteps=${card.schedule.timesteps}`,
    `--schedule=${card.schedule.kind}`,
    `--null-class=${card.nullClass}`,
    `--checkpoint=${checkpoint}`,
  ]).toString(),
);
const pyFinal = parseNpyMatrix(readFileSync(join(dir, 'py-final.npy')), 'py-final.npy');
let maxDiff = 0;
for (let i = 0; i < finals.length; i++)
  maxDiff = Math.max(maxDiff, Math.abs(finals[i]! - pyFinal.data[i]!));

const f = (x: number, d = 1) => x.toFixed(d);
console.log(
  `DDPM (channels ${training.channels.join('/')}, batch ${training.batchSize}, ${TRAIN_STEPS} steps, ${keep.length} images of classes ${classes.join(',')})`,
);
console.log(
  `  training: ${f(trainingRate[1]!)} images/s on 1 thread, ${f(trainingRate[THREADS]!)} on ${THREADS} threads`,
);
console.log(
  `DDIM sampling, ${SAMPLES} images, batch ${sampling.batchSize}, ${sampling.steps} steps, guidance ${sampling.guidance} (${sampling.guidance !== 1 ? 2 * sampling.batchSize : sampling.batchSize} rows per session.run), ${THREADS} intra-op threads`,
);
console.log(
  `  TypeScript + onnxruntime-node: ${f(tsRate)} images/s; ${f(100 * tsOutside)}% of the loop outside session.run`,
);
console.log(
  `  Python + onnxruntime ${python.onnxruntime}: ${f(python.imagesPerSecond)} images/s; ${f(100 * python.outsideRunShare)}% outside session.run`,
);
console.log(`  PyTorch ${python.torch} eager: ${f(python.torchImagesPerSecond)} images/s`);
console.log(
  `  ratio TypeScript / Python onnxruntime: ${f(tsRate / python.imagesPerSecond, 3)}; TypeScript / PyTorch: ${f(tsRate / python.torchImagesPerSecond, 3)}`,
);
console.log(
  `  largest |x0_TS - x0_numpy| over ${SAMPLES} images: ${maxDiff.toExponential(2)} (PyTorch vs onnxruntime in Python: ${Number(python.torchVsOnnxMaxAbsDiff).toExponential(2)})`,
);
