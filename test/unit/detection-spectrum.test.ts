// The detection study's spectrum math against independent references: a direct O(n^4) DFT,
// closed forms (the spectrum of a pure cosine, Parseval's theorem, a constant image), bin sizes
// counted by hand, and per-bin statistics, Welch z-scores and normal quantiles worked by hand.
import { describe, expect, it } from 'vitest';
import {
  azimuthalAverage,
  greyImage,
  LOG_FLOOR,
  logRadialProfile,
  logRadialProfiles,
  powerSpectrum,
  radiusBin,
  spectrumPlan,
} from '../../lib/detection/power-spectrum.ts';
import {
  binStatistics,
  bonferroniCriticalZ,
  welchZ,
} from '../../lib/detection/spectrum-statistics.ts';
import { normalQuantile, normalUpperTail } from '../../lib/detection/normal.ts';
import { Rng } from '../../lib/rng.ts';

/** The DFT straight from its definition, with a fresh angle per term: the reference. */
function directPower(image: number[], W: number, H: number): number[] {
  const out: number[] = [];
  for (let v = 0; v < H; v++)
    for (let u = 0; u < W; u++) {
      let re = 0;
      let im = 0;
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const angle = -2 * Math.PI * ((u * x) / W + (v * y) / H);
          re += image[y * W + x]! * Math.cos(angle);
          im += image[y * W + x]! * Math.sin(angle);
        }
      out.push((re * re + im * im) / (W * H));
    }
  return out;
}

function randomImage(W: number, H: number, seed: number): number[] {
  const rng = Rng.stream(seed, 'image');
  return Array.from({ length: W * H }, () => rng.uniform());
}

/** cos(2 pi (u x / W + v y / H)) scaled by `amplitude`, plus `offset`. */
function cosine(W: number, H: number, u: number, v: number, amplitude = 1, offset = 0): number[] {
  const out: number[] = [];
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      out.push(offset + amplitude * Math.cos(2 * Math.PI * ((u * x) / W + (v * y) / H)));
  return out;
}

describe('power spectrum', () => {
  it('equals the DFT computed from its definition, for even and odd sizes', () => {
    for (const [W, H] of [
      [6, 5],
      [7, 4],
      [8, 8],
      [1, 3],
    ] as const) {
      const image = randomImage(W, H, W * 10 + H);
      const ours = powerSpectrum(image, spectrumPlan(W, H));
      const reference = directPower(image, W, H);
      for (let i = 0; i < W * H; i++) expect(ours[i]).toBeCloseTo(reference[i]!, 11);
    }
  });

  it("keeps Parseval's theorem: the power sums to the image's energy", () => {
    const image = randomImage(28, 28, 1);
    const total = powerSpectrum(image, spectrumPlan(28, 28)).reduce((a, b) => a + b, 0);
    const energy = image.reduce((a, f) => a + f * f, 0);
    expect(total).toBeCloseTo(energy, 9);
  });

  it('puts all the power of a pure cosine at (u, v) and (-u, -v): W H / 4 each, radius round(sqrt(u^2 + v^2))', () => {
    const W = 28;
    const H = 28;
    const plan = spectrumPlan(W, H);
    for (const [u, v, radius] of [
      [3, 4, 5],
      [5, 5, 7], // sqrt(50) = 7.07
      [1, 1, 1], // sqrt(2) = 1.41
      [10, 3, 10], // sqrt(109) = 10.44
      [14, 14, 20], // the corner: sqrt(392) = 19.8
    ] as const) {
      const power = powerSpectrum(cosine(W, H, u, v), plan);
      const at = (a: number, b: number) => power[(((b % H) + H) % H) * W + (((a % W) + W) % W)]!;
      // |F(u, v)| = W H / 2 at both frequencies (once if they coincide, at the Nyquist corner)
      const both = u === W / 2 && v === H / 2;
      expect(at(u, v)).toBeCloseTo(both ? W * H : (W * H) / 4, 8);
      expect(at(-u, -v)).toBeCloseTo(both ? W * H : (W * H) / 4, 8);
      const elsewhere = power.reduce(
        (a, p, i) => (i === v * W + u || i === ((H - v) % H) * W + ((W - u) % W) ? a : a + p),
        0,
      );
      expect(elsewhere).toBeLessThan(1e-18);
      expect(radiusBin(u, v, W, H)).toBe(radius);
      const profile = azimuthalAverage(power, plan);
      for (let r = 0; r < profile.length; r++)
        if (r === radius) expect(profile[r]).toBeGreaterThan(1);
        else expect(profile[r]).toBeLessThan(1e-18);
    }
  });

  it('puts a constant image in bin 0 only: P(0, 0) = W H c^2', () => {
    const power = powerSpectrum(new Array(12).fill(0.5), spectrumPlan(4, 3));
    expect(power[0]).toBeCloseTo(12 * 0.25, 14);
    for (let i = 1; i < 12; i++) expect(power[i]).toBeLessThan(1e-28);
  });

  it('bins the frequencies of a 4 x 4 image as counted by hand', () => {
    // |u'| of indices 0..3: 0, 1, 2, 1. Radius bins: (0,0) -> 0; (0,1) x4 and (1,1) x4 -> 1;
    // (0,2) x2 and (1,2) x4 -> 2 (sqrt 5 = 2.24); (2,2) -> 3 (sqrt 8 = 2.83).
    const plan = spectrumPlan(4, 4);
    expect(plan.binSizes).toEqual([1, 8, 6, 1]);
    expect([...plan.binOf]).toEqual([0, 1, 2, 1, 1, 1, 2, 1, 2, 2, 3, 2, 1, 1, 2, 1]);
    // one bin per integer radius up to round(sqrt(14^2 + 14^2)) = 20 for 28 x 28
    expect(spectrumPlan(28, 28).binSizes).toHaveLength(21);
    expect(spectrumPlan(28, 28).binSizes.reduce((a, b) => a + b, 0)).toBe(784);
  });

  it('averages power per bin, and takes the log with the floor', () => {
    const plan = spectrumPlan(4, 4);
    const power = Float64Array.from({ length: 16 }, (_, i) => i);
    // bin 3 is index 10 alone; bin 2 holds indices 2, 6, 8, 9, 11, 14: mean 50 / 6
    const a = azimuthalAverage(power, plan);
    expect(a[3]).toBe(10);
    expect(a[2]).toBeCloseTo(50 / 6, 14);
    expect(a[0]).toBe(0);
    const zero = logRadialProfile(new Array(16).fill(0), plan);
    expect([...zero]).toEqual([0, 0, 0, 0].map(() => Math.log10(LOG_FLOOR)));
  });

  it('averages channels into a grey image in [0, 1]', () => {
    // two RGB pixels: (255, 0, 0) and (30, 60, 90)
    const pixels = Uint8Array.from([9, 9, 9, 9, 9, 9, 255, 0, 0, 30, 60, 90]);
    const grey = greyImage(pixels, 1, { width: 2, height: 1, channels: 3 });
    expect(grey[0]).toBeCloseTo(85 / 255, 14);
    expect(grey[1]).toBeCloseTo(60 / 255, 14);
    const profiles = logRadialProfiles(pixels, 2, { width: 2, height: 1, channels: 3 });
    expect([profiles.rows, profiles.cols]).toEqual([2, 2]);
  });
});

describe('per-bin statistics of two sets', () => {
  it('mean and sample standard deviation per bin, worked by hand', () => {
    // bin 0: 1, 3, 5 -> mean 3, s = sqrt((4 + 0 + 4) / 2) = 2; bin 1: 2, 2, 2 -> 2, 0
    const s = binStatistics({ rows: 3, cols: 2, data: [1, 2, 3, 2, 5, 2] });
    expect(s).toEqual({ count: 3, mean: [3, 2], std: [2, 0] });
    expect(binStatistics({ rows: 1, cols: 1, data: [7] }).std).toEqual([0]);
  });

  it("Welch's z of the difference, worked by hand", () => {
    const a = { count: 3, mean: [3, 2, 1], std: [2, 0, 0] };
    const b = { count: 4, mean: [5, 2, 0], std: [1, 0, 0] };
    // (5 - 3) / sqrt(4/3 + 1/4) = 2 / 1.2583057 = 1.5894388
    const z = welchZ(a, b);
    expect(z[0]).toBeCloseTo(1.5894388, 6);
    expect(z[1]).toBe(0);
    expect(z[2]).toBe(-Infinity);
    expect(welchZ(b, a)[0]).toBeCloseTo(-1.5894388, 6);
  });

  it('normal tail and quantile: table values', () => {
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 14);
    expect(1 - normalUpperTail(1)).toBeCloseTo(0.8413447460685429, 12);
    expect(normalUpperTail(-1)).toBeCloseTo(0.8413447460685429, 12);
    expect(normalUpperTail(3)).toBeCloseTo(0.0013498980316301, 15);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 9);
    expect(normalQuantile(0.025)).toBeCloseTo(-1.959963984540054, 9);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.995)).toBeCloseTo(2.5758293035489, 9);
  });

  it('the Bonferroni critical |z| over the bins', () => {
    expect(bonferroniCriticalZ(1)).toBeCloseTo(1.959963984540054, 9);
    const z21 = bonferroniCriticalZ(21);
    expect(z21).toBeCloseTo(3.04, 2);
    expect(2 * normalUpperTail(z21) * 21).toBeCloseTo(0.05, 12);
  });
});
