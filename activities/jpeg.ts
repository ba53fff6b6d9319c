import sharp from 'sharp';
import type { Image8 } from '../lib/images/shifts.ts';

// Fixed settings so the same pixels and quality always give the same bytes with one libvips /
// libjpeg build (sharp's version is part of every fingerprint whose code imports this module).
const JPEG_OPTIONS = { chromaSubsampling: '4:2:0', mozjpeg: false, progressive: false } as const;

/** The `jpeg` shift: encodes an 8-bit grey or RGB image as JPEG at `quality` and decodes it back. */
export async function jpegRoundTrip(image: Image8, quality: number): Promise<Image8> {
  const { width, height, channels } = image;
  if (channels !== 1 && channels !== 3)
    throw new RangeError(`JPEG takes grey or RGB images, got ${channels} channels`);
  const grey = channels === 1;
  const raw = sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width, height, channels },
  });
  const jpeg = await (grey ? raw.toColourspace('b-w') : raw)
    .jpeg({ quality, ...JPEG_OPTIONS })
    .toBuffer();
  const decoder = sharp(jpeg);
  const { data, info } = await (grey ? decoder.toColourspace('b-w') : decoder)
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== channels)
    throw new Error(
      `JPEG round trip changed the shape: ${width}x${height}x${channels} became ${info.width}x${info.height}x${info.channels}`,
    );
  return { width, height, channels, data: new Uint8Array(data) };
}
