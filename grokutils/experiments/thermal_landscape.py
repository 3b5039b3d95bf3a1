"""The measurements behind the claims of chapter 06 (thermal-noise charting of a loss landscape).

Every function returns an :class:`~grokutils.book.estimates.Estimate` (or ``{part: Estimate}``,
one per part of a claim) whose interval comes from the chapter's independent units:

* the **data sets** of the network runs (:func:`grokutils.models.landscape.thermal_run`): each data
  seed draws its own random inputs and labels and its own initialisation, is trained to its
  own starting point θ0 and then explored at every temperature by its own Langevin chains.
  Noise seeds of one data set share its θ0, so they are averaged *within* the data set
  (:func:`by_data_set`) and the claims are decided on the spread *between* data sets. A
  statistic across temperatures, sizes or widths (a slope, an increment, a ratio) is computed
  within each data set, or bootstrapped over data sets when it is a statistic of the
  data-set means (a ratio of means, a max/min of means);
* the **noise chains** of the toy model (:func:`grokutils.models.landscape.toy_model_run`) for its
  loss statistics, and its **coordinates** (chains × margins) for the per-margin statistics:
  the toy's loss is a sum of independent one-dimensional processes, one per margin, so every
  margin of every chain is an independent draw of the same stationary law.

The data seeds of a run move with the chapter's ``seed`` (:func:`data_seeds_for`), so that a
seed offset redraws the data sets as well as the Langevin noise. Tolerances live next to the
claims in the notebook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from scipy import special

from grokutils.book.estimates import Estimate
from grokutils.models import landscape
from grokutils.theory import thermal_landscape as theory

UNIT = "data sets"
DATA_SEED_STRIDE = 10_000
"""Seed offset ``k`` uses data seeds ``d + 10 000 k`` (init seeds ``+ 1000`` never collide)."""
ACTIVE_WINDOW = 3.0
"""A point is thermally active at T when its mean margin is below ``−ln(N T) + 3``."""


def data_seeds_for(data_seeds: Sequence[int], seed: int) -> list[int]:
    """The data seeds of the run at seed offset ``seed``: ``d + 10 000 · seed``."""
    if seed < 0:
        raise ValueError(f"seed must be >= 0; got {seed}")
    return [int(d) + DATA_SEED_STRIDE * int(seed) for d in data_seeds]


def t_label(t: float) -> str:
    return f"T={t:.0e}"


def by_data_set(values) -> np.ndarray:
    """Average over the noise-seed axis (axis 2): ``[S, n_T, n_noise, ...] -> [S, n_T, ...]``."""
    return np.asarray(values, dtype=float).mean(2)


# ----------------------------------------------------------------------- main temperature sweep


def dimensions(run: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``D_mean`` and ``D_var`` of the second half of every chain, averaged over the noise
    seeds of each data set: two ``[S, n_T]``."""
    fl = landscape.fluctuation_summary(run)
    return by_data_set(fl["d_mean"]), by_data_set(fl["d_var"])


def mean_loss(run: Mapping[str, np.ndarray]) -> np.ndarray:
    """Time-averaged loss over the second half, noise-averaged per data set: ``[S, n_T]``."""
    half = run["loss"].shape[-1] // 2
    return by_data_set(run["loss"][..., half:].mean(-1))


def per_temperature(values, temperatures, scale: float = 1.0) -> dict[str, Estimate]:
    """``{T: mean over data sets of values[:, T] / scale}`` from ``values [S, n_T]``."""
    values = np.asarray(values, dtype=float)
    return {
        t_label(t): Estimate.mean(values[:, i] / scale, unit=UNIT)
        for i, t in enumerate(temperatures)
    }


def loglog_slope(mean_loss_, temperatures) -> Estimate:
    """Slope of ``log ⟨L⟩`` against ``log T`` fitted within each data set (``[S, n_T]``, the
    temperatures of the fit), mean over data sets."""
    logt = np.log(np.asarray(temperatures, dtype=float))
    slopes = np.polyfit(logt, np.log(np.asarray(mean_loss_, dtype=float)).T, 1)[0]
    return Estimate.mean(slopes, unit=UNIT)


def spread_of_means(values) -> Estimate:
    """``max / min`` over the columns of the data-set means of ``values [S, k]``, bootstrapped
    over data sets (the statistic of the seed-averaged curve, not of each data set)."""

    def statistic(v):
        m = v.mean(0)
        return m.max() / m.min()

    return Estimate.bootstrap(statistic, np.asarray(values, dtype=float), unit=UNIT)


def ratio_of_means(numerator, denominator) -> Estimate:
    """``mean(numerator) / mean(denominator)`` of paired per-data-set values ``[S]``,
    bootstrapped over data sets (resampled jointly)."""
    num, den = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    return Estimate.bootstrap(lambda a, b: a.mean() / b.mean(), num, den, unit=UNIT)


def ratios_of_means(numerator, denominator, labels) -> dict[str, Estimate]:
    """:func:`ratio_of_means` per column of ``[S, k]`` arrays, one part per label."""
    num, den = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    return {label: ratio_of_means(num[:, i], den[:, i]) for i, label in enumerate(labels)}


def increments(values, labels: Sequence[str]) -> dict[str, Estimate]:
    """Consecutive increments ``values[:, k+1] − values[:, k]`` within each data set
    (``[S, K]``), mean over data sets, one part per pair: ``{"a→b": Estimate}``. A curve
    increases when every part lies above zero."""
    values = np.asarray(values, dtype=float)
    diffs = np.diff(values, axis=1)
    return {
        f"{labels[k]}→{labels[k + 1]}": Estimate.mean(diffs[:, k], unit=UNIT)
        for k in range(diffs.shape[1])
    }


def below_start(run: Mapping[str, np.ndarray], index: int = 0) -> Estimate:
    """``⟨L⟩`` at temperature ``index`` over the loss at the start θ0, within each data set,
    mean over data sets (below one: the Langevin dynamics went *down* from θ0)."""
    return Estimate.mean(mean_loss(run)[:, index] / np.asarray(run["loss0"]), unit=UNIT)


def free_diffusion_ratio(run: Mapping[str, np.ndarray]) -> dict[str, Estimate]:
    """``|θ|`` at the end of the run over ``sqrt(|θ0|² + 2 P ηT t)`` (free diffusion in the
    flat directions, :func:`~grokutils.theory.thermal_landscape.free_diffusion_sq_norm`),
    within each data set; ``{T: mean over data sets}``."""
    temps = np.asarray(run["temperatures"], dtype=float)
    sq0 = (np.asarray(run["theta0"], dtype=float) ** 2).sum(1)  # [S]
    predicted = theory.free_diffusion_sq_norm(
        sq0[:, None], run["n_params"], run["step_size"][None, :] * temps[None, :], run["steps"][-1]
    )  # [S, n_T]
    ratio = np.sqrt(by_data_set(run["sq_norm"][..., -1]) / predicted)
    return per_temperature(ratio, temps)


# ------------------------------------------------------------------- D vs N and D vs width


def size_sweep(size_run: Mapping[str, np.ndarray], n_sizes: int) -> dict[str, np.ndarray]:
    """Per data set and size ``[S, n_sizes]`` of a one-temperature :func:`thermal_run` over
    nested sizes: ``d_points`` (``Σ_i c_i``, the noise-averaged ``D_mean``) and the counts
    ``n_above_05``, ``n_above_02`` of points with ``c_i > 0.5``, ``c_i > 0.2``."""
    fl = landscape.fluctuation_summary(size_run)
    return {
        k: np.asarray(fl[k], dtype=float)[:, 0].reshape(-1, n_sizes)
        for k in ("d_points", "n_above_05", "n_above_02")
    }


def in_bracket(by_size: Mapping[str, np.ndarray]) -> np.ndarray:
    """``#{c_i > 0.5} ≤ D ≤ #{c_i > 0.2}`` per data set and size: booleans ``[S, n_sizes]``."""
    d = by_size["d_points"]
    return (by_size["n_above_05"] <= d) & (d <= by_size["n_above_02"])


def width_dimensions(width_runs: Sequence[Mapping[str, np.ndarray]]) -> np.ndarray:
    """``Σ_i c_i`` per data set at each width: ``[S, n_widths]`` (one-temperature runs)."""
    return np.stack(
        [landscape.fluctuation_summary(r)["d_points"][:, 0] for r in width_runs], axis=1
    ).astype(float)


# ----------------------------------------------------------------------------- Hessian at θ0


def significant_modes(
    theta0, x, s, width: int, lam_max, rel: float = 1e-3, spectra: Mapping | None = None
) -> np.ndarray:
    """``#{λ > rel · λ_max}`` of the Hessian at each data set's θ0 (``theta0 [S, P]``, data
    ``x [S, N, d]``, ``s [S, N]``, ``lam_max [S]``): ``[S]`` integers, counted by inertia on
    the dense Hessian, or on ``spectra[k]`` (all eigenvalues) where a data set's spectrum is
    already known."""
    spectra = spectra or {}
    counts = []
    for k in range(len(theta0)):  # one dense P × P Hessian per data set
        threshold = rel * float(lam_max[k])
        if k in spectra:
            counts.append(int((np.asarray(spectra[k]) > threshold).sum()))
            continue
        matrix = landscape.dense_hessian(torch.as_tensor(theta0[k]), x[k], s[k], width)
        counts.append(landscape.count_eigenvalues_above(matrix, threshold))
    return np.asarray(counts)


# ------------------------------------------------------------------------ margin mechanism


def margin_mechanism(run: Mapping[str, np.ndarray], temperatures) -> dict[str, np.ndarray]:
    """:func:`grokutils.models.landscape.margin_mechanism` within each data set: the points active
    at every one of ``temperatures`` (noise-averaged margins), per data set ``shift_per_decade
    [S, k − 1]`` (median over its active points of ``Δ⟨m⟩ / Δlog10 T``), ``median_var [S, k]``
    and ``n_common [S]``. A data set with no point active at all T gives NaN."""
    temps = np.asarray(temperatures, dtype=float)
    index = [int(np.flatnonzero(np.isclose(run["temperatures"], t))[0]) for t in temps]
    mean = run["margin_mean"][:, index].mean(2)  # [S, k, N]
    var = run["margin_var"][:, index].mean(2)
    common = landscape.active_points(
        mean, temps[None, :], run["n_points"][:, None], ACTIVE_WINDOW
    ).all(1)  # [S, N]
    decades = np.log10(temps[1:] / temps[:-1])
    shift, median_var = [], []
    for k in range(len(mean)):  # per data set: its own active points
        m, v = mean[k][:, common[k]], var[k][:, common[k]]  # [k_T, points]
        if m.shape[1] == 0:
            shift.append(np.full(len(temps) - 1, np.nan))
            median_var.append(np.full(len(temps), np.nan))
            continue
        shift.append(np.median((m[:-1] - m[1:]) / decades[:, None], axis=1))
        median_var.append(np.median(v, axis=1))
    return {
        "shift_per_decade": np.asarray(shift),
        "median_var": np.asarray(median_var),
        "n_common": common.sum(1),
    }


# ------------------------------------------------------------------------------- toy model


def toy_dimension_ratios(
    toy: Mapping[str, np.ndarray], temperatures, n_coords: int, alpha: float
) -> dict[str, dict[str, Estimate]]:
    """``D_mean`` and ``D_var`` of each toy chain (second half) over the exact ``2nα``:
    ``{"D_mean": {T: Estimate}, "D_var": {T: Estimate}}``, means over noise chains."""
    temps = np.asarray(temperatures, dtype=float)
    half = toy["loss"][..., toy["loss"].shape[-1] // 2 :]
    d_mean, d_var = landscape.dimension_estimates(half, temps[:, None])  # [n_T, n_noise]
    exact = 2 * n_coords * alpha
    return {
        name: {t_label(t): Estimate.mean(d[i] / exact, unit="chains") for i, t in enumerate(temps)}
        for name, d in (("D_mean", d_mean), ("D_var", d_var))
    }


def toy_margin_ratios(
    toy: Mapping[str, np.ndarray], temperatures, alpha: float
) -> dict[str, dict[str, Estimate]]:
    """Per-margin statistics of the toy over their closed forms, units the margins of all
    chains (``n_noise × n`` independent processes per T):

    * ``curvature``: ``⟨e^{−u}⟩ / (α T)``, mean over margins;
    * ``Var u``: ``(mean ⟨u²⟩ − (mean ⟨u⟩)²) / ψ₁(α)`` (the pooled variance, which a short
      window does not bias low), bootstrapped over margins;
    * ``⟨u⟩ + ln T``: ``(⟨u⟩ + ln T) / (−ψ(α))``, mean over margins.
    """
    temps = np.asarray(temperatures, dtype=float)
    n_t = len(temps)
    curv = toy["mean_curvature"].reshape(n_t, -1)
    m, m2 = toy["mean_margin"].reshape(n_t, -1), toy["mean_sq_margin"].reshape(n_t, -1)
    psi, psi1 = float(special.digamma(alpha)), float(special.polygamma(1, alpha))
    unit = "margins"

    def pooled(a, b):
        return (b.mean() - a.mean() ** 2) / psi1

    out: dict[str, dict[str, Estimate]] = {"curvature": {}, "Var u": {}, "⟨u⟩ + ln T": {}}
    for i, t in enumerate(temps):
        label = t_label(t)
        out["curvature"][label] = Estimate.mean(curv[i] / (alpha * t), unit=unit)
        out["Var u"][label] = Estimate.bootstrap(pooled, m[i], m2[i], unit=unit)
        out["⟨u⟩ + ln T"][label] = Estimate.mean((m[i] + np.log(t)) / -psi, unit=unit)
    return out


# --------------------------------------------------------------- variance estimators' guard


def too_few_samples(ess: float, half_width: float, what: str) -> str | None:
    """Why a variance-based estimate cannot be decided, or ``None``: the sample variance of
    a series with ``ess`` effective samples has a relative error ≈ ``sqrt(2 / ess)`` (and a
    bias of the same order, which averaging over units does not remove); the claim is left
    inconclusive when three of those exceed the tolerance's ``half_width`` (relative)."""
    if ess <= 0:
        return f"{what}: no effective samples"
    rel = float(np.sqrt(2 / ess))
    if 3 * rel <= half_width:
        return None
    return (
        f"{what} rel. error ≈ {rel:.0%} from {ess:.0f} effective samples "
        f"(3 of them exceed ±{half_width:.0%})"
    )


def loss_ess(run_summary: Mapping[str, np.ndarray], columns) -> float:
    """Fewest effective samples of the loss at one data set and temperature (``columns`` of
    the temperature axis), pooled over its noise seeds: ``fluctuation_summary(run)["ess"]``
    summed over axis 2, minimum over data sets and the chosen temperatures."""
    return float(np.asarray(run_summary["ess"])[:, columns].sum(2).min())


def toy_loss_ess(toy: Mapping[str, np.ndarray]) -> float:
    """Fewest effective samples of the toy's loss at one temperature, pooled over its chains."""
    from grokutils.measures.stability import time_average

    half = toy["loss"][..., toy["loss"].shape[-1] // 2 :]
    return float(time_average(half).ess.sum(1).min())
