import { Rng } from '../rng.ts';
import { resampleBilinear, rotationMap, type Raster } from './resample.ts';
import { checkImage, toUint8, type Image8 } from './shifts.ts';

/**
 * The "web-like" transform of the contamination study's real control pool C: an imitation of how
 * images scraped from the web differ from a curated dataset (framing, tilt, exposure), applied to
 * training images. It is deliberately unlike the test-time shifts (lib/images/shifts.ts): milder,
 * a composition of three steps with every amount drawn per image, and a replicated border instead
 * of zeros. In order, in floating point, rounded once at the end (halves up) and clamped to [0, 255]:
 *
 * 1. crop: keep a window of kw * w by kh * h pixels (kw, kh in [0.80, 0.95], independent) at a
 *    uniform position inside the image, resized back to w x h bilinearly: output x reads the input
 *    at left + (x + 1/2) cw / w - 1/2 (likewise y), the nearest edge pixel beyond the border;
 * 2. rotation by an angle uniform in [-10, 10] degrees about the centre (counter-clockwise as
 *    displayed for a positive angle), bilinear, the nearest edge pixel beyond the border;
 * 3. jitter: m + c (x - m) + b, m the mean of all the image's values, contrast c uniform in
 *    [0.7, 1.3], brightness offset b uniform in [-20, 20] (of 255).
 *
 * Draws, in order, from the image's own stream: kw, kh, the window's left and top (as a fraction
 * of the free room), the angle, c, b (one `uniform()` each).
 */
export const WEB_LIKE = {
  cropKeep: [0.8, 0.95],
  maxDegrees: 10,
  contrast: [0.7, 1.3],
  brightness: 20,
} as const;

/** The amounts of one image's web-like transform. */
export interface WebLikeDraw {
  /** The kept window, in input pixel units (pixel i covers [i, i + 1)). */
  crop: { left: number; top: number; width: number; height: number };
  degrees: number;
  contrast: number;
  /** Added after the contrast, in 0-255 units. */
  brightness: number;
}

/** What leaves an image unchanged. */
export function identityDraw(width: number, height: number): WebLikeDraw {
  return { crop: { left: 0, top: 0, width, height }, degrees: 0, contrast: 1, brightness: 0 };
}

export function drawWebLike(width: number, height: number, rng: Rng): WebLikeDraw {
  const between = ([lo, hi]: readonly [number, number]) => lo + (hi - lo) * rng.uniform();
  const cw = between(WEB_LIKE.cropKeep) * width;
  const ch = between(WEB_LIKE.cropKeep) * height;
  const left = (width - cw) * rng.uniform();
  const top = (height - ch) * rng.uniform();
  const degrees = between([-WEB_LIKE.maxDegrees, WEB_LIKE.maxDegrees]);
  const contrast = between(WEB_LIKE.contrast);
  const brightness = between([-WEB_LIKE.brightness, WEB_LIKE.brightness]);
  return { crop: { left, top, width: cw, height: ch }, degrees, contrast, brightness };
}

/** Applies the three steps with the given amounts. */
export function applyWebLike(image: Image8, draw: WebLikeDraw): Image8 {
  checkImage(image);
  const { width, height, channels } = image;
  const { left, top, width: cw, height: ch } = draw.crop;
  const cropped: Raster = {
    width,
    height,
    channels,
    data: resampleBilinear(
      image,
      (x, y) => [left + ((x + 0.5) * cw) / width - 0.5, top + ((y + 0.5) * ch) / height - 0.5],
      'edge',
    ),
  };
  const rotated = resampleBilinear(cropped, rotationMap(width, height, draw.degrees), 'edge');
  const mean = rotated.reduce((a, b) => a + b, 0) / rotated.length;
  const jittered = rotated.map((v) => mean + draw.contrast * (v - mean) + draw.brightness);
  return { width, height, channels, data: toUint8(jittered) };
}

/** Image `index` of a set under the web-like transform, its amounts drawn from `<stream>/<index>`. */
export function webLike(image: Image8, seed: number, stream: string, index: number): Image8 {
  const rng = Rng.stream(seed, `${stream}/${index}`);
  return applyWebLike(image, drawWebLike(image.width, image.height, rng));
}
