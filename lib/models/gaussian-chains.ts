import type { Rng } from '../rng.ts';

/**
 * Many independent 1-D "generational" chains at once, for the variance-collapse check: each chain
 * holds n samples; a generation fits the maximum-likelihood Gaussian to them (mean, and variance
 * with divisor n) and replaces them with n fresh draws from that fit (the `replace` mode of the
 * loop). For such a chain E[var_g] = var_0 ((n-1)/n)^g (Martinez et al. 2023; Shumailov et al. 2023).
 */
export function chainGeneration(
  samples: Float64Array,
  chains: number,
  n: number,
  rng: Rng,
): { next: Float64Array; variances: Float64Array } {
  if (samples.length !== chains * n)
    throw new RangeError(
      `Expected ${chains} chains x ${n} samples = ${chains * n} values, got ${samples.length}`,
    );
  const next = new Float64Array(chains * n);
  const variances = new Float64Array(chains);
  for (let c = 0; c < chains; c++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += samples[c * n + i]!;
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (samples[c * n + i]! - mean) ** 2;
    variance /= n; // the ML estimate
    variances[c] = variance;
    const sd = Math.sqrt(variance);
    for (let i = 0; i < n; i++) next[c * n + i] = mean + sd * rng.normal();
  }
  return { next, variances };
}

/** Generation 0: every chain's n samples drawn from N(0, 1), so var_0 = 1. */
export function initialChains(chains: number, n: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: chains * n }, () => rng.normal());
}
