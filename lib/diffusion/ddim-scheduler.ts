import type { Rng } from '../rng.ts';
import { alphasCumprod, betasFor, type BetaSchedule } from './noise-schedule.ts';

/**
 * The DDIM sampler (Song, Meng & Ermon, "Denoising Diffusion Implicit Models", ICLR 2021) for an
 * epsilon-predicting model, in the shape of diffusers' schedulers: a config, `setTimesteps(n)`,
 * then `step()` once per timestep from the noisiest down.
 *
 * Each step goes from one scheduled timestep to the next one, timesteps[i] -> timesteps[i + 1],
 * whatever the spacing; the step from the last scheduled timestep goes to abar = finalAlphaCumprod
 * (1 with `setAlphaToOne`, so it returns the predicted x_0; abar_0 without it). diffusers' DDIM uses
 * t - floor(T / n) instead, which is the next timestep only for `leading` spacing, or `trailing`
 * when n divides T (e.g. not for 16 trailing steps of 1000, nor for `linspace`).
 */
export interface DdimConfig {
  numTrainTimesteps: number;
  betaSchedule: BetaSchedule;
  betaStart: number;
  betaEnd: number;
  /** Clip the predicted x_0 to [-clipSampleRange, clipSampleRange]. */
  clipSample: boolean;
  clipSampleRange: number;
  /**
   * The step from the last scheduled timestep goes to abar = 1 (it returns the predicted x_0);
   * false: to abar_0, the first training timestep's (diffusers' `set_alpha_to_one`).
   */
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
  /** abar of the noise level after the last scheduled timestep (see `setAlphaToOne`). */
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
   * The timestep a step from `timestep` goes to: the next entry of the schedule, or -1 after the
   * last one (whose abar is `finalAlphaCumprod`). Throws for a timestep that is not scheduled.
   */
  previousTimestep(timestep: number): number {
    if (!this.numInferenceSteps) throw new Error('Call setTimesteps(n) before step()');
    const i = this.timesteps.indexOf(timestep); // the timesteps are distinct for every spacing
    if (i < 0)
      throw new RangeError(
        `Timestep ${timestep} is not one of the ${this.numInferenceSteps} scheduled timesteps`,
      );
    return i + 1 < this.timesteps.length ? this.timesteps[i + 1]! : -1;
  }

  /**
   * One reverse step from the scheduled timestep t to the next one, s = previousTimestep(t), given
   * the model's noise prediction eps_theta(x_t, t). Song et al. (2021), Eq. 12 on the sub-sequence
   * tau of Sec. 4.2 (t = tau_i, s = tau_{i-1}), with abar_s = finalAlphaCumprod after the last one:
   *   x_s = sqrt(abar_s) x0_pred + sqrt(1 - abar_s - sigma_t^2) eps + sigma_t z,
   *   x0_pred = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t),
   * with Eq. 16: sigma_t = eta sqrt((1 - abar_s) / (1 - abar_t)) sqrt(1 - abar_t / abar_s).
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
    const prevTimestep = this.previousTimestep(timestep);
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
