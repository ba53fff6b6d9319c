import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodePng } from '../../activities/png.ts';
import { InputError } from '../../lib/input-error.ts';

const gradient = {
  data: Buffer.from(Array.from({ length: 28 * 28 }, (_, i) => i % 256)),
  width: 28,
  height: 28,
  channels: 1,
};

/** Reads IHDR and the inflated IDAT of a PNG by hand (PNG spec sections 5.3, 11.2.2, 11.2.4). */
function parsePng(png: Buffer) {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let offset = 8;
  const idat: Buffer[] = [];
  let ihdr: Buffer | undefined;
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.subarray(offset + 4, offset + 8).toString('ascii');
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') ihdr = data;
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  return {
    width: ihdr!.readUInt32BE(0),
    height: ihdr!.readUInt32BE(4),
    bitDepth: ihdr![8],
    colourType: ihdr![9],
    raw: inflateSync(Buffer.concat(idat)),
  };
}

describe('png', () => {
  it('encodes 8-bit greyscale whose scanlines carry the exact pixels', async () => {
    const png = await encodePng(gradient);
    const parsed = parsePng(png);
    expect([parsed.width, parsed.height, parsed.bitDepth, parsed.colourType]).toEqual([
      28, 28, 8, 0,
    ]);
    // each scanline: one filter-type byte, then 28 pixels; filter 0 (None) leaves pixels as they are
    for (let y = 0; y < 28; y++) {
      const line = parsed.raw.subarray(y * 29, (y + 1) * 29);
      expect(line[0]).toBe(0);
      expect(line.subarray(1).equals(gradient.data.subarray(y * 28, (y + 1) * 28))).toBe(true);
    }
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
