"""Estimators for statistical algorithmic stability (SAS) and for non-convergent training.

Chandramoorthy, Loukas, Gatmiry & Jegelka (2022) compare *time averages* of the loss along a
training trajectory that never converges, for datasets that differ in one example. This module
holds the statistics that make such comparisons honest on autocorrelated series:

- time averages with standard errors corrected by the integrated autocorrelation time
  (:func:`integrated_autocorrelation_time`, :func:`time_average`), and a drift test
  (:func:`drift_z`) that flags series that are still trending after burn-in;
- the SAS estimate exactly as the authors' code computes it (:func:`sas_pair_mean`: mean over
  pairs of runs of ``|Δ time-averaged test loss|``, with their naive pair standard error), its
  same-dataset / different-seed floor (:func:`seed_floor`), a debiased version
  (:func:`sas_debiased`) and a cluster bootstrap over datasets (:func:`cluster_bootstrap_sas`);
- Wasserstein-1 between loss distributions (:func:`wasserstein1`) and Spearman's ρ with a
  bootstrap interval over configurations (:func:`spearman_interval`).

Series are numpy arrays whose *last* axis is time; leading axes index independent series (a
:class:`~grokutils.core.trajectory.Trajectory` series ``[runs, T]`` is one).
Autocorrelation convention (Sokal): ``τ_int = 1/2 + Σ_{t≥1} ρ(t)``, so the variance of a time
average of N points is ``2 τ_int σ² / N`` and the effective sample size is ``N / (2 τ_int)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


def _series(x, name: str, min_len: int = 4) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim < 1 or x.shape[-1] < min_len:
        raise ValueError(f"{name} must have a time axis (last) of length >= {min_len}; {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} has non-finite values")
    return x


def autocorrelation(x) -> np.ndarray:
    """Normalised autocorrelation ρ(t), t = 0..N-1, of series ``x[..., N]`` (FFT, biased
    estimator: the sum of lag products divided by N). A constant series gives ρ = 1 at lag 0
    and 0 elsewhere."""
    x = _series(x, "x", min_len=2)
    n = x.shape[-1]
    centred = x - x.mean(-1, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centred, n=size, axis=-1)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=-1)[..., :n]
    var = acov[..., :1]
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(var > 0, acov / np.where(var > 0, var, 1.0), 0.0)
    rho[..., 0] = 1.0
    return rho


def integrated_autocorrelation_time(x, c: float = 5.0) -> np.ndarray:
    """Integrated autocorrelation time ``τ_int = 1/2 + Σ_{t=1}^{W} ρ(t)`` of ``x[..., N]``, in
    units of the sampling interval, with Sokal's automatic window: the smallest W with
    ``W >= c τ_int(W)``. Shape ``x.shape[:-1]``; at least 1/2 (white noise gives 1/2).

    For an AR(1) series with coefficient φ, ``τ_int = (1 + φ) / (2 (1 - φ))``.
    """
    if c <= 0:
        raise ValueError(f"c must be > 0; got {c}")
    rho = autocorrelation(x)
    taus = np.cumsum(rho, axis=-1) - 0.5  # τ(W) for W = 0..N-1
    lags = np.arange(rho.shape[-1])
    inside = lags >= c * taus
    # the first W where the window condition holds; the last lag if it never does
    window = np.where(inside.any(-1), inside.argmax(-1), rho.shape[-1] - 1)
    tau = np.take_along_axis(taus, window[..., None], axis=-1)[..., 0]
    return np.maximum(tau, 0.5)


@dataclass(frozen=True)
class TimeAverage:
    """Time average of series ``[..., N]``: ``mean``, its autocorrelation-corrected standard
    error ``se = sqrt(2 τ_int var / N)``, ``tau`` (τ_int) and ``ess = N / (2 τ_int)``."""

    mean: np.ndarray
    se: np.ndarray
    tau: np.ndarray
    ess: np.ndarray


def time_average(x, c: float = 5.0) -> TimeAverage:
    """Time average of ``x[..., N]`` with its standard error corrected for autocorrelation."""
    x = _series(x, "x")
    n = x.shape[-1]
    tau = integrated_autocorrelation_time(x, c)
    var = x.var(-1)
    return TimeAverage(x.mean(-1), np.sqrt(2 * tau * var / n), tau, n / (2 * tau))


def running_average(x) -> np.ndarray:
    """``A(T) = (1/T) Σ_{t<T} x_t`` for T = 1..N, shape of ``x[..., N]`` (the paper's time
    average as a function of the averaging window)."""
    x = np.asarray(x, dtype=float)
    return np.cumsum(x, axis=-1) / np.arange(1, x.shape[-1] + 1)


def drift_z(x, c: float = 5.0) -> np.ndarray:
    """z-score of a linear trend in ``x[..., N]``: OLS slope divided by its standard error,
    the error inflated by ``sqrt(2 τ_int)`` of the residuals. ``|z| > 3`` flags a series that
    is still drifting (non-stationary) after burn-in. Shape ``x.shape[:-1]``."""
    x = _series(x, "x")
    n = x.shape[-1]
    t = np.arange(n) - (n - 1) / 2
    sxx = (t**2).sum()
    slope = (x * t).sum(-1) / sxx
    resid = x - x.mean(-1, keepdims=True) - slope[..., None] * t
    tau = integrated_autocorrelation_time(resid, c)
    se = np.sqrt(2 * tau * (resid**2).sum(-1) / (n - 2) / sxx)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, slope / np.where(se > 0, se, 1.0), 0.0)


def _labels(values, dataset, seed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    values = np.asarray(values, dtype=float)
    dataset, seed = np.asarray(dataset), np.asarray(seed)
    if values.ndim < 1 or dataset.shape != values.shape[:1] or seed.shape != values.shape[:1]:
        raise ValueError(
            f"dataset and seed must label the runs (first axis of values {values.shape}); "
            f"got {dataset.shape} and {seed.shape}"
        )
    return values, dataset, seed


def pair_indices(dataset, seed, same_dataset: bool, same_seed: bool):
    """Index arrays ``(i, j)``, i < j, of the pairs of runs whose datasets are (not) the same
    and whose seeds are (not) the same. The paper's SAS pairs: ``same_dataset=False,
    same_seed=True``; the floor: ``same_dataset=True, same_seed=False``."""
    dataset, seed = np.asarray(dataset), np.asarray(seed)
    i, j = np.triu_indices(len(dataset), k=1)
    keep = ((dataset[i] == dataset[j]) == same_dataset) & ((seed[i] == seed[j]) == same_seed)
    return i[keep], j[keep]


@dataclass(frozen=True)
class PairMean:
    """Mean of ``|Δ|`` over pairs of runs; ``se`` the paper's formula ``sqrt(var / n_pairs)``,
    which treats the pairs as independent (they are not: use :func:`cluster_bootstrap_sas`)."""

    mean: np.ndarray
    se: np.ndarray
    n_pairs: int


def _pair_mean(values, i, j, what: str) -> PairMean:
    if len(i) == 0:
        raise ValueError(f"no {what} pairs among the runs")
    d = np.abs(values[i] - values[j])
    return PairMean(d.mean(0), np.sqrt(d.var(0) / len(i)), len(i))


def sas_pair_mean(values, dataset, seed) -> PairMean:
    """The SAS estimate of the authors' code (``utils/plot_stst_final.py``): the mean over
    pairs of runs on *different* datasets with the *same* seed (common initialisation and
    data order) of ``|Ā_i − Ā_j|``, where ``values[runs, ...]`` are time-averaged test losses
    (trailing axes, e.g. the averaging window T, are kept). A lower bound on β: the sup over
    test points is replaced by the test-set mean, and only a few dataset pairs are tried."""
    values, dataset, seed = _labels(values, dataset, seed)
    i, j = pair_indices(dataset, seed, same_dataset=False, same_seed=True)
    return _pair_mean(values, i, j, "different-dataset/same-seed")


def seed_floor(values, dataset, seed) -> PairMean:
    """The same pair mean over runs on the *same* dataset with *different* seeds: what
    ``|Δ time average|`` is when no training example changes (Monte-Carlo and ergodicity
    floor of :func:`sas_pair_mean`)."""
    values, dataset, seed = _labels(values, dataset, seed)
    i, j = pair_indices(dataset, seed, same_dataset=True, same_seed=False)
    return _pair_mean(values, i, j, "same-dataset/different-seed")


def sas_debiased(values, dataset, seed) -> np.ndarray:
    """``sqrt(max(0, mean Δ²[different data, different seed] − mean Δ²[same data, different
    seed]))``: the part of the squared difference of time averages that the change of data
    adds on top of the seed-to-seed variation."""
    values, dataset, seed = _labels(values, dataset, seed)
    i, j = pair_indices(dataset, seed, same_dataset=False, same_seed=False)
    k, m = pair_indices(dataset, seed, same_dataset=True, same_seed=False)
    if len(i) == 0 or len(k) == 0:
        raise ValueError("sas_debiased needs runs of >= 2 datasets with >= 2 seeds each")
    signal = ((values[i] - values[j]) ** 2).mean(0)
    noise = ((values[k] - values[m]) ** 2).mean(0)
    return np.sqrt(np.maximum(0.0, signal - noise))


def cluster_bootstrap_sas(
    values, dataset, seed, n_boot: int = 1000, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Bootstrap replicates of :func:`sas_pair_mean` that resample *datasets* (clusters) with
    replacement, so that the dependence of pairs that share a run is kept. Pairs of a dataset
    with its own copy are left out. ``values`` is ``[runs]``; returns ``[n_boot]`` (NaN where a
    replicate drew a single dataset)."""
    values, dataset, seed = _labels(values, dataset, seed)
    if values.ndim != 1:
        raise ValueError(f"values must be [runs]; got {values.shape}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1; got {n_boot}")
    rng = np.random.default_rng(0) if rng is None else rng
    ids, dcode = np.unique(dataset, return_inverse=True)
    seeds, scode = np.unique(seed, return_inverse=True)
    table = np.full((len(ids), len(seeds)), np.nan)  # time average of (dataset, seed)
    table[dcode, scode] = values
    diff = np.abs(table[:, None, :] - table[None, :, :])  # [datasets, datasets, seeds]
    draw = rng.integers(0, len(ids), size=(n_boot, len(ids)))
    d = diff[draw[:, :, None], draw[:, None, :]]  # [boot, k, k, seeds]
    valid = (draw[:, :, None] != draw[:, None, :])[..., None] & np.isfinite(d)
    upper = np.triu(np.ones((len(ids), len(ids)), dtype=bool), k=1)[None, :, :, None]
    valid &= upper
    total = np.where(valid, d, 0.0).sum((1, 2, 3))
    count = valid.sum((1, 2, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def wasserstein1(x, y) -> np.ndarray:
    """Wasserstein-1 distance between the empirical distributions of ``x[..., N]`` and
    ``y[..., N]`` (equal sizes: the mean absolute difference of the sorted samples), batched
    over leading axes. It bounds the difference of means: ``|mean x − mean y| <= W₁``."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape[-1] != y.shape[-1] or x.shape[-1] < 1:
        raise ValueError(f"x and y need equal, non-empty last axes; got {x.shape}, {y.shape}")
    return np.abs(np.sort(x, -1) - np.sort(y, -1)).mean(-1)


@dataclass(frozen=True)
class SpearmanInterval:
    """Spearman's ρ of n points, its percentile bootstrap interval ``(low, high)`` at
    ``level`` over resampled points, and the two-sided p-value of ρ = 0 (``scipy``)."""

    rho: float
    low: float
    high: float
    pvalue: float
    n: int


def spearman_interval(
    x, y, n_boot: int = 2000, level: float = 0.95, rng: np.random.Generator | None = None
) -> SpearmanInterval:
    """Spearman's ρ between ``x[n]`` and ``y[n]`` with a bootstrap interval over the n points
    (configurations). Resamples where either variable is constant are dropped; a constant
    ``x`` or ``y`` gives NaN throughout (ρ is undefined)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or len(x) < 3:
        raise ValueError(f"x and y must be 1-D of equal length >= 3; got {x.shape}, {y.shape}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level}")
    rng = np.random.default_rng(0) if rng is None else rng
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return SpearmanInterval(np.nan, np.nan, np.nan, np.nan, len(x))
    result = stats.spearmanr(x, y)
    draw = rng.integers(0, len(x), size=(n_boot, len(x)))
    rx, ry = stats.rankdata(x[draw], axis=1), stats.rankdata(y[draw], axis=1)
    rx -= rx.mean(1, keepdims=True)
    ry -= ry.mean(1, keepdims=True)
    norm = np.sqrt((rx**2).sum(1) * (ry**2).sum(1))
    ok = norm > 0
    rhos = (rx * ry).sum(1)[ok] / norm[ok]
    low, high = np.quantile(rhos, [(1 - level) / 2, (1 + level) / 2])
    return SpearmanInterval(
        float(result.statistic), float(low), float(high), float(result.pvalue), len(x)
    )


COLLAPSE_FRACTION = 0.9
"""A run has collapsed when its final training loss exceeds this fraction of ln K (or is not
finite): it predicts (nearly) the constant distribution, and its SAS and gap are both ~0."""


def collapsed(final_train_loss, n_classes: int) -> np.ndarray:
    """Mask of collapsed or diverged runs (see :data:`COLLAPSE_FRACTION`)."""
    loss = np.asarray(final_train_loss, dtype=float)
    return ~np.isfinite(loss) | (loss > COLLAPSE_FRACTION * np.log(n_classes))


def window_means(x, n_windows: int) -> np.ndarray:
    """Means of ``x[..., N]`` over ``n_windows`` consecutive equal windows (the last ``N mod
    n_windows`` points dropped): ``[..., n_windows]``."""
    x = np.asarray(x, dtype=float)
    width = x.shape[-1] // n_windows
    if n_windows < 1 or width < 1:
        raise ValueError(f"n_windows must be in [1, {x.shape[-1]}]; got {n_windows}")
    return x[..., : width * n_windows].reshape(*x.shape[:-1], n_windows, width).mean(-1)


def ensemble_law_drift(x, n_windows: int) -> tuple[np.ndarray, np.ndarray]:
    """How the law of an observable across an ensemble of runs changes with time.

    ``x[runs, N]`` is split into ``n_windows`` time windows; each window's values pooled over
    runs are an empirical law. Returns ``(w1_next [n_windows − 1], w1_split [n_windows])``:
    W₁ between consecutive windows' laws, and the floor, W₁ between the laws of the two halves
    of the runs within one window (what W₁ is when the law does not change)."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"x must be [runs >= 2, N]; got {x.shape}")
    width = x.shape[1] // n_windows
    if n_windows < 2 or width < 1:
        raise ValueError(f"n_windows must be in [2, {x.shape[1]}]; got {n_windows}")
    w = x[:, : width * n_windows].reshape(x.shape[0], n_windows, width).transpose(1, 0, 2)
    half = x.shape[0] // 2
    pooled = w.reshape(n_windows, -1)
    w1_next = wasserstein1(pooled[:-1], pooled[1:])
    w1_split = wasserstein1(
        w[:, :half].reshape(n_windows, -1), w[:, half : 2 * half].reshape(n_windows, -1)
    )
    return w1_next, w1_split


def time_average_convergence(x, fit_from: float = 0.25) -> tuple[np.ndarray, float]:
    """Spread across runs of the running time averages of ``x[runs, N]``: returns the SD over
    runs of A(T) for T = 1..N ``[N]`` and its log-log slope against T fitted on
    T ≥ ``fit_from``·N. For stationary series the slope is −1/2 (SD ≈ sqrt(2 τ_int σ² / T))."""
    x = _series(x, "x")
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"x must be [runs >= 2, N]; got {x.shape}")
    if not 0 <= fit_from < 1:
        raise ValueError(f"fit_from must be in [0, 1); got {fit_from}")
    spread = running_average(x).std(0, ddof=1)
    t = np.arange(1, x.shape[1] + 1)
    fit = t >= max(2, fit_from * x.shape[1])
    return spread, float(np.polyfit(np.log(t[fit]), np.log(spread[fit]), 1)[0])


@dataclass(frozen=True)
class Ergodicity:
    """Time averages against the ensemble average (see :func:`ergodicity_check`)."""

    per_run: TimeAverage
    spread_ratio: float
    ensemble_z: float


def ergodicity_check(x, final) -> Ergodicity:
    """Do the runs' time averages agree with each other and with the ensemble average?

    ``x[runs, N]`` are the runs' series after burn-in and ``final[runs]`` their values at one
    late time. ``spread_ratio`` = SD over runs of the time averages / RMS of their
    autocorrelation-corrected SEs (≈ 1 for independent stationary runs); ``ensemble_z`` = (mean
    of ``final`` − mean of the time averages) / SE of the mean of ``final``."""
    x = _series(x, "x")
    final = np.asarray(final, dtype=float)
    if x.ndim != 2 or final.shape != x.shape[:1] or len(final) < 2:
        raise ValueError(f"x must be [runs >= 2, N] and final [runs]; got {x.shape}, {final.shape}")
    per_run = time_average(x)
    ratio = per_run.mean.std(ddof=1) / np.sqrt(np.mean(per_run.se**2))
    z = (final.mean() - per_run.mean.mean()) / (final.std(ddof=1) / np.sqrt(len(final)))
    return Ergodicity(per_run, float(ratio), float(z))
