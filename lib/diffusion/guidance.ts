/**
 * Classifier-free guidance (Ho & Salimans, 2022, Eq. 6, in diffusers' parametrisation):
 *   eps = eps_uncond + s (eps_cond - eps_uncond).
 * s = 1 is the plain conditional model, s > 1 trades diversity for fidelity to the class: the
 * sampling-bias knob of the studies.
 */
export function guideNoise(
  conditional: Float32Array,
  unconditional: Float32Array,
  scale: number,
): Float32Array {
  if (conditional.length !== unconditional.length)
    throw new RangeError(
      `Guidance needs predictions of one size, got ${conditional.length} and ${unconditional.length}`,
    );
  const out = new Float32Array(conditional.length);
  for (let i = 0; i < out.length; i++) {
    const u = unconditional[i]!;
    out[i] = u + scale * (conditional[i]! - u);
  }
  return out;
}

/** Model-space samples in [-1, 1] to 8-bit pixels: round(clamp((x + 1) / 2, 0, 1) * 255). */
export function toPixels(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.min(1, Math.max(0, (samples[i]! + 1) / 2));
    out[i] = Math.round(v * 255);
  }
  return out;
}
