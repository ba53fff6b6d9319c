"""Noise schedules of the DDPM forward process q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I)."""

import math


def betas_for(kind, timesteps, beta_start=1e-4, beta_end=0.02):
    """beta_1..beta_T as Python floats (float64), for 'linear' or 'cosine'."""
    if kind == "linear":
        # Ho et al. (2020), Sec. 4: betas rise linearly from 1e-4 to 0.02 over T = 1000 steps.
        step = (beta_end - beta_start) / (timesteps - 1)
        return [beta_start + i * step for i in range(timesteps)]
    if kind == "cosine":
        # Nichol & Dhariwal (2021), Eq. 17: abar(t) = f(t) / f(0), f(t) = cos^2(((t/T + s)/(1 + s)) pi/2),
        # beta_t = 1 - abar(t) / abar(t-1), clipped at 0.999.
        s = 0.008

        def f(t):
            return math.cos((t / timesteps + s) / (1 + s) * math.pi / 2) ** 2

        return [min(1 - f(t + 1) / f(t), 0.999) for t in range(timesteps)]
    raise ValueError(f"unknown beta schedule {kind!r}")


def alphas_cumprod(betas):
    out, running = [], 1.0
    for b in betas:
        running *= 1.0 - b
        out.append(running)
    return out
