import { describe, expect, it } from 'vitest';
import { DdimScheduler } from '../../lib/diffusion/ddim-scheduler.ts';
import { guideNoise, toPixels } from '../../lib/diffusion/guidance.ts';
import { alphasCumprod, betasFor } from '../../lib/diffusion/noise-schedule.ts';
import { Rng } from '../../lib/rng.ts';

// A constant beta of 0.1 makes abar_t = 0.9^(t+1): every value below can be worked out by hand.
const constantBeta = () =>
  new DdimScheduler({ numTrainTimesteps: 10, betaStart: 0.1, betaEnd: 0.1, clipSample: false });

describe('noise schedules', () => {
  it('linear betas run from beta_start to beta_end and abar is their running product', () => {
    const betas = betasFor('linear', 1000);
    expect(betas[0]).toBeCloseTo(1e-4, 15);
    expect(betas[999]).toBeCloseTo(0.02, 15);
    expect(betas[500]).toBeCloseTo(1e-4 + (500 * (0.02 - 1e-4)) / 999, 15);
    const abar = alphasCumprod(Float64Array.of(0.1, 0.2, 0.5));
    expect(Array.from(abar)).toEqual([0.9, 0.9 * 0.8, 0.9 * 0.8 * 0.5]);
  });

  it('the cosine schedule follows Eq. 17 of Nichol & Dhariwal: abar_t = f(t+1)/f(0)', () => {
    const T = 1000;
    const f = (t: number) => Math.cos(((t / T + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    const abar = alphasCumprod(betasFor('cosine', T));
    for (const t of [0, 10, 500, 900]) expect(abar[t]).toBeCloseTo(f(t + 1) / f(0), 10);
    expect(Math.max(...betasFor('cosine', T))).toBeCloseTo(0.999, 12); // the clip at the end
  });
});

describe('DdimScheduler.setTimesteps', () => {
  it('leading spacing: multiples of T / n from the top (diffusers: 980, 960, ..., 0 for 50 of 1000)', () => {
    const s = new DdimScheduler();
    const steps = s.setTimesteps(50);
    expect(steps).toHaveLength(50);
    expect(steps.slice(0, 3)).toEqual([980, 960, 940]);
    expect(steps[49]).toBe(0);
    expect(new DdimScheduler({ stepsOffset: 1 }).setTimesteps(4)).toEqual([751, 501, 251, 1]);
  });

  it('trailing spacing ends at T - 1 and rounds halves to even, as numpy does', () => {
    const s = new DdimScheduler({ timestepSpacing: 'trailing' });
    // round(62.5 i) - 1 for i = 16..1 with halves to even: 62.5 -> 62, 187.5 -> 188.
    const steps = s.setTimesteps(16);
    expect(steps[0]).toBe(999);
    expect(steps[15]).toBe(61);
    expect(steps[13]).toBe(187);
    expect(new DdimScheduler({ timestepSpacing: 'trailing' }).setTimesteps(4)).toEqual([
      999, 749, 499, 249,
    ]);
  });

  it('linspace spacing spreads n steps over [0, T - 1]', () => {
    expect(new DdimScheduler({ timestepSpacing: 'linspace' }).setTimesteps(3)).toEqual([
      999, 500, 0,
    ]);
  });

  it('refuses more steps than the training schedule has', () => {
    expect(() => new DdimScheduler().setTimesteps(1001)).toThrow(RangeError);
  });
});

describe('DdimScheduler.step', () => {
  it('one deterministic step matches Eq. 12 worked by hand', () => {
    const s = constantBeta();
    expect(s.setTimesteps(5)).toEqual([8, 6, 4, 2, 0]);
    const [x, eps] = [1, 0.5];
    const aT = 0.9 ** 9;
    const aPrev = 0.9 ** 7;
    const x0 = (x - Math.sqrt(1 - aT) * eps) / Math.sqrt(aT);
    const expected = Math.sqrt(aPrev) * x0 + Math.sqrt(1 - aPrev) * eps;
    const { prevSample, predOriginalSample } = s.step(Float32Array.of(eps), 8, Float32Array.of(x));
    expect(predOriginalSample[0]).toBeCloseTo(x0, 5);
    expect(prevSample[0]).toBeCloseTo(expected, 5);
  });

  it('with eta = 0 and a constant model output the loop ends at the closed-form x0 prediction', () => {
    // If eps is constant, x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps keeps the same x0 at every
    // step, so the last sample is x0 = (x_T - sqrt(1 - abar_T) eps) / sqrt(abar_T).
    const s = new DdimScheduler({ clipSample: false });
    const timesteps = s.setTimesteps(25);
    const eps = Float32Array.of(0.3, -1.2, 0.05);
    let x: Float32Array = Float32Array.of(1.5, -0.4, 2.0);
    const aT = s.alphasCumprod[timesteps[0]!]!;
    const x0 = Array.from(x, (v, i) => (v - Math.sqrt(1 - aT) * eps[i]!) / Math.sqrt(aT));
    for (const t of timesteps) x = s.step(eps, t, x).prevSample;
    Array.from(x).forEach((v, i) => expect(v).toBeCloseTo(x0[i]!, 3));
  });

  it('clips the predicted x0 to [-1, 1] when asked', () => {
    const s = new DdimScheduler({ numTrainTimesteps: 10, betaStart: 0.1, betaEnd: 0.1 });
    s.setTimesteps(5);
    const { predOriginalSample, prevSample } = s.step(Float32Array.of(0), 0, Float32Array.of(5));
    expect(predOriginalSample[0]).toBe(1);
    expect(prevSample[0]).toBe(1); // the step past t = 0 uses abar = 1: x_{-1} = x0_pred
  });

  it('eta = 1 adds noise with the DDPM posterior variance of Eq. 16', () => {
    const s = constantBeta();
    s.setTimesteps(5);
    const [aT, aPrev] = [0.9 ** 9, 0.9 ** 7];
    const sigma2 = ((1 - aPrev) / (1 - aT)) * (1 - aT / aPrev);
    const n = 40_000;
    const out = s.step(new Float32Array(n), 8, new Float32Array(n).fill(0.2), {
      eta: 1,
      rng: Rng.stream(1, 'ddim-test'),
    }).prevSample;
    const mean = out.reduce((a, b) => a + b, 0) / n;
    const variance = out.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    expect(mean).toBeCloseTo((Math.sqrt(aPrev) * 0.2) / Math.sqrt(aT), 2);
    // the sample variance of n normals has relative SE sqrt(2 / n) = 0.7%; allow 4 SE
    expect(Math.abs(variance / sigma2 - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
  });

  it('refuses eta > 0 without an rng and a model output of the wrong size', () => {
    const s = constantBeta();
    s.setTimesteps(5);
    expect(() => s.step(Float32Array.of(0), 8, Float32Array.of(0), { eta: 1 })).toThrow(/rng/);
    expect(() => s.step(Float32Array.of(0, 0), 8, Float32Array.of(0))).toThrow(/2 values/);
  });
});

describe('classifier-free guidance and pixel conversion', () => {
  it('eps = eps_u + s (eps_c - eps_u): s = 1 is the conditional prediction, s = 3 extrapolates', () => {
    const cond = Float32Array.of(1, -2);
    const uncond = Float32Array.of(0.5, 0);
    expect(Array.from(guideNoise(cond, uncond, 1))).toEqual([1, -2]);
    expect(Array.from(guideNoise(cond, uncond, 0))).toEqual([0.5, 0]);
    expect(Array.from(guideNoise(cond, uncond, 3))).toEqual([2, -6]);
  });

  it('maps [-1, 1] to 0..255 with clamping', () => {
    expect(Array.from(toPixels(Float32Array.of(-1, 0, 1, -3, 2, 0.5)))).toEqual([
      0, 128, 255, 0, 255, 191,
    ]);
  });
});
