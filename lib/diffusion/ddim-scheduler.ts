import type { Rng } from '../rng.ts';
import { alphasCumprod, betasFor, type BetaSchedule } from './noise-schedule.ts';

/**
 * The DDIM sampler (Song, Meng & Ermon, "Denoising Diffusion Implicit Models", ICLR 2021) for an
 * epsilon-predicting model, in the shape of diffusers' schedulers: a config, `setTimesteps(n)`,
 * then `step()` once per timestep from the noisiest down.
 */
export interface DdimConfig {
  numTrainTimesteps: number;
  betaSchedule: BetaSchedule;
  betaStart: number;
  betaEnd: number;
  /** Clip the predicted x_0 to [-clipSampleRange, clipSampleRange]. */
  clipSample: boolean;
  clipSampleRange: number;
  /** Use abar = 1 for the step past t = 0 (the final step returns the predicted x_0). */
  setAlphaToOne: boolean;
  /** How inference timesteps are spread over the training ones (Lin et al., 2024, Table 2). */
  timestepSpacing: 'leading' | 'trailing' | 'linspace';
  stepsOffset: number;
}

export const DEFAULT_DDIM_CONFIG: DdimConfig = {
  numTrainTimesteps: 1000,
  betaSchedule: 'linear',
  betaStart: 1e-4,
  betaEnd: 0.02,
  clipSample: true,
  clipSampleRange: 1,
  setAlphaToOne: true,
  timestepSpacing: 'leading',
  stepsOffset: 0,
};

export interface DdimStepOptions {
  /** 0 gives the deterministic DDIM; 1 the DDPM posterior variance (Eq. 16). */
  eta?: number;
  /** Needed when eta > 0: draws the fresh noise z of Eq. 12. */
  rng?: Rng;
}

export interface DdimStepResult {
  prevSample: Float32Array;
  predOriginalSample: Float32Array;
}

export class DdimScheduler {
  readonly config: DdimConfig;
  readonly alphasCumprod: Float64Array;
  readonly finalAlphaCumprod: number;
  timesteps: number[] = [];
  numInferenceSteps = 0;

  constructor(config: Partial<DdimConfig> = {}) {
    this.config = { ...DEFAULT_DDIM_CONFIG, ...config };
    const { numTrainTimesteps, betaSchedule, betaStart, betaEnd } = this.config;
    this.alphasCumprod = alphasCumprod(
      betasFor(betaSchedule, numTrainTimesteps, betaStart, betaEnd),
    );
    this.finalAlphaCumprod = this.config.setAlphaToOne ? 1 : this.alphasCumprod[0]!;
  }

  /** Chooses the n inference timesteps, in descending order. */
  setTimesteps(n: number): number[] {
    const T = this.config.numTrainTimesteps;
    if (!Number.isInteger(n) || n < 1 || n > T)
      throw new RangeError(`DDIM steps must be an integer in [1, ${T}], got ${n}`);
    const ascending: number[] = [];
    if (this.config.timestepSpacing === 'leading') {
      const ratio = Math.floor(T / n);
      for (let i = 0; i < n; i++) ascending.push(i * ratio + this.config.stepsOffset);
    } else if (this.config.timestepSpacing === 'trailing') {
      const ratio = T / n;
      for (let i = n; i >= 1; i--) ascending.unshift(roundHalfEven(i * ratio) - 1);
    } else {
      for (let i = 0; i < n; i++) ascending.push(roundHalfEven((i * (T - 1)) / Math.max(1, n - 1)));
    }
    this.numInferenceSteps = n;
    this.timesteps = ascending.reverse();
    return this.timesteps;
  }

  /**
   * One reverse step x_t -> x_{t-1} given the model's noise prediction eps_theta(x_t, t).
   * Song et al. (2021), Eq. 12:
   *   x_{t-1} = sqrt(abar_{t-1}) x0_pred + sqrt(1 - abar_{t-1} - sigma_t^2) eps + sigma_t z,
   *   x0_pred = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t),
   * with Eq. 16: sigma_t = eta sqrt((1 - abar_{t-1}) / (1 - abar_t)) sqrt(1 - abar_t / abar_{t-1}).
   */
  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    options: DdimStepOptions = {},
  ): DdimStepResult {
    if (!this.numInferenceSteps) throw new Error('Call setTimesteps(n) before step()');
    if (modelOutput.length !== sample.length)
      throw new RangeError(
        `Model output has ${modelOutput.length} values, the sample ${sample.length}`,
      );
    const eta = options.eta ?? 0;
    if (eta > 0 && !options.rng) throw new Error('DDIM with eta > 0 needs an rng for its noise');
    const prevTimestep =
      timestep - Math.floor(this.config.numTrainTimesteps / this.numInferenceSteps);
    const alphaT = this.alphasCumprod[timestep];
    if (alphaT === undefined) throw new RangeError(`Timestep ${timestep} is outside the schedule`);
    const alphaPrev =
      prevTimestep >= 0 ? this.alphasCumprod[prevTimestep]! : this.finalAlphaCumprod;
    const variance = ((1 - alphaPrev) / (1 - alphaT)) * (1 - alphaT / alphaPrev);
    const sigma = eta * Math.sqrt(variance);
    const sqrtAlphaT = Math.sqrt(alphaT);
    const sqrtOneMinusAlphaT = Math.sqrt(1 - alphaT);
    const sqrtAlphaPrev = Math.sqrt(alphaPrev);
    const direction = Math.sqrt(Math.max(0, 1 - alphaPrev - sigma * sigma));
    const range = this.config.clipSampleRange;
    const prevSample = new Float32Array(sample.length);
    const predOriginalSample = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const eps = modelOutput[i]!;
      let x0 = (sample[i]! - sqrtOneMinusAlphaT * eps) / sqrtAlphaT;
      if (this.config.clipSample) x0 = Math.min(range, Math.max(-range, x0));
      predOriginalSample[i] = x0;
      let prev = sqrtAlphaPrev * x0 + direction * eps;
      if (sigma > 0) prev += sigma * options.rng!.normal();
      prevSample[i] = prev;
    }
    return { prevSample, predOriginalSample };
  }
}

/** Rounds halves to the even neighbour, as numpy's round does (diffusers computes timesteps with it). */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
