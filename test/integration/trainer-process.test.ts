// The trainer contract at the process level: the real PyTorch trainers on a tiny staged dataset.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  runTrainer,
  TrainerConfigError,
  TrainerCrashError,
} from '../../activities/trainer-process.ts';
import { configFromEnv } from '../../lib/config.ts';
import { InputError } from '../../lib/input-error.ts';
import { Rng } from '../../lib/rng.ts';
import type { TrainerEvent } from '../../lib/trainer/trainer-events.ts';

const python = configFromEnv({}).trainer.python;

/** 64 random 8x8 images of 2 classes in the contract's layout. */
function stagedData(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clab-trainer-data-'));
  const rng = Rng.stream(1, 'trainer-process-test');
  writeFileSync(
    join(dir, 'images.u8'),
    Uint8Array.from({ length: 64 * 64 }, () => rng.int(256)),
  );
  writeFileSync(
    join(dir, 'labels.u8'),
    Uint8Array.from({ length: 64 }, (_, i) => i % 2),
  );
  writeFileSync(
    join(dir, 'meta.json'),
    JSON.stringify({ count: 64, width: 8, height: 8, channels: 1, classes: ['a', 'b'] }),
  );
  return dir;
}

const tinyDdpm = { steps: 4, batchSize: 16, channels: [8, 8, 8], timesteps: 50, logEvery: 1 };

describe('runTrainer', () => {
  it('reports progress, checkpoints and done in order, and the ONNX export passes its check', async () => {
    const events: TrainerEvent[] = [];
    const out = mkdtempSync(join(tmpdir(), 'clab-trainer-out-'));
    const done = await runTrainer({
      python,
      trainer: 'ddpm',
      dataDir: stagedData(),
      outDir: out,
      config: { ...tinyDdpm, checkpointEvery: 2 },
      onEvent: (e) => void events.push(e),
    });
    expect(done.files).toEqual({ onnx: 'model.onnx', card: 'model.json' });
    expect(events.map((e) => e.event)).toEqual([
      'start',
      'progress',
      'progress',
      'checkpoint',
      'progress',
      'progress',
      'checkpoint',
      'done',
    ]);
  }, 120_000);

  it('a bad config exits 2: TrainerConfigError (non-retryable) with the trainer message', async () => {
    const error = await runTrainer({
      python,
      trainer: 'ddpm',
      dataDir: stagedData(),
      outDir: mkdtempSync(join(tmpdir(), 'clab-trainer-out-')),
      config: { ...tinyDdpm, schedule: 'quadratic' },
      onEvent: () => {},
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(TrainerConfigError);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain(
      "--config schedule: expected 'linear' or 'cosine', got \"quadratic\"",
    );
  }, 60_000);

  it('a crash is a retryable TrainerCrashError carrying the tail of stderr', async () => {
    const error = await runTrainer({
      python,
      trainer: 'classifier',
      dataDir: stagedData(),
      outDir: mkdtempSync(join(tmpdir(), 'clab-trainer-out-')),
      config: { epochs: 5, batchSize: 8, crashAfterSteps: 3 },
      onEvent: () => {},
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(TrainerCrashError);
    const message = (error as Error).message;
    expect(message).toContain('exited with code 1: RuntimeError: crashAfterSteps=3');
    expect(message).toContain('--- last lines of its stderr ---');
    expect(message).toContain('Traceback (most recent call last)');
  }, 60_000);

  it('an abort (activity cancellation) kills the trainer', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const error = await runTrainer({
      python,
      trainer: 'ddpm',
      dataDir: stagedData(),
      outDir: mkdtempSync(join(tmpdir(), 'clab-trainer-out-')),
      config: { ...tinyDdpm, steps: 1_000_000 },
      signal: controller.signal,
      onEvent: (e) => {
        if (e.event === 'progress' && e.step === 3) controller.abort();
      },
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(TrainerCrashError);
    expect((error as Error).message).toContain('the activity was cancelled');
    expect(performance.now() - started).toBeLessThan(60_000);
  }, 90_000);

  it('a missing interpreter names the fix', async () => {
    const error = await runTrainer({
      python: '/nonexistent/python',
      trainer: 'ddpm',
      dataDir: stagedData(),
      outDir: mkdtempSync(join(tmpdir(), 'clab-trainer-out-')),
      config: {},
      onEvent: () => {},
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain('npm run setup:trainers');
  });
});
