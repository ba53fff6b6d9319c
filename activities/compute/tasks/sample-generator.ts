import {
  samplePcaGmmGenerator,
  type PcaGmmGenerator,
} from '../../../lib/models/pca-gmm-generator.ts';
import { Rng } from '../../../lib/rng.ts';

export default (a: {
  model: PcaGmmGenerator;
  counts: number[];
  temperature: number;
  seed: number;
  stream: string;
}) => samplePcaGmmGenerator(a.model, a.counts, Rng.stream(a.seed, a.stream), a.temperature);
