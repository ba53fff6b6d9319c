import { describe, expect, it } from 'vitest';
import {
  parseDigitsCsv,
  scaleDigitValue,
  scaleDigitValues,
} from '../../lib/datasets/digits-csv.ts';
import { InputError } from '../../lib/input-error.ts';

const row = (values: number[], label: number) => [...values, label].join(',');
const first = Array.from({ length: 64 }, (_, i) => i % 17); // 0..16, 0..16, ...
const second = Array.from({ length: 64 }, (_, i) => 16 - (i % 17));

describe('parseDigitsCsv', () => {
  it('reads 64 values and the label of each line', () => {
    const parsed = parseDigitsCsv(`${row(first, 3)}\n${row(second, 9)}\n`, 'digits.csv');
    expect(parsed.count).toBe(2);
    expect(Array.from(parsed.labels)).toEqual([3, 9]);
    expect(Array.from(parsed.values.subarray(0, 64))).toEqual(first);
    expect(Array.from(parsed.values.subarray(64))).toEqual(second);
  });

  it('reads a last line without a newline and CRLF line ends the same', () => {
    const a = parseDigitsCsv(`${row(first, 3)}\n${row(second, 9)}`, 'a');
    const b = parseDigitsCsv(`${row(first, 3)}\r\n${row(second, 9)}\r\n`, 'b');
    expect(b).toEqual(a);
  });

  it('names the file and line of a truncated row (bad input)', () => {
    // the second row cut after 20 characters: "16,15,14,13,12,11,10", 7 values
    const truncated = `${row(first, 3)}\n${row(second, 9).slice(0, 20)}`;
    expect(() => parseDigitsCsv(truncated, '/data/digits.csv.gz')).toThrowError(InputError);
    expect(() => parseDigitsCsv(truncated, '/data/digits.csv.gz')).toThrowError(
      '/data/digits.csv.gz, line 2: expected 65 comma-separated values (64 pixel values 0-16, then the label 0-9), got 7',
    );
  });

  it('names the line and value of a garbled or out-of-range value, and a blank line', () => {
    const garbled = row(first, 3).replace(/^0,1,2/, '0,x1,2');
    expect(() => parseDigitsCsv(garbled, 'd.csv')).toThrowError(
      'd.csv, line 1, value 2: expected a pixel value from 0 to 16, got "x1"',
    );
    expect(() =>
      parseDigitsCsv(
        row(
          first.map(() => 17),
          0,
        ),
        'd.csv',
      ),
    ).toThrowError('d.csv, line 1, value 1: expected a pixel value from 0 to 16, got "17"');
    expect(() => parseDigitsCsv(`${row(first, 3)}\n${row(second, 10)}`, 'd.csv')).toThrowError(
      'd.csv, line 2, value 65: expected a label from 0 to 9, got "10"',
    );
    expect(() => parseDigitsCsv(`${row(first, 3)}\n\n${row(second, 1)}`, 'd.csv')).toThrowError(
      'd.csv, line 2: blank line',
    );
    expect(() => parseDigitsCsv('', 'd.csv')).toThrowError('d.csv: holds no rows');
  });
});

describe('scaleDigitValue: round(v * 255 / 16), halves up', () => {
  it('maps the 17 levels onto 0..255 as computed by hand', () => {
    // 255 v / 16: 0, 15.94, 31.88, 47.81, 63.75, 79.69, 95.63, 111.56, 127.5, 143.44, 159.38,
    // 175.31, 191.25, 207.19, 223.13, 239.06, 255
    const expected = [0, 16, 32, 48, 64, 80, 96, 112, 128, 143, 159, 175, 191, 207, 223, 239, 255];
    expect(Array.from({ length: 17 }, (_, v) => scaleDigitValue(v))).toEqual(expected);
    expect(Array.from(scaleDigitValues(Uint8Array.from([16, 8, 0, 1])))).toEqual([255, 128, 0, 16]);
  });
});
