import {
  fitPcaGmmGenerator,
  type GeneratorOptions,
} from '../../../lib/models/pca-gmm-generator.ts';
import { Rng } from '../../../lib/rng.ts';

type Images = Parameters<typeof fitPcaGmmGenerator>[0];

/** Random streams travel as seed + name: they survive structured cloning. */
export default (a: { images: Images; options: GeneratorOptions; seed: number; stream: string }) =>
  fitPcaGmmGenerator(a.images, a.options, Rng.stream(a.seed, a.stream));
