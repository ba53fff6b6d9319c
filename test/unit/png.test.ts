import { describe, expect, it } from 'vitest';
import { decodeImage, encodePng } from '../../activities/png.ts';
import { InputError } from '../../lib/input-error.ts';
import { parsePng } from '../helpers/png-reference.ts';

const gradient = {
  data: Buffer.from(Array.from({ length: 28 * 28 }, (_, i) => i % 256)),
  width: 28,
  height: 28,
  channels: 1,
};

describe('png', () => {
  it('encodes 8-bit greyscale whose scanlines carry the exact pixels', async () => {
    const png = await encodePng(gradient);
    const parsed = parsePng(png);
    expect([parsed.width, parsed.height, parsed.bitDepth, parsed.colourType]).toEqual([
      28, 28, 8, 0,
    ]);
    expect(parsed.pixels.equals(gradient.data)).toBe(true);
  });

  it('is deterministic and round-trips through decodeImage', async () => {
    const a = await encodePng(gradient);
    expect(a.equals(await encodePng(gradient))).toBe(true);
    const decoded = await decodeImage(a, 'gradient.png');
    expect([decoded.width, decoded.height, decoded.channels]).toEqual([28, 28, 1]);
    expect(decoded.data.equals(gradient.data)).toBe(true);
  });

  it('names the input when an image cannot be decoded or is truncated', async () => {
    await expect(decodeImage(Buffer.from('not an image'), 'cats/garbage.png')).rejects.toThrowError(
      InputError,
    );
    await expect(decodeImage(Buffer.from('not an image'), 'cats/garbage.png')).rejects.toThrowError(
      /^cats\/garbage\.png: cannot decode image/,
    );
    const big = await encodePng({
      data: Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7919) % 251)),
      width: 64,
      height: 64,
      channels: 3,
    });
    await expect(decodeImage(big.subarray(0, big.length / 2), 'cats/cut.png')).rejects.toThrowError(
      /^cats\/cut\.png: cannot decode image/,
    );
  });
});
