import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../lib/math/symmetric-eigen.ts';
import { Rng } from '../../lib/rng.ts';

describe('symmetricEigen', () => {
  it('finds the known eigenvalues of a 3x3 matrix (tridiagonal 2,-1: 2 - sqrt2, 2, 2 + sqrt2)', () => {
    const { values } = symmetricEigen(Float64Array.from([2, -1, 0, -1, 2, -1, 0, -1, 2]), 3);
    expect(values[0]).toBeCloseTo(2 - Math.SQRT2, 12);
    expect(values[1]).toBeCloseTo(2, 12);
    expect(values[2]).toBeCloseTo(2 + Math.SQRT2, 12);
  });

  it('reconstructs A = V diag(l) V^T with orthonormal V on a random 40x40 matrix', () => {
    const n = 40;
    const rng = Rng.stream(7, 'eigen-test');
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal();
    const { values, vectors } = symmetricEigen(a, n);
    let reconstruction = 0;
    let orthogonality = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let o = 0;
        for (let k = 0; k < n; k++) {
          s += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
          o += vectors[k * n + i]! * vectors[k * n + j]!;
        }
        reconstruction = Math.max(reconstruction, Math.abs(s - a[i * n + j]!));
        orthogonality = Math.max(orthogonality, Math.abs(o - (i === j ? 1 : 0)));
      }
    }
    expect(reconstruction).toBeLessThan(1e-12);
    expect(orthogonality).toBeLessThan(1e-12);
    for (let k = 1; k < n; k++) expect(values[k]).toBeGreaterThanOrEqual(values[k - 1]!);
  });
});

describe('Rng', () => {
  it('is xoshiro128**: the reference outputs for state (1, 2, 3, 4)', () => {
    const rng = Rng.fromState([1, 2, 3, 4]);
    expect([0, 1, 2, 3, 4].map(() => rng.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883,
    ]);
  });

  it('gives each (seed, stream) its own reproducible sequence', () => {
    const draw = (seed: number, name: string) =>
      Array.from(
        { length: 5 },
        (
          (r) => () =>
            r.uniform()
        )(Rng.stream(seed, name)),
      );
    expect(draw(1, 'a')).toEqual(draw(1, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(1, 'b'));
    expect(draw(1, 'a')).not.toEqual(draw(2, 'a'));
  });

  it('draws normals with mean 0 and variance 1 (within 5 standard errors over 200,000 draws)', () => {
    const rng = Rng.stream(3, 'normal-test');
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n)); // SE of the mean = 1/sqrt(n)
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n)); // SE of the variance = sqrt(2/n)
  });

  it('samples distinct indices and unbiased integers', () => {
    const rng = Rng.stream(4, 'ints');
    const picked = rng.sampleIndices(100, 30);
    expect(new Set(picked).size).toBe(30);
    expect(picked.every((i) => i >= 0 && i < 100)).toBe(true);
    expect(() => rng.int(0)).toThrowError(
      'Expected n to be a whole number from 1 to 2^32, got `0`',
    );
  });
});
