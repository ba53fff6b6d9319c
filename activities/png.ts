import sharp from 'sharp';
import { InputError } from '../lib/input-error.ts';

/** Raw interleaved 8-bit pixels. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

// Fixed settings so that the same pixels always encode to the same bytes.
const PNG_OPTIONS = { compressionLevel: 6, adaptiveFiltering: false, palette: false } as const;

export async function encodePng(raw: RawImage): Promise<Buffer> {
  const { data, width, height, channels } = raw;
  if (channels < 1 || channels > 4)
    throw new RangeError(`Expected 1 to 4 channels, got ${channels}`);
  const image = sharp(data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } });
  // without this sharp widens greyscale to RGB, tripling the bytes
  return (channels <= 2 ? image.toColourspace('b-w') : image).png(PNG_OPTIONS).toBuffer();
}

/**
 * Decodes any image sharp reads (PNG, JPEG, WebP, ...) into raw pixels, failing on truncated or
 * corrupt data rather than returning a partial image. `name` is named in the error.
 */
export async function decodeImage(bytes: Uint8Array, name: string): Promise<RawImage> {
  try {
    const image = sharp(bytes, { failOn: 'error' });
    // sharp widens to sRGB by default; keep greyscale images (with or without alpha) greyscale
    const { channels = 3 } = await image.metadata();
    const pipeline = channels <= 2 ? image.toColourspace('b-w') : image;
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (error) {
    throw new InputError(`${name}: cannot decode image: ${(error as Error).message}`);
  }
}
