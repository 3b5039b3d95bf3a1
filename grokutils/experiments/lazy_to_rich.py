"""Measurements behind the claims of chapter 01 (Kumar et al., ICLR 2024: lazy to rich).

Every claim is decided over independent **seeds**: a seed fixes the teacher, the training
inputs and the initial weights, and a sweep trains every configuration (α, ε, σ, P) for every
seed. The functions here turn the recorded trajectories into per-seed tables
``[seeds, configurations]`` and those into :class:`~grokutils.book.estimates.Estimate` s:

* a threshold that must hold "in every run" of a seed (every α, say) is decided on the seed's
  worst case over its runs, averaged over seeds (:func:`mean`, or :func:`geometric_mean` for
  ratios of times);
* a trend ("increases with α") is decided on the fraction of seeds in which it holds
  (:func:`non_decreasing`, :func:`non_increasing`; a run that never crossed a threshold counts
  as the largest value).

A run that never reached a threshold gives ``inf`` (or ``nan``); an estimate over such units is
NaN and its claim inconclusive: it is never dropped.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from grokutils.book.estimates import Estimate
from grokutils.measures.crossings import grokking_delay

_LARGEST = 1e300


def seed_table(sweep, values) -> np.ndarray:
    """``values [runs, ...]`` of a :class:`~grokutils.models.committee.SingleIndexSweep` as
    ``[seeds, configurations, ...]``: row ``k`` holds the runs of the sweep's ``k``-th seed, in
    grid order (the seed is the grid's last, fastest axis)."""
    values = np.asarray(values)
    n_seeds = sweep.shape[-1]
    return np.swapaxes(values.reshape(-1, n_seeds, *values.shape[1:]), 0, 1)


def config_values(sweep, key: str) -> np.ndarray:
    """The values of ``sweep.config[key]`` along the configurations (one per column of
    :func:`seed_table`)."""
    return seed_table(sweep, sweep.config[key])[0]


def rise(history) -> np.ndarray:
    """``R = max_t L_te(t) / L_te(0)`` per run (1 when the test loss never rises)."""
    return history.test.max(1) / history.test[:, 0]


def final_ratio(history) -> np.ndarray:
    """``L_te(T) / L_te(0)`` per run."""
    return history.test[:, -1] / history.test[:, 0]


def relative_delay(history, fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """``(gap, ratio)`` per run at the relative threshold ``fraction · L(0)`` of each run's own
    train and test losses (``inf`` where the test loss never crossed)."""
    _, _, gap, ratio = grokking_delay(
        history.steps, history.train, history.test, fraction * history.test[:, 0]
    )
    return gap, ratio


def peak(history) -> np.ndarray:
    """Index of the recorded step at which each run's test loss peaks."""
    return history.test.argmax(1)


def train_at_peak(history) -> np.ndarray:
    """``L_tr / L_tr(0)`` at each run's test-loss peak."""
    rows, k = np.arange(len(history.test)), peak(history)
    return history.train[rows, k] / history.train[:, 0]


def linear_share(history, part: int = 2) -> np.ndarray:
    """Share of the test-loss rise (peak minus start) carried by eq. 6's linear-power term
    (``parts[..., 2]``): 1 when the rise is all linear power, > 1 when the other terms fell."""
    rows, k = np.arange(len(history.test)), peak(history)
    lin = history.parts[rows, k, part] - history.parts[:, 0, part]
    with np.errstate(invalid="ignore", divide="ignore"):
        return lin / (history.test[rows, k] - history.test[:, 0])


def at_train_crossing(history, threshold: float = 0.1) -> np.ndarray:
    """``L_te / L_te(0)`` at the first recorded step with ``L_tr < threshold``; NaN for a run
    whose train loss never got there."""
    below = history.train < threshold
    k = below.argmax(1)
    rows = np.arange(len(below))
    value = history.test[rows, k] / history.test[:, 0]
    return np.where(below.any(1), value, np.nan)


def linearisation_deviation(network, linearised) -> np.ndarray:
    """Per run, the largest relative difference ``|L_net / L_lin - 1|`` of the train and the
    test loss up to (and including) the network's own test-loss peak. ``network`` and
    ``linearised`` are histories of the same runs (same seeds, same order) on the same steps."""
    if network.test.shape != linearised.test.shape:
        raise ValueError(
            f"network and linearised runs must match; got {network.test.shape} and "
            f"{linearised.test.shape}"
        )
    until = np.arange(network.test.shape[1])[None, :] <= peak(network)[:, None]
    dev = np.maximum(
        np.abs(network.train / linearised.train - 1), np.abs(network.test / linearised.test - 1)
    )
    return np.where(until, dev, 0.0).max(1)


def amount_of_grokking(history, threshold: float = 0.1) -> np.ndarray:
    """The paper's Fig. 3(e) amount ``max(0, t_te - t_tr)`` at an absolute threshold, a run
    whose test loss never crossed counting as zero (the authors' convention)."""
    gap = grokking_delay(history.steps, history.train, history.test, threshold)[2]
    return np.maximum(np.nan_to_num(gap, nan=0.0, posinf=0.0), 0.0)


def corner_is_largest(amounts, alphas, eps) -> np.ndarray:
    """Per seed, whether the amount of grokking at the laziest α (largest) and the least
    aligned kernel (smallest ε) is the largest of the seed's grid and positive (an empty grid,
    all zeros, does not count). ``amounts [seeds, len(alphas), len(eps)]``."""
    amounts = np.asarray(amounts, dtype=float)
    corner = amounts[:, int(np.argmax(alphas)), int(np.argmin(eps))]
    return (corner == amounts.reshape(len(amounts), -1).max(1)) & (corner > 0)


def table(sweep, values, key: str) -> tuple[np.ndarray, np.ndarray]:
    """``(axis, values)``: the configuration values of ``key`` in increasing order and
    :func:`seed_table` of ``values [runs]`` with its columns in that order, ``[seeds, k]``
    (for a sweep whose only configuration axis is ``key``)."""
    axis = config_values(sweep, key)
    order = np.argsort(axis, kind="stable")
    return axis[order], seed_table(sweep, values)[:, order]


def _largest_if_missing(values) -> np.ndarray:
    return np.nan_to_num(np.asarray(values, dtype=float), nan=_LARGEST, posinf=_LARGEST)


def non_decreasing(table) -> np.ndarray:
    """Per row of ``table [units, k]``: non-decreasing along the row (``inf``/``nan``, a
    threshold never crossed, counts as the largest value). Returns bools ``[units]``."""
    return np.all(np.diff(_largest_if_missing(table), axis=1) >= 0, axis=1)


def non_increasing(table) -> np.ndarray:
    """Per row of ``table [units, k]``: non-increasing along the row (``inf``/``nan`` counts
    as the largest value). Returns bools ``[units]``."""
    return np.all(np.diff(_largest_if_missing(table), axis=1) <= 0, axis=1)


def log_increments(table) -> np.ndarray:
    """``log(table[:, k+1] / table[:, k])`` per row: how much a positive quantity (a delay
    ratio) grows from one configuration to the next, ``[units, k - 1]``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diff(np.log(np.asarray(table, dtype=float)), axis=1)


def log_increment_estimates(axis, table, *, symbol: str = "α") -> dict[str, Estimate]:
    """One estimate per step between consecutive configurations: the mean over units of
    :func:`log_increments` of ``table [units, len(axis)]``, labelled ``"α a→b"``. A positive
    interval says the quantity grows from ``a`` to ``b``."""
    increments = log_increments(table)
    return {
        f"{symbol} {a:g}→{b:g}": mean(increments[:, k])
        for k, (a, b) in enumerate(itertools.pairwise(axis))
    }


def mean(samples, *, unit: str = "seeds") -> Estimate:
    """:meth:`Estimate.mean` of one value per unit; a non-finite value (a threshold never
    crossed) makes the estimate NaN, hence its claim inconclusive."""
    x = np.asarray(samples, dtype=float).ravel()
    return Estimate.mean(np.where(np.isfinite(x), x, np.nan), unit=unit)


def geometric_mean(samples, *, unit: str = "seeds") -> Estimate:
    """Geometric mean of positive values, one per unit, with the t interval of the mean of
    their logarithms mapped back (``exp``); NaN if a value is not finite and positive."""
    x = np.asarray(samples, dtype=float).ravel()
    ok = np.isfinite(x) & (x > 0)
    logs = Estimate.mean(np.where(ok, np.log(np.where(ok, x, 1.0)), np.nan), unit=unit)
    method = "geometric mean, t on logs"
    if logs.is_nan:
        return Estimate.from_interval(math.nan, -math.inf, math.inf, logs.n, method, unit=unit)
    return Estimate.from_interval(
        math.exp(logs.value), math.exp(logs.low), math.exp(logs.high), logs.n, method, unit=unit
    )


def headline_tables(head, lin=None, threshold: float = 0.1) -> dict[str, np.ndarray]:
    """Per-seed tables ``[seeds, alphas]`` of the headline sweep (α is the only configuration
    axis), plus ``alpha [alphas]``; with the linearised runs ``lin`` (α = 1, the same seeds)
    also ``lin_deviation`` (network at α = 1 vs its linearisation) and ``lin_floor`` (the
    linearised model's smallest ``L_te / L_te(0)``), one value a seed.

    Keys: ``ratio`` ``t_te/t_tr`` and ``gap`` ``t_te - t_tr`` at ``threshold``; ``at_cross``
    (:func:`at_train_crossing`); ``rise``; ``train_at_peak``; ``linear_share``;
    ``final`` ``L_te(T)`` and ``final_ratio``; ``norm_growth`` ``‖W_T‖/‖W_0‖``;
    ``weight_change`` ``‖W_T - W_0‖/‖W_0‖``; ``feature_alignment`` at the end.
    """
    h = head.history
    _, _, gap, ratio = grokking_delay(h.steps, h.train, h.test, threshold)
    per_run = {
        "ratio": ratio,
        "gap": gap,
        "at_cross": at_train_crossing(h, threshold),
        "rise": rise(h),
        "train_at_peak": train_at_peak(h),
        "linear_share": linear_share(h),
        "final": h.test[:, -1],
        "final_ratio": final_ratio(h),
        "norm_growth": h.weight_norm[:, -1] / h.weight_norm[:, 0],
        "weight_change": h.weight_change[:, -1],
        "feature_alignment": h.feature_alignment[:, -1],
    }
    alpha = config_values(head, "alpha")
    if np.any(np.diff(alpha) <= 0):
        raise ValueError(f"the headline α values must increase; got {alpha}")
    tables = {k: seed_table(head, v) for k, v in per_run.items()}
    tables["alpha"] = alpha
    if lin is not None:
        one = np.flatnonzero(alpha == 1.0)
        if len(one) != 1:
            raise ValueError("the linearised comparison needs α = 1 among the headline runs")
        runs = np.flatnonzero(head.config["alpha"] == 1.0)
        if not np.array_equal(head.config["seed"][runs], lin.config["seed"]):
            raise ValueError("the linearised runs must have the headline's seeds, in order")
        sub = type(h)(h.steps, h.train[runs], h.test[runs])
        tables["lin_deviation"] = linearisation_deviation(sub, lin.history)
        tables["lin_floor"] = (lin.history.test / lin.history.test[:, :1]).min(1)
    return tables


def modular_tables(mod, alphas: Sequence[float], level: float = 0.9) -> dict[str, np.ndarray]:
    """Per-seed tables ``[seeds, alphas]`` of the modular-addition runs (α-major, as
    :func:`grokutils.models.quadratic_mlp.train_modular_addition` orders them): first steps at which
    the train and test accuracies reach ``level`` (``inf`` if never) and the weight-norm
    growth ``(‖W₁‖ + ‖W₂‖)_T / (‖W₁‖ + ‖W₂‖)_0``."""
    from grokutils.measures.crossings import interpolated_crossing

    alphas = sorted(float(a) for a in alphas)
    order = [np.flatnonzero(mod.alpha == a) for a in alphas]
    if len({len(o) for o in order}) != 1:
        raise ValueError("every α needs the same seeds")
    t_tr = interpolated_crossing(mod.steps, mod.train_acc, level)
    t_te = interpolated_crossing(mod.steps, mod.test_acc, level)
    growth = mod.weight_norm[:, -1] / mod.weight_norm[:, 0]
    return {
        "alpha": np.array(alphas),
        "t_train": np.stack([t_tr[o] for o in order], 1),
        "t_test": np.stack([t_te[o] for o in order], 1),
        "norm_growth": np.stack([growth[o] for o in order], 1),
    }
