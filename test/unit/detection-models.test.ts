// The detection study's detectors against independent references: the closed-form maximum
// likelihood of a logistic regression on one binary feature, gradients by finite differences,
// linearly separable and XOR data, Wilson intervals worked by hand, determinism from the seed; and
// the study's artefact check at unit scale: a periodic pattern at one frequency shows in its bin
// only and is detected, while two sets of unchanged images show nothing.
import { describe, expect, it } from 'vitest';
import { wilsonInterval } from '../../lib/detection/accuracy-interval.ts';
import { Adam } from '../../lib/detection/adam.ts';
import {
  binaryConfusion,
  predictions,
  trainAndTestDetector,
} from '../../lib/detection/detector.ts';
import {
  logisticLossAndGradient,
  logisticProbabilities,
  trainLogistic,
} from '../../lib/detection/logistic-regression.ts';
import {
  initMlp,
  mlpLossAndGradient,
  mlpProbabilities,
  trainMlp,
} from '../../lib/detection/mlp.ts';
import { logRadialProfiles } from '../../lib/detection/power-spectrum.ts';
import {
  binStatistics,
  bonferroniCriticalZ,
  welchZ,
} from '../../lib/detection/spectrum-statistics.ts';
import { fitStandardizer, standardize } from '../../lib/detection/standardize.ts';
import type { FeatureMatrix } from '../../lib/metrics/feature-matrix.ts';
import { Rng } from '../../lib/rng.ts';

const matrix = (rows: number[][]): FeatureMatrix => ({
  rows: rows.length,
  cols: rows[0]!.length,
  data: Float64Array.from(rows.flat()),
});

const accuracy = (p: ArrayLike<number>, y: ArrayLike<number>) => {
  const c = binaryConfusion(y, predictions(p));
  return (c[0][0] + c[1][1]) / y.length;
};

describe('logistic regression', () => {
  it('reaches the closed-form maximum likelihood on one binary feature', () => {
    // x = 0: 10 rows, 3 positive; x = 1: 10 rows, 8 positive. The MLE fits each group's rate:
    // b = logit(0.3) = ln(3/7) = -0.8472979, w = logit(0.8) - b = ln 4 - ln(3/7) = 2.2335922
    const x = matrix([...Array(20).keys()].map((i) => [i < 10 ? 0 : 1]));
    const y = [...Array(20).keys()].map((i) => (i < 10 ? (i < 3 ? 1 : 0) : i < 18 ? 1 : 0));
    const model = trainLogistic(x, y, { epochs: 4000, learningRate: 0.05, l2: 0 });
    expect(model.bias).toBeCloseTo(-0.8472979, 4);
    expect(model.weights[0]).toBeCloseTo(2.2335922, 4);
    // the minimum log loss: -(1/20) [3 ln .3 + 7 ln .7 + 8 ln .8 + 2 ln .2]
    // = -(1/20) (-3.6119184 - 2.4967246 - 1.7851484 - 3.2188758) = 0.5556334
    expect(model.loss).toBeCloseTo(0.5556334, 6);
  });

  it('has the gradient its loss has (central differences)', () => {
    const rng = Rng.stream(1, 'grad');
    const x = matrix([...Array(7)].map(() => [rng.normal(), rng.normal(), rng.normal()]));
    const y = [1, 0, 0, 1, 1, 0, 1];
    const params = Float64Array.from([0.3, -0.2, 0.5, 0.1]);
    const { grad } = logisticLossAndGradient(params, x, y, 0.1);
    for (let j = 0; j < params.length; j++) {
      const h = 1e-6;
      const up = params.slice();
      const down = params.slice();
      up[j]! += h;
      down[j]! -= h;
      const numeric =
        (logisticLossAndGradient(up, x, y, 0.1).loss -
          logisticLossAndGradient(down, x, y, 0.1).loss) /
        (2 * h);
      expect(grad[j]).toBeCloseTo(numeric, 7);
    }
  });

  it('separates linearly separable data', () => {
    const rng = Rng.stream(2, 'separable');
    const rows: number[][] = [];
    const y: number[] = [];
    while (rows.length < 200) {
      const p = [rng.normal(), rng.normal()];
      const margin = p[0]! + 2 * p[1]! - 0.3;
      if (Math.abs(margin) < 0.2) continue;
      rows.push(p);
      y.push(margin > 0 ? 1 : 0);
    }
    const x = matrix(rows);
    const model = trainLogistic(x, y, { epochs: 500, learningRate: 0.1, l2: 0 });
    expect(accuracy(logisticProbabilities(model, x), y)).toBe(1);
    // the direction found is the true normal (1, 2), up to scale
    expect(model.weights[1]! / model.weights[0]!).toBeCloseTo(2, 0);
  });
});

describe('MLP', () => {
  it('has the gradient its loss has (central differences), on a batch', () => {
    const rng = Rng.stream(3, 'grad');
    const x = matrix([...Array(9)].map(() => [rng.normal(), rng.normal(), rng.normal()]));
    const y = [1, 0, 0, 1, 1, 0, 1, 0, 1];
    const params = initMlp(3, 4, rng);
    for (let j = 12; j < 16; j++) params[j] = 0.1 * (j - 13); // non-zero hidden biases
    const batch = [0, 2, 3, 5, 8];
    const { grad } = mlpLossAndGradient(params, 4, x, y, 0.05, batch);
    for (let j = 0; j < params.length; j++) {
      const h = 1e-6;
      const up = params.slice();
      const down = params.slice();
      up[j]! += h;
      down[j]! -= h;
      const numeric =
        (mlpLossAndGradient(up, 4, x, y, 0.05, batch).loss -
          mlpLossAndGradient(down, 4, x, y, 0.05, batch).loss) /
        (2 * h);
      expect(grad[j]).toBeCloseTo(numeric, 6);
    }
  });

  it('learns XOR, which no linear detector can', () => {
    const rng = Rng.stream(4, 'xor');
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 400; i++) {
      const p = [rng.uniform() * 2 - 1, rng.uniform() * 2 - 1];
      if (Math.abs(p[0]!) < 0.1 || Math.abs(p[1]!) < 0.1) continue;
      rows.push(p);
      y.push(p[0]! * p[1]! > 0 ? 1 : 0);
    }
    const x = matrix(rows);
    const options = { hidden: 16, epochs: 150, batchSize: 32, learningRate: 0.01, l2: 0 };
    const mlp = trainMlp(x, y, options, Rng.stream(4, 'init'));
    expect(accuracy(mlpProbabilities(mlp, x), y)).toBeGreaterThan(0.97);
    const linear = trainLogistic(x, y, { epochs: 300, learningRate: 0.05, l2: 0 });
    expect(accuracy(logisticProbabilities(linear, x), y)).toBeLessThan(0.7);
  });

  it('gives the same model for the same seed, another for another seed', () => {
    const rng = Rng.stream(5, 'data');
    const x = matrix([...Array(50)].map(() => [rng.normal(), rng.normal()]));
    const y = [...Array(50).keys()].map((i) => i % 2);
    const options = { hidden: 5, epochs: 3, batchSize: 8, learningRate: 0.01, l2: 1e-4 };
    const a = trainMlp(x, y, options, Rng.stream(9, 'mlp'));
    const b = trainMlp(x, y, options, Rng.stream(9, 'mlp'));
    const c = trainMlp(x, y, options, Rng.stream(10, 'mlp'));
    expect(Buffer.from(a.params.buffer)).toEqual(Buffer.from(b.params.buffer));
    expect(Buffer.from(a.params.buffer)).not.toEqual(Buffer.from(c.params.buffer));
  });
});

describe('pieces', () => {
  it('Adam: the first step moves each parameter by the learning rate against its gradient sign', () => {
    // m_1 / (1 - b1) = g and v_1 / (1 - b2) = g^2, so the step is lr g / (|g| + eps)
    const params = Float64Array.from([1, 1, 1]);
    new Adam(3, { learningRate: 0.1 }).step(params, Float64Array.from([2, -0.5, 0]));
    expect(params[0]).toBeCloseTo(0.9, 7);
    expect(params[1]).toBeCloseTo(1.1, 7);
    expect(params[2]).toBe(1);
  });

  it('standardises with the training rows statistics; a constant column becomes 0', () => {
    // column 0: 1, 3 -> mean 2, sd 1; column 1: constant 5
    const s = fitStandardizer(
      matrix([
        [1, 5],
        [3, 5],
      ]),
    );
    expect([...standardize(matrix([[4, 5]]), s).data]).toEqual([2, 0]);
  });

  it('confusion: rows truth, columns prediction; predictions at p >= 1/2', () => {
    expect([...predictions([0.2, 0.5, 0.7, 0.49])]).toEqual([0, 1, 1, 0]);
    expect(binaryConfusion([0, 0, 1, 1, 1], [0, 1, 1, 1, 0])).toEqual([
      [1, 1],
      [1, 2],
    ]);
  });
});

describe('Wilson score interval (95%)', () => {
  it('matches values worked by hand', () => {
    // 8/10: z = 1.959964, z^2/n = 0.3841459; centre = (0.8 + 0.1920730) / 1.3841459 = 0.7167402,
    // half = 1.959964 / 1.3841459 * sqrt(0.016 + 0.0096036) = 1.4160097 * 0.1600114 = 0.2265777
    const a = wilsonInterval(8, 10);
    expect(a.accuracy).toBe(0.8);
    expect(a.low).toBeCloseTo(0.4901625, 6);
    expect(a.high).toBeCloseTo(0.9433179, 6);
    // 50/100: centre 0.5, half = 1.959964 / 1.0384146 * sqrt(0.0025 + 0.0000960) = 0.0961685
    const b = wilsonInterval(50, 100);
    expect(b.low).toBeCloseTo(0.4038315, 6);
    expect(b.high).toBeCloseTo(0.5961685, 6);
  });

  it('at p = 0 and p = 1: [0, z^2 / (n + z^2)] and [n / (n + z^2), 1]', () => {
    const z2 = 1.959963984540054 ** 2;
    const none = wilsonInterval(0, 10);
    expect(none.low).toBeCloseTo(0, 12);
    expect(none.high).toBeCloseTo(z2 / (10 + z2), 9);
    const all = wilsonInterval(10, 10);
    expect(all.low).toBeCloseTo(10 / (10 + z2), 9);
    expect(all.high).toBeCloseTo(1, 12);
  });

  it('rejects counts that are no proportion', () => {
    expect(() => wilsonInterval(3, 0)).toThrowError(RangeError);
    expect(() => wilsonInterval(11, 10)).toThrowError(RangeError);
  });
});

/**
 * `count` 28 x 28 8-bit images of smooth random blobs on a mid-grey ground (no pixel near 0 or
 * 255), optionally with `amplitude` cos(2 pi (u x + v y) / 28) added before rounding.
 */
function blobImages(
  count: number,
  seed: number,
  plant?: { u: number; v: number; amplitude: number },
): Uint8Array {
  const rng = Rng.stream(seed, 'blobs');
  const pixels = new Uint8Array(count * 784);
  for (let i = 0; i < count; i++) {
    const blobs = [...Array(4)].map(() => ({
      cx: rng.uniform() * 28,
      cy: rng.uniform() * 28,
      s: 2 + rng.uniform() * 5,
      a: (rng.uniform() - 0.5) * 120,
    }));
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        let f = 128 + 10 * rng.normal();
        for (const b of blobs)
          f += b.a * Math.exp(-((x - b.cx) ** 2 + (y - b.cy) ** 2) / (2 * b.s * b.s));
        if (plant)
          f += plant.amplitude * Math.cos((2 * Math.PI * (plant.u * x + plant.v * y)) / 28);
        pixels[i * 784 + y * 28 + x] = Math.max(0, Math.min(255, Math.round(f)));
      }
  }
  return pixels;
}

describe('a planted periodic artefact', () => {
  const shape = { width: 28, height: 28, channels: 1 };
  const n = 400;
  const real = logRadialProfiles(blobImages(n, 1), n, shape);
  // (3, 4): radius 5
  const planted = logRadialProfiles(blobImages(n, 2, { u: 3, v: 4, amplitude: 6 }), n, shape);
  const control = logRadialProfiles(blobImages(n, 3), n, shape);
  const critical = bonferroniCriticalZ(real.cols);

  const detect = (a: typeof real, b: typeof real, kind: 'logistic' | 'mlp') => {
    // train on the first 300 of each set, test on the last 100
    const take = (m: typeof real, from: number, to: number) =>
      m.data.slice(from * m.cols, to * m.cols);
    const rows = (from: number, to: number) => ({
      rows: 2 * (to - from),
      cols: a.cols,
      data: Float64Array.from([...take(a, from, to), ...take(b, from, to)]),
    });
    const labels = (k: number) => [...Array(2 * k).keys()].map((i) => (i < k ? 0 : 1));
    const model =
      kind === 'logistic'
        ? { kind, epochs: 300, learningRate: 0.05, l2: 1e-4 }
        : { kind, hidden: 8, epochs: 30, batchSize: 32, learningRate: 0.01, l2: 1e-4 };
    return trainAndTestDetector(
      {
        train: rows(0, 300),
        trainLabels: labels(300),
        test: rows(300, 400),
        testLabels: labels(100),
      },
      model,
      Rng.stream(1, kind),
    );
  };

  it('shows in its bin only', () => {
    const z = welchZ(binStatistics(real), binStatistics(planted));
    const peak = z.reduce((best, v, r) => (Math.abs(v) > Math.abs(z[best]!) ? r : best), 0);
    expect(peak).toBe(5);
    expect(z[5]).toBeGreaterThan(5 * critical);
    for (let r = 0; r < z.length; r++) if (r !== 5) expect(Math.abs(z[r]!)).toBeLessThan(critical);
  });

  it('is detected from the log spectrum, by both detectors', () => {
    for (const kind of ['logistic', 'mlp'] as const) {
      const result = detect(real, planted, kind);
      expect(result.test.low).toBeGreaterThan(0.9);
    }
  });

  it('while two sets of unchanged images differ in no bin and are not told apart', () => {
    const z = welchZ(binStatistics(real), binStatistics(control));
    for (const v of z) expect(Math.abs(v)).toBeLessThan(critical);
    const result = detect(real, control, 'logistic');
    expect(result.test.low).toBeLessThan(0.5);
    expect(result.test.high).toBeGreaterThan(0.5);
  });
});
