import type { FeatureMatrix } from '../../lib/metrics/feature-matrix.ts';
import { fid } from '../../lib/metrics/fid.ts';
import { precisionRecall } from '../../lib/metrics/precision-recall.ts';
import {
  fitPcaGmmGenerator,
  samplePcaGmmGenerator,
  type GeneratorOptions,
  type PcaGmmGenerator,
} from '../../lib/models/pca-gmm-generator.ts';
import { fitPca, pcaEncode, type PcaModel } from '../../lib/models/pca.ts';
import { Rng } from '../../lib/rng.ts';

type Images = Parameters<typeof fitPcaGmmGenerator>[0];

/**
 * The CPU-heavy pure computations of the study stages, with arguments and results that survive
 * structured cloning (random streams travel as seed + name). They run on a worker thread so the
 * worker's event loop stays free for workflow tasks, heartbeats and polling.
 */
export const threadTasks = {
  fitPca: (a: { data: FeatureMatrix; components: number }) => fitPca(a.data, a.components),
  pcaEncode: (a: { model: PcaModel; data: FeatureMatrix }) => pcaEncode(a.model, a.data),
  fitGenerator: (a: { images: Images; options: GeneratorOptions; seed: number; stream: string }) =>
    fitPcaGmmGenerator(a.images, a.options, Rng.stream(a.seed, a.stream)),
  sampleGenerator: (a: {
    model: PcaGmmGenerator;
    counts: number[];
    temperature: number;
    seed: number;
    stream: string;
  }) => samplePcaGmmGenerator(a.model, a.counts, Rng.stream(a.seed, a.stream), a.temperature),
  fidAndPrecisionRecall: (a: { real: FeatureMatrix; fake: FeatureMatrix; k: number }) => ({
    fid: fid(a.real, a.fake),
    ...precisionRecall(a.real, a.fake, a.k),
  }),
};

export type ThreadTasks = typeof threadTasks;
