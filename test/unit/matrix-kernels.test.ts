// The engine's small building blocks against direct definitions: the 8-row transposed centring
// (odd row counts, an offset chunk, float32 output) and the scratch buffer's lending rules.
import { describe, expect, it } from 'vitest';
import { centreTransposed, columnMeans } from '../../lib/matrix/row-kernels.ts';
import { ScratchBuffer } from '../../lib/matrix/scratch-buffer.ts';

describe('centreTransposed', () => {
  it('writes out[j * rows + r] = x[r0 + r][j] - mean[j] for any row count and chunk offset', () => {
    const [n, d] = [29, 5];
    const data = Float32Array.from({ length: n * d }, (_, i) => (i * 7919) % 113);
    const mean = columnMeans({ rows: n, cols: d, data });
    for (const [r0, rows] of [
      [0, 29], // 3 blocks of 8 and 5 single rows
      [3, 16], // two whole blocks from an offset
      [21, 8],
      [28, 1],
    ] as const) {
      for (const out of [new Float64Array(rows * d + 3), new Float32Array(rows * d)]) {
        out.fill(-1);
        centreTransposed(data, d, r0, rows, mean, out);
        for (let j = 0; j < d; j++)
          for (let r = 0; r < rows; r++)
            expect(out[j * rows + r]).toBe(
              out instanceof Float32Array
                ? Math.fround(data[(r0 + r) * d + j]! - mean[j]!)
                : data[(r0 + r) * d + j]! - mean[j]!,
            );
        // nothing written past d x rows
        for (let i = rows * d; i < out.length; i++) expect(out[i]).toBe(-1);
      }
    }
  });
});

describe('ScratchBuffer', () => {
  it('lends its array to one taker at a time, keeps the longer one, and never one over the cap', () => {
    let made = 0;
    const scratch = new ScratchBuffer((n) => (made++, new Float64Array(n)), 100);
    const a = scratch.take(50);
    const b = scratch.take(50); // a is out: a new array
    expect(b).not.toBe(a);
    expect(made).toBe(2);
    scratch.give(a);
    expect(scratch.take(40)).toBe(a); // long enough: lent again
    scratch.give(a);
    expect(scratch.take(60)).not.toBe(a); // too short: a new one
    const big = new Float64Array(80);
    scratch.give(big);
    scratch.give(a); // shorter than the kept one: dropped
    expect(scratch.take(10)).toBe(big);
    const huge = new Float64Array(101);
    scratch.give(huge); // nothing kept, but over the cap: still not kept
    expect(scratch.take(10)).not.toBe(huge);
    scratch.give(big);
    scratch.give(huge); // longer than the kept one, but over the cap
    expect(scratch.take(10)).toBe(big);
  });
});
