import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../../lib/input-error.ts';
import { defaultMatrixEngine } from '../../lib/matrix/default-engine.ts';
import { assertSameWidth } from '../../lib/metrics/feature-matrix.ts';
import { fidWithEngine } from '../../lib/metrics/fid.ts';
import { precisionRecallWithEngine } from '../../lib/metrics/precision-recall.ts';
import { parseNpyMatrix } from '../../lib/npy.ts';

export function registerMetrics(program: Command): void {
  const metrics = program
    .command('metrics')
    .description('Metrics on your own feature matrices (.npy, one row per sample)');

  metrics
    .command('fid')
    .description('Fréchet distance between the Gaussians fitted to two feature sets; prints JSON')
    .requiredOption('--real <file.npy>', 'real features (float32 or float64, rows = samples)')
    .requiredOption('--fake <file.npy>', 'generated features, same width')
    .action(async (opts: { real: string; fake: string }) => {
      const [real, fake] = load(opts.real, opts.fake);
      const value = await fidWithEngine(real, fake, defaultMatrixEngine());
      console.log(
        JSON.stringify({
          metric: 'fid',
          value,
          real: { file: opts.real, n: real.rows },
          fake: { file: opts.fake, n: fake.rows },
          dim: real.cols,
        }),
      );
    });

  metrics
    .command('prdc')
    .description(
      'Improved precision and recall (Kynkäänniemi et al., 2019) with k-NN radii; prints JSON',
    )
    .requiredOption('--real <file.npy>', 'real features (float32 or float64, rows = samples)')
    .requiredOption('--fake <file.npy>', 'generated features, same width')
    .option('--k <k>', 'the k of the k-NN radii', '3')
    .action(async (opts: { real: string; fake: string; k: string }) => {
      const k = Number(opts.k);
      if (!Number.isInteger(k) || k < 1)
        throw new InputError(`Expected --k to be a whole number from 1 and up, got \`${opts.k}\``);
      const [real, fake] = load(opts.real, opts.fake);
      const pr = await precisionRecallWithEngine(real, fake, k, defaultMatrixEngine());
      console.log(
        JSON.stringify({
          metric: 'precision-recall',
          ...pr,
          real: { file: opts.real, n: real.rows },
          fake: { file: opts.fake, n: fake.rows },
          dim: real.cols,
        }),
      );
    });
}

function load(realPath: string, fakePath: string) {
  const read = (path: string) => {
    try {
      return parseNpyMatrix(readFileSync(path), path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new InputError(`${path} does not exist`);
      throw error;
    }
  };
  const real = read(realPath);
  const fake = read(fakePath);
  try {
    assertSameWidth(real, fake, `${realPath} vs ${fakePath}`);
  } catch (error) {
    throw new InputError((error as Error).message);
  }
  return [real, fake] as const;
}
