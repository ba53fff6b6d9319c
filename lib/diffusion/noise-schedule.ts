/** Noise schedules of the DDPM forward process q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I). */
export type BetaSchedule = 'linear' | 'cosine';

/** beta_1..beta_T; the trainers compute the same values (trainers/schedules.py). */
export function betasFor(
  kind: BetaSchedule,
  timesteps: number,
  betaStart = 1e-4,
  betaEnd = 0.02,
): Float64Array {
  if (!Number.isInteger(timesteps) || timesteps < 2)
    throw new RangeError(`A noise schedule needs at least 2 timesteps, got ${timesteps}`);
  const betas = new Float64Array(timesteps);
  if (kind === 'linear') {
    // Ho et al. (2020), Sec. 4: betas rise linearly from 1e-4 to 0.02.
    const step = (betaEnd - betaStart) / (timesteps - 1);
    for (let i = 0; i < timesteps; i++) betas[i] = betaStart + i * step;
  } else {
    // Nichol & Dhariwal (2021), Eq. 17: abar(t) = f(t)/f(0), f(t) = cos^2(((t/T + s)/(1 + s)) pi/2),
    // beta_t = 1 - abar(t)/abar(t-1), clipped at 0.999.
    const s = 0.008;
    const f = (t: number) => Math.cos(((t / timesteps + s) / (1 + s)) * (Math.PI / 2)) ** 2;
    for (let t = 0; t < timesteps; t++) betas[t] = Math.min(1 - f(t + 1) / f(t), 0.999);
  }
  return betas;
}

/** abar_t = prod_{s <= t} (1 - beta_s) (Ho et al., 2020, Eq. 4's notation). */
export function alphasCumprod(betas: Float64Array): Float64Array {
  const out = new Float64Array(betas.length);
  let running = 1;
  betas.forEach((b, i) => (out[i] = running *= 1 - b));
  return out;
}
