import { inflateSync } from 'node:zlib';

/**
 * An independent reader of 8-bit greyscale, non-interlaced PNGs for tests, with every filter type
 * (PNG spec 9.2: None, Sub, Up, Average, Paeth), for files that the project did not write (such as
 * OpenCV's digits.png, whose scanlines use Sub). Anything else throws.
 */
export function decodeGreyPng(png: Uint8Array): { width: number; height: number; pixels: Buffer } {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (buf.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a')
    throw new Error('not a PNG signature');
  let offset = 8;
  let ihdr: Buffer | undefined;
  const idat: Buffer[] = [];
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
  const [bitDepth, colourType, , , interlace] = ihdr.subarray(8);
  if (bitDepth !== 8 || colourType !== 0 || interlace !== 0)
    throw new Error(
      `reads 8-bit grey non-interlaced PNGs only, got ${bitDepth}/${colourType}/${interlace}`,
    );
  const raw = inflateSync(Buffer.concat(idat));
  const pixels = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (width + 1)]!;
    const line = raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1));
    for (let x = 0; x < width; x++) {
      const a = x > 0 ? pixels[y * width + x - 1]! : 0; // left
      const b = y > 0 ? pixels[(y - 1) * width + x]! : 0; // above
      const c = x > 0 && y > 0 ? pixels[(y - 1) * width + x - 1]! : 0; // above left
      let predictor: number;
      if (filter === 0) predictor = 0;
      else if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = Math.floor((a + b) / 2);
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else throw new Error(`scanline ${y}: unknown filter ${filter}`);
      pixels[y * width + x] = (line[x]! + predictor) & 255;
    }
  }
  return { width, height, pixels };
}
