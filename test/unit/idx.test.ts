import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IdxFormatError, parseIdx } from '../../lib/datasets/idx.ts';

/** An IDX file written byte by byte, as the format's specification describes it. */
function idx(type: number, dims: number[], data: number[]): Uint8Array {
  const header = [
    0,
    0,
    type,
    dims.length,
    ...dims.flatMap((d) => [(d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255]),
  ];
  return Uint8Array.from([...header, ...data]);
}

describe('parseIdx', () => {
  it('reads dimensions big-endian and the data that follows the header', () => {
    const file = idx(0x08, [2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const parsed = parseIdx(file, 'tiny.idx', 3);
    expect(parsed.dims).toEqual([2, 2, 3]);
    expect(Array.from(parsed.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('reads a dimension above 255 (needs more than the low byte)', () => {
    const parsed = parseIdx(idx(0x08, [300], new Array(300).fill(7)), 'labels.idx', 1);
    expect(parsed.dims).toEqual([300]);
  });

  it('names the file and the expected magic when the magic number is wrong', () => {
    const file = idx(0x0d, [1], [0, 0, 0, 0]); // float data, not unsigned bytes
    expect(() => parseIdx(file, '/data/labels.idx', 1)).toThrowError(IdxFormatError);
    expect(() => parseIdx(file, '/data/labels.idx', 1)).toThrowError(
      '/data/labels.idx: wrong IDX magic number at offset 0: expected 0x00000801 (unsigned bytes, 1 dimensions), got 0x00000d01',
    );
  });

  it('names the file, the offset and the missing size when the data is truncated', () => {
    const file = idx(0x08, [2, 2, 2], [1, 2, 3, 4, 5]);
    expect(() => parseIdx(file, 'images.idx', 3)).toThrowError(
      'images.idx: truncated IDX data: dimensions 2x2x2 need 8 bytes from offset 16, the file ends after 5 (at offset 21)',
    );
  });

  it('rejects a truncated header and trailing garbage', () => {
    expect(() => parseIdx(Uint8Array.from([0, 0, 8]), 'a.idx', 1)).toThrowError(
      /a\.idx: truncated IDX header/,
    );
    expect(() => parseIdx(idx(0x08, [2], [1, 2, 3]), 'b.idx', 1)).toThrowError(
      /b\.idx: 1 unexpected bytes after the IDX data, from offset 10/,
    );
  });

  it('reads the real Fashion-MNIST test labels: 10,000 labels, 1,000 of each class (as the dataset documents)', () => {
    const path = '/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz';
    const labels = parseIdx(gunzipSync(readFileSync(path)), path, 1);
    expect(labels.dims).toEqual([10000]);
    const histogram = new Array(10).fill(0);
    for (const label of labels.data) histogram[label]++;
    expect(histogram).toEqual(new Array(10).fill(1000));
  });
});
