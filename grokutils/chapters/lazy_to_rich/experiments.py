"""Measurements behind the claims of chapter 01 (Kumar et al., ICLR 2024: lazy to rich).

Every claim is decided over independent **seeds**: a seed fixes the teacher, the training
inputs and the initial weights, and a sweep trains every configuration (α, ε, σ, P) for every
seed. The functions here turn the recorded trajectories into per-seed tables
``[seeds, configurations]`` and those into :class:`~grokutils.core.estimates.Estimate` s:

* a threshold that must hold "in every run" of a seed (every α, say) is decided on the seed's
  worst case over its runs, averaged over seeds (:func:`mean`, or :func:`geometric_mean` for
  ratios of times);
* a trend ("increases with α") is decided on the fraction of seeds in which it holds
  (:func:`non_decreasing`, :func:`non_increasing`; a run that never crossed a threshold counts
  as the largest value).

A run that never reached a threshold gives ``inf`` (or ``nan``); an estimate over such units is
NaN and its claim inconclusive: it is never dropped.

The typed results the claims (:mod:`.claims`) are decided on:
:class:`Headline` (:func:`headline_measures`), :class:`AxisSweep` (:func:`axis_sweep`, any
sweep along one axis), :class:`PhaseDiagram`, :class:`EigenvectorLabels` and
:class:`ModularAddition`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from grokutils.core.claims import monotone_rows
from grokutils.core.crossings import grokking_delay, interpolated_crossing
from grokutils.core.estimates import Estimate
from grokutils.core.seeding import unit_seeds


def seed_table(sweep, values) -> np.ndarray:
    """``values [runs, ...]`` of a :class:`~.committee_sweep.SingleIndexSweep` as
    ``[seeds, configurations, ...]``: row ``k`` holds the runs of the sweep's ``k``-th seed, in
    grid order (the seed is the grid's last, fastest axis)."""
    values = np.asarray(values)
    return np.swapaxes(values.reshape(-1, sweep.n_seeds, *values.shape[1:]), 0, 1)


def config_values(sweep, key: str) -> np.ndarray:
    """The values of ``sweep.config[key]`` along the configurations (one per column of
    :func:`seed_table`)."""
    return seed_table(sweep, sweep.config[key])[0]


def rise(traj) -> np.ndarray:
    """``R = max_t L_te(t) / L_te(0)`` per run (1 when the test loss never rises)."""
    return traj.test_loss.max(1) / traj.test_loss[:, 0]


def final_ratio(traj) -> np.ndarray:
    """``L_te(T) / L_te(0)`` per run."""
    return traj.test_loss[:, -1] / traj.test_loss[:, 0]


def relative_delay(traj, fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """``(gap, ratio)`` per run at the relative threshold ``fraction · L(0)`` of each run's own
    train and test losses (``inf`` where the test loss never crossed)."""
    _, _, gap, ratio = grokking_delay(
        traj.steps, traj.train_loss, traj.test_loss, fraction * traj.test_loss[:, 0]
    )
    return gap, ratio


def peak(traj) -> np.ndarray:
    """Index of the recorded step at which each run's test loss peaks."""
    return traj.test_loss.argmax(1)


def train_at_peak(traj) -> np.ndarray:
    """``L_tr / L_tr(0)`` at each run's test-loss peak."""
    rows, k = np.arange(len(traj.test_loss)), peak(traj)
    return traj.train_loss[rows, k] / traj.train_loss[:, 0]


def linear_share(traj, part: str = "test_loss_linear") -> np.ndarray:
    """Share of the test-loss rise (peak minus start) carried by eq. 6's linear-power term
    (series ``part``): 1 when the rise is all linear power, > 1 when the other terms fell."""
    rows, k = np.arange(len(traj.test_loss)), peak(traj)
    lin = traj[part][rows, k] - traj[part][:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return lin / (traj.test_loss[rows, k] - traj.test_loss[:, 0])


def at_train_crossing(traj, threshold: float = 0.1) -> np.ndarray:
    """``L_te / L_te(0)`` at the first recorded step with ``L_tr < threshold``; NaN for a run
    whose train loss never got there."""
    below = traj.train_loss < threshold
    k = below.argmax(1)
    rows = np.arange(len(below))
    value = traj.test_loss[rows, k] / traj.test_loss[:, 0]
    return np.where(below.any(1), value, np.nan)


def linearisation_deviation(network, linearised) -> np.ndarray:
    """Per run, the largest relative difference ``|L_net / L_lin - 1|`` of the train and the
    test loss up to (and including) the network's own test-loss peak. ``network`` and
    ``linearised`` are histories of the same runs (same seeds, same order) on the same steps."""
    if network.test_loss.shape != linearised.test_loss.shape:
        raise ValueError(
            f"network and linearised runs must match; got {network.test_loss.shape} and "
            f"{linearised.test_loss.shape}"
        )
    until = np.arange(network.test_loss.shape[1])[None, :] <= peak(network)[:, None]
    dev = np.maximum(
        np.abs(network.train_loss / linearised.train_loss - 1),
        np.abs(network.test_loss / linearised.test_loss - 1),
    )
    return np.where(until, dev, 0.0).max(1)


def amount_of_grokking(traj, threshold: float = 0.1) -> np.ndarray:
    """The paper's Fig. 3(e) amount ``max(0, t_te - t_tr)`` at an absolute threshold, a run
    whose test loss never crossed counting as zero (the authors' convention)."""
    gap = grokking_delay(traj.steps, traj.train_loss, traj.test_loss, threshold)[2]
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


def non_decreasing(table) -> np.ndarray:
    """Per row of ``table [units, k]``: non-decreasing along the row (``inf``/``nan``, a
    threshold never crossed, counts as the largest value). Returns bools ``[units]``."""
    return monotone_rows(table, +1, nan="largest", strict=False)


def non_increasing(table) -> np.ndarray:
    """Per row of ``table [units, k]``: non-increasing along the row (``inf``/``nan`` counts
    as the largest value). Returns bools ``[units]``."""
    return monotone_rows(table, -1, nan="largest", strict=False)


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


class Units(IntEnum):
    """The chapter's families of independent units; each takes its own block of seeds at every
    seed offset (:func:`grokutils.core.seeding.unit_seeds`). The values are fixed once."""

    HEADLINE = 0
    SWEEP = 1
    TREND = 2
    WIDTH_TWO = 3
    EIGENVECTOR = 4
    MODULAR = 5


@dataclass(frozen=True)
class ChapterSeeds:
    """The unit seeds of each family of runs at the chapter's seed offset."""

    headline: list[int]
    sweep: list[int]
    trend: list[int]
    width_two: list[int]
    eigenvector: list[int]
    modular: list[int]

    @classmethod
    def of(cls, p) -> ChapterSeeds:
        """From the resolved parameters ``p``: offset ``p.seed``, unit indices ``p.seeds``,
        ``p.sweep_seeds``, ... of the families :class:`Units`, in order."""
        names = ("seeds", "sweep_seeds", "trend_seeds", "n2_seeds", "eig_seeds", "mod_seeds")
        return cls(
            *(unit_seeds(p.seed, f, getattr(p, n)) for f, n in zip(Units, names, strict=True))
        )

    def as_dict(self) -> dict[str, list[int]]:
        """``{family: unit seeds}``, the record of the claims JSON."""
        return {name: list(seeds) for name, seeds in vars(self).items()}


def seeds_of(p) -> dict[str, list[int]]:
    """The unit seeds of each family at offset ``p.seed`` (the record of the claims JSON)."""
    return ChapterSeeds.of(p).as_dict()


def max_relative_difference(a, b) -> float:
    """``max |a - b| / b`` over every entry (claim 0: the recursion against GD on the weights)."""
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)) / np.asarray(b)))


@dataclass(frozen=True)
class Headline:
    """Per-seed tables ``[seeds, alphas]`` of the headline sweep (α its only configuration
    axis, in increasing order) and, from the linearised runs (α = 1, the same seeds), one value
    a seed ``[seeds]``.

    ``ratio`` ``t_te/t_tr`` and ``gap`` ``t_te - t_tr`` at the absolute threshold; ``at_cross``
    (:func:`at_train_crossing`); ``rise``; ``train_at_peak``; ``linear_share``; ``final``
    ``L_te(T)`` and ``final_ratio``; ``norm_growth`` ``‖W_T‖/‖W_0‖``; ``weight_change``
    ``‖W_T - W_0‖/‖W_0‖``; ``feature_alignment`` at the end; ``lin_deviation`` (network at
    α = 1 vs its linearisation, :func:`linearisation_deviation`) and ``lin_floor`` (the
    linearised model's smallest ``L_te / L_te(0)``).
    """

    alpha: np.ndarray
    ratio: np.ndarray
    gap: np.ndarray
    at_cross: np.ndarray
    rise: np.ndarray
    train_at_peak: np.ndarray
    linear_share: np.ndarray
    final: np.ndarray
    final_ratio: np.ndarray
    norm_growth: np.ndarray
    weight_change: np.ndarray
    feature_alignment: np.ndarray
    lin_deviation: np.ndarray | None = None
    lin_floor: np.ndarray | None = None


def headline_measures(head, lin=None, threshold: float = 0.1) -> Headline:
    """The :class:`Headline` tables of the headline sweep ``head`` and, if given, its
    linearisation ``lin`` (a sweep at α = 1 with the headline's seeds, in order)."""
    h = head.trajectory
    _, _, gap, ratio = grokking_delay(h.steps, h.train_loss, h.test_loss, threshold)
    per_run = {
        "ratio": ratio,
        "gap": gap,
        "at_cross": at_train_crossing(h, threshold),
        "rise": rise(h),
        "train_at_peak": train_at_peak(h),
        "linear_share": linear_share(h),
        "final": h.test_loss[:, -1],
        "final_ratio": final_ratio(h),
        "norm_growth": h.weight_norm[:, -1] / h.weight_norm[:, 0],
        "weight_change": h.weight_change[:, -1],
        "feature_alignment": h.feature_alignment[:, -1],
    }
    alpha = config_values(head, "alpha")
    if np.any(np.diff(alpha) <= 0):
        raise ValueError(f"the headline α values must increase; got {alpha}")
    tables = {k: seed_table(head, v) for k, v in per_run.items()}
    if lin is not None:
        one = np.flatnonzero(alpha == 1.0)
        if len(one) != 1:
            raise ValueError("the linearised comparison needs α = 1 among the headline runs")
        runs = np.flatnonzero(head.config["alpha"] == 1.0)
        if not np.array_equal(head.config["seed"][runs], lin.config["seed"]):
            raise ValueError("the linearised runs must have the headline's seeds, in order")
        lt = lin.trajectory
        tables["lin_deviation"] = linearisation_deviation(h.select(runs), lt)
        tables["lin_floor"] = (lt.test_loss / lt.test_loss[:, :1]).min(1)
    return Headline(alpha=alpha, **tables)


@dataclass(frozen=True)
class AxisSweep:
    """Per-seed tables ``[seeds, k]`` of a sweep along one axis (``values [k]``, increasing).

    ``rise`` (:func:`rise`), ``final`` ``L_te(T)``, ``final_ratio`` ``L_te(T)/L_te(0)``,
    ``gap`` and ``ratio`` of the delay at the relative threshold ``0.1 L(0)``
    (:func:`relative_delay`) and ``weight_change`` ``‖W_T - W_0‖/‖W_0‖`` (``None`` where the
    runs did not record it).
    """

    values: np.ndarray
    rise: np.ndarray
    final: np.ndarray
    final_ratio: np.ndarray
    gap: np.ndarray
    ratio: np.ndarray
    weight_change: np.ndarray | None


def axis_sweep(sweep, key: str) -> AxisSweep:
    """The :class:`AxisSweep` of ``sweep`` along its only configuration axis ``key``."""
    traj = sweep.trajectory
    gap, ratio = relative_delay(traj)
    per_run = {
        "rise": rise(traj),
        "final": traj.test_loss[:, -1],
        "final_ratio": final_ratio(traj),
        "gap": gap,
        "ratio": ratio,
    }
    tables = {k: table(sweep, v, key)[1] for k, v in per_run.items()}
    change = None
    if "weight_change" in traj.series:
        change = table(sweep, traj.weight_change[:, -1], key)[1]
    return AxisSweep(values=table(sweep, per_run["rise"], key)[0], weight_change=change, **tables)


@dataclass(frozen=True)
class PhaseDiagram:
    """Fig. 3(e) per seed: ``amount [seeds, alphas, eps]`` the paper's amount of grokking at
    the absolute threshold 0.1, ``ratio`` the delay ratio at ``0.1 L(0)``; axes ``alphas``,
    ``eps`` in the grid's order."""

    alphas: np.ndarray
    eps: np.ndarray
    amount: np.ndarray
    ratio: np.ndarray

    def corner_is_largest(self) -> np.ndarray:
        """``[seeds]``: see :func:`corner_is_largest`."""
        return corner_is_largest(self.amount, self.alphas, self.eps)


def phase_diagram(sweep, alphas, eps) -> PhaseDiagram:
    """The :class:`PhaseDiagram` of a sweep over the grid ``alphas × eps`` (× seeds)."""
    shape = (sweep.n_seeds, len(alphas), len(eps))
    traj = sweep.trajectory
    amount = seed_table(sweep, amount_of_grokking(traj, 0.1)).reshape(shape)
    ratio = seed_table(sweep, relative_delay(traj)[1]).reshape(shape)
    return PhaseDiagram(np.asarray(alphas), np.asarray(eps), amount, ratio)


@dataclass(frozen=True)
class EigenvectorLabels:
    """Fig. 5 per seed: ``ranks [j]`` increasing, ``test`` and ``train`` ``[seeds, j, T]`` the
    losses over their initial value, ``final [seeds, j]`` the last ``L_te / L_te(0)``."""

    ranks: np.ndarray
    steps: np.ndarray
    test: np.ndarray
    train: np.ndarray

    @property
    def final(self) -> np.ndarray:
        return self.test[:, :, -1]


def eigenvector_measures(traj, ranks, n_seeds: int) -> EigenvectorLabels:
    """The :class:`EigenvectorLabels` of the seed-major runs ``traj`` of
    :func:`.committee_sweep.eigenvector_label_runs` with labels ``ranks``."""
    order = np.argsort(ranks)

    def normalised(values):
        return (values / values[:, :1]).reshape(n_seeds, len(ranks), -1)[:, order]

    return EigenvectorLabels(
        np.sort(ranks), traj.steps, normalised(traj.test_loss), normalised(traj.train_loss)
    )


@dataclass(frozen=True)
class ModularAddition:
    """Per-seed tables ``[seeds, alphas]`` of the modular-addition runs (``alpha`` increasing):
    first steps at which the train and test accuracies reach the level (``inf`` if never) and
    the weight-norm growth ``(‖W₁‖ + ‖W₂‖)_T / (‖W₁‖ + ‖W₂‖)_0``."""

    alpha: np.ndarray
    t_train: np.ndarray
    t_test: np.ndarray
    norm_growth: np.ndarray

    def groks(self, alpha: float = 1.0) -> np.ndarray:
        """``[seeds]``: the test accuracy reached the level, after the training accuracy."""
        one = self.alpha == alpha
        return (np.isfinite(self.t_test[:, one]) & (self.t_test > self.t_train)[:, one]).ravel()


def modular_measures(mod, level: float = 0.9) -> ModularAddition:
    """The :class:`ModularAddition` tables of a trajectory of
    :func:`.quadratic_mlp_gd.train_modular_addition` (runs α-major)."""
    run_alpha = mod.runs["alpha"].to_numpy()
    alphas = np.unique(run_alpha)
    order = [np.flatnonzero(run_alpha == a) for a in alphas]
    if len({len(o) for o in order}) != 1:
        raise ValueError("every α needs the same seeds")
    t_tr = interpolated_crossing(mod.steps, mod.train_acc, level)
    t_te = interpolated_crossing(mod.steps, mod.test_acc, level)
    growth = mod.weight_norm[:, -1] / mod.weight_norm[:, 0]
    return ModularAddition(
        alpha=alphas,
        t_train=np.stack([t_tr[o] for o in order], 1),
        t_test=np.stack([t_te[o] for o in order], 1),
        norm_growth=np.stack([growth[o] for o in order], 1),
    )
