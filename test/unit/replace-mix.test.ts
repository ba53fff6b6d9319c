import { describe, expect, it } from 'vitest';
import {
  appendSelection,
  classQuotas,
  fillSelection,
  firstDuplicate,
  mixProvenance,
  replaceSelection,
  type MixInput,
  type MixSelection,
} from '../../lib/datasets/replace-mix.ts';
import { InputError } from '../../lib/input-error.ts';
import { Rng } from '../../lib/rng.ts';

const CLASSES = ['tshirt', 'trouser', 'pullover', 'dress'];

/** Labels with `perClass[c]` images of class c, interleaved (0, 1, 2, 3, 0, 1, ...) while they last. */
function labels(perClass: number[]): Uint8Array {
  const left = [...perClass];
  const out: number[] = [];
  while (left.some((n) => n > 0))
    left.forEach((n, c) => {
      if (n > 0) {
        out.push(c);
        left[c]!--;
      }
    });
  return Uint8Array.from(out);
}

const base = (over: Partial<MixInput> = {}): MixInput => ({
  realLabels: labels([40, 40, 40, 40]),
  otherLabels: labels([50, 50, 50, 50]),
  classes: CLASSES,
  fraction: 0.25,
  seed: 1,
  stream: 'mix',
  realName: 'R',
  otherName: 'S',
  ...over,
});

/** Checks what every substitution mix keeps: R's size, R's label at every row, no reused image. */
function expectValidSubstitution(input: MixInput, selection: MixSelection) {
  expect(selection.origins).toHaveLength(input.realLabels.length);
  expect(firstDuplicate(selection.origins)).toBeUndefined();
  selection.origins.forEach((o, row) => {
    if (o.source === 0) expect(o.index).toBe(row);
    const label = (o.source === 0 ? input.realLabels : input.otherLabels)[o.index];
    expect(label).toBe(input.realLabels[row]);
  });
  const counted = CLASSES.map((_, c) => ({
    real: selection.origins.filter((o) => o.source === 0 && input.realLabels[o.index] === c).length,
    other: selection.origins.filter((o) => o.source === 1 && input.otherLabels[o.index] === c)
      .length,
  }));
  expect(selection.composition.real).toEqual(counted.map((c) => c.real));
  expect(selection.composition.other).toEqual(counted.map((c) => c.other));
}

const replacedRows = (s: MixSelection) =>
  s.origins.flatMap((o, row) => (o.source === 1 ? [row] : []));

describe('classQuotas (largest remainder)', () => {
  it('gives exact shares when f n_c is whole', () => {
    expect(classQuotas([40, 40, 40, 40], 0.25)).toEqual([10, 10, 10, 10]);
    expect(classQuotas([10], 0.7)).toEqual([7]); // 0.7 * 10 is 7.000000000000001 in floats
  });

  it('is exact where floating point is not: 0.29 * 100 = 28.999999999999996', () => {
    expect(classQuotas([100], 0.29)).toEqual([29]);
    // f n = 29, 29, 14.5; K = round(72.5) = 73: the half goes to the third class
    expect(classQuotas([100, 100, 50], 0.29)).toEqual([29, 29, 15]);
  });

  it('gives the remaining units to the largest remainders', () => {
    // f n = 3, 1.5, 2.1; K = round(6.6) = 7; floors sum to 6; the extra unit goes to 1.5
    expect(classQuotas([10, 5, 7], 0.3)).toEqual([3, 2, 2]);
  });

  it('breaks ties by the tie order (earlier wins), and K rounds halves up', () => {
    // f n = 1.5 each; K = round(4.5) = 5; floors 3; two extras to the first two of the order
    expect(classQuotas([3, 3, 3], 0.5, [2, 0, 1])).toEqual([2, 1, 2]);
    expect(classQuotas([3, 3, 3], 0.5, [1, 2, 0])).toEqual([1, 2, 2]);
    expect(classQuotas([3, 3, 3], 0.5)).toEqual([2, 2, 1]);
  });

  it('takes fractions above 1 (appending)', () => {
    expect(classQuotas([10, 20], 1.5)).toEqual([15, 30]);
  });

  it('sums to round(f N) with every quota floor(f n_c) or ceil(f n_c)', () => {
    const rng = Rng.stream(3, 'quotas');
    for (let trial = 0; trial < 500; trial++) {
      const counts = Array.from({ length: 1 + rng.int(12) }, () => rng.int(60));
      const m = rng.int(1001); // f = m / 1000, so f n_c = m n_c / 1000 exactly
      const n = counts.reduce((a, b) => a + b, 0);
      if (n === 0) continue;
      const q = classQuotas(counts, m / 1000);
      expect(q.reduce((a, b) => a + b, 0)).toBe(Math.floor((m * n + 500) / 1000));
      q.forEach((k, c) => {
        expect(k).toBeGreaterThanOrEqual(Math.floor((m * counts[c]!) / 1000));
        expect(k).toBeLessThanOrEqual(Math.ceil((m * counts[c]!) / 1000));
      });
    }
  });

  it('rejects a negative fraction and a tie order that is not a permutation', () => {
    expect(() => classQuotas([1], -0.1)).toThrow(RangeError);
    expect(() => classQuotas([1, 2], 0.5, [0, 0])).toThrow(RangeError);
  });
});

describe('replaceSelection (R/O-r%)', () => {
  it('r = 0.25 with 40 per class replaces exactly 10 per class, keeping size and labels', () => {
    const input = base();
    const s = replaceSelection(input);
    expect(s.composition).toEqual({ real: [30, 30, 30, 30], other: [10, 10, 10, 10] });
    expectValidSubstitution(input, s);
  });

  it('r = 0 is R itself, r = 1 is all O', () => {
    const r0 = replaceSelection(base({ fraction: 0 }));
    expect(r0.origins).toEqual(Array.from({ length: 160 }, (_, index) => ({ source: 0, index })));
    expect(r0.composition.other).toEqual([0, 0, 0, 0]);
    const input = base({ fraction: 1 });
    const r1 = replaceSelection(input);
    expect(r1.origins.every((o) => o.source === 1)).toBe(true);
    expect(r1.composition).toEqual({ real: [0, 0, 0, 0], other: [40, 40, 40, 40] });
    expectValidSubstitution(input, r1);
  });

  it('keeps an unbalanced histogram exactly, with sum k_c = round(r |R|)', () => {
    const input = base({ realLabels: labels([7, 13, 20, 1]), fraction: 0.5 });
    const s = replaceSelection(input);
    expectValidSubstitution(input, s);
    // r n = 3.5, 6.5, 10, 0.5; K = round(20.5) = 21; floors sum to 19: two of the three
    // halves get their extra unit, which two is up to the seeded tie order
    const { other, real } = s.composition;
    expect(other.reduce((a, b) => a + b, 0)).toBe(21);
    expect(other[2]).toBe(10);
    expect([other[0]! - 3, other[1]! - 6, other[3]!].sort()).toEqual([0, 1, 1]);
    expect(real.map((k, c) => k + other[c]!)).toEqual([7, 13, 20, 1]);
    // another seed may pick another pair; the sum never changes
    const tieOrders = new Set(
      [1, 2, 3, 4, 5, 6, 7, 8].map((seed) =>
        replaceSelection({ ...input, seed }).composition.other.join(','),
      ),
    );
    expect(tieOrders.size).toBeGreaterThan(1);
  });

  it('is the same for the same seed and stream, different for another', () => {
    expect(replaceSelection(base())).toEqual(replaceSelection(base()));
    expect(replacedRows(replaceSelection(base({ seed: 2 })))).not.toEqual(
      replacedRows(replaceSelection(base())),
    );
  });

  it('replaces the same R images whatever O is (S and its control C pair up)', () => {
    const s = replaceSelection(base());
    const c = replaceSelection(base({ otherLabels: labels([12, 90, 33, 10]), otherName: 'C' }));
    expect(replacedRows(c)).toEqual(replacedRows(s));
  });

  it('nests across r for one seed and stream', () => {
    const rows = [0.2, 0.4, 0.8].map(
      (r) => new Set(replacedRows(replaceSelection(base({ fraction: r })))),
    );
    const others = [0.2, 0.4, 0.8].map(
      (r) =>
        new Set(
          replaceSelection(base({ fraction: r }))
            .origins.filter((o) => o.source === 1)
            .map((o) => o.index),
        ),
    );
    for (const sets of [rows, others])
      for (let i = 0; i + 1 < sets.length; i++)
        for (const x of sets[i]!) expect(sets[i + 1]!.has(x)).toBe(true);
  });

  it('fails naming the class when O has too few images of it', () => {
    const input = base({ otherLabels: labels([50, 50, 9, 50]) });
    expect(() => replaceSelection(input)).toThrow(InputError);
    expect(() => replaceSelection(input)).toThrow(
      'S has 9 images of class 2 (pullover); the mix needs 10 of them',
    );
  });

  it('rejects r outside [0, 1] and labels outside the classes', () => {
    expect(() => replaceSelection(base({ fraction: 1.2 }))).toThrow(RangeError);
    expect(() => replaceSelection(base({ realLabels: Uint8Array.from([0, 7]) }))).toThrow(
      'R: image 1 has label 7; there are 4 classes',
    );
  });
});

describe('fillSelection (Table 7) and appendSelection (Table 8)', () => {
  it('fill keeps a p% class-balanced subsample of R and fills each class back up with O', () => {
    const input = base({ fraction: 0.25 });
    const s = fillSelection(input);
    expect(s.composition).toEqual({ real: [10, 10, 10, 10], other: [30, 30, 30, 30] });
    expectValidSubstitution(input, s);
    expect(s.kept).toHaveLength(40);
    expect(s.kept).toEqual(s.origins.flatMap((o) => (o.source === 0 ? [o.index] : [])));
    expect([...s.kept].sort((a, b) => a - b)).toEqual(s.kept);
    // p = 1 is R itself; p = 0 is R's labels, all O
    expect(fillSelection(base({ fraction: 1 })).origins).toEqual(
      replaceSelection(base({ fraction: 0 })).origins,
    );
    expect(fillSelection(base({ fraction: 0 })).composition.real).toEqual([0, 0, 0, 0]);
  });

  it('append keeps all of R in order and adds round(p |R|) O images in R proportions', () => {
    const input = base({ realLabels: labels([40, 40, 40, 20]), fraction: 0.2 });
    const s = appendSelection(input);
    expect(s.origins).toHaveLength(140 + 28);
    expect(s.origins.slice(0, 140)).toEqual(
      Array.from({ length: 140 }, (_, index) => ({ source: 0, index })),
    );
    expect(s.composition).toEqual({ real: [40, 40, 40, 20], other: [8, 8, 8, 4] });
    expect(firstDuplicate(s.origins)).toBeUndefined();
    const added = s.origins.slice(140).map((o) => input.otherLabels[o.index]);
    expect(added).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3,
    ]);
    expect(appendSelection(base({ fraction: 1.25 })).composition.other).toEqual([50, 50, 50, 50]);
    expect(() => appendSelection(base({ fraction: 1.5 }))).toThrow('class 0 (tshirt)');
  });

  it('records provenance as [source, row] pairs with both source digests', () => {
    const s = replaceSelection(base());
    const p = mixProvenance(s, 'a'.repeat(64), 'b'.repeat(64));
    expect(p.format).toBe('clab.mix-provenance/v1');
    expect(p.sources).toEqual(['a'.repeat(64), 'b'.repeat(64)]);
    expect(p.rows).toEqual(s.origins.map((o) => [o.source, o.index]));
    expect(
      firstDuplicate([
        { source: 1, index: 3 },
        { source: 0, index: 3 },
        { source: 1, index: 3 },
      ]),
    ).toEqual({
      source: 1,
      index: 3,
    });
  });
});
