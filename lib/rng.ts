import { createHash } from 'node:crypto';

/**
 * A seeded pseudo-random generator (xoshiro128**, Blackman & Vigna 2018) whose state derives from
 * a study seed and a stream name, so each stage draws from its own reproducible stream:
 * `Rng.stream(seed, 'generation-2/sample')`. Same seed and name, same numbers, on every machine.
 */
export class Rng {
  #s: Uint32Array;
  #spareNormal: number | undefined;

  private constructor(state: Uint32Array) {
    this.#s = state;
  }

  /** A generator with an explicit xoshiro128** state (four 32-bit words, not all zero). */
  static fromState(state: readonly number[]): Rng {
    if (state.length !== 4 || state.every((x) => x === 0))
      throw new RangeError('Expected four state words, not all zero');
    return new Rng(Uint32Array.from(state));
  }

  static stream(seed: number | string, name: string): Rng {
    const digest = createHash('sha256').update(`${seed}\u0000${name}`).digest();
    const state = new Uint32Array(4);
    for (let i = 0; i < 4; i++) state[i] = digest.readUInt32LE(4 * i);
    if (state.every((x) => x === 0)) state[0] = 1; // the all-zero state is a fixed point
    return new Rng(state);
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal by the Box-Muller transform (the second value is kept for the next call). */
  normal(): number {
    if (this.#spareNormal !== undefined) {
      const z = this.#spareNormal;
      this.#spareNormal = undefined;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32)
      throw new RangeError(`Expected n to be a whole number from 1 to 2^32, got \`${n}\``);
    const limit = 2 ** 32 - (2 ** 32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Fisher-Yates shuffle of a copy of `items`. */
  shuffled<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** `k` distinct indices from [0, n), in random order. */
  sampleIndices(n: number, k: number): number[] {
    if (k > n) throw new RangeError(`Cannot draw ${k} distinct indices from ${n}`);
    const pool = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return pool.slice(0, k);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
