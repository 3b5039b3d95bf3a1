"""The experiments of chapter 04 (grokking as computational glass relaxation) and the
measurements behind its claims.

Each section runs one experiment and reads it out into a typed result whose estimates take
their intervals from the chapter's independent units:

* **replicas** of discrete Wang-Landau on the 4×4 Ising model (:func:`ising_validation`):
  the replica-averaged ``ln g(E)`` against the exact one and the error of plain (halving) WL
  against the 1/t schedule, bootstrapped over replicas;
* **groups** of WLMD walkers, each group with its own entropy grid (independent runs,
  batched): the harmonic system's fitted entropy and thermostat (:func:`harmonic_validation`),
  the 1-D equilibrium curve's jumps (:func:`equilibrium_curve`);
* **seeds** of the AdamW and WanD networks (one network per seed and task, own
  initialisation): per-seed first-crossing steps with ``inf`` for "never crossed"
  (:func:`grokking`, :class:`FixedNormControl`, :class:`WandSweep`), decided as fractions or
  order-statistic medians;
* **groups and seeds together** for a difference of two independent means
  (:func:`difference_of_means`, Welch).

Each experiment the notebook runs is declared once in :data:`EXPERIMENTS`, in notebook order
(:func:`ising`, :func:`harmonic`, :func:`adamw_baseline`, :func:`fixed_norm`,
:func:`equilibrium`, :data:`band_map_sweep`, :data:`wand_sweep`): the notebook and the dry run
call the same functions of the parameters. The sweep points (:func:`band_map`,
:func:`wand_point`) are module-level functions so that :func:`grokutils.core.sweep.run` can send
them to workers. Every experiment flushes denormal floats first (:func:`flush_denormals`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache

import numpy as np
import pandas as pd
import torch
from scipy import stats

from grokutils.chapters.glass_relaxation.adamw import train_adamw
from grokutils.chapters.glass_relaxation.embed_mlp import (
    EmbedMLP,
    accuracy,
    cross_entropy,
    smoothed_accuracy,
)
from grokutils.chapters.glass_relaxation.wand import train_ln_loss_cv, wand
from grokutils.core import sweep
from grokutils.core.estimates import LEVEL, Estimate
from grokutils.core.experiment import Registry
from grokutils.core.params import Params
from grokutils.core.seeding import seed_record, stream_seed, torch_generator
from grokutils.core.trajectory import Trajectory
from grokutils.methods.exact_dos import (
    IsingMoves,
    fit_harmonic_entropy,
    harmonic_cv,
    ising_exact_dos,
)
from grokutils.methods.modular_data import TASKS, ModularData
from grokutils.methods.wang_landau import (
    Axis,
    CollectiveVariables,
    WLMDConfig,
    WLMDResult,
    bottleneck_barrier,
    conditional_mean,
    differentiable,
    flatness,
    langevin_displacement_variance,
    normalise_ln_g,
    run_difference,
    wang_landau_discrete,
    wlmd,
)

GROKKED = 0.95
"""Test accuracy at which a run counts as generalised (the chapter's 95 %)."""

EXPERIMENTS = Registry("04_glass_relaxation")
start = EXPERIMENTS.start  # the notebook's start-up call


def flush_denormals() -> None:
    """Flush denormal floats to zero: at low loss they slow CPU training about 40×. Every
    experiment calls it first (sweep points too, in their worker processes)."""
    torch.set_flush_denormal(True)


# ---------------------------------------------------------------------- 4×4 Ising, exact DOS


def ising_errors(ln_g: np.ndarray, g_exact: np.ndarray, n_spins: int) -> np.ndarray:
    """``ln g - ln g_exact`` per replica and level, ``[R, levels]``, after normalising each
    replica's estimate ``ln_g [R, levels]`` to ``ln Σ g = N ln 2`` (``N = n_spins``)."""
    return normalise_ln_g(ln_g, n_spins * math.log(2)) - np.log(g_exact)


def ising_bias(errors: np.ndarray) -> Estimate:
    """Largest error over the levels of the replica-averaged ``ln g``,
    ``max_E |mean_r Δ ln g_r(E)|``, with a bootstrap interval over the replicas
    (``errors [R, levels]`` from :func:`ising_errors`)."""
    return Estimate.bootstrap(
        lambda d: float(np.abs(d.mean(0)).max()), np.asarray(errors), unit="replicas"
    )


def max_abs_error(errors: np.ndarray) -> np.ndarray:
    """Each replica's own error ``max_E |Δ ln g_r(E)|``, ``[R]``."""
    return np.abs(np.asarray(errors)).max(-1)


def error_ratio(error_plain: np.ndarray, error_1t: np.ndarray) -> Estimate:
    """Median error of plain (halving) WL over the median error of the 1/t schedule at the
    same number of trial moves (``[R]`` each, independent replicas), bootstrap interval
    (the two sets of replicas are resampled together; they are independent anyway)."""
    return Estimate.bootstrap(
        lambda a, b: float(np.median(a) / np.median(b)),
        np.asarray(error_plain, dtype=float),
        np.asarray(error_1t, dtype=float),
        unit="replicas",
    )


@dataclass(frozen=True)
class IsingValidation:
    """Discrete WL on the 4×4 Ising model with both schedules (V1, V2).

    runs: per schedule, the replicas' :class:`Trajectory` (series ``ln_f`` and ``max_error``
    ``max_E |Δ ln g(E)|``); errors: per schedule, ``Δ ln g(E) [R, levels]`` at the last record.
    """

    runs: Mapping[str, Trajectory]
    errors: Mapping[str, np.ndarray]

    @property
    def n_levels(self) -> int:
        return self.errors["1/t"].shape[1]

    @property
    def bias(self) -> Estimate:
        """V1: :func:`ising_bias` of the 1/t schedule."""
        return ising_bias(self.errors["1/t"])

    @property
    def ratio(self) -> Estimate:
        """V2: :func:`error_ratio` of halving over 1/t."""
        return error_ratio(max_abs_error(self.errors["halving"]), max_abs_error(self.errors["1/t"]))


class Units(IntEnum):
    """The chapter's experiments, each with its own block of seeds at every seed offset
    (:func:`grokutils.core.seeding.unit_seeds`); an experiment batches its networks, walkers or
    replicas from its one seed."""

    ISING = 0
    HARMONIC = 1
    ADAMW = 2
    FIXED_NORM = 3
    EQUILIBRIUM = 4
    BAND_MAPS = 5
    WAND = 6


@dataclass(frozen=True)
class Seeds:
    """The seed of each experiment at offset ``p.seed``."""

    ising: int
    harmonic: int
    adamw: int
    fixed_norm: int
    equilibrium: int
    band_maps: int
    wand: int

    @classmethod
    def of(cls, p) -> Seeds:
        return cls(**{name: seed for name, (seed,) in seeds_of(p).items()})


def seeds_of(p) -> dict[str, list[int]]:
    """``{experiment: [seed]}`` at offset ``p.seed``, the record of the claims JSON."""
    return seed_record(p.seed, dict.fromkeys(Units, 1))


def ising_validation(replicas: int, steps: int, seed: int) -> IsingValidation:
    """Both WL schedules on ``replicas`` independent 4×4 Ising chains of ``steps`` spin-flip
    trials (30 records), against the exact density of states."""
    energies, g_exact = ising_exact_dos(4)
    runs, errors = {}, {}
    for schedule in ("halving", "1/t"):
        moves = IsingMoves(4)
        state, idx = moves.initial(replicas, seed=seed)
        runs[schedule] = wang_landau_discrete(
            moves,
            state,
            idx,
            len(energies),
            steps,
            schedule=schedule,
            ln_f_final=1e-8,
            record_every=steps // 30,
            observe=lambda ln_g: {"max_error": max_abs_error(ising_errors(ln_g, g_exact, 16))},
            seed=stream_seed(seed, 1),
        )
        errors[schedule] = ising_errors(runs[schedule].final["ln_g"], g_exact, 16)
    return IsingValidation(runs, errors)


@EXPERIMENTS.add(
    "Ising validation (discrete WL, two schedules)",
    sizes=lambda p: f"4×4 Ising, {p.ising_replicas} replicas",
    steps="ising_steps",
    few=6_000,
)
def ising(p: Params) -> IsingValidation:
    """The run's Ising validation (V1, V2): :func:`ising_validation` at the preset's sizes."""
    flush_denormals()
    return ising_validation(p.ising_replicas, p.ising_steps, seed=Seeds.of(p).ising)


# ------------------------------------------------------------------- harmonic WLMD, exact S


def y_profile_rms(
    entropy: np.ndarray, visited: np.ndarray, y: np.ndarray, n_dim: int, margin: int = 2
) -> np.ndarray:
    """rms error (nats) of each group's entropy profile along ``y = q₁/|q|`` against the exact
    ``((n-3)/2) ln(1 - y²)`` (spec §5.3a's y-profile test), ``[G]``.

    entropy, visited ``[G, nx, ny]``; the bins within ``margin`` of the grid edges (the walls)
    are left out. A group's profile is the mean over its interior x bins, so a group with an
    unvisited interior bin is NaN. Both profiles are shifted to zero mean (S is defined up to
    a constant)."""
    inner = (slice(None), slice(margin, -margin), slice(margin, -margin))
    block, seen = np.asarray(entropy)[inner], np.asarray(visited)[inner]
    exact = 0.5 * (n_dim - 3) * np.log1p(-(np.asarray(y)[margin:-margin] ** 2))
    diff = block.mean(1) - exact  # [G, ny - 2 margin]
    diff = diff - diff.mean(1, keepdims=True)
    rms = np.sqrt((diff**2).mean(1))
    return np.where(seen.reshape(len(seen), -1).all(1), rms, np.nan)


def harmonic_fit(
    entropy: np.ndarray,
    hist: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    n_dim: int,
    margin: int = 2,
) -> dict[str, Estimate]:
    """The harmonic test system against its exact entropy, one value per walker group (own
    entropy grid, independent runs): the fitted slope ``a`` of ``S = a x + b ln(1-y²) + c``
    over the visited interior bins (exact ``n/2``) and the y-profile rms error (nats) of
    :func:`y_profile_rms`, each a mean over groups with its t interval. Bins within
    ``margin`` of the grid edges (the walls) are left out."""
    interior = np.zeros(entropy.shape, dtype=bool)
    interior[:, margin:-margin, margin:-margin] = True
    coef = fit_harmonic_entropy(entropy, interior & (hist > 0), x, y)
    rms = y_profile_rms(entropy, hist > 0, y, n_dim, margin)
    return {
        "slope a": Estimate.mean(coef[:, 0], unit="walker groups"),
        "y-profile rms (nats)": Estimate.mean(rms, unit="walker groups"),
    }


def kinetic_temperature(temperature: np.ndarray, groups: int) -> Estimate:
    """Kinetic temperature ``2KE/(n k_BT)`` over the second half of a WLMD run, one mean per
    walker group (``temperature [W, T]``, walkers ``g·W/G … (g+1)·W/G - 1`` in group g), mean
    over groups with its t interval."""
    t = np.asarray(temperature)
    # summed step by step (records [T', W]): the order of the chapter's archived values
    t = np.ascontiguousarray(t[:, t.shape[1] // 2 :].T)
    per_group = t.reshape(len(t), groups, -1).mean((0, 2))
    return Estimate.mean(per_group, unit="walker groups")


@dataclass(frozen=True)
class HarmonicValidation:
    """WLMD on the harmonic system (V3, V4): the run (cv series ``x = ln U``, ``y = q₁/|q|``),
    the bin centres ``x [nx]``, ``y [ny]``, the dimension and the number of walker groups."""

    run: WLMDResult
    x: np.ndarray
    y: np.ndarray
    n_dim: int
    groups: int

    @property
    def fit(self) -> dict[str, Estimate]:
        """V3: :func:`harmonic_fit` of the groups' entropies."""
        return harmonic_fit(self.run.entropy, self.run.hist, self.x, self.y, self.n_dim)

    @property
    def temperature(self) -> Estimate:
        """V4: :func:`kinetic_temperature` of the run."""
        return kinetic_temperature(self.run.record.kinetic_temperature, self.groups)


def harmonic_validation(groups: int, steps: int, seed: int, n_dim: int = 8) -> HarmonicValidation:
    """WLMD on ``q ∈ R^n`` with ``x = ln(|q|²/2)``, ``y = q₁/|q|`` (exact
    ``S = (n/2) x + ((n-3)/2) ln(1-y²)``): ``groups`` groups of 16 walkers started on
    ``|q|² = 2``, ``steps`` steps, the network sampler's code path."""
    q0 = torch.randn(groups * 16, n_dim, dtype=torch.float64, generator=torch_generator(seed))
    q0 = q0 / q0.norm(dim=1, keepdim=True) * np.sqrt(2.0)
    axes = (
        Axis(-1.2, 1.2, 12, wall_low=-1.2, wall_high=1.2, wall=100.0),
        Axis(-0.95, 0.95, 19, wall_low=-0.95, wall_high=0.95, wall=50.0),
    )
    run = wlmd(
        differentiable(harmonic_cv),
        q0,
        axes,
        WLMDConfig(dt=0.005, friction=0.025, F=0.05, t_rise=4000),
        steps,
        groups=groups,
        seed=seed,
        record_every=100,
        cv_names=("x", "y"),
        progress_desc="WLMD harmonic",
    )
    return HarmonicValidation(run, axes[0].centres, axes[1].centres, n_dim, groups)


@EXPERIMENTS.add(
    "harmonic validation (WLMD)",
    sizes=lambda p: f"{p.harmonic_groups} groups × 16 walkers, 8 dimensions",
    steps="harmonic_steps",
    few=600,
)
def harmonic(p: Params) -> HarmonicValidation:
    """The run's harmonic validation (V3, V4): :func:`harmonic_validation` at the preset's
    sizes."""
    flush_denormals()
    return harmonic_validation(p.harmonic_groups, p.harmonic_steps, seed=Seeds.of(p).harmonic)


# ------------------------------------------------------------------------- AdamW baseline


def grokking_baseline(
    tasks: Sequence[str],
    lrs: Sequence[float],
    n_seeds: int,
    n_steps: int,
    *,
    p: int = 31,
    weight_decay: float = 1.0,
    control_seeds: int = 0,
    record_every: int = 50,
    seed: int = 0,
) -> Trajectory:
    """AdamW on every task × seed at once (task k with lr ``lrs[k]``, weight decay
    ``weight_decay``), plus ``control_seeds`` networks on the first task with weight decay 0.

    Returns the networks' :class:`Trajectory` with a ``runs`` table (``task``, ``lr``,
    ``weight_decay``, ``seed``: the seed index within its task)."""
    if len(tasks) != len(lrs):
        raise ValueError(f"tasks and lrs must have the same length; got {len(tasks)}, {len(lrs)}")
    runs = pd.DataFrame(
        {
            "task": [t for t in tasks for _ in range(n_seeds)] + [tasks[0]] * control_seeds,
            "lr": [r for r in lrs for _ in range(n_seeds)] + [lrs[0]] * control_seeds,
            "weight_decay": [weight_decay] * (len(tasks) * n_seeds) + [0.0] * control_seeds,
            "seed": list(range(n_seeds)) * len(tasks) + list(range(control_seeds)),
        }
    )
    model = EmbedMLP(p)
    return train_adamw(
        model,
        model.init(len(runs), seed),
        ModularData.build(list(runs["task"]), p),
        n_steps,
        lr=torch.tensor(runs["lr"].tolist()),
        weight_decay=torch.tensor(runs["weight_decay"].tolist()),
        record_every=record_every,
        runs=runs,
        progress_desc="AdamW",
    )


ADAMW_RECORD_EVERY = 20
"""Steps between the AdamW baseline's records."""


@EXPERIMENTS.add(
    "AdamW grokking baseline",
    sizes=lambda p: (
        f"p={p.p}, {len(TASKS)} tasks × {len(p.lrs)} lr × {p.adamw_seeds} seeds "
        f"(+ {p.control_seeds} control seeds)"
    ),
    steps="adamw_steps",
    few=5 * ADAMW_RECORD_EVERY,
)
def adamw_baseline(p: Params) -> Trajectory:
    """The run's AdamW baseline (C1, C2): :func:`grokking_baseline` on the three tasks
    (:data:`~grokutils.methods.modular_data.TASKS`) at the preset's learning rates, a record
    every :data:`ADAMW_RECORD_EVERY` steps."""
    flush_denormals()
    return grokking_baseline(
        TASKS,
        p.lrs,
        p.adamw_seeds,
        p.adamw_steps,
        p=p.p,
        control_seeds=p.control_seeds,
        record_every=ADAMW_RECORD_EVERY,
        seed=Seeds.of(p).adamw,
    )


def grokking_runs(base: Trajectory, tasks: Sequence[str]) -> dict[str, dict[str, np.ndarray]]:
    """Per task, the weight-decay networks of :func:`grokking_baseline` in seed order: ``fit``
    (first step with train accuracy 100 %), ``grok`` (first step with test accuracy ≥ 95 %),
    both ``inf`` when never reached, and ``best`` (best test accuracy), ``[S]`` each."""
    fit = base.first_reaching("train_acc", 1.0)
    grok = base.first_reaching("test_acc", GROKKED)
    best = base.test_acc.max(1)
    out = {}
    for task in tasks:
        sel = ((base.runs["task"] == task) & (base.runs["weight_decay"] > 0)).to_numpy()
        out[task] = {"fit": fit[sel], "grok": grok[sel], "best": best[sel]}
    return out


def grokking_holds(runs: Mapping[str, dict], delay: float = 5.0) -> dict[str, np.ndarray]:
    """C1 seed by seed (networks of one seed index across tasks): x+y generalises within the
    budget and at least ``delay`` × later than it fits its training set; x²+y generalises later
    than x+y (never, within the budget, counts as later) on a seed where x+y generalised."""
    xy, sq = runs["x+y"], runs["x^2+y"]
    groks = np.isfinite(xy["grok"]) & (xy["grok"] >= delay * xy["fit"])
    later = np.isfinite(xy["grok"]) & (sq["grok"] > xy["grok"])
    return {"x+y groks": groks, "x²+y later": later}


def l_shape_runs(ln_loss: np.ndarray, acc_smooth: np.ndarray, acc: np.ndarray) -> dict:
    """The L-shape of each AdamW path, series ``[S, T]`` (spec C2), one value per run (NaN for
    a run that never reaches test accuracy 95 %): ``grokked [S]``, ``low_acc_on_arrival [S]``
    (Ã when ln L first comes within 1 of its value at grokking) and
    ``loss_range_during_rise [S]`` (range of ln L while Ã rises from 0.5 to 0.95)."""
    n = len(ln_loss)
    grokked = np.zeros(n, dtype=bool)
    arrival, spread = np.full(n, np.nan), np.full(n, np.nan)
    for k in range(n):
        hit = np.flatnonzero(acc[k] >= GROKKED)
        if not hit.size:
            continue
        grok = hit[0]
        grokked[k] = True
        first = np.flatnonzero(ln_loss[k, : grok + 1] <= ln_loss[k, grok] + 1.0)[0]
        arrival[k] = acc_smooth[k, first]
        rise = np.flatnonzero(acc_smooth[k, : grok + 1] >= 0.5)
        start = rise[0] if rise.size else grok
        seg = ln_loss[k, start : grok + 1]
        spread[k] = seg.max() - seg.min()
    return {"grokked": grokked, "low_acc_on_arrival": arrival, "loss_range_during_rise": spread}


@dataclass(frozen=True)
class Grokking:
    """The AdamW baseline (C1, C2): its trajectory, per task the fit / grok steps and best test
    accuracy of :func:`grokking_runs`, C1's per-seed booleans and the x+y runs' L-shape."""

    traj: Trajectory
    runs: Mapping[str, dict[str, np.ndarray]]
    holds: Mapping[str, np.ndarray]
    l_shape: Mapping[str, np.ndarray]

    @property
    def x_plus_y(self) -> np.ndarray:
        """``[runs]`` mask of the x+y networks with weight decay."""
        runs = self.traj.runs
        return ((runs["task"] == "x+y") & (runs["weight_decay"] > 0)).to_numpy()

    @property
    def grok_step(self) -> dict[str, float]:
        """Per task, the median test-95 % step over seeds (``inf``: most never got there)."""
        return {t: float(np.median(r["grok"])) for t, r in self.runs.items()}

    def steps_table(self) -> dict[str, dict[str, list]]:
        """Per task, the fit and test-95 % steps of every seed (``inf``: never)."""
        return {
            t: {"fit": r["fit"].tolist(), "test 95 %": r["grok"].tolist()}
            for t, r in self.runs.items()
        }


def grokking(base: Trajectory, tasks: Sequence[str] = TASKS) -> Grokking:
    """The read-outs of :func:`grokking_baseline`'s trajectory (by default the baseline's
    three tasks)."""
    runs = grokking_runs(base, tasks)
    xy = base.select(((base.runs["task"] == "x+y") & (base.runs["weight_decay"] > 0)).to_numpy())
    l_shape = l_shape_runs(xy.ln_train_loss, xy.smooth_test_acc, xy.test_acc)
    return Grokking(base, runs, grokking_holds(runs), l_shape)


def descending_curve(ln_loss: np.ndarray, acc: np.ndarray, axis: Axis) -> np.ndarray:
    """Test accuracy of AdamW paths, series ``[S, T]``, at the bin centres of ``axis`` on their
    descending leg (each run's records where ``ln L`` reaches a new minimum), linearly
    interpolated in ``ln L`` and averaged over runs, ``[bins]`` (NaN outside every leg)."""
    curves = []
    for x, a in zip(ln_loss, acc, strict=True):
        new_low = np.flatnonzero(x < np.minimum.accumulate(np.r_[np.inf, x[:-1]]))
        xs, ys = x[new_low][::-1], a[new_low][::-1]  # increasing ln L for np.interp
        curves.append(np.interp(axis.centres, xs, ys, left=np.nan, right=np.nan))
    curves = np.array(curves)
    count = np.isfinite(curves).sum(0)
    return np.where(count > 0, np.nansum(curves, axis=0) / np.maximum(count, 1), np.nan)


# ---------------------------------------------------------------------- norm-fixed control


PAPER_NORM_RMS = 30 / math.sqrt(2.15e5)
"""The paper's fixed norm per √parameter, ‖θ‖ = 30 over its transformer's 2.15e5 parameters
(0.065). It does not carry over: at it this MLP never fits its training set (train accuracy
below 95 % at every width and seed of the book runs up to offset 18), so the control holds
the norm where this model generalises instead (:func:`generalising_rms`)."""


def generalising_rms(base: Trajectory, p: int) -> float:
    """The Omnigrok norm carried over to this model: the norm per √parameter at which the
    baseline's x+y weight-decay networks (:func:`grokking_baseline`, ``EmbedMLP(p)``)
    generalise: each network's ‖θ‖ / √parameters at its first record with test accuracy
    ≥ 95 % (at its last record if it never got there), the median over networks."""
    xy = base.select(((base.runs["task"] == "x+y") & (base.runs["weight_decay"] > 0)).to_numpy())
    grok = xy.first_reaching("test_acc", GROKKED)
    last = len(xy.steps) - 1
    record = np.where(np.isfinite(grok), np.searchsorted(xy.steps, np.nan_to_num(grok)), last)
    norms = xy.series["weight_norm"][np.arange(xy.n_runs), record]
    return float(np.median(norms) / math.sqrt(EmbedMLP(p).n_params))


def fixed_norm_widths(
    widths: Sequence[int],
    rms: float,
    n_seeds: int,
    n_steps: int,
    *,
    lr: float = 1e-3,
    p: int = 31,
    record_every: int = 50,
    seed: int = 0,
) -> dict[int, Trajectory]:
    """The norm-constrained control (paper Sec. 4.2, Omnigrok): AdamW without weight decay,
    every network rescaled after every step to the global norm ``rms · √(parameters)`` (a norm
    per parameter carries over from one width to another), for hidden widths ``widths``
    (embedding ``d = 3·h/8``), ``n_seeds`` networks each. Task x+y."""
    out = {}
    for h in widths:  # different widths cannot share one tensor
        model = EmbedMLP(p, d=max(4, 3 * h // 8), h=h)
        data = ModularData.build(["x+y"] * n_seeds, p)
        theta = model.init(n_seeds, seed)
        radius = rms * math.sqrt(theta.shape[1])
        theta = theta * radius / theta.norm(dim=1, keepdim=True)
        out[h] = train_adamw(
            model,
            theta,
            data,
            n_steps,
            lr=lr,
            weight_decay=0.0,
            fixed_norm=radius,
            record_every=record_every,
        )
    return out


@EXPERIMENTS.add(
    "fixed-norm control",
    sizes=lambda p: f"p={p.p}, widths {p.norm_widths} × {p.norm_seeds} seeds",
    steps="norm_steps",
    few=50,
    needs=("adamw_baseline",),
)
def fixed_norm(p: Params, base: Trajectory) -> FixedNormControl:
    """The run's norm-constrained control (C8): :func:`fixed_norm_widths` at the preset's
    widths and budget, the norm per √parameter where the AdamW baseline ``base``
    generalises (:func:`generalising_rms`)."""
    flush_denormals()
    rms = generalising_rms(base, p.p)
    seed = Seeds.of(p).fixed_norm
    trajs = fixed_norm_widths(p.norm_widths, rms, p.norm_seeds, p.norm_steps, p=p.p, seed=seed)
    return FixedNormControl(trajs, rms, p.p)


def first_steps(fixed: Mapping[int, Trajectory], name: str) -> np.ndarray:
    """``[widths, S]``: each network's first recorded step where ``name`` (``"test_acc"`` or
    ``"train_acc"``) reaches 95 % (``inf``: never)."""
    return np.array([o.first_reaching(name, GROKKED) for o in fixed.values()])


def fixed_norm_holds(
    fixed: Mapping[int, Trajectory], ratio: float = 2.0, min_steps: float = 100.0
) -> np.ndarray:
    """C8 seed by seed (network k of every width): at every width test accuracy reaches 95 %
    within the budget and at most ``ratio`` × the step where train accuracy reaches 95 %
    (or ``min_steps``), and the widths' test steps lie within a factor ``ratio``, ``[S]``."""
    test, train = first_steps(fixed, "test_acc"), first_steps(fixed, "train_acc")
    no_delay = (np.isfinite(test) & (test <= ratio * np.maximum(train, min_steps))).all(0)
    with np.errstate(invalid="ignore"):
        same = test.max(0) <= ratio * test.min(0)
    return no_delay & same


@dataclass(frozen=True)
class FixedNormControl:
    """The fixed-norm control (C8): one :class:`Trajectory` per hidden width, the norm per
    √parameter ``rms`` they were held at, on x+y mod ``p``."""

    trajs: Mapping[int, Trajectory]
    rms: float
    p: int

    @property
    def test_steps(self) -> dict[int, list[float]]:
        """Per width, each seed's test-95 % step (``inf``: never)."""
        return dict(zip(self.trajs, first_steps(self.trajs, "test_acc").tolist(), strict=True))

    @property
    def holds(self) -> np.ndarray:
        """C8 per seed: :func:`fixed_norm_holds`."""
        return fixed_norm_holds(self.trajs)

    def radius_text(self) -> str:
        """The fixed global norm ``rms · √(parameters)`` of each width, ``"h 32: 4.98; ..."``."""
        params = {h: EmbedMLP(self.p, d=max(4, 3 * h // 8), h=h).n_params for h in self.trajs}
        return "; ".join(f"h {h}: {self.rms * math.sqrt(n):.3g}" for h, n in params.items())

    @property
    def never_fit(self) -> np.ndarray:
        """``[S]`` bools: a seed whose train accuracy never reached 95 % at some width."""
        return ~np.isfinite(first_steps(self.trajs, "train_acc")).all(0)

    @property
    def best_train_acc(self) -> float:
        """The highest train accuracy any network reached at any recorded step."""
        return float(max(o.series["train_acc"].max() for o in self.trajs.values()))

    def censored(self, n_steps: int, ratio: float = 2.0, min_steps: float = 100.0) -> np.ndarray:
        """``[S]`` bools: a seed whose test accuracy did not reach 95 % within ``n_steps`` at
        some width while the budget is shorter than the claim's tolerance there (``ratio`` ×
        its train 95 % step, or ``min_steps``), so its delay is unknown, not too long."""
        test, train = first_steps(self.trajs, "test_acc"), first_steps(self.trajs, "train_acc")
        with np.errstate(invalid="ignore"):
            reached_train = np.where(np.isfinite(train), train, n_steps)
            short = n_steps < ratio * np.maximum(reached_train, min_steps)
        return (~np.isfinite(test) & short).any(0)


# ------------------------------------------------------------- 1-D WLMD equilibrium curve


def held_out_observables(model: EmbedMLP, data: ModularData):
    """Observables ``theta [W, n] -> {name: [W]}``: ``test_acc``, ``smooth_test_acc`` (Ã),
    ``weight_norm``."""

    def observe(theta: torch.Tensor) -> dict[str, torch.Tensor]:
        z = model.logits(theta, data.pairs_test)
        return {
            "test_acc": accuracy(z, data.y_test),
            "smooth_test_acc": smoothed_accuracy(z, data.y_test),
            "weight_norm": theta.norm(dim=1),
        }

    return observe


EQUILIBRIUM_AXIS = Axis(-15.0, 2.0, 68, wall_low=-14.5, wall_high=0.5, wall=200.0)
"""The ``ln L_train`` grid of the 1-D WLMD (0.25 wide bins, walls at -14.5 and 0.5)."""


def equilibrium_run(p: int, walkers: int, steps: int, F: float, t_rise: float, seed: int):
    """1-D WLMD over ``x = ln L_train`` of x+y (train data only; test accuracy observed):
    two groups of ``walkers`` networks, each group with its own entropy, ``steps`` steps in the
    box ``|θ_i| <= 1``. Returns the :class:`~grokutils.methods.wang_landau.WLMDResult`
    (record: ``cv_ln_train_loss`` where step t deposited, and the held-out observables)."""
    model = EmbedMLP(p)
    data = ModularData.build(["x+y"] * 2 * walkers, p)
    config = WLMDConfig(dt=1e-3, friction=0.01, sigma_bins=2.0, F=F, t_rise=t_rise, bound=1.0)
    return wlmd(
        train_ln_loss_cv(model, data),
        model.init(2 * walkers, stream_seed(seed, 1)),
        (EQUILIBRIUM_AXIS,),
        config,
        steps,
        groups=2,
        seed=seed,
        record_every=10,
        cv_names=("cv_ln_train_loss",),
        observe_fn=held_out_observables(model, data),
        progress_desc="1-D WLMD",
    )


@EXPERIMENTS.add(
    "1-D equilibrium curve (WLMD)",
    sizes=lambda p: f"p={p.p}, 2 × {p.wl1d_walkers} walkers",
    steps="wl1d_steps",
    few=80,
)
def equilibrium(p: Params) -> WLMDResult:
    """The run's 1-D WLMD (C5, C6): :func:`equilibrium_run` at the preset's sizes."""
    flush_denormals()
    return equilibrium_run(
        p.p, p.wl1d_walkers, p.wl1d_steps, p.wl1d_F, p.wl1d_t_rise, seed=Seeds.of(p).equilibrium
    )


def max_jump(curves: Sequence[np.ndarray]) -> np.ndarray:
    """Largest ``|Δ⟨A⟩|`` between adjacent populated ``ln L`` bins of each curve, ``[G]``
    (NaN for a curve with fewer than three populated bins)."""
    out = []
    for c in curves:
        c = np.asarray(c)[np.isfinite(c)]
        out.append(float(np.abs(np.diff(c)).max()) if len(c) > 2 else np.nan)
    return np.array(out)


def difference_of_means(a: np.ndarray, b: np.ndarray, *, unit: str) -> Estimate:
    """``mean(a) - mean(b)`` of two independent samples with the Welch t interval (unbounded
    when either sample has fewer than two units; NaN when a unit is NaN)."""
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    n, method = len(a) + len(b), "difference of means, Welch t"
    if np.isnan(a).any() or np.isnan(b).any() or not len(a) or not len(b):
        return Estimate.from_interval(math.nan, -math.inf, math.inf, n, method, unit=unit)
    diff = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return Estimate.from_interval(diff, -math.inf, math.inf, n, method, unit=unit)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return Estimate.from_interval(diff, diff, diff, n, method, unit=unit)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.5 + LEVEL / 2, dof)) * se
    return Estimate.from_interval(diff, diff - half, diff + half, n, method, unit=unit)


def curve_diagnostic(
    run: WLMDResult, group_noise: float, max_drift: float = 0.05, max_noise: float = 0.05
) -> str | None:
    """Why a 1-D WLMD equilibrium curve is not converged (``None`` if it is): the entropy
    estimate must have stopped moving (rms change between half and end ≤ ``max_drift`` of its
    range over the visited bins) and the two walker groups' curves must agree (rms ≤
    ``max_noise`` in accuracy)."""
    seen = run.hist.sum(0) > 0
    reasons = []
    if seen.sum() >= 2:
        span = float(np.ptp(run.entropy[:, seen], axis=1).mean())
        drift = np.mean(
            [
                run_difference(run.entropy[g], run.entropy_half[g], seen)
                for g in range(len(run.hist))
            ]
        )
        if drift > max_drift * span:
            reasons.append(
                f"S₁ still moving: rms change {drift:.0f} nats between half and end of the run "
                f"(range {span:.0f} nats)"
            )
    else:
        reasons.append("fewer than two ln L bins visited")
    if not np.isfinite(group_noise) or group_noise > max_noise:
        reasons.append(f"walker groups differ by {group_noise:.2f} rms in ⟨A⟩")
    return "1-D WLMD not converged at this budget: " + "; ".join(reasons) if reasons else None


@dataclass(frozen=True)
class EquilibriumCurve:
    """The 1-D WLMD read-outs (C5, C6), over the second half of the run.

    curves: per walker group, ⟨A⟩ per ``ln L`` bin ``[bins]``; mean, sem: both groups pooled;
    adamw: the x+y AdamW runs' descending leg on the same bins; group_noise: rms difference of
    the two groups' curves; jumps ``[G]``: :func:`max_jump`; eq_at_compare ``[G]`` and
    adamw_at_compare ``[S]``: ⟨A⟩ per group and A per AdamW seed at ``compare_ln_loss``;
    explored: the range of ``ln L`` the walkers visited; undecided: why the curve is not
    converged (None if it is).
    """

    run: WLMDResult
    axis: Axis
    compare_ln_loss: float
    curves: list[np.ndarray]
    mean: np.ndarray
    sem: np.ndarray
    adamw: np.ndarray
    group_noise: float
    jumps: np.ndarray
    eq_at_compare: np.ndarray
    adamw_at_compare: np.ndarray
    explored: tuple[float, float]
    undecided: str | None = field(default=None)

    @property
    def advantage(self) -> Estimate:
        """C6: ⟨A⟩_eq − A_AdamW at ``compare_ln_loss`` (:func:`difference_of_means`)."""
        return difference_of_means(
            self.eq_at_compare, self.adamw_at_compare, unit="walker groups and AdamW seeds"
        )

    @property
    def covers_compare(self) -> bool:
        """Whether every group curve and every AdamW seed has a value at ``compare_ln_loss``."""
        return bool(
            np.isfinite(self.eq_at_compare).all() and np.isfinite(self.adamw_at_compare).all()
        )


def equilibrium_curve(run: WLMDResult, base: Grokking, compare_ln_loss: float) -> EquilibriumCurve:
    """Read out :func:`equilibrium_run` against the AdamW baseline's x+y runs."""
    axis = run.axes[0]
    rec = run.record
    half = len(rec.steps) // 2  # second half: the estimate has filled the explored range
    x, a = rec.cv_ln_train_loss[:, half:], rec.test_acc[:, half:]
    m = rec.n_runs // 2
    curves = [conditional_mean(x[g], a[g], axis)[0] for g in (slice(0, m), slice(m, None))]
    mean, _, sem = conditional_mean(x, a, axis)
    ok = np.isfinite(curves[0]) & np.isfinite(curves[1])
    noise = float(np.sqrt(np.nanmean((curves[0] - curves[1])[ok] ** 2))) if ok.any() else np.nan
    xy = base.traj.select(base.x_plus_y)
    k = axis.index(np.array([compare_ln_loss]))[0]
    adamw_at = [
        descending_curve(xy.ln_train_loss[[s]], xy.test_acc[[s]], axis)[k] for s in range(xy.n_runs)
    ]
    return EquilibriumCurve(
        run=run,
        axis=axis,
        compare_ln_loss=compare_ln_loss,
        curves=curves,
        mean=mean,
        sem=sem,
        adamw=descending_curve(xy.ln_train_loss, xy.test_acc, axis),
        group_noise=noise,
        jumps=max_jump(curves),
        eq_at_compare=np.array([c[k] for c in curves]),
        adamw_at_compare=np.array(adamw_at),
        explored=(float(np.nanmin(x)), float(np.nanmax(x))),
        undecided=curve_diagnostic(run, noise),
    )


# ---------------------------------------------------------- band-limited 2-D map (C3)


def loss_and_test_cv(model: EmbedMLP, data: ModularData) -> CollectiveVariables:
    """Collective variables ``(ln L_train, Ã_test)`` of networks ``theta`` (``[W, 2]``), pulled
    back by autograd."""

    def cv(theta: torch.Tensor) -> torch.Tensor:
        x = torch.log(cross_entropy(model.logits(theta, data.pairs_train), data.y_train))
        y = smoothed_accuracy(model.logits(theta, data.pairs_test), data.y_test)
        return torch.stack([x, y], dim=1)

    return differentiable(cv)


@lru_cache(maxsize=1)
def memorised_walkers(n_walkers: int, ln_loss: float, *, p: int = 31, seed: int = 0):
    """Networks on the memorisation plateau of x+y: AdamW (lr 3e-3, wd 1) until every
    network has ``ln L_train <= ln_loss`` (at most 20 000 steps).
    Returns ``(model, data, theta [n_walkers, n])`` (data: x+y for every walker); the last
    call's result is kept (read-only: WLMD starts from a copy), for a dry run's repeated calls."""
    model = EmbedMLP(p)
    data = ModularData.build(["x+y"] * n_walkers, p)
    traj = train_adamw(
        model,
        model.init(n_walkers, seed),
        data,
        20_000,
        lr=3e-3,
        weight_decay=1.0,
        record_every=20,
        stop_below=ln_loss,
    )
    return model, data, traj.final["theta"]


def band_map(
    seed: int,
    n_steps: int,
    x_low: float,
    x_high: float,
    x_bins: int,
    a_bins: int,
    n_walkers: int,
    bound: float,
    dt: float,
    F: float,
    t_rise: float,
    p: int = 31,
) -> dict:
    """One band-limited 2-D WLMD map S(ln L_train, Ã_test) (spec §4.3, design 2) for C3:
    walkers start from AdamW memorisation checkpoints (inside the band), quadratic
    walls keep ``ln L`` in ``[x_low, x_high]``; reflective box ``±bound``. Deterministic in
    ``seed`` (a sweep point).

    Returns numpy arrays: entropy, entropy_half, hist ``[x_bins, a_bins]``, the walkers'
    starting cv ``[W, 2]``, factor ``[T]`` and kinetic temperature ``[W, T]``.
    """
    flush_denormals()
    model, data, theta = memorised_walkers(n_walkers, (x_low + x_high) / 2, p=p, seed=seed)
    axes = (
        Axis(x_low, x_high, x_bins, wall_low=x_low, wall_high=x_high, wall=200.0),
        Axis(0.0, 1.0, a_bins),
    )
    config = WLMDConfig(dt=dt, friction=0.01, sigma_bins=1.0, F=F, t_rise=t_rise, bound=bound)
    cv = loss_and_test_cv(model, data)
    start = cv(theta.clamp(-bound, bound))[0].double().cpu().numpy()
    res = wlmd(cv, theta, axes, config, n_steps, seed=seed, record_every=max(1, n_steps // 50))
    return {
        "window": (x_low, x_high),
        "entropy": res.entropy[0],
        "entropy_half": res.entropy_half[0],
        "hist": res.hist[0],
        "start": start,
        "factor": res.factor,
        "kinetic_temperature": res.record.kinetic_temperature,
        "record_every": max(1, n_steps // 50),
    }


def band_map_points(
    n_steps: int, band: Sequence[float], n_walkers: int, *, p: int, seed: int
) -> list[dict]:
    """The two independent :func:`band_map` runs (streams 1 and 2 of ``seed``) over the
    ``ln L_train`` window ``band``: 8 × 20 bins, box ±1.5, Δt = 10⁻³, F = 1, WL factor turning
    to 1/t at a tenth of the run."""
    point = dict(
        n_steps=n_steps,
        x_low=band[0],
        x_high=band[1],
        x_bins=8,
        a_bins=20,
        n_walkers=n_walkers,
        bound=1.5,
        dt=1e-3,
        F=1.0,
        t_rise=n_steps / 10,
        p=p,
    )
    return [dict(point, seed=stream_seed(seed, k)) for k in (1, 2)]


band_map_sweep = EXPERIMENTS.sweep(
    "band_map_sweep",
    "2-D band maps (WLMD)",
    points=lambda p: band_map_points(
        p.map_steps, p.map_band, p.map_walkers, p=p.p, seed=Seeds.of(p).band_maps
    ),
    point=band_map,
    sizes=lambda p: f"p={p.p}, {p.map_walkers} walkers, band {p.map_band}",
    steps="n_steps",
    few=80,
)
"""The run's two band maps (C3); a dry-run step is a WLMD step of one map (its WL factor
keeps the full run's turning step). The dry run's three calls share the map's AdamW
memorisation (:func:`memorised_walkers` keeps its last result), so its projection counts the
WLMD steps only (the memorisation, about 15 s a map at paper, is left out)."""


def memorisation_barrier(band: dict, mask: np.ndarray) -> float:
    """Entropy barrier of a 2-D band map (spec C3): from the bin of the median AdamW starting
    point to the highest-entropy bin at the same ``ln L`` (bottleneck path); NaN when the
    start bin is not populated."""
    nx, na = band["entropy"].shape
    lo, hi = band["window"]
    x0, a0 = np.median(band["start"], axis=0)
    i = int(np.clip(np.floor((x0 - lo) / (hi - lo) * nx), 0, nx - 1))
    j = int(np.clip(np.floor(a0 * na), 0, na - 1))
    if not mask[i, j]:
        return float("nan")
    column = np.where(mask[i], band["entropy"][i], -np.inf)
    return bottleneck_barrier(band["entropy"], mask, (i, j), (i, int(np.argmax(column))))


def map_diagnostic(
    maps: list[dict], noise: float, max_noise: float = 1.0, max_factor: float = 0.05
):
    """Why a pair of 2-D maps is not converged (``None`` if it is): the rms difference of the
    two runs must be ≤ ``max_noise`` nats and the final WL factor ≤ ``max_factor``."""
    factor = max(m["factor"][-1] for m in maps)
    if np.isfinite(noise) and noise <= max_noise and factor <= max_factor:
        return None
    flat = min(flatness(m["hist"], m["hist"] > 0) for m in maps)
    return (
        f"2-D map not converged at this budget: two runs differ by {noise:.1f} nats rms "
        f"(need ≤ {max_noise:g}), final WL factor {factor:.3g} per walker-step "
        f"(need ≤ {max_factor:g}); histogram flatness min/mean {flat:.2f} over visited bins"
    )


@dataclass(frozen=True)
class BandMaps:
    """Two independent band maps (C3): the maps, the bins both visited, their rms difference
    (nats), each map's :func:`memorisation_barrier` and why they are undecided (None: they
    are not)."""

    maps: list[dict]
    both: np.ndarray
    noise: float
    barriers: np.ndarray
    undecided: str | None


def band_maps(maps: list[dict]) -> BandMaps:
    """Read out two :func:`band_map` runs."""
    both = (maps[0]["hist"] > 0) & (maps[1]["hist"] > 0)
    noise = run_difference(maps[0]["entropy"], maps[1]["entropy"], both)
    barriers = np.array([memorisation_barrier(m, both) if both.any() else np.nan for m in maps])
    undecided = map_diagnostic(maps, noise) or (
        None if np.isfinite(barriers).all() else "the AdamW start bin is not populated in both maps"
    )
    return BandMaps(maps, both, noise, barriers, undecided)


# -------------------------------------------------------------------------------- WanD


def wand_point(
    dt: float,
    kT: float,
    friction: float,
    F: float,
    L0: float,
    beta: float,
    n_seeds: int,
    n_steps: int,
    p: int = 31,
    seed: int = 0,
) -> Trajectory:
    """WanD on x+y for ``n_seeds`` networks at one hyper-parameter point (a sweep point), with
    the thermal-noise baseline of the norm as the series ``thermal_norm``:
    ``sqrt(‖θ₀‖² + n·Var)`` from
    :func:`~grokutils.methods.wang_landau.langevin_displacement_variance`."""
    flush_denormals()
    model = EmbedMLP(p)
    data = ModularData.build(["x+y"] * n_seeds, p)
    theta = model.init(n_seeds, seed)
    traj = wand(
        model,
        theta,
        data,
        n_steps,
        dt=dt,
        kT=kT,
        friction=friction,
        L0=L0,
        beta=beta,
        F=F,
        record_every=max(1, n_steps // 100),
        seed=seed,
    )
    var = langevin_displacement_variance(traj.steps, dt, friction, kT)
    norm0 = theta.double().norm(dim=1).cpu().numpy()
    thermal = np.sqrt(norm0[:, None] ** 2 + model.n_params * var[None, :])
    return Trajectory(traj.steps, {**traj.series, "thermal_norm": thermal})


def wand_points(grid: list[dict], *, n_seeds: int, n_steps: int, p: int, seed: int) -> list[dict]:
    """The :func:`wand_point` arguments of every point of ``grid`` (``dt``, ``kT``,
    ``friction``) with the paper's WanD settings F = 1, L0 = -8, β = 1000."""
    common = dict(F=1.0, L0=-8.0, beta=1000.0, n_seeds=n_seeds, n_steps=n_steps, p=p, seed=seed)
    return [dict(pt, **common) for pt in grid]


wand_sweep = EXPERIMENTS.sweep(
    "wand_sweep",
    "WanD sweep",
    points=lambda p: wand_points(
        sweep.grid(dt=p.wand_dts, kT=p.wand_kTs, friction=p.wand_frictions),
        n_seeds=p.wand_seeds,
        n_steps=p.wand_steps,
        p=p.p,
        seed=Seeds.of(p).wand,
    ),
    point=wand_point,
    sizes=lambda p: (
        f"p={p.p}, {p.wand_seeds} seeds per point, "
        f"{len(p.wand_dts) * len(p.wand_kTs) * len(p.wand_frictions)} (Δt, kT, γ) points"
    ),
    steps="n_steps",
    few=300,
)
"""The run's WanD sweep over (Δt, kT, γ) (C11, C12); a dry-run step is a WanD step of the
last point."""


def wand_runs(run: Trajectory) -> dict[str, np.ndarray]:
    """Per WanD network of one sweep point: ``grok`` (first step with test accuracy ≥ 95 %,
    ``inf`` never) and ``norm_ratio`` (final ‖θ‖ over the thermal-noise norm), ``[S]``."""
    return {
        "grok": run.first_reaching("test_acc", GROKKED),
        "norm_ratio": run.last("weight_norm") / run.last("thermal_norm"),
    }


@dataclass(frozen=True)
class WandSweep:
    """The WanD sweep (C11, C12): its points and one :class:`Trajectory` per point."""

    points: list[dict]
    runs: list[Trajectory]

    @property
    def final_test(self) -> np.ndarray:
        """Per point, the median final test accuracy over its networks."""
        return np.array([np.nanmedian(r.last("test_acc")) for r in self.runs])

    @property
    def best(self) -> int:
        """Index of the point with the highest median final test accuracy."""
        final = self.final_test
        return int(np.nanargmax(np.where(np.isfinite(final), final, -1)))

    @property
    def best_runs(self) -> dict[str, np.ndarray]:
        """:func:`wand_runs` of the best point."""
        return wand_runs(self.runs[self.best])

    @property
    def largest_ratio(self) -> float:
        """Largest median norm ratio over the sweep."""
        return max(float(np.median(wand_runs(r)["norm_ratio"])) for r in self.runs)
