import { basename } from 'node:path';
import {
  SKLEARN_DIGITS,
  parseDigitsCsv,
  scaleDigitValues,
  type DigitsCsv,
} from '../../lib/datasets/digits-csv.ts';
import {
  DIGIT_CLASSES,
  DIGIT_VALUE_SCALE,
  SKLEARN_DIGITS_FILE,
  resizedName,
  type ImageSize,
  type SourceIndex,
} from '../../lib/datasets/source.ts';
import { gunzipIfCompressed, packagedFile } from './packaged-file.ts';
import { pinFile, readPinnedFile } from './read-pinned-file.ts';
import { greySamples } from './grey-samples.ts';
import { checkResizer, resizeRecord } from './resize.ts';
import type { SourceSample } from './source-sample.ts';

type SklearnDigitsIndex = Extract<SourceIndex, { kind: 'sklearn-digits' }>;

/**
 * Indexes scikit-learn's digits.csv.gz (lib/datasets/digits-csv.ts describes the format): pins
 * the file by digest and parses every row, so a garbled row fails here, naming its line.
 */
export async function indexSklearnDigits(spec: {
  file?: string;
  resize?: ImageSize;
}): Promise<SklearnDigitsIndex> {
  const path = await packagedFile(spec.file, SKLEARN_DIGITS_FILE, 'python3-sklearn');
  const resize = resizeRecord(spec.resize, `sklearn-digits (${path})`);
  const { file, bytes } = await pinFile(path);
  const parsed = parse(path, bytes);
  const { width, height, maxValue } = SKLEARN_DIGITS;
  return {
    kind: 'sklearn-digits',
    name: resizedName('sklearn-digits', spec.resize),
    classes: DIGIT_CLASSES,
    count: parsed.count,
    values: { width, height, maxValue },
    scale: DIGIT_VALUE_SCALE,
    image: resize
      ? { width: resize.width, height: resize.height, channels: 1 }
      : { width, height, channels: 1 },
    ...(resize ? { resize } : {}),
    file,
  };
}

// The parsed file, once per worker process.
let cache: { key: string; parsed: DigitsCsv } | undefined;

/** Samples [start, end): rows of the pinned (verified) file, scaled to 0-255, resized if asked. */
export async function readSklearnDigitsSamples(
  index: SklearnDigitsIndex,
  start: number,
  end: number,
): Promise<SourceSample[]> {
  checkResizer(index.resize, index.name);
  const key = `${index.file.path}:${index.file.sha256}`;
  if (cache?.key !== key) {
    const bytes = await readPinnedFile(index.file);
    cache = { key, parsed: parse(index.file.path, bytes) };
  }
  const { values, labels } = cache.parsed;
  const { width, height } = index.values;
  const pixels = width * height;
  const file = basename(index.file.path);
  return greySamples(start, end, { width, height }, index.image, index.resize, (i) => ({
    pixels: scaleDigitValues(values.subarray(i * pixels, (i + 1) * pixels)),
    label: labels[i]!,
    source: `${file}#line${i + 1}`,
  }));
}

function parse(path: string, bytes: Buffer): DigitsCsv {
  return parseDigitsCsv(gunzipIfCompressed(path, bytes).toString('utf8'), path);
}
