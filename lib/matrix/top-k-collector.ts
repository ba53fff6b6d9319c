import type { TopK } from './matrix-engine.ts';

/**
 * Keeps, for each query row, the k best (score, key index) pairs offered so far, best first.
 * "Best" is the largest score (`'largest'`) or the smallest (`'smallest'`); equal scores rank
 * the lower key index first, whatever the order in which candidates are offered. Memory O(rows k).
 */
export class TopKCollector {
  readonly rows: number;
  readonly k: number;
  readonly #sign: number;
  readonly #indices: Int32Array;
  readonly #scores: Float64Array;
  /** Candidates held per row (< k until the row has seen k keys). */
  readonly #filled: Int32Array;

  constructor(rows: number, k: number, best: 'largest' | 'smallest') {
    this.rows = rows;
    this.k = k;
    this.#sign = best === 'largest' ? 1 : -1;
    this.#indices = new Int32Array(rows * k).fill(-1);
    this.#scores = new Float64Array(rows * k);
    this.#filled = new Int32Array(rows);
  }

  /** The score a candidate of `row` must beat (ties then decided by index), or NaN while not full. */
  threshold(row: number): number {
    return this.#filled[row]! < this.k ? NaN : this.#scores[row * this.k + this.k - 1]!;
  }

  offer(row: number, index: number, score: number): void {
    const k = this.k;
    const base = row * k;
    const sign = this.#sign;
    const scores = this.#scores;
    const indices = this.#indices;
    let filled = this.#filled[row]!;
    if (filled === k) {
      const worst = sign * scores[base + k - 1]!;
      const s = sign * score;
      if (s < worst || (s === worst && index > indices[base + k - 1]!)) return;
    } else {
      filled++;
      this.#filled[row] = filled;
    }
    // Insertion: shift worse entries one place down, from the last held slot.
    let p = filled - 1;
    while (
      p > 0 &&
      ranksBefore(sign * score, index, sign * scores[base + p - 1]!, indices[base + p - 1]!)
    ) {
      scores[base + p] = scores[base + p - 1]!;
      indices[base + p] = indices[base + p - 1]!;
      p--;
    }
    scores[base + p] = score;
    indices[base + p] = index;
  }

  /** How many candidates `row` holds (k once it has seen k keys). */
  held(row: number): number {
    return this.#filled[row]!;
  }

  /** Forgets the candidates of `row` (before an exact rescan). */
  resetRow(row: number): void {
    this.#filled[row] = 0;
    this.#indices.fill(-1, row * this.k, (row + 1) * this.k);
  }

  /** Key index in slot `slot` (0 = best) of `row`. */
  index(row: number, slot: number): number {
    return this.#indices[row * this.k + slot]!;
  }

  result(): TopK {
    return { rows: this.rows, k: this.k, indices: this.#indices, scores: this.#scores };
  }
}

/** (score a, index i) ranks before (score b, index j) for larger-is-better signed scores. */
function ranksBefore(a: number, i: number, b: number, j: number): boolean {
  return a > b || (a === b && i < j);
}
