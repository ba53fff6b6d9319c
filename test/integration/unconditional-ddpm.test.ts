// The DDPM trainer's `conditional: false` option (trainers/ddpm.py): training never sees the labels,
// the card says so, and the TypeScript sampler feeds the null label and refuses guidance.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DiffusionSampler, type SamplingOptions } from '../../activities/generate.ts';
import { ort } from '../../activities/onnx-session.ts';
import { runTrainer } from '../../activities/trainer-process.ts';
import { configFromEnv } from '../../lib/config.ts';
import { InputError } from '../../lib/input-error.ts';
import { Rng } from '../../lib/rng.ts';

const python = configFromEnv({}).trainer.python;
const COUNT = 48;
const rng = Rng.stream(3, 'unconditional-ddpm-test');
const PIXELS = Uint8Array.from({ length: COUNT * 64 }, () => rng.int(256));

/** The same 48 random 8x8 images, with labels given by `label(i)`, in the contract's layout. */
function stagedData(label: (i: number) => number): string {
  const dir = mkdtempSync(join(tmpdir(), 'clab-uncond-data-'));
  writeFileSync(join(dir, 'images.u8'), PIXELS);
  writeFileSync(
    join(dir, 'labels.u8'),
    Uint8Array.from({ length: COUNT }, (_, i) => label(i)),
  );
  const meta = { count: COUNT, width: 8, height: 8, channels: 1, classes: ['a', 'b', 'c'] };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  return dir;
}

/** Trains a tiny DDPM; returns its output directory. */
async function train(dataDir: string, conditional: boolean): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'clab-uncond-out-'));
  await runTrainer({
    python,
    trainer: 'ddpm',
    dataDir,
    outDir,
    config: { steps: 6, batchSize: 16, channels: [8, 8, 8], timesteps: 50, conditional },
    onEvent: () => {},
  });
  return outDir;
}

const onnxOf = (out: string) => readFileSync(join(out, 'model.onnx'));
const cardOf = (out: string) => JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));

describe('unconditional DDPM', () => {
  const cycling = stagedData((i) => i % 3);
  const permuted = stagedData((i) => (i * 7 + 1) % 3);
  let runs: { unconditional: string[]; conditional: string[] };

  beforeAll(async () => {
    runs = { unconditional: [], conditional: [] };
    for (const data of [cycling, permuted]) {
      runs.unconditional.push(await train(data, false));
      runs.conditional.push(await train(data, true));
    }
  }, 240_000);

  it('ignores the labels: permuted labels give the same ONNX bytes (unlike the conditional model)', () => {
    const [u0, u1] = runs.unconditional.map(onnxOf);
    const [c0, c1] = runs.conditional.map(onnxOf);
    expect(u0!.equals(u1!)).toBe(true);
    expect(c0!.equals(c1!)).toBe(false);
  });

  it('says so on its card', () => {
    expect(cardOf(runs.unconditional[0]!)).toMatchObject({ conditional: false, nullClass: 3 });
    expect(cardOf(runs.conditional[0]!)).toMatchObject({ conditional: true, nullClass: 3 });
  });

  it('samples with the null label whatever the requested labels, and refuses guidance', async () => {
    const sampling: SamplingOptions = {
      steps: 3,
      eta: 0,
      guidance: 1,
      batchSize: 4,
      timestepSpacing: 'trailing',
    };
    const sampleBoth = async (out: string) => {
      const session = await ort.InferenceSession.create(join(out, 'model.onnx'));
      const sampler = new DiffusionSampler(session, cardOf(out), sampling);
      const draw = (label: number) =>
        sampler.sample(new Uint8Array(4).fill(label), Rng.stream(1, 'draw'));
      return [await draw(0), await draw(2)] as const;
    };
    const [u0, u2] = await sampleBoth(runs.unconditional[0]!);
    expect(u0).toEqual(u2);
    const [c0, c2] = await sampleBoth(runs.conditional[0]!);
    expect(c0).not.toEqual(c2);

    const session = await ort.InferenceSession.create(join(runs.unconditional[0]!, 'model.onnx'));
    const card = cardOf(runs.unconditional[0]!);
    expect(() => new DiffusionSampler(session, card, { ...sampling, guidance: 2 })).toThrow(
      InputError,
    );
  }, 60_000);
});
