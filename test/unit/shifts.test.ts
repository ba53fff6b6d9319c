import { describe, expect, it } from 'vitest';
import { jpegRoundTrip } from '../../activities/jpeg.ts';
import {
  applyShift,
  blend,
  gaussianBlur,
  pixelate,
  rotate,
  scaleContrast,
  SHIFT_NAMES,
  SHIFTS,
  shiftParameter,
  silhouette,
  sobelEdges,
  translate,
  type Image8,
} from '../../lib/images/shifts.ts';
import { Rng } from '../../lib/rng.ts';

const grey = (width: number, height: number, values: number[]): Image8 => ({
  width,
  height,
  channels: 1,
  data: Uint8Array.from(values),
});
const rows = (image: Image8) =>
  Array.from({ length: image.height }, (_, y) =>
    Array.from(
      image.data.subarray(y * image.width * image.channels, (y + 1) * image.width * image.channels),
    ),
  );
const random = (width: number, height: number, channels: number, seed = 1): Image8 => {
  const rng = Rng.stream(seed, 'image');
  return {
    width,
    height,
    channels,
    data: Uint8Array.from({ length: width * height * channels }, () => rng.int(256)),
  };
};

const nine = grey(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]);

describe('geometric shifts (bilinear, zero fill)', () => {
  it('translates a 3x3 image by whole pixels', () => {
    expect(rows(translate(nine, 1, 0))).toEqual([
      [0, 1, 2],
      [0, 4, 5],
      [0, 7, 8],
    ]);
    expect(rows(translate(nine, 0, -1))).toEqual([
      [4, 5, 6],
      [7, 8, 9],
      [0, 0, 0],
    ]);
  });

  it('interpolates half a pixel bilinearly, reading zeros outside', () => {
    // out(x) = (in(x - 1) + in(x)) / 2 with in(-1) = 0
    expect(rows(translate(grey(3, 1, [10, 20, 30]), 0.5, 0))).toEqual([[5, 15, 25]]);
  });

  it('rotates 90 degrees counter-clockwise (as displayed), clockwise for negative angles', () => {
    expect(rows(rotate(nine, 90))).toEqual([
      [3, 6, 9],
      [2, 5, 8],
      [1, 4, 7],
    ]);
    expect(rows(rotate(nine, -90))).toEqual([
      [7, 4, 1],
      [8, 5, 2],
      [9, 6, 3],
    ]);
    expect(rows(rotate(nine, 180))).toEqual([
      [9, 8, 7],
      [6, 5, 4],
      [3, 2, 1],
    ]);
    // an even-sized RGB image turns about its centre (0.5, 0.5): [[a, b], [c, d]] -> [[b, d], [a, c]]
    const [a, b, c, d] = [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
      [10, 11, 12],
    ];
    const rgb: Image8 = {
      width: 2,
      height: 2,
      channels: 3,
      data: Uint8Array.from([a, b, c, d].flat()),
    };
    expect(Array.from(rotate(rgb, 90).data)).toEqual([b, d, a, c].flat());
  });

  it('applies the table angle with a sign drawn per image', () => {
    const image = random(9, 9, 1);
    const angle = shiftParameter('rotation', 3);
    const seen = new Set<number>();
    const rng = Rng.stream(5, 'rotation');
    for (let i = 0; i < 20; i++) {
      const out = Array.from(applyShift(image, 'rotation', 3, rng).data);
      const sign = out.join() === Array.from(rotate(image, angle).data).join() ? 1 : -1;
      if (sign === -1) expect(out).toEqual(Array.from(rotate(image, -angle).data));
      seen.add(sign);
    }
    expect(seen.size).toBe(2);
  });
});

describe('photometric shifts', () => {
  it('scales contrast around the mean: [0, 100] at c = 0.5 is [25, 75]', () => {
    expect(Array.from(scaleContrast(grey(2, 1, [0, 100]), 0.5).data)).toEqual([25, 75]);
    // per channel: means (50, 150, 20)
    const rgb: Image8 = {
      width: 2,
      height: 1,
      channels: 3,
      data: Uint8Array.from([0, 200, 10, 100, 100, 30]),
    };
    expect(Array.from(scaleContrast(rgb, 0.5).data)).toEqual([25, 175, 15, 75, 125, 25]);
  });

  it('blurs with a normalised Gaussian: a constant stays, an impulse becomes the kernel', () => {
    expect(Array.from(gaussianBlur(grey(4, 3, Array(12).fill(77)), 1.5).data)).toEqual(
      Array(12).fill(77),
    );
    const impulse = grey(
      9,
      9,
      Array.from({ length: 81 }, (_, i) => (i === 40 ? 255 : 0)),
    );
    const out = gaussianBlur(impulse, 1);
    // sigma 1, radius 3: w0 = 1 / (1 + 2 e^-1/2 + 2 e^-2 + 2 e^-9/2) = 0.39905; 255 w0^2 = 40.61
    const w = [0, 1, 2, 3].map((k) => Math.exp(-(k * k) / 2));
    const w0 = 1 / (w[0]! + 2 * (w[1]! + w[2]! + w[3]!));
    expect(out.data[40]).toBe(Math.round(255 * w0 * w0));
    expect(out.data[40]).toBe(41);
    expect(out.data[41]).toBe(Math.round(255 * w0 * w0 * w[1]!)); // 24.63
    expect(out.data[41]).toBe(25);
    expect(out.data[0]).toBe(0); // (3, 3) pixels away: 255 w0^2 e^-9 < 0.5
  });

  it('adds noise with mean 0 and variance (255 sigma)^2 + 1/12 (rounding), within 4 SE', () => {
    const image = grey(250, 200, Array(50_000).fill(128));
    const sigma = shiftParameter('gaussian-noise', 2); // 0.08: 255 sigma = 20.4, far from 0 and 255
    const out = applyShift(image, 'gaussian-noise', 2, Rng.stream(11, 'noise'));
    const d = Array.from(out.data, (v) => v - 128);
    const n = d.length;
    const mean = d.reduce((a, b) => a + b, 0) / n;
    const variance = d.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    const expected = (255 * sigma) ** 2 + 1 / 12;
    expect(Math.abs(mean)).toBeLessThan(4 * Math.sqrt(expected / n));
    // the variance of a sample variance of normal data is 2 sigma^4 / (n - 1)
    expect(Math.abs(variance - expected)).toBeLessThan(4 * expected * Math.sqrt(2 / (n - 1)));
  });
});

describe('renditions', () => {
  it('maps a 0 -> 255 step to 255 on both sides of the step with Sobel / 4', () => {
    const step = grey(4, 3, [0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255]);
    expect(rows(sobelEdges(step))).toEqual([
      [0, 255, 255, 0],
      [0, 255, 255, 0],
      [0, 255, 255, 0],
    ]);
    // a horizontal step of 100: |gy| = 4 * 100 / 4 = 100 on the two rows next to it
    const horizontal = grey(2, 4, [0, 0, 0, 0, 100, 100, 100, 100]);
    expect(rows(sobelEdges(horizontal))).toEqual([
      [0, 0],
      [100, 100],
      [100, 100],
      [0, 0],
    ]);
    expect(Array.from(sobelEdges(grey(3, 3, Array(9).fill(200))).data)).toEqual(Array(9).fill(0));
  });

  it('thresholds the silhouette at the mean luminance', () => {
    // mean 138.75
    expect(Array.from(silhouette(grey(4, 1, [0, 100, 200, 255])).data)).toEqual([0, 0, 255, 255]);
    // RGB: luma 0.299 R + 0.587 G + 0.114 B, the same value in every channel
    const rgb: Image8 = {
      width: 2,
      height: 1,
      channels: 3,
      data: Uint8Array.from([255, 0, 0, 0, 255, 0]),
    };
    expect(Array.from(silhouette(rgb).data)).toEqual([0, 0, 0, 255, 255, 255]);
  });

  it('blends a rendition by the severity weight', () => {
    expect(Array.from(blend(grey(2, 1, [0, 100]), grey(2, 1, [255, 255]), 0.5).data)).toEqual([
      128, 178,
    ]);
    const image = random(6, 5, 1);
    expect(applyShift(image, 'edges', 5, Rng.stream(1, 'x'))).toEqual(sobelEdges(image));
    expect(applyShift(image, 'silhouette', 5, Rng.stream(1, 'x'))).toEqual(silhouette(image));
  });

  it('pixelates by block means, upsampled by nearest neighbour', () => {
    const ramp = grey(
      4,
      4,
      Array.from({ length: 16 }, (_, i) => i),
    );
    // 2x2 cells: means 2.5, 4.5, 10.5, 12.5 (halves round up)
    expect(rows(pixelate(ramp, 0.5))).toEqual([
      [3, 3, 5, 5],
      [3, 3, 5, 5],
      [11, 11, 13, 13],
      [11, 11, 13, 13],
    ]);
    // 3 -> round(1.5) = 2 columns: pixel x in column floor(2x / 3) = 0, 0, 1
    expect(rows(pixelate(grey(3, 1, [10, 20, 60]), 0.5))).toEqual([[15, 15, 60]]);
  });
});

describe('every shift', () => {
  it('has five severities and a documented parameter', () => {
    for (const name of SHIFT_NAMES) {
      expect(SHIFTS[name].severities).toHaveLength(5);
      expect(SHIFTS[name].parameter.length).toBeGreaterThan(10);
    }
    expect(() => shiftParameter('blur', 0)).toThrow(RangeError);
    expect(() => shiftParameter('blur', 6)).toThrow(RangeError);
  });

  it('keeps the shape of grey and RGB images at every severity, and is the same for the same seed', async () => {
    for (const channels of [1, 3])
      for (const name of SHIFT_NAMES)
        for (let severity = 1; severity <= 5; severity++) {
          const image = random(12, 10, channels);
          const run = (seed: number) =>
            name === 'jpeg'
              ? jpegRoundTrip(image, shiftParameter('jpeg', severity))
              : Promise.resolve(applyShift(image, name, severity, Rng.stream(seed, 'shift')));
          const [a, b] = [await run(4), await run(4)];
          expect({ w: a.width, h: a.height, c: a.channels, n: a.data.length }).toEqual({
            w: 12,
            h: 10,
            c: channels,
            n: 12 * 10 * channels,
          });
          expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
          expect(Buffer.from(a.data).equals(Buffer.from(image.data))).toBe(false);
        }
  });

  it('draws noise and translation directions from the seed', () => {
    const image = random(16, 16, 1);
    for (const name of ['gaussian-noise', 'translation'] as const) {
      const a = applyShift(image, name, 3, Rng.stream(1, 's')).data;
      const b = applyShift(image, name, 3, Rng.stream(2, 's')).data;
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    }
  });

  it('loses more to JPEG at lower quality', async () => {
    // a smooth gradient with a square: JPEG's error grows as the quality falls
    const image = grey(
      32,
      32,
      Array.from({ length: 1024 }, (_, i) => {
        const [x, y] = [i % 32, Math.floor(i / 32)];
        return x > 8 && x < 20 && y > 10 && y < 22 ? 230 : 4 * x + 2 * y;
      }),
    );
    const error = async (severity: number) => {
      const out = await jpegRoundTrip(image, shiftParameter('jpeg', severity));
      return out.data.reduce((s, v, i) => s + Math.abs(v - image.data[i]!), 0);
    };
    expect(await error(1)).toBeLessThan(await error(5));
  });
});
