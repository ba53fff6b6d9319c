/** Adam's settings (Kingma & Ba 2015): step size and the moment decay rates. */
export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * The Adam optimiser (Kingma & Ba 2015, Algorithm 1) over one flat parameter vector: with
 * gradient g_t at step t,
 *
 *   m_t = b1 m_{t-1} + (1 - b1) g_t,        v_t = b2 v_{t-1} + (1 - b2) g_t^2,
 *   theta_t = theta_{t-1} - lr * (m_t / (1 - b1^t)) / (sqrt(v_t / (1 - b2^t)) + eps).
 *
 * Deterministic: no randomness, and the same arithmetic in the same order on every machine.
 */
export class Adam {
  readonly #m: Float64Array;
  readonly #v: Float64Array;
  readonly #lr: number;
  readonly #b1: number;
  readonly #b2: number;
  readonly #eps: number;
  #t = 0;

  constructor(size: number, options: AdamOptions) {
    this.#m = new Float64Array(size);
    this.#v = new Float64Array(size);
    this.#lr = options.learningRate;
    this.#b1 = options.beta1 ?? 0.9;
    this.#b2 = options.beta2 ?? 0.999;
    this.#eps = options.epsilon ?? 1e-8;
  }

  /** One update of `params` in place from `grad` (same length). */
  step(params: Float64Array, grad: Float64Array): void {
    if (params.length !== this.#m.length || grad.length !== this.#m.length)
      throw new RangeError(
        `Expected ${this.#m.length} parameters and gradients, got ${params.length} and ${grad.length}`,
      );
    this.#t++;
    const b1 = this.#b1;
    const b2 = this.#b2;
    const c1 = 1 / (1 - b1 ** this.#t);
    const c2 = 1 / (1 - b2 ** this.#t);
    const m = this.#m;
    const v = this.#v;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * g;
      v[i] = b2 * v[i]! + (1 - b2) * g * g;
      params[i]! -= (this.#lr * m[i]! * c1) / (Math.sqrt(v[i]! * c2) + this.#eps);
    }
  }
}
