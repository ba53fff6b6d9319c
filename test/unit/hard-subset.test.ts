import { describe, expect, it } from 'vitest';
import { hardRows, majorityOf, wrongCounts } from '../../lib/datasets/hard-subset.ts';

// Six test images and three made-up classifiers; the wrong images, worked out by hand:
//   p0 wrong on 1, 3, 5; p1 wrong on 0, 3, 4, 5; p2 wrong on 2, 3
//   wrong counts per image: 1, 1, 1, 3, 1, 2
const labels = Uint8Array.from([0, 1, 2, 0, 1, 2]);
const p0 = [0, 2, 2, 1, 1, 0];
const p1 = [1, 1, 2, 1, 0, 0];
const p2 = [0, 1, 0, 1, 1, 2];

describe('hard subset selection', () => {
  it('counts, per image, the classifiers that get it wrong', () => {
    expect(wrongCounts(labels, [p0, p1, p2])).toEqual([1, 1, 1, 3, 1, 2]);
    expect(wrongCounts(labels, [])).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('keeps the images at least minWrong classifiers get wrong, in test order', () => {
    expect(hardRows(labels, [p0, p1, p2], 1)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(hardRows(labels, [p0, p1, p2], 2)).toEqual([3, 5]);
    expect(hardRows(labels, [p0, p1, p2], 3)).toEqual([3]);
    expect(hardRows(labels, [p1], 1)).toEqual([0, 3, 4, 5]);
    expect(hardRows(labels, [labels, labels], 1)).toEqual([]);
  });

  it('defaults to a strict majority of the classifiers', () => {
    expect([1, 2, 3, 4, 5, 6].map(majorityOf)).toEqual([1, 2, 2, 3, 3, 4]);
  });

  it('rejects a threshold outside 1..k and predictions of the wrong length', () => {
    for (const bad of [0, 4, 1.5, NaN])
      expect(() => hardRows(labels, [p0, p1, p2], bad)).toThrow(/from 1 to 3/);
    expect(() => hardRows(labels, [p0, p1.slice(1)], 1)).toThrow(
      'Prediction vector 1 has 5 entries for 6 images',
    );
  });
});
