import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../lib/input-error.ts';
import { featureMatrix } from '../../lib/metrics/feature-matrix.ts';
import { parseNpyMatrix, writeNpyMatrix } from '../../lib/npy.ts';

// Files written by NumPy (test/fixtures/make-npy-fixtures.py).
const fixture = (name: string) => {
  const path = new URL(`../fixtures/npy/${name}`, import.meta.url).pathname;
  return { path, bytes: readFileSync(path) };
};

describe('.npy reader', () => {
  it('reads NumPy float32 and float64 matrices exactly', () => {
    const f4 = fixture('f4-2x3.npy');
    const a = parseNpyMatrix(f4.bytes, f4.path);
    expect([a.rows, a.cols, a.data instanceof Float32Array]).toEqual([2, 3, true]);
    expect(Array.from(a.data)).toEqual([1.5, -2, 3, 4, 5.25, 6]);
    const f8 = fixture('f8-3x2.npy');
    const b = parseNpyMatrix(f8.bytes, f8.path);
    expect(Array.from(b.data)).toEqual([0.1, 0.2, 0.3, 0.4, 1e300, -1e-300]);
  });

  it('writes files it reads back, byte-identical to what NumPy writes', () => {
    const f4 = fixture('f4-2x3.npy');
    const m = parseNpyMatrix(f4.bytes, f4.path);
    expect(writeNpyMatrix(featureMatrix(2, 3, Float32Array.from(m.data))).equals(f4.bytes)).toBe(
      true,
    );
  });

  it.each([
    ['fortran.npy', /Fortran-ordered arrays are not supported/],
    [
      'int64.npy',
      /dtype <i8 is not supported; expected little-endian float32 \(<f4\) or float64 \(<f8\)/,
    ],
    ['3d.npy', /expected a 2-D matrix \(one row per sample\), got shape \(2, 2, 2\)/],
    ['truncated.npy', /shape \(2, 3\) of <f4 needs 24 data bytes from offset 128, the file has 19/],
  ])('rejects %s with a message naming the file', (name, message) => {
    const f = fixture(name);
    expect(() => parseNpyMatrix(f.bytes, f.path)).toThrowError(InputError);
    expect(() => parseNpyMatrix(f.bytes, f.path)).toThrowError(message);
    expect(() => parseNpyMatrix(f.bytes, f.path)).toThrowError(f.path);
  });

  it('rejects what is not .npy at all', () => {
    expect(() => parseNpyMatrix(Buffer.from('PK\u0003\u0004 a zip file'), 'x.npz')).toThrowError(
      'x.npz: not a .npy file (it does not start with \\x93NUMPY)',
    );
  });
});
