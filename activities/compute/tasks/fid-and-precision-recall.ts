import { defaultMatrixEngine } from '../../../lib/matrix/default-engine.ts';
import type { FeatureMatrix } from '../../../lib/metrics/feature-matrix.ts';
import { fidWithEngine } from '../../../lib/metrics/fid.ts';
import { precisionRecallWithEngine } from '../../../lib/metrics/precision-recall.ts';

/** FID and improved precision/recall on the onnxruntime matrix engine (works in a worker thread). */
export default async (a: { real: FeatureMatrix; fake: FeatureMatrix; k: number }) => {
  const engine = defaultMatrixEngine();
  return {
    fid: await fidWithEngine(a.real, a.fake, engine),
    ...(await precisionRecallWithEngine(a.real, a.fake, a.k, engine)),
  };
};
