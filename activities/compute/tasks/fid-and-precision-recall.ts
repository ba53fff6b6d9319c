import type { FeatureMatrix } from '../../../lib/metrics/feature-matrix.ts';
import { fid } from '../../../lib/metrics/fid.ts';
import { precisionRecall } from '../../../lib/metrics/precision-recall.ts';

export default (a: { real: FeatureMatrix; fake: FeatureMatrix; k: number }) => ({
  fid: fid(a.real, a.fake),
  ...precisionRecall(a.real, a.fake, a.k),
});
