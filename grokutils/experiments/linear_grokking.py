"""Measurements of the linear-grokking chapter (Levi, Beck & Bar-Sinai): what its claims decide on.

Two kinds of numbers come out of here:

* **exact** ones, from the deterministic theory (:mod:`grokutils.theory.linear_grokking`):
  a closed form against its quadrature, an asymptote against the exact curve, a property of a
  phase diagram. The chapter wraps them in :meth:`Estimate.exact`.
* **per-run** ones, one value per independent teacher-student draw (runs are seeds; the
  leading axis of every simulation array), which the chapter turns into an interval over seeds
  (:meth:`Estimate.mean`, :meth:`Estimate.median`, :meth:`Estimate.fraction`, or a bootstrap of a
  seed-averaged curve).

A run that never reaches its grokking accuracy has ``t* = inf``; :func:`finite_or_nan` maps it to
NaN where a mean is taken (the claim is then inconclusive, never silently dropped), and
:func:`censored_ratio` keeps it as the lower bound ``horizon/theory`` where a claim only says "at
least".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from grokutils.models import linear_estimator as le
from grokutils.theory import linear_grokking as th

RESOLVED_LOSS = 1e-200
"""Losses below this are left out of ratio checks (they underflow towards 0 at late times)."""


def finite_or_nan(values) -> np.ndarray:
    """``values`` as floats with every non-finite entry (a run that never crossed) as NaN."""
    values = np.asarray(values, dtype=float)
    return np.where(np.isfinite(values), values, np.nan)


def finite_ratio(numerator, denominator) -> np.ndarray:
    """``numerator/denominator`` per run, NaN wherever either is not finite (a run that never
    crossed, on either side), without floating-point warnings."""
    a, b = np.broadcast_arrays(np.asarray(numerator, float), np.asarray(denominator, float))
    ok = np.isfinite(a) & np.isfinite(b) & (b != 0)
    return np.divide(a, b, out=np.full(a.shape, np.nan), where=ok)


def censored_ratio(times, theory: float, horizon: float) -> np.ndarray:
    """``min(t*, horizon)/theory`` per run: a run that did not cross within the simulated
    ``horizon`` counts at the horizon, a lower bound on its true ratio (for "at least" claims)."""
    times = np.asarray(times, dtype=float)
    return np.minimum(times, horizon) / theory


# --- exact checks of the theory (no randomness) -------------------------------------------------


def closed_form_error(lams: Sequence[float], t, *, eta: float) -> float:
    """Largest relative difference between eq. 9 and the MP quadrature of ``L_tr`` (statement 1),
    over ``lams`` and the times ``t`` where the closed form is resolved (> 1e-250)."""
    worst = 0.0
    for lam in lams:
        closed = th.train_loss_closed_form(t, lam, eta=eta)
        quadrature = th.losses(t, lam, eta=eta)[0]
        resolved = closed > 1e-250
        worst = max(worst, float(np.abs(quadrature[resolved] / closed[resolved] - 1).max()))
    return worst


def sgd_error(problem: le.TeacherStudent, steps: int, *, eta: float, gamma: float) -> float:
    """Largest difference between ``steps`` of torch SGD and the eigenbasis closed form,
    relative to the largest entry (statement 2)."""
    exact = le.distance_at(problem, [steps], eta=eta, gamma=gamma)[:, 0]
    looped = le.sgd_reference(problem, steps, eta=eta, gamma=gamma)
    return float(np.abs(looped - exact).max() / np.abs(exact).max())


def identity_error(lam: float, t, *, eta: float, h: float = 0.05) -> float:
    """Largest relative violation of eq. 21, ``-(1/4η) dL_gen/dt = L_tr``, with a central
    difference of half-width ``h`` steps (statement 3)."""
    t = np.asarray(t, dtype=float)
    slope = (th.losses(t + h, lam, eta=eta)[1] - th.losses(t - h, lam, eta=eta)[1]) / (2 * h)
    return float(np.abs(-slope / (4 * eta) / th.losses(t, lam, eta=eta)[0] - 1).max())


def envelope_ratio(lams, eps, *, eta: float, t_max: float = 1e10) -> np.ndarray:
    """Numerical ``Δt`` over eq. 12's ``ε → 0`` envelope, ``[len(eps), len(lams)]``."""
    lams, eps = np.asarray(lams, dtype=float), np.asarray(eps, dtype=float)[:, None]
    return th.grokking_delay(lams, eps, eta=eta, t_max=t_max) / th.grokking_delay_eq12(
        lams, eta=eta
    )


def lambert_error(lams, eps: float, *, eta: float, t_max: float = 1e10) -> float:
    """Largest ``|Δt_eq24/Δt_numerical - 1|`` over ``lams`` at threshold ``eps`` (eq. 24)."""
    t_tr, t_gen = th.grokking_times_lambert(lams, eps, eta=eta)
    return float(
        np.abs((t_gen - t_tr) / th.grokking_delay(lams, eps, eta=eta, t_max=t_max) - 1).max()
    )


def late_time_checks(lam: float, *, eta: float) -> dict[str, float]:
    """Fig. 6: worst ``|eq. 22/exact - 1|`` and ``|eq. 23/exact - 1|`` for ``t ≥ 1e3`` (up to
    ``10^5.5``), and eq. 11 over the exact gen loss at ``t = 1e4`` and ``1e5``."""
    t = np.geomspace(1e3, 10**5.5, 200)
    train, gen = th.losses(t, lam, eta=eta)
    at = np.array([1e4, 1e5])
    leading = th.gen_loss_leading(at, lam, eta=eta) / th.losses(at, lam, eta=eta)[1]
    return {
        "eq. 22": float(np.abs(th.train_loss_late(t, lam, eta=eta) / train - 1).max()),
        "eq. 23": float(np.abs(th.gen_loss_late(t, lam, eta=eta) / gen - 1).max()),
        "eq. 11 at 1e4": float(leading[0]),
        "eq. 11 at 1e5": float(leading[1]),
    }


def peak_output_dimension(d_grid, delays) -> np.ndarray:
    """``d_out`` of the largest theoretical ``Δt`` per row of ``delays [..., len(d_grid)]``."""
    return np.asarray(d_grid)[np.nanargmax(delays, axis=-1)]


def weight_decay_ratio_error(lams, gammas, *, eta: float) -> float:
    """Largest ``|L_gen(∞)/L_tr(∞)·(1-λ)² - 1|`` of eq. 15 over ``lams × gammas`` (claim 14a)."""
    worst = 0.0
    for lam in lams:
        for gamma in gammas:
            train, gen = th.losses(np.inf, lam, eta=eta, gamma=gamma)
            worst = max(worst, abs(float(gen / train) * (1 - lam) ** 2 - 1))
    return worst


def critical_edge(gammas, lams, delay) -> np.ndarray:
    """Per ``λ`` column of ``delay [len(gammas), len(lams)]``: the largest ``γ`` that still
    groks (finite ``Δt``), 0 where none does."""
    gammas = np.asarray(gammas)
    finite = np.isfinite(delay)
    return np.array(
        [gammas[finite[:, j]].max() if finite[:, j].any() else 0.0 for j in range(len(lams))]
    )


# --- per-run statistics of the simulations (runs = seeds, axis 0) --------------------------------


def empirical_loss_deviation(sims: Sequence[Mapping[str, np.ndarray]]) -> np.ndarray:
    """Per run: the largest ``|L_gen,empirical/L_gen,analytic - 1|`` over the logged steps (where
    the analytic loss is resolved) of every trajectory in ``sims`` (statement 4). ``[runs]``."""
    worst = []
    for sim in sims:
        analytic, empirical = sim["gen_loss"], sim["gen_loss_empirical"]
        resolved = analytic > RESOLVED_LOSS
        ratio = np.divide(empirical, analytic, out=np.ones_like(analytic), where=resolved)
        worst.append(np.abs(ratio - 1).max(axis=1))
    return np.max(worst, axis=0)


def max_log_ratio_of_means(curves: np.ndarray, theory: np.ndarray, window: np.ndarray) -> float:
    """``max |log(mean over runs of curves / theory)|`` inside ``window``.

    ``curves [runs, parts, n_t]`` (a part is one λ's train or gen loss), ``theory`` and
    ``window [parts, n_t]``. The statistic of statement 5; bootstrap it over runs."""
    mean = np.asarray(curves, dtype=float).mean(axis=0)
    return float(np.abs(np.log(mean[window] / np.asarray(theory)[window])).max())


def max_gap_of_means(curves: np.ndarray, theory: np.ndarray) -> float:
    """``max |mean over runs of curves - theory|`` (statement 6: accuracy curves), shapes as in
    :func:`max_log_ratio_of_means`."""
    return float(np.abs(np.asarray(curves, dtype=float).mean(axis=0) - theory).max())


def increasing_per_run(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Per run (the *last* axis): whether ``values`` strictly increase along ``axis`` for every
    index of the other axes. ``values [..., runs]`` -> ``[runs]`` bools; NaN counts as not
    increasing."""
    values = np.asarray(values, dtype=float)
    steps = np.diff(values, axis=axis)
    holds = steps > 0
    return holds.reshape(-1, values.shape[-1]).all(axis=0)


def decay_rate_monotone(sims: Sequence[Mapping[str, np.ndarray]], steps) -> np.ndarray:
    """Per run: in every trajectory of ``sims`` the analytic gen loss never rises and its decay
    rate ``-d log L_gen/dt`` never increases over the logged ``steps`` (statement 19; exact for
    γ = 0 since ``L_gen = Σ c_i r_i^{2t}`` with ``c_i ≥ 0`` is log-convex). ``[runs]`` bools.

    Rates that involve a loss below :data:`RESOLVED_LOSS` are left out (near the float64
    underflow the loss loses its digits, and at 0 its log is -inf); a relative slack of 1e-9 of
    the run's largest rate absorbs rounding."""
    steps = np.asarray(steps, dtype=float)
    holds = None
    for sim in sims:
        loss = sim["gen_loss"]
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.diff(np.log(loss), axis=1) / np.diff(steps)  # = -(decay rate)
        resolved = (loss[:, 1:] > RESOLVED_LOSS) & (loss[:, :-1] > RESOLVED_LOSS)
        ok = np.all(np.diff(loss, axis=1) <= 0, axis=1)
        for run in range(len(loss)):
            r = rate[run][resolved[run]]
            if len(r) > 1:
                ok[run] &= bool(np.all(np.diff(r) >= -1e-9 * np.abs(r).max()))
        holds = ok if holds is None else holds & ok
    return holds


def label_noise_floor_finite(d_in: int, n_train: int) -> float:
    """``L_gen(∞)/σ²`` of least squares at finite size: ``E tr[(XᵀX)^{-1}]·N = d_in/(N - d_in - 1)``
    (inverse-Wishart mean, Gaussian inputs, γ = 0), which tends to ``λ/(1-λ)``."""
    if n_train <= d_in + 1:
        raise ValueError(f"needs N_tr > d_in + 1; got N_tr = {n_train}, d_in = {d_in}")
    return d_in / (n_train - d_in - 1)
