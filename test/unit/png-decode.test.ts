import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeSimplePng, UnsupportedPngError } from '../../lib/png-decode.ts';

const pixels = (n: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919 + (i >> 3) * 13) % 256));

describe('decodeSimplePng', () => {
  // sharp's adaptive filtering picks among all five filter types per row, so these exercise them all
  it.each([1, 2, 3, 4])(
    'decodes %i-channel PNGs written with adaptive filtering exactly as sharp does',
    async (channels) => {
      const raw = pixels(37 * 23 * channels);
      let image = sharp(raw, {
        raw: { width: 37, height: 23, channels: channels as 1 | 2 | 3 | 4 },
      });
      if (channels <= 2) image = image.toColourspace('b-w');
      const png = await image.png({ adaptiveFiltering: true, compressionLevel: 9 }).toBuffer();
      const decoded = decodeSimplePng(png);
      expect([decoded.width, decoded.height, decoded.channels]).toEqual([37, 23, channels]);
      expect(decoded.data.equals(raw)).toBe(true);
    },
  );

  it('refuses 16-bit or palette images so the caller can use a full decoder', async () => {
    const palette = await sharp(pixels(8 * 8 * 3), { raw: { width: 8, height: 8, channels: 3 } })
      .png({ palette: true })
      .toBuffer();
    expect(() => decodeSimplePng(palette)).toThrowError(UnsupportedPngError);
    expect(() => decodeSimplePng(Buffer.from('nope'))).toThrowError(UnsupportedPngError);
  });
});
