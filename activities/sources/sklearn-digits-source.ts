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
import { checkResizer, resizeGrey, resizeRecord } from './resize.ts';
import type { SourceSample } from './source-sample.ts';

type SklearnDigitsIndex = Extract<SourceIndex, { kind: 'sklearn-digits' }>;

/** Images resized at once (sharp runs them on libuv's thread pool). */
const RESIZE_BATCH = 64;

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
  const { resize } = index;
  const file = basename(index.file.path);
  const samples: SourceSample[] = [];
  for (let from = start; from < end; from += RESIZE_BATCH) {
    const indices = Array.from({ length: Math.min(RESIZE_BATCH, end - from) }, (_, k) => from + k);
    const batch = await Promise.all(
      indices.map(async (i): Promise<SourceSample> => {
        const grey = scaleDigitValues(values.subarray(i * pixels, (i + 1) * pixels));
        const data = resize ? await resizeGrey(grey, width, height, resize) : Buffer.from(grey);
        return {
          index: i,
          label: labels[i]!,
          source: `${file}#line${i + 1}`,
          image: { data, ...index.image },
        };
      }),
    );
    samples.push(...batch);
  }
  return samples;
}

function parse(path: string, bytes: Buffer): DigitsCsv {
  return parseDigitsCsv(gunzipIfCompressed(path, bytes).toString('utf8'), path);
}
