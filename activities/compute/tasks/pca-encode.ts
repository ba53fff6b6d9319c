import type { FeatureMatrix } from '../../../lib/metrics/feature-matrix.ts';
import { pcaEncode, type PcaModel } from '../../../lib/models/pca.ts';

export default (a: { model: PcaModel; data: FeatureMatrix }) => pcaEncode(a.model, a.data);
