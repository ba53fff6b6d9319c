import { inflateSync } from 'node:zlib';

export class UnsupportedPngError extends Error {
  override readonly name = 'UnsupportedPngError';
}

/**
 * A fast decoder for the common case of 8-bit, non-interlaced PNGs (grey, grey+alpha, RGB, RGBA),
 * the shards' own format: IHDR, concatenated IDAT inflated, then the five scanline filters of the
 * PNG specification (section 9.2; Paeth predictor in 9.4). Anything else throws
 * UnsupportedPngError so the caller can fall back to a full decoder (sharp).
 */
export function decodeSimplePng(png: Uint8Array): {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
} {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (
    buf.byteLength < 8 ||
    buf.readUInt32BE(0) !== 0x89504e47 ||
    buf.readUInt32BE(4) !== 0x0d0a1a0a
  ) {
    throw new UnsupportedPngError('not a PNG signature');
  }
  let offset = 8;
  let header: Buffer | undefined;
  const idat: Buffer[] = [];
  while (offset + 12 <= buf.byteLength) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') header = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  if (!header) throw new UnsupportedPngError('no IHDR chunk');
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[header[9]!];
  if (header[8] !== 8 || channels === undefined || header[12] !== 0) {
    throw new UnsupportedPngError(
      `bit depth ${header[8]}, colour type ${header[9]}, interlace ${header[12]}`,
    );
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.byteLength < height * (stride + 1))
    throw new UnsupportedPngError('image data is shorter than its dimensions');
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    const prev = row - stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[row + i - channels]! : 0;
      const b = y > 0 ? out[prev + i]! : 0;
      const c = y > 0 && i >= channels ? out[prev + i - channels]! : 0;
      let predicted: number;
      switch (filter) {
        case 0:
          predicted = 0;
          break;
        case 1:
          predicted = a;
          break;
        case 2:
          predicted = b;
          break;
        case 3:
          predicted = (a + b) >> 1;
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw new UnsupportedPngError(`unknown filter type ${filter} on row ${y}`);
      }
      out[row + i] = (line[i]! + predicted) & 0xff;
    }
  }
  return { data: out, width, height, channels };
}
