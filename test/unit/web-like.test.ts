import { describe, expect, it } from 'vitest';
import { applyShift, rotate, SHIFT_NAMES, type Image8 } from '../../lib/images/shifts.ts';
import {
  applyWebLike,
  drawWebLike,
  identityDraw,
  webLike,
  WEB_LIKE,
  type WebLikeDraw,
} from '../../lib/images/web-like.ts';
import { Rng } from '../../lib/rng.ts';

const grey = (width: number, height: number, values: number[]): Image8 => ({
  width,
  height,
  channels: 1,
  data: Uint8Array.from(values),
});
const random = (width: number, height: number, channels: number, seed = 1): Image8 => {
  const rng = Rng.stream(seed, 'image');
  return {
    width,
    height,
    channels,
    data: Uint8Array.from({ length: width * height * channels }, () => rng.int(256)),
  };
};
const only = (image: Image8, change: Partial<WebLikeDraw>): Image8 =>
  applyWebLike(image, { ...identityDraw(image.width, image.height), ...change });

describe('web-like transform', () => {
  it('is the identity with identity amounts', () => {
    for (const image of [random(7, 5, 1), random(6, 4, 3), grey(1, 1, [200])])
      expect(applyWebLike(image, identityDraw(image.width, image.height)).data).toEqual(image.data);
  });

  it('crops a window and resizes it back bilinearly', () => {
    // window [1, 3) of a ramp, stretched to 4 pixels: output x reads 1 + (x + 1/2) / 2 - 1/2
    // = 0.75, 1.25, 1.75, 2.25, i.e. 30, 50, 70, 90
    const ramp = grey(4, 1, [0, 40, 80, 120]);
    const cropped = only(ramp, { crop: { left: 1, top: 0, width: 2, height: 1 } });
    expect(Array.from(cropped.data)).toEqual([30, 50, 70, 90]);
  });

  it('rotates counter-clockwise about the centre, replicating the border', () => {
    const image = grey(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(only(image, { degrees: 90 }).data)).toEqual([3, 6, 9, 2, 5, 8, 1, 4, 7]);
    // a 3x1 row turned upright: the two ends read above and below it, i.e. its middle pixel
    // (the test-time rotation reads zeros there)
    const row = grey(3, 1, [10, 20, 30]);
    expect(Array.from(only(row, { degrees: 90 }).data)).toEqual([20, 20, 20]);
    expect(Array.from(rotate(row, 90).data)).toEqual([0, 20, 0]);
    // a flat image stays flat at any angle
    const flat = grey(8, 8, new Array<number>(64).fill(200));
    expect(only(flat, { degrees: 10 }).data).toEqual(flat.data);
    expect(Math.min(...rotate(flat, 10).data)).toBeLessThan(200);
  });

  it('jitters contrast about the image mean and adds the brightness offset, clamped', () => {
    // mean 20: 20 + 1.2 (10 - 20) + 5 = 13 and 20 + 1.2 (30 - 20) + 5 = 37
    expect(Array.from(only(grey(2, 1, [10, 30]), { contrast: 1.2, brightness: 5 }).data)).toEqual([
      13, 37,
    ]);
    // mean 127.5: 127.5 -/+ 1.3 * 127.5 + 20 = -18.25 and 313.25, clamped
    expect(Array.from(only(grey(2, 1, [0, 255]), { contrast: 1.3, brightness: 20 }).data)).toEqual([
      0, 255,
    ]);
  });

  it('draws every amount within the documented ranges, the window inside the image', () => {
    const rng = Rng.stream(3, 'draws');
    for (let i = 0; i < 2000; i++) {
      const d = drawWebLike(28, 20, rng);
      expect(d.crop.width / 28).toBeGreaterThanOrEqual(WEB_LIKE.cropKeep[0]);
      expect(d.crop.width / 28).toBeLessThanOrEqual(WEB_LIKE.cropKeep[1]);
      expect(d.crop.height / 20).toBeGreaterThanOrEqual(WEB_LIKE.cropKeep[0]);
      expect(d.crop.height / 20).toBeLessThanOrEqual(WEB_LIKE.cropKeep[1]);
      expect(d.crop.left).toBeGreaterThanOrEqual(0);
      expect(d.crop.top).toBeGreaterThanOrEqual(0);
      expect(d.crop.left + d.crop.width).toBeLessThanOrEqual(28);
      expect(d.crop.top + d.crop.height).toBeLessThanOrEqual(20);
      expect(Math.abs(d.degrees)).toBeLessThanOrEqual(10);
      expect(d.contrast).toBeGreaterThanOrEqual(0.7);
      expect(d.contrast).toBeLessThanOrEqual(1.3);
      expect(Math.abs(d.brightness)).toBeLessThanOrEqual(20);
    }
  });

  it('is determined by seed, stream and image index, and keeps the shape', () => {
    const image = random(12, 10, 3);
    const a = webLike(image, 7, 'C/web', 4);
    expect(a).toMatchObject({ width: 12, height: 10, channels: 3 });
    expect(a.data.length).toBe(image.data.length);
    expect(webLike(image, 7, 'C/web', 4).data).toEqual(a.data);
    expect(webLike(image, 7, 'C/web', 5).data).not.toEqual(a.data);
    expect(webLike(image, 8, 'C/web', 4).data).not.toEqual(a.data);
    expect(a.data).not.toEqual(image.data);
  });

  it('differs from every test-time shift at every severity', () => {
    // a smooth blob, so that no transform is trivially far from the others
    const blob = grey(
      16,
      16,
      Array.from({ length: 256 }, (_, i) => {
        const [x, y] = [i % 16, Math.floor(i / 16)];
        return Math.round(230 * Math.exp(-((x - 7) ** 2 + (y - 8) ** 2) / 20));
      }),
    );
    const out = webLike(blob, 1, 'web', 0);
    for (const shift of SHIFT_NAMES)
      if (shift !== 'jpeg')
        for (let severity = 1; severity <= 5; severity++)
          expect(applyShift(blob, shift, severity, Rng.stream(1, 'web/0')).data).not.toEqual(
            out.data,
          );
  });
});
