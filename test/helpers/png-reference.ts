import { inflateSync } from 'node:zlib';

/**
 * An independent PNG reader for tests (PNG spec 5.3, 11.2.2, 11.2.4): IHDR fields and the inflated
 * IDAT stream. Pixels are returned only for 8-bit images whose scanlines all use filter 0 (None),
 * which is what the ingest writes; anything else throws.
 */
export function parsePng(png: Uint8Array) {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (buf.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a')
    throw new Error('not a PNG signature');
  let offset = 8;
  const idat: Buffer[] = [];
  let ihdr: Buffer | undefined;
  while (offset < buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.subarray(offset + 4, offset + 8).toString('ascii');
    const data = buf.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') ihdr = data;
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  if (!ihdr) throw new Error('no IHDR');
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const bitDepth = ihdr[8]!;
  const colourType = ihdr[9]!;
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colourType as 0 | 2 | 4 | 6];
  const scanlines = inflateSync(Buffer.concat(idat));
  const rowBytes = width * (channels ?? 0);
  const pixels = Buffer.alloc(rowBytes * height);
  for (let y = 0; y < height; y++) {
    const line = scanlines.subarray(y * (rowBytes + 1), (y + 1) * (rowBytes + 1));
    if (line[0] !== 0)
      throw new Error(`scanline ${y} uses filter ${line[0]}, this reference reads filter 0 only`);
    line.copy(pixels, y * rowBytes, 1);
  }
  return { width, height, bitDepth, colourType, channels, pixels };
}
