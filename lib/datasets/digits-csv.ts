import { InputError } from '../input-error.ts';

/**
 * scikit-learn's digits.csv(.gz): the test set of the UCI "Optical Recognition of Handwritten
 * Digits" data (Alpaydin and Kaynak, 1998), one digit per line: 64 comma-separated whole numbers
 * 0-16 (an 8x8 image, row-major; each value counts the set pixels of a 4x4 block of the original
 * 32x32 bitmap, so 0 is background and 16 full ink), then the label 0-9.
 */
export const SKLEARN_DIGITS = { width: 8, height: 8, maxValue: 16, classCount: 10 } as const;

export interface DigitsCsv {
  count: number;
  /** count x width x height values 0..maxValue, as in the file (unscaled). */
  values: Uint8Array;
  labels: Uint8Array;
}

const WHOLE_NUMBER = /^[0-9]+$/;

/**
 * Parses the CSV text strictly: every line must hold exactly width x height + 1 whole numbers
 * in range (a final newline is allowed, blank lines are not, `\r\n` line ends are read as `\n`),
 * so sample i is line i + 1. Errors name `name` (the file) and the line.
 */
export function parseDigitsCsv(text: string, name: string): DigitsCsv {
  const { width, height, maxValue, classCount } = SKLEARN_DIGITS;
  const pixels = width * height;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new InputError(`${name}: holds no rows`);
  const values = new Uint8Array(lines.length * pixels);
  const labels = new Uint8Array(lines.length);
  for (const [i, raw] of lines.entries()) {
    const where = `${name}, line ${i + 1}`;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') throw new InputError(`${where}: blank line`);
    const fields = line.split(',');
    if (fields.length !== pixels + 1) {
      throw new InputError(
        `${where}: expected ${pixels + 1} comma-separated values (${pixels} pixel values 0-${maxValue}, then the label 0-${classCount - 1}), got ${fields.length}`,
      );
    }
    for (const [column, field] of fields.entries()) {
      const isLabel = column === pixels;
      const max = isLabel ? classCount - 1 : maxValue;
      const value = WHOLE_NUMBER.test(field) ? Number(field) : NaN;
      if (!(value <= max)) {
        throw new InputError(
          `${where}, value ${column + 1}: expected ${isLabel ? 'a label' : 'a pixel value'} from 0 to ${max}, got ${JSON.stringify(field.slice(0, 20))}`,
        );
      }
      if (isLabel) labels[i] = value;
      else values[i * pixels + column] = value;
    }
  }
  return { count: lines.length, values, labels };
}

/**
 * A value 0..16 as an 8-bit pixel: round(v * 255 / 16), halves up (only v = 8 falls on a half:
 * 127.5 -> 128), so 0 -> 0 and 16 -> 255 and the 17 levels stay distinct and evenly spread.
 */
export function scaleDigitValue(value: number): number {
  return Math.round((value * 255) / SKLEARN_DIGITS.maxValue);
}

/** Scales values 0..16 to 0..255 (scaleDigitValue), e.g. the 64 values of one sample. */
export function scaleDigitValues(values: Uint8Array): Uint8Array {
  return values.map(scaleDigitValue);
}
