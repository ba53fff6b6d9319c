/**
 * A reusable typed array: allocating and first touching a 20 MB Float64Array costs ~7 ms (page
 * faults and zeroing), as much as the Gemm it feeds at 10,000 x 256. `take` lends the kept array
 * when it is long enough, to one caller at a time (a concurrent caller gets a new one); `give`
 * keeps the longer of the two, up to `maxElements`, so that a worker holds one bounded buffer.
 */
export class ScratchBuffer<T extends Float32Array | Float64Array> {
  readonly #make: (length: number) => T;
  readonly #maxElements: number;
  #kept: T | undefined;

  constructor(make: (length: number) => T, maxElements: number) {
    this.#make = make;
    this.#maxElements = maxElements;
  }

  /** An array of at least `length` elements, contents unspecified. */
  take(length: number): T {
    const kept = this.#kept;
    if (kept && kept.length >= length) {
      this.#kept = undefined;
      return kept;
    }
    return this.#make(length);
  }

  /** Hands back an array from `take`. */
  give(array: T): void {
    if (array.length > this.#maxElements) return;
    if (!this.#kept || this.#kept.length < array.length) this.#kept = array;
  }
}
