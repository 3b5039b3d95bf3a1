"""Closed forms for the thermal exploration of a loss landscape (Jules et al. 2023).

The paper's text is not public: these are the standard statistical-mechanics results the
chapter's reconstruction rests on (its spec, §2), not formulas copied from the paper.

- Equipartition in a quadratic well ``L = ½ Σ_k λ_k θ_k²`` under ``exp(−L/T)``:
  ``L ~ Gamma(D/2, T)``, ``⟨L⟩ = D T/2``, ``Var L = D T²/2`` (spec §2.1); and the same for the
  Euler–Maruyama chain with step η, whose stationary variance per mode is
  ``T / (λ (1 − ηλ/2))`` (:func:`quadratic_well_loss_moments`).
- The exponential-wall toy model (spec §2.3): ``n`` margins ``u_i`` with loss ``Σ e^{−u_i}`` and a
  density of states ``∝ e^{−αu}``; then ``e^{−u_i} ~ Gamma(α, T)`` exactly
  (:func:`toy_model_moments`).
- Free diffusion in the flat directions: ``⟨|θ|²⟩(t) = |θ0|² + 2 P η T t`` (spec C9).
- PCA of a random walk: the k-th principal component of a centred Brownian path carries the
  fraction ``6 / (π² k²)`` of the variance (Antognini & Sohl-Dickstein 2018).
"""

from __future__ import annotations

import numpy as np
from scipy import special


def quadratic_well_loss_moments(
    curvatures, temperature: float, step_size: float = 0.0
) -> tuple[float, float]:
    """Stationary mean and variance of ``L = ½ Σ_k λ_k θ_k²`` under overdamped Langevin at
    temperature T with Euler–Maruyama step ``η`` (``η = 0``: the Gibbs measure exactly).

    The chain ``θ ← (1 − ηλ) θ + √(2ηT) ξ`` is a Gaussian AR(1) per mode with stationary variance
    ``T / (λ (1 − ηλ/2))``; each mode's loss is ``(m_k) χ²_1`` with ``m_k = T / (2(1 − ηλ_k/2))``,
    so ``⟨L⟩ = Σ m_k`` and ``Var L = 2 Σ m_k²`` (``D T/2`` and ``D T²/2`` at η = 0).
    """
    lam = np.asarray(curvatures, dtype=float)
    if lam.ndim != 1 or np.any(lam <= 0):
        raise ValueError(f"curvatures must be a 1-D array of values > 0; got {lam}")
    if temperature <= 0 or step_size < 0 or np.any(step_size * lam >= 2):
        raise ValueError(
            f"need temperature > 0 and 0 <= step_size * max(curvatures) < 2; "
            f"got temperature={temperature}, step_size={step_size}"
        )
    per_mode = temperature / (2 * (1 - step_size * lam / 2))
    return float(per_mode.sum()), float(2 * (per_mode**2).sum())


def toy_model_moments(n: int, alpha: float, temperature) -> dict[str, np.ndarray]:
    """Exact statistics of the exponential-wall toy model at temperature(s) ``T``.

    Each ``v_i = e^{−u_i}`` is ``Gamma(α, T)``; ``L = Σ v_i ~ Gamma(nα, T)``. Returns
    ``mean_loss = nαT``, ``var_loss = nαT²``, ``dimension = 2nα`` (both estimators),
    ``mean_curvature = αT`` (``⟨e^{−u}⟩``, the curvature of ``e^{−u}``),
    ``mean_margin = −ln T − ψ(α)`` and ``var_margin = ψ₁(α)`` (independent of T).
    """
    if n < 1 or alpha <= 0:
        raise ValueError(f"need n >= 1 and alpha > 0; got n={n}, alpha={alpha}")
    temperature = np.asarray(temperature, dtype=float)
    if np.any(temperature <= 0):
        raise ValueError(f"temperature must be > 0; got {temperature}")
    return {
        "mean_loss": n * alpha * temperature,
        "var_loss": n * alpha * temperature**2,
        "dimension": np.full_like(temperature, 2 * n * alpha),
        "mean_curvature": alpha * temperature,
        "mean_margin": -np.log(temperature) - special.digamma(alpha),
        "var_margin": np.full_like(temperature, special.polygamma(1, alpha)),
    }


def gamma_loss_density(x, dimension: float) -> np.ndarray:
    """Density of ``L/T`` when ``L ~ Gamma(D/2, T)`` ("quadratic-like" statistics)."""
    if dimension <= 0:
        raise ValueError(f"dimension must be > 0; got {dimension}")
    x = np.asarray(x, dtype=float)
    k = dimension / 2
    with np.errstate(divide="ignore"):
        log_pdf = (k - 1) * np.log(x) - x - special.gammaln(k)
    return np.where(x > 0, np.exp(log_pdf), 0.0)


def free_diffusion_sq_norm(sq_norm0, n_params: int, eta_t, steps) -> np.ndarray:
    """``|θ0|² + 2 P (ηT) t``: the squared norm of free Brownian motion in ``P`` directions after
    ``t`` steps of size η at temperature T (spec C9). ``sq_norm0``, ``eta_t`` (= ηT) and
    ``steps`` broadcast."""
    eta_t = np.asarray(eta_t, dtype=float)
    if n_params < 1 or np.any(eta_t <= 0):
        raise ValueError(f"need n_params >= 1 and eta_t > 0; got {n_params}, {eta_t}")
    return np.asarray(sq_norm0, dtype=float) + 2 * n_params * eta_t * np.asarray(steps, float)


def random_walk_pca_fractions(k) -> np.ndarray:
    """Fraction of the variance of a centred Brownian path carried by its k-th principal
    component, ``6/(π² k²)`` (k = 1, 2, ...; they sum to one)."""
    k = np.asarray(k, dtype=float)
    if np.any(k < 1):
        raise ValueError(f"k must be >= 1; got {k}")
    return 6 / (np.pi**2 * k**2)
