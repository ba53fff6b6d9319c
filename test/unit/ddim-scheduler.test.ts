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

describe('DdimScheduler.previousTimestep: each step goes to the next scheduled timestep', () => {
  // (t, previousTimestep(t)) for every scheduled t; -1 stands for the step past the last timestep,
  // to abar = finalAlphaCumprod.
  const pairs = (s: DdimScheduler) => s.timesteps.map((t) => [t, s.previousTimestep(t)]);

  it('16 trailing steps of 1000 (16 does not divide 1000)', () => {
    const s = new DdimScheduler({ timestepSpacing: 'trailing' });
    s.setTimesteps(16);
    // T / n = 62.5; t_i = round(62.5 i) - 1 for i = 16..1, halves to even:
    //   1000 -> 999, 937.5 -> 938 -> 937, 875 -> 874, 812.5 -> 812 -> 811, 750 -> 749,
    //   687.5 -> 688 -> 687, 625 -> 624, 562.5 -> 562 -> 561, 500 -> 499, 437.5 -> 438 -> 437,
    //   375 -> 374, 312.5 -> 312 -> 311, 250 -> 249, 187.5 -> 188 -> 187, 125 -> 124, 62.5 -> 62 -> 61.
    // t - floor(1000 / 16) = t - 62 would give 937 -> 875, 874 -> 812, 687 -> 625, 624 -> 562, ...:
    // half the steps would land one training step off the schedule.
    expect(pairs(s)).toEqual([
      [999, 937],
      [937, 874],
      [874, 811],
      [811, 749],
      [749, 687],
      [687, 624],
      [624, 561],
      [561, 499],
      [499, 437],
      [437, 374],
      [374, 311],
      [311, 249],
      [249, 187],
      [187, 124],
      [124, 61],
      [61, -1],
    ]);
  });

  it('7 linspace steps of 1000', () => {
    const s = new DdimScheduler({ timestepSpacing: 'linspace' });
    s.setTimesteps(7);
    // t_i = round(999 i / 6) = round(166.5 i) for i = 6..0, halves to even:
    //   999, 832.5 -> 832, 666, 499.5 -> 500, 333, 166.5 -> 166, 0.
    // t - floor(1000 / 7) = t - 142 would give 999 -> 857, 832 -> 690, ..., 166 -> 24: every step
    // but the last off the schedule.
    expect(pairs(s)).toEqual([
      [999, 832],
      [832, 666],
      [666, 500],
      [500, 333],
      [333, 166],
      [166, 0],
      [0, -1],
    ]);
  });

  it('7 trailing steps of 1000: the last step goes to abar = 1, not to t = 0', () => {
    const s = new DdimScheduler({ timestepSpacing: 'trailing' });
    s.setTimesteps(7);
    // T / n = 142.857...; t_i = round(142.857 i) - 1 for i = 7..1:
    //   1000 -> 999, 857.14 -> 857 -> 856, 714.29 -> 714 -> 713, 571.43 -> 571 -> 570,
    //   428.57 -> 429 -> 428, 285.71 -> 286 -> 285, 142.86 -> 143 -> 142.
    // t - 142 would give 999 -> 857, 856 -> 714, ... and 142 -> 0, a last step to abar_0 < 1.
    expect(pairs(s)).toEqual([
      [999, 856],
      [856, 713],
      [713, 570],
      [570, 428],
      [428, 285],
      [285, 142],
      [142, -1],
    ]);
  });

  it('3 leading and 3 linspace steps of 1000, and leading with a steps offset', () => {
    const leading = new DdimScheduler();
    leading.setTimesteps(3);
    // floor(1000 / 3) = 333; t_i = 333 i for i = 2..0: the same pairs as t - 333.
    expect(pairs(leading)).toEqual([
      [666, 333],
      [333, 0],
      [0, -1],
    ]);
    const offset = new DdimScheduler({ stepsOffset: 1 });
    offset.setTimesteps(3);
    // 333 i + 1: 667, 334, 1; the last step goes past t = 0 to abar = 1.
    expect(pairs(offset)).toEqual([
      [667, 334],
      [334, 1],
      [1, -1],
    ]);
    const linspace = new DdimScheduler({ timestepSpacing: 'linspace' });
    linspace.setTimesteps(3);
    // round(999 i / 2) = 999, 499.5 -> 500, 0 (t - 333 would give 666 and 167).
    expect(pairs(linspace)).toEqual([
      [999, 500],
      [500, 0],
      [0, -1],
    ]);
  });

  it('a single step goes straight to the final abar', () => {
    const s = new DdimScheduler({ timestepSpacing: 'trailing' });
    s.setTimesteps(1); // round(1000) - 1 = 999
    expect(pairs(s)).toEqual([[999, -1]]);
  });

  it('refuses a timestep that is not scheduled, and a call before setTimesteps', () => {
    const s = new DdimScheduler({ timestepSpacing: 'trailing' });
    expect(() => s.previousTimestep(999)).toThrow(/setTimesteps/);
    s.setTimesteps(16);
    expect(() => s.previousTimestep(938)).toThrow(/not one of the 16 scheduled/);
    expect(() => s.step(Float32Array.of(0), 938, Float32Array.of(0))).toThrow(RangeError);
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

  it('one deterministic step of 3 trailing of 10 goes from t = 6 to t = 2, worked by hand', () => {
    // abar_t = 0.9^(t+1). Trailing, T / n = 10 / 3: round(10) - 1 = 9, round(6.67) - 1 = 6,
    // round(3.33) - 1 = 2, so the step from 6 goes to 2 (t - floor(10 / 3) = 3 would be abar_3).
    const s = new DdimScheduler({
      numTrainTimesteps: 10,
      betaStart: 0.1,
      betaEnd: 0.1,
      clipSample: false,
      timestepSpacing: 'trailing',
    });
    expect(s.setTimesteps(3)).toEqual([9, 6, 2]);
    // x_t = 1, eps = 0.5.
    // abar_6 = 0.9^7 = 0.4782969: sqrt = 0.6915901, sqrt(1 - abar_6) = sqrt(0.5217031) = 0.7222902.
    // x0 = (1 - 0.7222902 * 0.5) / 0.6915901 = 0.6388549 / 0.6915901 = 0.9237479.
    // abar_2 = 0.9^3 = 0.729: sqrt = 0.8538150, sqrt(1 - 0.729) = sqrt(0.271) = 0.5205766.
    // x_2 = 0.8538150 * 0.9237479 + 0.5205766 * 0.5 = 0.7887098 + 0.2602883 = 1.0489981.
    // (With abar_3 = 0.6561, the old t - 3, it would be 0.81 * 0.9237479 + 0.5864299 * 0.5 = 1.0414507.)
    const { prevSample, predOriginalSample } = s.step(Float32Array.of(0.5), 6, Float32Array.of(1));
    expect(predOriginalSample[0]).toBeCloseTo(0.9237479, 6);
    expect(prevSample[0]).toBeCloseTo(1.0489981, 6);
  });

  it('eta = 0.5 on the same step: sigma from Eq. 16 and the rng draw, worked by hand', () => {
    const s = new DdimScheduler({
      numTrainTimesteps: 10,
      betaStart: 0.1,
      betaEnd: 0.1,
      clipSample: false,
      timestepSpacing: 'trailing',
    });
    s.setTimesteps(3);
    // sigma^2 = 0.25 * (1 - 0.729) / (1 - 0.4782969) * (1 - 0.4782969 / 0.729)
    //         = 0.25 * 0.5194525 * (1 - 0.6561) = 0.25 * 0.5194525 * 0.3439 = 0.0446599,
    // sigma = 0.2113290; direction sqrt(1 - 0.729 - 0.0446599) = sqrt(0.2263401) = 0.4757521.
    // x_2 = 0.7887098 + 0.4757521 * 0.5 + 0.2113290 z = 1.0265858 + 0.2113290 z.
    const z = Rng.stream(3, 'ddim-eta').normal();
    const { prevSample } = s.step(Float32Array.of(0.5), 6, Float32Array.of(1), {
      eta: 0.5,
      rng: Rng.stream(3, 'ddim-eta'),
    });
    expect(prevSample[0]).toBeCloseTo(1.0265858 + 0.211329 * z, 6);
  });

  it('without setAlphaToOne the step from the last timestep goes to abar_0, worked by hand', () => {
    const s = new DdimScheduler({
      numTrainTimesteps: 10,
      betaStart: 0.1,
      betaEnd: 0.1,
      clipSample: false,
      setAlphaToOne: false,
      timestepSpacing: 'trailing',
    });
    s.setTimesteps(3);
    expect(s.finalAlphaCumprod).toBeCloseTo(0.9, 15);
    // From t = 2: x0 = (1 - 0.5205766 * 0.5) / 0.8538150 = 0.7397117 / 0.8538150 = 0.8663607;
    // abar_0 = 0.9: x = sqrt(0.9) 0.8663607 + sqrt(0.1) 0.5 = 0.8219019 + 0.1581139 = 0.9800158.
    const { prevSample } = s.step(Float32Array.of(0.5), 2, Float32Array.of(1));
    expect(prevSample[0]).toBeCloseTo(0.9800158, 6);
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

  it.each([
    ['trailing', 16],
    ['trailing', 7],
    ['linspace', 7],
    ['leading', 3],
  ] as const)(
    'with eta = 0 and a constant model output every step of %s x %i keeps the same x0',
    (timestepSpacing, n) => {
      // The x0 predicted at the next timestep is x0 again only if the step landed on that
      // timestep's noise level: a step to another abar changes it.
      const s = new DdimScheduler({ clipSample: false, timestepSpacing });
      const timesteps = s.setTimesteps(n);
      const eps = Float32Array.of(0.3, -1.2, 0.05);
      const aT = s.alphasCumprod[timesteps[0]!]!;
      let x: Float32Array = Float32Array.from([0.5, -0.25, 0.9], (v, i) => {
        return Math.sqrt(aT) * v + Math.sqrt(1 - aT) * eps[i]!;
      });
      const x0 = Array.from(x, (v, i) => (v - Math.sqrt(1 - aT) * eps[i]!) / Math.sqrt(aT));
      for (const t of timesteps) {
        const out = s.step(eps, t, x);
        Array.from(out.predOriginalSample).forEach((v, i) => expect(v).toBeCloseTo(x0[i]!, 4));
        x = out.prevSample;
      }
      Array.from(x).forEach((v, i) => expect(v).toBeCloseTo(x0[i]!, 4));
    },
  );

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
