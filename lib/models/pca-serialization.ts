import type { PcaModel } from './pca.ts';

/** A PCA as plain arrays, for a JSON embedding record. */
export type SerializedPca = ReturnType<typeof serializePca>;

export function serializePca(p: PcaModel) {
  return {
    inputDim: p.inputDim,
    components: p.components,
    mean: Array.from(p.mean),
    basis: Array.from(p.basis),
    variances: Array.from(p.variances),
  };
}

export function deserializePca(p: SerializedPca): PcaModel {
  return {
    inputDim: p.inputDim,
    components: p.components,
    mean: Float64Array.from(p.mean),
    basis: Float64Array.from(p.basis),
    variances: Float64Array.from(p.variances),
  };
}
