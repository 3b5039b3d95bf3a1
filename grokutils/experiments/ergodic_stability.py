"""The measurements behind the claims of chapter 05 (statistical algorithmic stability).

Every function returns an :class:`~grokutils.book.estimates.Estimate` (or a dict of them, one per
part of a claim) whose interval comes from the chapter's independent units:

* the **seeds** of the non-convergence ensemble
  (:func:`grokutils.models.mlp_ensemble.nonconvergence_runs`):
  each run has its own initialisation and minibatch order, so per-seed ratios are independent
  (:func:`window_ratio`, :func:`control_ratio`, :func:`decay_cut`) and statistics of the whole
  ensemble are bootstrapped over seeds (:func:`spread_slope`, :func:`law_drift_ratio`,
  :func:`ergodicity`); Lyapunov twins are units as **twin pairs** (:func:`twins`);
* the **perturbed datasets** of the SAS grid: every statistic over configurations (the fraction
  of (lr, B) where SAS rises with noise, the median SAS / gap, the ratio of autocorrelation
  times) is recomputed on datasets resampled with replacement, jointly for every configuration
  and seed (a cluster bootstrap: pairs of a dataset with its own copy are left out), from a
  :class:`RunCube` of per-run time averages;
* the **configurations** for a correlation across hyper-parameters (:func:`spearman`);
* none for the Krylov–Bogolyubov identity, which holds for every realisation
  (:func:`krylov_bogolyubov`, an exact value).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from grokutils.book.estimates import Estimate
from grokutils.measures.stability import (
    COLLAPSE_FRACTION,
    ensemble_law_drift,
    integrated_autocorrelation_time,
    time_average,
    time_average_convergence,
    window_means,
)

CONFIG = ("noise", "lr", "batch_size")
"""Columns of ``traj.runs`` that define one configuration of the SAS grid."""
TWIN_Z = 3.0
"""A twin pair's time averages agree when |Δ time average| < 3 autocorrelation-corrected SEs."""


# ------------------------------------------------------------------ non-convergence ensemble


def groups(traj) -> dict[str, np.ndarray]:
    """Row positions of each ``group`` of a trajectory of ``nonconvergence_runs``."""
    runs = traj.runs.reset_index(drop=True)
    return {g: runs.index[runs.group == g].to_numpy() for g in runs.group.unique()}


def per_run_window_ratio(x, n_windows: int = 3) -> np.ndarray:
    """Mean of each run's series ``x[runs, N]`` over its last of ``n_windows`` equal windows
    divided by its mean over the first: ``[runs]`` (1 for a plateau, → 0 for a decay)."""
    w = window_means(x, n_windows)
    return w[:, -1] / w[:, 0]


def window_ratio(traj, series: str, n_windows: int = 3) -> Estimate:
    """Last / first window of ``series`` (``"displacement"``, ``"grad_norm"``) after burn-in,
    one ratio per seed of the constant-lr ensemble; mean over seeds with its t interval."""
    x = getattr(traj, series)[groups(traj)["constant"]][:, traj.after_burn_in]
    return Estimate.mean(per_run_window_ratio(x, n_windows), unit="seeds")


def control_ratio(traj) -> Estimate:
    """Plain-SGD control: final full-batch gradient norm over its value at 10 % of the run
    (the spec's 1.2k of 12k steps), one ratio per seed; mean with its t interval."""
    grad = traj.grad_norm[groups(traj)["control"]]
    early = np.searchsorted(traj.step, traj.step[-1] // 10)
    return Estimate.mean(grad[:, -1] / grad[:, early], unit="seeds")


def decay_cut(traj) -> dict[str, Estimate]:
    """Step decay against constant lr, seed by seed (the step runs' seeds are the first
    constant-lr seeds: same initialisation and minibatch order), over the last sixth of the
    evaluations after burn-in: ``{"gradient norm": constant / step, "training loss": constant /
    step}``, each the mean over seeds of the per-seed ratio."""
    rows = groups(traj)
    step = rows["step"]
    const = rows["constant"][: len(step)]
    end = slice(-max(1, int(traj.after_burn_in.sum()) // 6), None)

    def ratio(x):
        return x[const][:, end].mean(1) / x[step][:, end].mean(1)

    return {
        "gradient norm": Estimate.mean(ratio(traj.grad_norm), unit="seeds"),
        "training loss": Estimate.mean(ratio(traj.train_loss), unit="seeds"),
    }


def twin_measurements(twin, base) -> tuple[np.ndarray, np.ndarray]:
    """Lyapunov twins: test-loss series ``twin[pairs, N]`` and ``base[pairs, N]`` after burn-in
    (same seed, initial output bias shifted by a tiny amount). Returns per pair ``spread`` =
    RMS of the instantaneous difference / temporal SD of the base run's loss, and ``z`` =
    |time average of the difference| / its autocorrelation-corrected SE."""
    twin, base = np.asarray(twin, dtype=float), np.asarray(base, dtype=float)
    diff = twin - base
    avg = time_average(diff)
    spread = np.sqrt((diff**2).mean(1)) / base.std(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(avg.mean) / avg.se
    return spread, z


def twins(traj) -> dict[str, Estimate]:
    """Claim S1-twins in two parts over the twin pairs: the instantaneous losses separate
    (mean over pairs of the RMS difference / SD of the loss) while the time averages agree
    (fraction of pairs with |Δ time average| < 3 SE, Clopper-Pearson)."""
    rows = groups(traj)
    twin = rows["twin"]
    base = rows["constant"][: len(twin)]
    post = traj.after_burn_in
    spread, z = twin_measurements(traj.test_loss[twin][:, post], traj.test_loss[base][:, post])
    return {
        "RMS Δ / SD": Estimate.mean(spread, unit="twin pairs"),
        f"pairs with |z| < {TWIN_Z:g}": Estimate.fraction(z < TWIN_Z, unit="twin pairs"),
    }


def spread_slope(x, fit_from: float = 0.25) -> Estimate:
    """Log-log slope of the SD over runs of the running time averages of ``x[runs, N]``
    against T (:func:`grokutils.measures.stability.time_average_convergence`), bootstrapped
    over runs."""
    x = np.asarray(x, dtype=float)

    def slope(sample):
        if np.all(sample == sample[:1]):
            return np.nan  # one run drawn n times: no spread
        with np.errstate(divide="ignore", invalid="ignore"):
            return time_average_convergence(sample, fit_from)[1]

    return Estimate.bootstrap(slope, x, unit="seeds")


def law_drift_ratio(x, n_windows: int = 4) -> Estimate:
    """W₁ between the ensemble's laws in the last two of ``n_windows`` time windows over W₁
    between the first two (:func:`grokutils.measures.stability.ensemble_law_drift`) of
    ``x[runs, N]``;
    below 1 when the law settles. Bootstrapped over runs."""

    def ratio(sample):
        w1_next, _ = ensemble_law_drift(sample, n_windows)
        return w1_next[-1] / w1_next[0] if w1_next[0] > 0 else np.nan

    return Estimate.bootstrap(ratio, np.asarray(x, dtype=float), unit="seeds")


def ergodicity(x, final) -> dict[str, Estimate]:
    """Claim Z4 (:func:`grokutils.measures.stability.ergodicity_check`) with both parts bootstrapped
    over runs: ``spread ratio`` = SD over runs of the time averages of ``x[runs, N]`` / RMS of
    their autocorrelation-corrected SEs, and ``ensemble z`` = (mean of ``final[runs]`` − mean
    time average) / SE of the mean of ``final``."""
    avg = time_average(x)
    final = np.asarray(final, dtype=float)

    def spread_ratio(mean, se):
        return mean.std(ddof=1) / np.sqrt(np.mean(se**2))

    def ensemble_z(mean, last):
        sd = last.std(ddof=1)
        return (last.mean() - mean.mean()) / (sd / np.sqrt(len(last))) if sd > 0 else np.nan

    return {
        "spread ratio": Estimate.bootstrap(spread_ratio, avg.mean, avg.se, unit="seeds"),
        "ensemble z": Estimate.bootstrap(ensemble_z, avg.mean, final, unit="seeds"),
    }


def krylov_bogolyubov(f) -> tuple[Estimate, float]:
    """Zhang et al.'s theorem (our reading) on an observable ``f[runs, evals]`` with values in
    [0, 1]: the time-averaged one-step change of its ensemble mean, |mean_t (E f_{t+1} − E f_t)|
    = |E f_T − E f_0| / T, against the bound 2 max|f| / T = 2 / T (T = evals − 1 intervals).
    The identity holds for every realisation, so the value is exact. Returns (value, bound)."""
    f = np.asarray(f, dtype=float)
    if f.ndim != 2 or f.shape[1] < 2:
        raise ValueError(f"f must be [runs, evals >= 2]; got {f.shape}")
    if f.min() < 0 or f.max() > 1:
        raise ValueError("f must take values in [0, 1] (an error rate)")
    mean = f.mean(0)
    return Estimate.exact(float(np.abs(np.diff(mean).mean()))), 2 / (f.shape[1] - 1)


# ------------------------------------------------------------------ SAS grid


@dataclass(frozen=True)
class RunCube:
    """Per-run measurements of the SAS grid on the axes ``[dataset, configuration, seed]``.

    ``configs`` has one row per configuration (columns :data:`CONFIG`), in the order of axis 1;
    ``test`` and ``train`` are the time-averaged clean test and noisy training losses after
    burn-in, ``tau`` the integrated autocorrelation time of the test loss (evaluations), and
    ``collapsed`` marks runs whose final training loss exceeds 0.9 ln K (or is not finite).
    """

    configs: pd.DataFrame
    test: np.ndarray
    train: np.ndarray
    tau: np.ndarray
    collapsed: np.ndarray

    @property
    def n_datasets(self) -> int:
        return self.test.shape[0]

    @property
    def stable(self) -> np.ndarray:
        """``[configurations]``: no run of the configuration collapsed (they are excluded)."""
        return ~self.collapsed.any((0, 2))


def run_cube(trajectories: Sequence, n_classes: int = 10) -> RunCube:
    """The :class:`RunCube` of the sweep points of the SAS grid (trajectories of
    :func:`grokutils.models.mlp_ensemble.sas_grid_point`; their datasets are the same)."""
    parts = {k: [] for k in ("test", "train", "tau", "collapsed")}
    configs = []
    datasets = seeds = None
    for traj in trajectories:
        runs = traj.runs.reset_index(drop=True)
        post = traj.after_burn_in
        d_ids, s_ids = np.unique(runs.dataset), np.unique(runs.seed)
        if datasets is None:
            datasets, seeds = d_ids, s_ids
        elif not (np.array_equal(d_ids, datasets) and np.array_equal(s_ids, seeds)):
            raise ValueError("the sweep points must share their datasets and seeds")
        for key, group in runs.groupby(list(CONFIG), sort=True):
            cell = np.full((len(datasets), len(seeds)), -1)
            cell[np.searchsorted(datasets, group.dataset), np.searchsorted(seeds, group.seed)] = (
                group.index
            )
            if (cell < 0).any():
                raise ValueError(f"configuration {key} lacks some (dataset, seed) runs")
            test = traj.test_loss[cell][..., post]
            final = traj.train_loss[cell][..., -1]
            parts["test"].append(test.mean(-1))
            parts["train"].append(traj.train_loss[cell][..., post].mean(-1))
            parts["tau"].append(integrated_autocorrelation_time(test))
            parts["collapsed"].append(
                ~np.isfinite(final) | (final > COLLAPSE_FRACTION * np.log(n_classes))
            )
            configs.append(dict(zip(CONFIG, key, strict=True)))
    return RunCube(
        pd.DataFrame(configs),
        **{k: np.stack(v, axis=1) for k, v in parts.items()},
    )


def sas_per_config(test, datasets) -> np.ndarray:
    """The paper's SAS estimate of every configuration from time averages ``test[d, c, s]``:
    the mean over pairs i < j of (possibly resampled) datasets with ``datasets[i] !=
    datasets[j]`` and over seeds of |test_i − test_j| (same seed: common initialisation and
    order). ``datasets[d]`` are the dataset ids of axis 0; returns ``[c]`` (NaN without a
    pair of distinct datasets)."""
    test, datasets = np.asarray(test, dtype=float), np.asarray(datasets)
    diff = np.abs(test[:, None] - test[None, :])  # [d, d, c, s]
    n = len(datasets)
    keep = (datasets[:, None] != datasets[None, :]) & np.triu(np.ones((n, n), dtype=bool), 1)
    if not keep.any():
        return np.full(test.shape[1], np.nan)
    return diff[keep].mean((0, 2))


def _dataset_bootstrap(cube: RunCube, statistic) -> Estimate:
    """``statistic(cube, datasets)`` with a cluster bootstrap over datasets: ``datasets`` are the
    drawn dataset positions (axis 0 of the cube), the same draw for every configuration."""
    return Estimate.bootstrap(
        lambda d: statistic(cube, d), np.arange(cube.n_datasets), unit="datasets"
    )


def _noise_pairs(configs: pd.DataFrame, stable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(lo, hi)`` of the stable configurations at the lowest and the second-lowest
    noise level with the same (lr, batch size), both stable."""
    levels = np.sort(configs.noise.unique())
    if len(levels) < 2:
        raise ValueError("the SAS grid needs at least two noise levels")
    index = {tuple(r): k for k, r in enumerate(configs[list(CONFIG)].itertuples(index=False))}
    lo, hi = [], []
    for lr, b in configs[["lr", "batch_size"]].drop_duplicates().itertuples(index=False):
        a, c = index.get((levels[0], lr, b)), index.get((levels[1], lr, b))
        if a is not None and c is not None and stable[a] and stable[c]:
            lo.append(a)
            hi.append(c)
    return np.array(lo, dtype=int), np.array(hi, dtype=int)


def sas_fold(cube: RunCube) -> np.ndarray:
    """SAS at the second noise level over SAS at the lowest, per stable (lr, B) pair."""
    lo, hi = _noise_pairs(cube.configs, cube.stable)
    sas = sas_per_config(cube.test, np.arange(cube.n_datasets))
    return sas[hi] / sas[lo]


def noise_rise_fraction(cube: RunCube) -> Estimate:
    """Claim S3: the fraction of stable (lr, B) pairs whose SAS estimate is larger at the second
    noise level than at the lowest, with a cluster bootstrap over datasets (NaN when no pair is
    stable)."""
    lo, hi = _noise_pairs(cube.configs, cube.stable)

    def fraction(c, d):
        if len(lo) == 0:
            return np.nan
        sas = sas_per_config(c.test[d], d)
        return float(np.mean(sas[hi] > sas[lo])) if np.isfinite(sas).all() else np.nan

    return _dataset_bootstrap(cube, fraction)


def sas_over_gap(cube: RunCube) -> Estimate:
    """Claim S6: the median over stable configurations of SAS estimate / |gap|, gap = time-avg
    test loss − time-avg training loss (mean over runs), with a cluster bootstrap over
    datasets."""
    stable = cube.stable

    def median_ratio(c, d):
        if not stable.any():
            return np.nan
        sas = sas_per_config(c.test[d], d)
        gap = (c.test[d] - c.train[d]).mean((0, 2))
        return float(np.median((sas / np.abs(gap))[stable]))

    return _dataset_bootstrap(cube, median_ratio)


def tau_ratio(cube: RunCube) -> Estimate:
    """Claim S5: median over stable configurations at the second noise level of the
    configuration's τ_int of the test loss (median over its runs) over the same at the lowest
    noise level, with a cluster bootstrap over datasets."""
    levels = np.sort(cube.configs.noise.unique())
    noise, stable = cube.configs.noise.to_numpy(), cube.stable
    lo, hi = stable & (noise == levels[0]), stable & (noise == levels[1])

    def ratio(c, d):
        if not (lo.any() and hi.any()):
            return np.nan
        tau = np.median(c.tau[d], axis=(0, 2))
        return float(np.median(tau[hi]) / np.median(tau[lo]))

    return _dataset_bootstrap(cube, ratio)


MIN_SPEARMAN_POINTS = 5
"""Fewest points whose ordering can be significant at 5 %: a perfect ordering of n points has
the exact two-sided permutation p-value 2/n!, 0.083 at n = 4 and 0.017 at n = 5."""


def spearman(x, y, *, unit: str = "configurations") -> Estimate:
    """Spearman's ρ between ``x[n]`` and ``y[n]`` with a percentile bootstrap over the n points
    (resamples where either variable is constant are dropped). Fewer than 3 points or a
    constant variable give NaN; fewer than :data:`MIN_SPEARMAN_POINTS` give ρ with an unbounded
    interval (the bootstrap of 4 points would call a perfect ordering, which has p = 0.083,
    certain). Both are inconclusive."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return Estimate.from_interval(np.nan, -np.inf, np.inf, len(x), "bootstrap", unit=unit)
    if len(x) < MIN_SPEARMAN_POINTS:
        value = stats.spearmanr(x, y).statistic
        return Estimate.from_interval(value, -np.inf, np.inf, len(x), "bootstrap", unit=unit)

    def rho(a, b):
        if np.ptp(a) == 0 or np.ptp(b) == 0:
            return np.nan
        return stats.spearmanr(a, b).statistic

    return Estimate.bootstrap(rho, x, y, unit=unit)
