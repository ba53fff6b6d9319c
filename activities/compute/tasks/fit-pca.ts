import type { FeatureMatrix } from '../../../lib/metrics/feature-matrix.ts';
import { fitPca } from '../../../lib/models/pca.ts';

export default (a: { data: FeatureMatrix; components: number }) => fitPca(a.data, a.components);
