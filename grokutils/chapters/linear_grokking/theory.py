"""Exact theory of grokking in linear estimators (Levi, Beck & Bar-Sinai, ICLR 2024).

Teacher-student linear regression ``y = Tᵀx``, student ``S``, ``D = S - T``, inputs
``x ~ N(0, I_{d_in})``, ``N_tr`` training samples, ``λ = d_in/N_tr``, full-batch GD with learning
rate ``η`` and weight decay ``γ`` (eq. 3 convention: the decay term is divided by ``d_out``).
Initialisation: every entry of ``T`` and ``S₀/α`` is ``N(0, 1/(2 d_in d_out))``, so
``‖T‖² = ½``, ``‖S₀‖² = α²/2``.

Everything here is a function of ``λ`` alone (the large-``d_in`` limit): the training covariance's
spectrum is Marchenko-Pastur (eq. 6), and the losses are MP expectations (eqs. 8, 13, 15),
evaluated by Gauss-Legendre quadrature plus the atom at ``ν = 0``. Time ``t`` is in GD steps
(gradient flow with step ``dt = 1``). Accuracy is the fraction of samples whose mean squared
error over the outputs is below ``ε``, a fixed function of the loss (eqs. 10, 13, χ² form).

All functions broadcast their array arguments (numpy rules) and return float64 arrays.

Errata of the paper that this module corrects (each is checked in the chapter):
eq. 10 (``Erf(sqrt(ε/(2L)))``, no factor 2, ``L`` a variance), eq. 16 (``γ²/8``, not ``γ²/4``),
eq. 26 (exponent 2/3, not 4/3).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import special

GROK_ACCURACY = 0.95
"""Accuracy that defines t* (Fig. 4's convention, used throughout the chapter)."""


def _positive(name: str, value) -> np.ndarray:
    value = np.asarray(value, dtype=float)
    if not np.all(value > 0):
        raise ValueError(f"{name} must be > 0; got {value}")
    return value


def _non_negative(name: str, value) -> np.ndarray:
    value = np.asarray(value, dtype=float)
    if not np.all(value >= 0):
        raise ValueError(f"{name} must be >= 0; got {value}")
    return value


def _below_one(name: str, lam) -> np.ndarray:
    lam = _positive(name, lam)
    if not np.all(lam < 1):
        raise ValueError(f"{name} must be in (0, 1) for this asymptotic formula; got {lam}")
    return lam


def mp_edges(lam) -> tuple[np.ndarray, np.ndarray]:
    """Edges ``λ∓ = (1 ∓ √λ)²`` of the Marchenko-Pastur bulk (eq. 6)."""
    root = np.sqrt(_positive("lam", lam))
    return (1 - root) ** 2, (1 + root) ** 2


def mp_atom(lam) -> np.ndarray:
    """Mass ``(1 - 1/λ)⁺`` of the MP law at ``ν = 0`` (null directions of ``Σ_tr``)."""
    lam = _positive("lam", lam)
    return np.clip(1 - 1 / lam, 0, None)


@lru_cache(maxsize=8)
def _legendre(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    return np.pi * (x + 1) / 2, np.pi * w / 2  # nodes and weights on θ ∈ [0, π]


def mp_nodes(lam, n_nodes: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature of the MP bulk: nodes ``ν`` and weights ``w``, shape ``lam.shape + [n_nodes]``.

    ``Σ w f(ν) ≈ ∫ f(ν) p_MP(ν) dν`` over the bulk (total weight ``min(1, 1/λ)``). The change of
    variables ``ν = λ₋ + (λ₊ - λ₋)(1 - cos θ)/2`` turns the square-root edges of eq. 6 into the
    smooth integrand ``(λ₊ - λ₋)² sin²θ / (8πλν)``, so Gauss-Legendre in ``θ`` converges
    exponentially. Add the atom (:func:`mp_atom`) for ``λ > 1``.
    """
    if n_nodes < 2:
        raise ValueError(f"n_nodes must be >= 2; got {n_nodes}")
    lam = _positive("lam", lam)[..., None]
    theta, w_theta = _legendre(n_nodes)
    low, high = mp_edges(lam)
    nu = low + (high - low) * (1 - np.cos(theta)) / 2
    weights = w_theta * (high - low) ** 2 * np.sin(theta) ** 2 / (8 * np.pi * lam * nu)  # eq. 6
    return nu, weights


def mp_expectation(f, lam, n_nodes: int = 400) -> np.ndarray:
    """``E_{ν~MP(λ)}[f(ν)]`` with the atom at zero: ``f`` maps nodes ``[..., n]`` to values."""
    nu, w = mp_nodes(lam, n_nodes)
    return (w * f(nu)).sum(-1) + mp_atom(lam) * f(np.zeros_like(nu[..., :1]))[..., 0]


def losses(
    t,
    lam,
    *,
    eta: float,
    gamma=0.0,
    d_out=1,
    init_scale=1.0,
    n_nodes: int = 400,
) -> tuple[np.ndarray, np.ndarray]:
    """Expected train and generalisation losses ``(L_tr, L_gen)`` at step ``t`` (eqs. 8, 13, 15).

    Per eigen-direction of ``Σ_tr`` with eigenvalue ``ν`` and rate ``k = 2(η/d_out)(ν + γ/2)``,
    ``d_out·E[D̄²] = ½[α² e^{-2kt} + ((e^{-kt} ν + γ/2)/(ν + γ/2))²]`` (eq. 15, generalised to
    the init scale ``α``; ``α = 1`` is the paper's), weighted by ``q = ν`` (train) or 1 (gen)
    and averaged over MP(λ). The output dimension enters as ``η → η/d_out`` and an overall
    ``1/d_out`` (eq. 13). The atom ``ν = 0`` (λ > 1) adds ``½(α² e^{-2ηγt/d_out} + 1)(1 - 1/λ)``
    to ``d_out·L_gen``: the teacher's null-space component is never learned.

    Arguments broadcast; ``t`` in GD steps (may be ``inf``). Returns two arrays of the
    broadcast shape.
    """
    _positive("eta", eta)
    t, lam, gamma, d_out, scale = np.broadcast_arrays(
        _non_negative("t", t),
        _positive("lam", lam),
        _non_negative("gamma", gamma),
        _positive("d_out", d_out),
        _non_negative("init_scale", init_scale),
    )
    nu, w = mp_nodes(lam, n_nodes)
    shift = gamma[..., None] / 2
    rate = 2 * eta / d_out[..., None] * (nu + shift)
    decay = np.exp(-rate * t[..., None])
    settled = (decay * nu + shift) / (nu + shift)
    per_mode = 0.5 * (scale[..., None] ** 2 * decay**2 + settled**2)  # eq. 15
    atom_exponent = 2 * eta * gamma / d_out * np.where(gamma > 0, t, 0.0)  # no decay without γ
    atom = mp_atom(lam) * 0.5 * (scale**2 * np.exp(-atom_exponent) + 1)
    train = (w * nu * per_mode).sum(-1) / d_out
    gen = ((w * per_mode).sum(-1) + atom) / d_out
    return train, gen


def train_loss_closed_form(t, lam, *, eta: float) -> np.ndarray:
    """Eq. 9: ``L_tr(t) = e^{-4η(1+λ)t} I₁(8ηt√λ)/(4ηt√λ)`` (``d_out = 1``, ``γ = 0``, ``α = 1``).

    Written with the exponentially scaled Bessel function ``ive`` so that it neither overflows
    nor underflows: ``L_tr = ive(1, x)·(2/x)·e^{-4ηt(1-√λ)²}``, ``x = 8ηt√λ``. Valid for all λ
    (the atom does not contribute to the train loss).
    """
    t = _non_negative("t", t)
    lam = _positive("lam", lam)
    x = 8 * _positive("eta", eta) * t * np.sqrt(lam)
    safe = np.where(x > 0, x, 1.0)
    ratio = np.where(x > 0, 2 * special.ive(1, safe) / safe, 1.0)
    return ratio * np.exp(-4 * eta * t * (1 - np.sqrt(lam)) ** 2)


def accuracy_from_loss(loss, eps, d_out=1) -> np.ndarray:
    """Fraction of samples with per-sample MSE below ``ε`` when the loss is ``L`` (eqs. 10, 13).

    The per-sample error ``z = Dᵀx ∈ R^{d_out}`` is Gaussian with ``‖z‖²/L ~ χ²_{d_out}`` when
    ``D``'s columns are isotropic, so ``A = P(‖z‖²/d_out < ε) = P(d_out/2, d_out ε/(2L))``
    (regularised lower incomplete gamma). For ``d_out = 1``
    this is ``Erf(sqrt(ε/(2L)))`` — the paper's eq. 10 without its typos (no factor 2; ``L`` is
    the variance, not the standard deviation).
    """
    loss = _non_negative("loss", loss)
    eps, d_out = _positive("eps", eps), _positive("d_out", d_out)
    with np.errstate(divide="ignore"):
        return special.gammainc(d_out / 2, d_out * eps / (2 * loss))


def loss_at_accuracy(accuracy, eps, d_out=1) -> np.ndarray:
    """Inverse of :func:`accuracy_from_loss`: the loss ``L_c`` at which the accuracy is ``a``,
    ``L_c = d_out ε / (2 P⁻¹(d_out/2, a))`` (``d_out = 1``, ``a = 0.95``: ``ε/3.841``)."""
    accuracy = np.asarray(accuracy, dtype=float)
    if not np.all((accuracy > 0) & (accuracy < 1)):
        raise ValueError(f"accuracy must be in (0, 1); got {accuracy}")
    eps, d_out = _positive("eps", eps), _positive("d_out", d_out)
    return d_out * eps / (2 * special.gammaincinv(d_out / 2, accuracy))


def crossing_times(
    loss_fn,
    level,
    *,
    t_max: float = 1e8,
    iterations: int = 80,
) -> np.ndarray:
    """First time at which a decreasing loss curve falls to ``level``, by bisection in ``log t``.

    ``loss_fn(t)`` must accept an array ``t`` broadcast against ``level`` and be non-increasing
    in ``t`` (true for every curve of :func:`losses`). Returns 0 where the loss starts below the
    level and ``inf`` where it is still above it at ``t_max``. Vectorised: all grid points bisect
    together (``iterations`` halvings of ``log t`` between ``1e-3`` and ``t_max``).
    """
    level = _positive("level", level)
    log_lo = np.full(level.shape, np.log(1e-3))
    log_hi = np.full(level.shape, np.log(_positive("t_max", t_max)))
    never = loss_fn(np.exp(log_hi)) > level
    already = loss_fn(np.zeros(level.shape)) <= level
    for _ in range(iterations):
        mid = (log_lo + log_hi) / 2
        above = loss_fn(np.exp(mid)) > level
        log_lo, log_hi = np.where(above, mid, log_lo), np.where(above, log_hi, mid)
    times = np.exp(log_hi)
    return np.where(never, np.inf, np.where(already, 0.0, times))


def grokking_times(
    lam,
    eps,
    *,
    eta: float,
    gamma=0.0,
    d_out=1,
    init_scale=1.0,
    accuracy: float = GROK_ACCURACY,
    n_nodes: int = 400,
    t_max: float = 1e8,
) -> tuple[np.ndarray, np.ndarray]:
    """``(t*_tr, t*_gen)``: steps at which the theoretical train / gen accuracy reaches
    ``accuracy`` (``inf``: never). ``Δt_grok = t*_gen - t*_tr`` (Sec. 3.1.3). Broadcasts."""
    lam, eps, gamma, d_out, scale = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (lam, eps, gamma, d_out, init_scale))
    )
    level = loss_at_accuracy(accuracy, eps, d_out)

    def curve(index):
        def loss_fn(t):
            kw = {"eta": eta, "gamma": gamma, "d_out": d_out, "init_scale": scale}
            return losses(t, lam, n_nodes=n_nodes, **kw)[index]

        return loss_fn

    return (
        crossing_times(curve(0), level, t_max=t_max),
        crossing_times(curve(1), level, t_max=t_max),
    )


def grokking_delay(lam, eps, **kwargs) -> np.ndarray:
    """``Δt_grok = t*_gen - t*_tr`` from :func:`grokking_times` (``nan`` where gen never groks,
    ``nan`` too where train never reaches the accuracy)."""
    t_tr, t_gen = grokking_times(lam, eps, **kwargs)
    with np.errstate(invalid="ignore"):
        delay = t_gen - t_tr
    return np.where(np.isfinite(delay), delay, np.nan)


def train_loss_late(t, lam, *, eta: float) -> np.ndarray:
    """Eq. 22: ``L_tr ≃ e^{-4η(1-√λ)²t} / (16√π λ^{3/4} (ηt)^{3/2})`` for ``ηt ≫ √λ``."""
    lam, t = _below_one("lam", lam), _positive("t", t)
    a = (1 - np.sqrt(lam)) ** 2
    return np.exp(-4 * eta * a * t) / (16 * np.sqrt(np.pi) * lam**0.75 * (eta * t) ** 1.5)


def gen_loss_late(t, lam, *, eta: float) -> np.ndarray:
    """Eq. 23: ``L_gen ≃ e^{-4ηat}/(2√π λ^{3/4} √(ηt)) - (1-√λ) Γ(½, 4ηat)/(√π λ^{3/4})``,
    ``a = (1-√λ)²``, with ``Γ(½, x) = √π erfc(√x)`` (``erfc`` keeps it accurate at large x)."""
    lam, t = _below_one("lam", lam), _positive("t", t)
    a = (1 - np.sqrt(lam)) ** 2
    x = 4 * eta * a * t
    first = np.exp(-x) / (2 * np.sqrt(np.pi) * lam**0.75 * np.sqrt(eta * t))
    return first - (1 - np.sqrt(lam)) * special.erfc(np.sqrt(x)) / lam**0.75


def gen_loss_leading(t, lam, *, eta: float) -> np.ndarray:
    """Eq. 11: ``L_gen ≃ L_tr (1 - √λ)^{-2}`` with eq. 22 for ``L_tr``.

    Valid only once ``4η(1-√λ)²t ≫ 1`` (beyond the late time-scale of :func:`late_time_scale`).
    """
    return train_loss_late(t, lam, eta=eta) / (1 - np.sqrt(lam)) ** 2


def late_time_scale(lam, *, eta: float) -> np.ndarray:
    """The single late time-scale of both losses, ``τ = 1/(4ηλ₋) = 1/(4η(1-√λ)²)`` steps."""
    lam = _below_one("lam", lam)
    return 1 / (4 * eta * (1 - np.sqrt(lam)) ** 2)


def grokking_delay_eq12(lam, *, eta: float) -> np.ndarray:
    """Eq. 12, the ``ε → 0`` envelope: ``Δt ≃ log(1/(1-√λ)) / (2η(1-√λ)²)``."""
    lam = _below_one("lam", lam)
    root = np.sqrt(lam)
    return np.log(1 / (1 - root)) / (2 * eta * (1 - root) ** 2)


def grokking_times_lambert(lam, eps, *, eta: float) -> tuple[np.ndarray, np.ndarray]:
    """Eq. 24: ``t* ≃ (3/(8ηa)) W(z)``, ``a = (1-√λ)²``, from ``L(t*) = ε/4`` with eqs. 22, 11.

    ``z_tr = 2^{5/3} a / (3 π^{1/3} √λ ε^{2/3})`` and ``z_gen = z_tr a^{-2/3}`` (the paper's
    sextic and cubic polynomials in ``√λ`` are ``(1-√λ)⁶/(πλ^{3/2})`` and
    ``(1-√λ)²/(πλ^{3/2})``; these are their simplified cube roots).
    """
    lam, eps = _below_one("lam", lam), _positive("eps", eps)
    a = (1 - np.sqrt(lam)) ** 2
    z_tr = 2 ** (5 / 3) * a / (3 * np.pi ** (1 / 3) * np.sqrt(lam) * eps ** (2 / 3))
    z_gen = z_tr * a ** (-2 / 3)
    scale = 3 / (8 * eta * a)
    return scale * special.lambertw(z_tr).real, scale * special.lambertw(z_gen).real


def weight_decay_late_losses(lam, gamma, *, paper_eq16: bool = False):
    """Small-γ limits ``(L_tr(∞), L_gen(∞))`` for ``λ < 1``: ``γ²/(8(1-λ))`` and
    ``γ²/(8(1-λ)³)``, derived from eq. 15. With ``paper_eq16`` the paper's printed eq. 16,
    whose denominators carry 4 instead of 8 (a factor-2 erratum)."""
    lam, gamma = _below_one("lam", lam), _non_negative("gamma", gamma)
    denominator = 4 if paper_eq16 else 8
    return gamma**2 / (denominator * (1 - lam)), gamma**2 / (denominator * (1 - lam) ** 3)


def critical_weight_decay(lam, eps, *, accuracy: float = GROK_ACCURACY) -> np.ndarray:
    """``γ_c`` above which the gen accuracy never reaches ``accuracy``: the root of
    ``L_gen(∞; γ) = L_c(ε)``, approximately ``sqrt(8(1-λ)³ L_c)`` (λ < 1). Bisection in
    ``log γ`` on the exact eq. 15 limit; ``0`` for ``λ ≥ 1`` where the atom's floor ½(1-1/λ)
    already exceeds any threshold met here."""
    lam, eps = np.broadcast_arrays(_positive("lam", lam), _positive("eps", eps))
    level = loss_at_accuracy(accuracy, eps)
    log_lo, log_hi = np.full(lam.shape, np.log(1e-12)), np.full(lam.shape, np.log(1e2))
    for _ in range(80):
        mid = (log_lo + log_hi) / 2
        floor = losses(np.inf, lam, eta=1.0, gamma=np.exp(mid))[1]
        below = floor < level
        log_lo, log_hi = np.where(below, mid, log_lo), np.where(below, log_hi, mid)
    never = losses(np.inf, lam, eta=1.0, gamma=1e-12)[1] >= level
    return np.where(never, 0.0, np.exp(log_lo))


def effective_eps_for_init_scale(eps, init_scale) -> np.ndarray:
    """Scaling ``S₀ → αS₀`` multiplies every loss by ``(1+α²)/2`` (γ = 0), which is the same as
    the threshold ``ε → 2ε/(1+α²)`` (Sec. 3.1.3)."""
    return 2 * _positive("eps", eps) / (1 + _non_negative("init_scale", init_scale) ** 2)


def label_noise_floor(lam, noise_var) -> np.ndarray:
    """``L_gen(∞) = σ²λ/(1-λ)`` for label noise of variance ``σ²`` (λ < 1, noiseless test labels,
    γ = 0): the least-squares solution fits the noise. The paper says the dynamics are unchanged
    and adds a constant ``∝ σ²``; this is that constant."""
    lam = _below_one("lam", lam)
    return _non_negative("noise_var", noise_var) * lam / (1 - lam)


def two_layer_learning_rate(eta: float, d_out, *, h0: float = 0.5) -> np.ndarray:
    """Eq. 19's effective rate of the frozen-kernel two-layer network, ``η h₀/d_out²``, with
    ``h₀ = ½`` at the paper's init (``‖S⁽¹⁾‖² = ½``: ``η_eff = η/(2 d_out²)``)."""
    return _positive("eta", eta) * h0 / _positive("d_out", d_out) ** 2


def two_layer_losses(t, lam, *, eta: float, d_out: int, d_hidden: int, n_nodes: int = 400):
    """Eq. 19: ``L^{2L}(t) = ‖D₀‖² L^{1L}(η_eff, λ, t)`` with ``‖D₀‖² = 1/(2 d_h)``, the expected
    end-to-end distance at the paper's init (``E‖S⁽⁰⁾S⁽¹⁾‖² = E‖T⁽⁰⁾T⁽¹⁾‖² = 1/(4d_h)``), and
    ``1/d_out`` for the mean over outputs. Returns ``(L_tr, L_gen)``."""
    rate = two_layer_learning_rate(eta, d_out)
    train, gen = losses(t, lam, eta=float(rate), n_nodes=n_nodes)
    scale = 1 / (2 * _positive("d_hidden", d_hidden) * d_out)
    return scale * train, scale * gen


def two_layer_grokking_times(
    lam, eps, *, eta: float, d_out: int, d_hidden: int, accuracy: float = GROK_ACCURACY
) -> tuple[np.ndarray, np.ndarray]:
    """``(t*_tr, t*_gen)`` of eq. 19's two-layer theory with the χ²_{d_out} accuracy map."""
    lam, eps = np.broadcast_arrays(np.asarray(lam, dtype=float), np.asarray(eps, dtype=float))
    level = loss_at_accuracy(accuracy, eps, d_out)
    kw = {"eta": eta, "d_out": d_out, "d_hidden": d_hidden}
    return (
        crossing_times(lambda t: two_layer_losses(t, lam, **kw)[0], level),
        crossing_times(lambda t: two_layer_losses(t, lam, **kw)[1], level),
    )
