"""Measurements behind the claims of chapter 01 (Kumar et al., ICLR 2024: lazy to rich).

Every claim is decided over independent **seeds**: a seed fixes the teacher, the training
inputs and the initial weights, and a sweep trains every configuration (α, ε, σ, P) for every
seed. The functions here turn the recorded trajectories into per-seed tables
``[seeds, configurations]``; the claims (:mod:`.claims`) turn those into
:class:`~grokutils.core.estimates.Estimate` s by the kind of statement:

* a threshold that must hold "in every run" of a seed (every α, say) is decided on the seed's
  worst case over its runs: a ratio (of losses, of times, of norms) by the geometric mean over
  seeds (:func:`geometric_mean`), any other level by the mean (:func:`mean`);
* a trend ("increases with α") is the mean over seeds of each seed's least-squares slope
  along the axis (:meth:`~grokutils.core.estimates.Estimate.trend`; :func:`delay_trend` for
  the train-to-test delay, whose never-crossed runs are censored at the budget).

A run whose test loss never reached a threshold gives an infinite delay: a trend censors it at
the run's budget (:func:`delay_censored_at`); a geometric mean of such units is NaN and its
claim inconclusive, never dropped.

The typed results the claims (:mod:`.claims`) are decided on:
:class:`Headline` (:func:`headline_measures`), :class:`AxisSweep` (:func:`axis_sweep`, any
sweep along one axis), :class:`PhaseDiagram`, :class:`EigenvectorLabels` and
:class:`ModularAddition`.

The training runs are the chapter's experiments, declared once in :data:`EXPERIMENTS` in
notebook order (the notebook and the dry run call the same functions,
:mod:`grokutils.core.experiment`): the recursion check, the headline and linearised runs of
Fig. 1, the width-2 runs of Figs. 4 and 10, the α and ε sweeps of Fig. 3(a, b), the Fig. 3(e)
phase diagram, the σ and α = σ⁻² sweeps of Fig. 7, the two P sweeps of Fig. 9, the
modular-addition MLP of Fig. 2 and the eigenvector-label task of Fig. 5. Each is one batched
computation (every α, ε, σ, seed of it in one tensor; the P sweeps one batch per P). A dry
run's step is one GD step, with the losses recorded at :data:`PROBE_RECORDS` steps only: a run
records at ``n_records`` steps whatever its length, so on a few steps every step would be a
record (with the NTK alignment of the headline) and its cost would be projected as a per-step
cost; the projection leaves out the cost of the ``n_records`` evaluations of a full run (small
beside 10⁴–10⁵ steps except for the headline's alignment on ``n_align`` inputs). The recursion
check has a fixed budget of :data:`RECURSION_CHECK_STEPS` steps and is timed in full.

Each experiment's ``few`` (the dry run's timed steps ``k``) makes the difference between its
runs of ``2k`` and ``k`` steps at ``paper`` at least 10 times the spread of the fixed cost of
its ``k``-step run, and at least 0.5 s (measured 2026-12-08, AMD EPYC, one thread: three runs
of the old ``k`` spread by 0.16 s for the headline's 5 steps of 17 ms, by 0.94 s for the phase
diagram's 1 step of 1.6 s). With the old 1 to 20 steps the differences were below that spread,
and two dry runs of the same chapter projected 125 h and 44 h (the headline 0.18 h and 11.5 h).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import torch

from grokutils.chapters.lazy_to_rich.committee_sweep import (
    SingleIndexSweep,
    eigenvector_label_runs,
    single_index_sweep,
)
from grokutils.chapters.lazy_to_rich.quadratic_mlp_gd import train_modular_addition
from grokutils.core.crossings import grokking_delay, interpolated_crossing
from grokutils.core.estimates import Estimate
from grokutils.core.experiment import Registry
from grokutils.core.seeding import seed_record
from grokutils.core.trajectory import Trajectory

EXPERIMENTS = Registry("01_lazy_to_rich")
start = EXPERIMENTS.start  # the notebook's start-up call

RECURSION_CHECK_STEPS = 500
"""GD steps of the recursion check (claim 0), at every preset."""
PROBE_RECORDS = 2
"""Record steps of a dry run's runs (the first and the last)."""


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


def relative_delay(traj, fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(t_train, gap, ratio)`` per run at the relative threshold ``fraction · L(0)`` of each
    run's own train and test losses (``inf`` where a loss never crossed)."""
    t_train, _, gap, ratio = grokking_delay(
        traj.steps, traj.train_loss, traj.test_loss, fraction * traj.test_loss[:, 0]
    )
    return t_train, gap, ratio


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


def linearisation_deviation(network, linearised, *, after_peak: bool = False) -> np.ndarray:
    """Per run, the largest relative difference ``|L_net / L_lin - 1|`` of the train and the
    test loss up to (and including) the network's own test-loss peak, or with ``after_peak``
    after it. ``network`` and ``linearised`` are histories of the same runs (same seeds, same
    order) on the same steps."""
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
    return np.where(~until if after_peak else until, dev, 0.0).max(1)


def amount_of_grokking(traj, threshold: float = 0.1) -> np.ndarray:
    """The paper's Fig. 3(e) amount ``max(0, t_te - t_tr)`` at an absolute threshold, a run
    whose test loss never crossed counting as zero (the authors' convention)."""
    gap = grokking_delay(traj.steps, traj.train_loss, traj.test_loss, threshold)[2]
    return np.maximum(np.nan_to_num(gap, nan=0.0, posinf=0.0), 0.0)


def table(sweep, values, key: str) -> tuple[np.ndarray, np.ndarray]:
    """``(axis, values)``: the configuration values of ``key`` in increasing order and
    :func:`seed_table` of ``values [runs]`` with its columns in that order, ``[seeds, k]``
    (for a sweep whose only configuration axis is ``key``)."""
    axis = config_values(sweep, key)
    order = np.argsort(axis, kind="stable")
    return axis[order], seed_table(sweep, values)[:, order]


def mean(samples, *, unit: str = "seeds") -> Estimate:
    """:meth:`Estimate.mean` of one value per unit; a non-finite value (a threshold never
    crossed) makes the estimate NaN, hence its claim inconclusive."""
    x = np.asarray(samples, dtype=float).ravel()
    return Estimate.mean(np.where(np.isfinite(x), x, np.nan), unit=unit)


def geometric_mean(samples, *, unit: str = "seeds") -> Estimate:
    """:meth:`Estimate.geometric_mean` of positive values, one per unit (a ratio): the t
    interval of the mean log, mapped back. A ratio that never came within the budget (``inf``,
    a test loss that never crossed) has no value to average: it makes the estimate NaN, hence
    its claim inconclusive."""
    x = np.asarray(samples, dtype=float).ravel()
    return Estimate.geometric_mean(np.where(np.isfinite(x), x, np.nan), unit=unit)


def delay_censored_at(delay, train_time, budget: float, kind: str) -> float | None:
    """The level at which the never-crossed entries (``inf``) of ``delay [units, k]`` (a
    ``"gap"`` ``t_te - t_tr`` or a ``"ratio"`` ``t_te / t_tr``) are censored: a run whose test
    loss never crossed within its last recorded step ``budget`` has a gap above
    ``budget - t_tr`` and a ratio above ``budget / t_tr``; the smallest of these over the
    censored entries bounds each of them from below (``train_time [units, k]`` their ``t_tr``).
    ``None`` when no entry is censored."""
    delay, train_time = np.asarray(delay, dtype=float), np.asarray(train_time, dtype=float)
    never = np.isposinf(delay) & np.isfinite(train_time)
    if not never.any():
        return None
    t = train_time[never]
    if kind == "gap":
        return float((budget - t).min())
    if kind == "ratio":
        return float((budget / np.maximum(t, 1)).min())
    raise ValueError(f"kind must be 'gap' or 'ratio'; got {kind!r}")


def delay_trend(m, kind: str, sign: int, x, columns=slice(None)) -> Estimate:
    """:meth:`Estimate.trend` of the delay ``kind`` (``"gap"`` in steps, a difference of times
    that can be zero or negative; ``"ratio"`` on a log scale) of ``m`` (a :class:`Headline` or
    an :class:`AxisSweep`) over its ``columns``, against ``x``: each seed's least-squares slope,
    the mean over seeds. A never-crossed delay is censored at :func:`delay_censored_at`; one
    whose train loss never crossed (NaN, or ``-inf`` for a test loss that did) makes the
    estimate NaN."""
    values, t_tr = getattr(m, kind)[:, columns], m.train_time[:, columns]
    values = np.where(np.isneginf(values), np.nan, values)
    censored_at = delay_censored_at(values, t_tr, m.budget, kind)
    return Estimate.trend(values, sign, x=x, log=kind == "ratio", censored_at=censored_at)


class Units(IntEnum):
    """The chapter's families of independent units; each takes its own block of seeds at every
    seed offset (:func:`grokutils.core.seeding.unit_seeds`). The values are fixed once."""

    HEADLINE = 0
    SWEEP = 1
    TREND = 2
    WIDTH_TWO = 3
    EIGENVECTOR = 4
    MODULAR = 5


SEED_PARAMETERS = {
    Units.HEADLINE: "seeds",
    Units.SWEEP: "sweep_seeds",
    Units.TREND: "trend_seeds",
    Units.WIDTH_TWO: "n2_seeds",
    Units.EIGENVECTOR: "eig_seeds",
    Units.MODULAR: "mod_seeds",
}
"""The parameter holding each family's unit indices."""


def seed_units(p) -> dict[Units, list[int]]:
    """The unit indices of each family in the parameters ``p`` (for
    :func:`grokutils.core.seeding.seed_record`)."""
    return {family: getattr(p, name) for family, name in SEED_PARAMETERS.items()}


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
        ``p.sweep_seeds``, ... of the families :class:`Units` (:data:`SEED_PARAMETERS`)."""
        return cls(**seed_record(p.seed, seed_units(p)))


def max_relative_difference(a, b) -> float:
    """``max |a - b| / b`` over every entry (claim 0: the recursion against GD on the weights)."""
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)) / np.asarray(b)))


@dataclass(frozen=True)
class Headline:
    """Per-seed tables ``[seeds, alphas]`` of the headline sweep (α its only configuration
    axis, in increasing order) and, from the linearised runs (α = 1, the same seeds), one value
    a seed ``[seeds]``.

    ``ratio`` ``t_te/t_tr`` and ``gap`` ``t_te - t_tr`` at the absolute threshold (``inf``
    where the test loss never crossed), ``train_time`` ``t_tr`` and ``budget`` the last
    recorded step (for :func:`delay_trend`); ``at_cross``
    (:func:`at_train_crossing`); ``rise``; ``train_at_peak``; ``linear_share``; ``final``
    ``L_te(T)`` and ``final_ratio``; ``norm_growth`` ``‖W_T‖/‖W_0‖``; ``weight_change``
    ``‖W_T - W_0‖/‖W_0‖``; ``feature_alignment`` at the end; ``lin_deviation`` (network at
    α = 1 vs its linearisation up to the test-loss peak, :func:`linearisation_deviation`),
    ``lin_departure`` (the same after the peak) and ``lin_floor`` (the linearised model's
    smallest ``L_te / L_te(0)``).
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
    lin_departure: np.ndarray | None = None
    lin_floor: np.ndarray | None = None
    train_time: np.ndarray | None = None
    budget: float | None = None


def headline_measures(head, lin=None, threshold: float = 0.1) -> Headline:
    """The :class:`Headline` tables of the headline sweep ``head`` and, if given, its
    linearisation ``lin`` (a sweep at α = 1 with the headline's seeds, in order)."""
    h = head.trajectory
    t_train, _, gap, ratio = grokking_delay(h.steps, h.train_loss, h.test_loss, threshold)
    per_run = {
        "ratio": ratio,
        "gap": gap,
        "train_time": t_train,
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
        tables["lin_departure"] = linearisation_deviation(h.select(runs), lt, after_peak=True)
        tables["lin_floor"] = (lt.test_loss / lt.test_loss[:, :1]).min(1)
    return Headline(alpha=alpha, budget=float(h.steps[-1]), **tables)


@dataclass(frozen=True)
class AxisSweep:
    """Per-seed tables ``[seeds, k]`` of a sweep along one axis (``values [k]``, increasing).

    ``rise`` (:func:`rise`), ``final`` ``L_te(T)``, ``final_ratio`` ``L_te(T)/L_te(0)``,
    ``gap`` and ``ratio`` of the delay at the relative threshold ``0.1 L(0)``
    (:func:`relative_delay`), ``train_time`` ``t_tr`` there and ``budget`` the last recorded
    step (for :func:`delay_trend`), and ``weight_change`` ``‖W_T - W_0‖/‖W_0‖`` (``None``
    where the runs did not record it).
    """

    values: np.ndarray
    rise: np.ndarray
    final: np.ndarray
    final_ratio: np.ndarray
    gap: np.ndarray
    ratio: np.ndarray
    weight_change: np.ndarray | None
    train_time: np.ndarray | None = None
    budget: float | None = None


def axis_sweep(sweep, key: str) -> AxisSweep:
    """The :class:`AxisSweep` of ``sweep`` along its only configuration axis ``key``."""
    traj = sweep.trajectory
    t_train, gap, ratio = relative_delay(traj)
    per_run = {
        "rise": rise(traj),
        "final": traj.test_loss[:, -1],
        "final_ratio": final_ratio(traj),
        "gap": gap,
        "ratio": ratio,
        "train_time": t_train,
    }
    tables = {k: table(sweep, v, key)[1] for k, v in per_run.items()}
    change = None
    if "weight_change" in traj.series:
        change = table(sweep, traj.weight_change[:, -1], key)[1]
    axis = table(sweep, per_run["rise"], key)[0]
    budget = float(traj.steps[-1])
    return AxisSweep(values=axis, weight_change=change, budget=budget, **tables)


@dataclass(frozen=True)
class PhaseDiagram:
    """Fig. 3(e) per seed: ``amount [seeds, alphas, eps]`` the paper's amount of grokking at
    the absolute threshold 0.1 (zero where the test loss never crossed, the authors'
    convention), ``ratio`` the delay ratio at ``0.1 L(0)``; axes ``alphas``, ``eps`` in the
    grid's order. ``censored [seeds, alphas, eps]``: where the test loss never crossed 0.1
    within the budget, a lower bound on the amount (the budget less the train crossing, 0 if
    the train loss never crossed either), NaN elsewhere; None: every run crossed."""

    alphas: np.ndarray
    eps: np.ndarray
    amount: np.ndarray
    ratio: np.ndarray
    censored: np.ndarray | None = None

    @property
    def n_censored(self) -> int:
        """Runs whose test loss never crossed 0.1 within the budget."""
        return 0 if self.censored is None else int(np.isfinite(self.censored).sum())

    def trend(self, axis: str, sign: int) -> Estimate:
        """:meth:`Estimate.trend` of the amount along ``log α`` (``axis="alpha"``) or ``log ε``
        (``"eps"``): each seed's least-squares slope over its whole grid (on a full grid, the
        slope of its mean over the other axis), the mean over seeds, on a linear scale. A run
        whose test loss never crossed is censored at the smallest of the censored runs' lower
        bounds (:meth:`Estimate.trend`: its seed's slope is then bounded from one side only),
        not counted as zero: a budget shorter than the delay cannot decide against the claim."""
        n_alpha, n_eps = len(self.alphas), len(self.eps)
        x = {
            "alpha": np.repeat(np.log(self.alphas), n_eps),
            "eps": np.tile(np.log(self.eps), n_alpha),
        }[axis]
        amount, censored_at = self.amount, None
        if self.n_censored:
            amount = np.where(np.isfinite(self.censored), np.inf, amount)
            censored_at = float(np.nanmin(self.censored))
        rows = amount.reshape(len(amount), -1)
        return Estimate.trend(rows, sign, x=x, censored_at=censored_at)


def phase_diagram(sweep, alphas, eps) -> PhaseDiagram:
    """The :class:`PhaseDiagram` of a sweep over the grid ``alphas × eps`` (× seeds); the
    budget is the sweep's last recorded step."""
    shape = (sweep.n_seeds, len(alphas), len(eps))
    traj = sweep.trajectory
    amount = seed_table(sweep, amount_of_grokking(traj, 0.1)).reshape(shape)
    ratio = seed_table(sweep, relative_delay(traj)[2]).reshape(shape)
    t_train, t_test, _, _ = grokking_delay(traj.steps, traj.train_loss, traj.test_loss, 0.1)
    budget = float(traj.steps[-1])
    lower = np.where(np.isfinite(t_train), budget - t_train, 0.0)
    censored = seed_table(sweep, np.where(np.isinf(t_test), lower, np.nan)).reshape(shape)
    return PhaseDiagram(np.asarray(alphas), np.asarray(eps), amount, ratio, censored)


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
    first steps at which the train and test accuracies reach the level (``inf`` if never),
    the weight-norm growth ``(‖W₁‖ + ‖W₂‖)_T / (‖W₁‖ + ‖W₂‖)_0`` and ``budget`` the last
    recorded step (where a never-reached time is censored)."""

    alpha: np.ndarray
    t_train: np.ndarray
    t_test: np.ndarray
    norm_growth: np.ndarray
    budget: float | None = None

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
        budget=float(mod.steps[-1]),
    )


# ------------------------------------------------------------- the experiments, notebook order


def cut_to_few(steps: str) -> dict:
    """The dry-run cut of an experiment whose step count is the parameter ``steps`` and whose
    runs record at ``n_records`` steps: ``at(p, k)`` runs ``k`` steps recording at
    :data:`PROBE_RECORDS` steps only; ``count(p)`` is the full step count."""
    return {
        "at": lambda p, k: p.with_values(**{steps: k, "n_records": PROBE_RECORDS}),
        "count": lambda p: getattr(p, steps),
    }


def _size(p) -> str:
    return f"D={p.d}, N={p.width}"


def _common(p) -> dict:
    """The arguments every sweep of the chapter's own size shares."""
    return {"d": p.d, "width": p.width, "n_records": p.n_records}


@EXPERIMENTS.add(
    "recursion check (GD on W and recursion)",
    sizes=lambda p: f"{_size(p)}, P=160, 2 α × 1 seed, both engines, {RECURSION_CHECK_STEPS} steps",
    steps=None,
)
def recursion_check(p) -> float:
    """Claim 0: the same batch (α = 0.5 and 2, the first headline seed, the sweep's default
    P = 160, :data:`RECURSION_CHECK_STEPS` steps) trained by GD on the weights and by the
    (w̄, M) recursion; the largest relative difference of their test losses."""
    check = dict(
        d=p.d,
        width=p.width,
        steps=RECURSION_CHECK_STEPS,
        alpha=[0.5, 2.0],
        eps=[p.eps],
        n_records=30,
        dtype=torch.float64,  # the two engines agree to rounding error: float64's
    )
    seed = ChapterSeeds.of(p).headline[:1]
    direct = single_index_sweep(engine="direct", seed=seed, **check).trajectory
    recursion = single_index_sweep(engine="statistics", seed=seed, **check)
    return max_relative_difference(direct.test_loss, recursion.trajectory.test_loss)


def _headline_config(p) -> dict:
    """The configuration the headline runs and their linearisation share."""
    seeds = ChapterSeeds.of(p).headline
    return dict(eps=[p.eps], c=[p.c], p=[p.p_train], seed=seeds, steps=p.steps, **_common(p))


@EXPERIMENTS.add(
    "Fig. 1 headline",
    sizes=lambda p: (
        f"{_size(p)}, P={p.p_train}, {len(p.alphas)} α × {len(p.seeds)} seeds, "
        f"NTK alignment on {p.n_align}"
    ),
    **cut_to_few("steps"),
    few=100,
)
def headline_runs(p) -> SingleIndexSweep:
    """Fig. 1: every α of ``p.alphas`` × the headline seeds, with the NTK alignment."""
    return single_index_sweep(
        alpha=p.alphas, n_align=p.n_align, desc="headline", **_headline_config(p)
    )


@EXPERIMENTS.add(
    "Fig. 1 linearised + kernel level",
    sizes=lambda p: (
        f"{_size(p)}, P={p.p_train}, {len(p.seeds)} seeds; kernel regression on {p.n_test}"
    ),
    **cut_to_few("steps"),
    few=500,
)
def linearised_runs(p) -> tuple[SingleIndexSweep, np.ndarray]:
    """Fig. 1: the linearised model at α = 1 on the headline seeds, and the level of kernel
    regression with the initial NTK on ``p.n_test`` inputs (``[runs]``)."""
    lin = single_index_sweep(
        alpha=[1.0], engine="linearised", desc="linearised", **_headline_config(p)
    )
    return lin, lin.kernel_regression_loss(p.n_test)


@EXPERIMENTS.add(
    "Figs. 4, 10 width 2 (GD on W)",
    sizes=lambda p: (
        f"D={p.n2_d}, N=2, P={3 * p.n2_d}, {len(p.mix_values)} λ × {len(p.n2_seeds)} seeds"
    ),
    **cut_to_few("n2_steps"),
    few=2000,
)
def width_two_runs(p) -> SingleIndexSweep:
    """Figs. 4 and 10: the paper's width-2 configuration (uncentred, ε = 0.25, P = 3D, c = 0.5,
    GD on the weights), every solution fraction λ of ``p.mix_values``."""
    fig4 = dict(
        width=2, alpha=[1.0], eps=[0.25], c=[0.5], p=[3 * p.n2_d], centred=False, engine="direct"
    )
    return single_index_sweep(
        d=p.n2_d,
        steps=p.n2_steps,
        mix=p.mix_values,
        seed=ChapterSeeds.of(p).width_two,
        n_records=p.n_records,
        desc="N = 2",
        **fig4,
    )


@EXPERIMENTS.add(
    "Fig. 3a α sweep",
    sizes=lambda p: (
        f"{_size(p)}, P={p.sweep_p}, {len(p.sweep_alphas)} α × {len(p.sweep_seeds)} seeds"
    ),
    **cut_to_few("sweep_steps"),
    few=20,
)
def alpha_sweep(p) -> SingleIndexSweep:
    """Fig. 3(a): every α of ``p.sweep_alphas`` at the authors' cell (ε = 0.25, c = 0.5,
    target (β·x)²)."""
    fig3a = dict(eps=[0.25], c=[0.5], p=[p.sweep_p], scale=1.0)  # the authors' Fig. 3(a) cell
    seeds = ChapterSeeds.of(p).sweep
    return single_index_sweep(
        alpha=p.sweep_alphas, seed=seeds, steps=p.sweep_steps, desc="α sweep", **fig3a, **_common(p)
    )


@EXPERIMENTS.add(
    "Fig. 3b ε sweep",
    sizes=lambda p: (
        f"{_size(p)}, P={p.p_train}, {len(p.eps_values)} ε × {len(p.trend_seeds)} seeds"
    ),
    **cut_to_few("sweep_steps"),
    few=25,
)
def eps_sweep(p) -> SingleIndexSweep:
    """Fig. 3(b): every ε of ``p.eps_values`` at α = 1."""
    return single_index_sweep(
        alpha=[1.0],
        eps=p.eps_values,
        c=[p.c],
        p=[p.p_train],
        seed=ChapterSeeds.of(p).trend,
        steps=p.sweep_steps,
        desc="ε sweep",
        **_common(p),
    )


@EXPERIMENTS.add(
    "Fig. 3e phase diagram",
    sizes=lambda p: (
        f"{_size(p)}, P={p.p_train}, {len(p.phase_alphas)} α × {len(p.phase_eps)} "
        f"ε ({len(p.phase_alphas) * len(p.phase_eps)} points) × {len(p.trend_seeds)} seeds; fixed "
        "steps (the authors' step limit)"
    ),
    **cut_to_few("phase_steps"),
    few=6,
)
def phase_sweep(p) -> SingleIndexSweep:
    """Fig. 3(e): the grid ``p.phase_alphas × p.phase_eps`` at the learning-rate constant
    ``p.phase_c``."""
    return single_index_sweep(
        alpha=p.phase_alphas,
        eps=p.phase_eps,
        c=[p.phase_c],
        p=[p.p_train],
        seed=ChapterSeeds.of(p).trend,
        steps=p.phase_steps,
        desc="phase diagram",
        **_common(p),
    )


def _fig7(p) -> dict:
    """The σ values (smallest, 1, largest of ``p.sigmas``) and set-up of both Fig. 7 sweeps."""
    sigma = [p.sigmas[0], 1.0, p.sigmas[-1]]
    return dict(sigma=sigma, eps=[p.eps], p=[p.p_train], steps=p.sweep_steps, **_common(p))


@EXPERIMENTS.add(
    "Fig. 7 σ sweep",
    sizes=lambda p: f"{_size(p)}, P={p.p_train}, 3 σ × {len(p.trend_seeds)} seeds",
    **cut_to_few("sweep_steps"),
    few=60,
)
def sigma_sweep(p) -> SingleIndexSweep:
    """Fig. 7(b, d): three initial scales σ at α = 1."""
    return single_index_sweep(
        alpha=[1.0], seed=ChapterSeeds.of(p).trend, desc="σ sweep", **_fig7(p)
    )


@EXPERIMENTS.add(
    "Fig. 7 α = σ⁻²",
    sizes=lambda p: f"{_size(p)}, P={p.p_train}, 3 σ × {len(p.sweep_seeds)} seeds",
    **cut_to_few("sweep_steps"),
    few=60,
)
def joint_sweep(p) -> SingleIndexSweep:
    """Fig. 7(c): the same three σ with α = σ⁻² (the joint scaling)."""
    seeds = ChapterSeeds.of(p).sweep
    return single_index_sweep(alpha_sigma2=1.0, seed=seeds, desc="α = σ⁻²", **_fig7(p))


def _fig9(p) -> dict:
    return dict(alpha=[1.0], seed=ChapterSeeds.of(p).sweep, n_records=p.n_records)


@EXPERIMENTS.add(
    "Fig. 9 P sweep",
    sizes=lambda p: f"{_size(p)}, P={p.p_values}, {len(p.sweep_seeds)} seeds (one batch per P)",
    **cut_to_few("p_steps"),
    few=25,
)
def sample_size_sweep(p) -> SingleIndexSweep:
    """Fig. 9 at the chapter's size and ε: every P of ``p.p_values``."""
    ours = dict(d=p.d, width=p.width, steps=p.p_steps)
    return single_index_sweep(
        eps=[p.eps], c=[p.c], p=p.p_values, desc="P sweep", **ours, **_fig9(p)
    )


@EXPERIMENTS.add(
    "Fig. 9 P sweep, ε = 0.5 (authors' settings)",
    sizes=lambda p: (
        f"D={p.p_paper_d}, N={p.p_paper_width}, P={p.p_paper}, {len(p.sweep_seeds)} seeds"
    ),
    **cut_to_few("p_paper_steps"),
    few=500,
)
def sample_size_paper_sweep(p) -> SingleIndexSweep:
    """Fig. 9 at the authors' cell (ε = c = 0.5): every P of ``p.p_paper``."""
    authors = dict(d=p.p_paper_d, width=p.p_paper_width, steps=p.p_paper_steps)
    return single_index_sweep(
        eps=[0.5], c=[0.5], p=p.p_paper, desc="P sweep, ε = 0.5", **authors, **_fig9(p)
    )


@EXPERIMENTS.add(
    "Fig. 2 modular addition",
    sizes=lambda p: f"p=23, N=100, {len(p.mod_alphas)} α × {len(p.mod_seeds)} seeds",
    steps="mod_steps",
    few=100,
)
def modular_addition_runs(p) -> Trajectory:
    """Fig. 2: the quadratic MLP on a + b mod 23 at every α of ``p.mod_alphas``."""
    return train_modular_addition(p.mod_alphas, ChapterSeeds.of(p).modular, steps=p.mod_steps)


@EXPERIMENTS.add(
    "Fig. 5 eigenvector labels (GD on W)",
    sizes=lambda p: (
        f"D={p.eig_d}, P={p.eig_p}, N=2, {len(p.eig_ranks)} ranks × {len(p.eig_seeds)} seeds"
    ),
    **cut_to_few("eig_steps"),
    few=1000,
)
def eigenvector_runs(p) -> Trajectory:
    """Fig. 5: labels along each eigenvector rank of ``p.eig_ranks`` of the initial NTK."""
    return eigenvector_label_runs(
        d=p.eig_d,
        p=p.eig_p,
        ranks=p.eig_ranks,
        steps=p.eig_steps,
        seeds=ChapterSeeds.of(p).eigenvector,
        n_records=p.n_records,
    )
