"""The experiments of chapter 05 (statistical algorithmic stability) and their measurements.

The two experiments, declared once in :data:`EXPERIMENTS` (the notebook and the dry run call
the same objects), both trained by :func:`.sgd_ensemble.train_ensemble`, whose cost is the
SGD steps with a full-batch evaluation every ``eval_every`` steps (so the dry run times one
evaluation interval and twice that):

- :func:`nonconvergence_ensemble`: the runs of :func:`nonconvergence_runs` (the constant-lr
  ensemble, its twins and controls) as one batched run, ``z_steps`` steps;
- :data:`sas_grid`: one :func:`sas_grid_point` per batch size through ``sweep.run``; the dry
  run times the point of the largest batch size for every point (the points differ only in
  the minibatch size, which scales the training step), an upper bound.

Post-processing, each about a second or less at the paper preset and not timed by the dry run:
the per-configuration table :func:`config_table`, the tables of the chapter
(:func:`plateau_windows`, :func:`sharpness_table`, :func:`predictor_rhos`, :func:`sas_summary`),
the statistics of :func:`ensemble_statistics`, and the claims' measurements as typed results
(:func:`measure_nonconvergence`, :func:`measure_sas_grid`).

Every estimator returns an :class:`~grokutils.core.estimates.Estimate` (or a dict of them, one per
part of a claim) whose interval comes from the chapter's independent units:

* the **seeds** of the non-convergence ensemble
  (:func:`nonconvergence_runs`):
  each run has its own initialisation and minibatch order, so per-seed ratios are independent
  and judged by their geometric mean (:func:`window_ratio`, :func:`control_ratio`,
  :func:`decay_cut`), the decay of each seed's running time average towards the others' is a
  per-seed slope (:func:`spread_decay`), and statistics of the whole ensemble (a law, a spread
  over seeds) are bootstrapped over seeds, and are one unit per run when runs pool
  (:func:`law_drift_ratio`, :func:`ergodicity`);
  Lyapunov twins are units as **twin pairs** (:func:`twins`);
* the **perturbed datasets** of the SAS grid, from a :class:`RunCube` of per-run time
  averages: the statistics built on the SAS estimate, a mean over *pairs* of datasets (the
  fold by which SAS rises with noise, the median SAS / gap), and the ratio of autocorrelation
  times (one per dataset) are recomputed on datasets resampled with replacement, jointly for
  every configuration and seed (a cluster bootstrap: pairs of a dataset with its own copy are
  left out). The datasets share S0 and the run seeds, so they are not independent units across
  runs: each grid's statistic is one unit when runs pool (:func:`noise_rise_fold`,
  :func:`sas_over_gap`, :func:`tau_ratio`);
* the **configurations** for a correlation across hyper-parameters (:func:`spearman`);
* none for the Krylov–Bogolyubov identity, which holds for every realisation
  (:func:`krylov_bogolyubov`, an exact value).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import pandas as pd
import torch
from scipy import stats

from grokutils.chapters.ergodic_stability.digits import PerturbedDigits, perturbed_digits
from grokutils.chapters.ergodic_stability.mlp import mlp_logits, per_example_loss
from grokutils.chapters.ergodic_stability.sgd_ensemble import (
    after_burn_in,
    run_grid,
    train_ensemble,
)
from grokutils.core import sweep
from grokutils.core.estimates import Estimate
from grokutils.core.experiment import Registry
from grokutils.core.params import Params
from grokutils.core.seeding import torch_generator, unit_seeds
from grokutils.core.trajectory import Trajectory
from grokutils.methods.hessian import top_eigenvalue
from grokutils.methods.stability import (
    COLLAPSE_FRACTION,
    Ergodicity,
    cluster_bootstrap_sas,
    collapsed,
    drift_z,
    ensemble_law_drift,
    ergodicity_check,
    integrated_autocorrelation_time,
    pair_indices,
    running_average,
    sas_debiased,
    sas_pair_mean,
    seed_floor,
    spearman_interval,
    time_average,
    time_average_convergence,
    wasserstein1,
    window_means,
)

CONFIG = ("noise", "lr", "batch_size")
"""Columns of ``traj.runs`` that define one configuration of the SAS grid."""
TWIN_Z = 3.0
"""A twin pair's time averages agree when |Δ time average| < 3 autocorrelation-corrected SEs."""
RELAXATIONS = 2.0
"""Weight-norm equilibration times a stationarity claim needs, both before its window (burn-in)
and in it (ours: e^-2 ≈ 14 % of the initial offset left when the window opens)."""


def relaxation_steps(lr: float, weight_decay: float, momentum: float = 0.9) -> float:
    """The weight-norm equilibration time 1/(η_eff λ) of SGD with heavy-ball momentum μ and
    weight decay λ, in SGD steps: η_eff = η/(1 − μ)."""
    return (1 - momentum) / (lr * weight_decay)


def transient_window(p) -> str | None:
    """Why the constant-lr ensemble of ``p`` is still relaxing when the stationarity claims (S1,
    Z1, Z4) read it, or None: its burn-in ``z_burn_in`` or its window ``z_steps − z_burn_in``
    is shorter than :data:`RELAXATIONS` equilibration times."""
    tau = relaxation_steps(p.z_lr, p.z_weight_decay)
    window = p.z_steps - p.z_burn_in
    if min(p.z_burn_in, window) >= RELAXATIONS * tau:
        return None
    return (
        f"burn-in {p.z_burn_in} and window {window} SGD steps against "
        f"{RELAXATIONS:g} × the equilibration time 1/(η_eff λ) = {tau:.0f} steps each: the "
        "ensemble is still relaxing"
    )


# ------------------------------------------------------------------ the seeds


class Units(IntEnum):
    """The chapter's families of seeds at a seed offset (:func:`grokutils.core.seeding.unit_seeds`):
    the runs of the non-convergence experiments, the runs of the SAS grid (both: initialisation
    and minibatch order), the sharpness probes' starts and the bootstraps' generator. The
    datasets are a fixed design, the same at every offset."""

    NONCONVERGENCE = 0
    SAS = 1
    SHARPNESS = 2
    BOOTSTRAP = 3


def unit_counts(p: Params) -> dict[Units, int]:
    """How many units of each family a run at ``p`` uses (the record of the claims JSON is
    :func:`grokutils.core.seeding.seed_record` of these)."""
    return {
        Units.NONCONVERGENCE: max(p.z_runs, p.z_small),
        Units.SAS: p.n_seeds,
        Units.SHARPNESS: 1,
        Units.BOOTSTRAP: 1,
    }


def bootstrap_generator(p: Params) -> np.random.Generator:
    """The generator of the chapter's bootstraps at offset ``p.seed``; the notebook draws from
    it in a fixed order (the configuration tables, then the predictors' ρ)."""
    return np.random.default_rng(unit_seeds(p.seed, Units.BOOTSTRAP, 1))


def with_unit_seeds(runs: pd.DataFrame, offset: int) -> pd.DataFrame:
    """The non-convergence ``runs`` with their seed indices (column ``seed``) replaced by the
    unit seeds of offset ``offset``; runs that share an index (a twin and its original) share a
    seed."""
    seeds = np.asarray(unit_seeds(offset, Units.NONCONVERGENCE, int(runs.seed.max()) + 1))
    return runs.assign(seed=seeds[runs.seed.to_numpy()])


# ------------------------------------------------------------------ the runs


def nonconvergence_runs(
    n_ensemble: int,
    n_small: int,
    lr: float,
    weight_decay: float,
    noise: float,
    shift: float,
    n_twins: int | None = None,
) -> pd.DataFrame:
    """The runs of the non-convergence experiments (Zhang et al. 2022, on digits), labelled by
    a ``group`` column, all on dataset 0:

    - ``constant``: ``n_ensemble`` seeds, label noise, weight decay, constant lr;
    - ``twin``: the first ``n_twins`` (default ``n_small``, at most ``n_ensemble``) of those
      seeds with the class-0 output bias shifted by ``shift`` (Lyapunov twins);
    - ``step`` and ``cosine``: the same with the learning rate decayed;
    - ``clean_wd``: no label noise, weight decay (a gradient balanced by weight decay);
    - ``control``: plain SGD (no momentum) at lr ×2, no label noise, no weight decay (an
      interpolating problem, which converges).
    """
    n_twins = n_small if n_twins is None else n_twins
    if not 1 <= n_twins <= n_ensemble:
        raise ValueError(f"n_twins must be in [1, n_ensemble = {n_ensemble}]; got {n_twins}")
    common = dict(noise=[noise], lr=[lr], weight_decay=[weight_decay])
    small = range(n_small)
    parts = {
        "constant": run_grid(seed=range(n_ensemble), **common),
        "twin": run_grid(seed=range(n_twins), init_shift=[shift], **common),
        "step": run_grid(seed=small, schedule=["step"], **common),
        "cosine": run_grid(seed=small, schedule=["cosine"], **common),
        "clean_wd": run_grid(seed=small, lr=[lr], weight_decay=[weight_decay]),
        "control": run_grid(seed=small, lr=[2 * lr], momentum=[0.0]),
    }
    return pd.concat([df.assign(group=name) for name, df in parts.items()], ignore_index=True)


def sas_grid_point(
    batch_size: int,
    noise_levels: list[float],
    lrs: list[float],
    n_datasets: int,
    n_seeds: int,
    steps: int,
    burn_in: int,
    eval_every: int,
    weight_decay: float,
    seed: int,
) -> Trajectory:
    """One batch size of the SAS grid (a :mod:`grokutils.core.sweep` point): every noise level ×
    learning rate × perturbed dataset × seed as one batched run, SGD with momentum 0.9 and
    weight decay, no gradient recording; ``runs`` gets a ``batch_size`` column. ``seed`` is the
    offset: the run seeds are its :data:`Units.SAS` block; the datasets (and their label noise)
    are the same at every offset."""
    data = perturbed_digits(noise_levels, n_datasets=n_datasets)
    runs = run_grid(
        noise=noise_levels,
        lr=lrs,
        dataset=range(n_datasets),
        seed=unit_seeds(seed, Units.SAS, n_seeds),
        weight_decay=[weight_decay],
    ).assign(batch_size=batch_size)
    return train_ensemble(
        data,
        runs,
        batch_size=batch_size,
        steps=steps,
        eval_every=eval_every,
        burn_in=burn_in,
        record_gradient=False,
    )


# ------------------------------------------------------------------ the experiments

EXPERIMENTS = Registry("05_ergodic_stability")
start = EXPERIMENTS.start  # the notebook's start-up call


def nonconvergence_data(p: Params) -> PerturbedDigits:
    """The data of the non-convergence runs: dataset 0, clean and at label noise ``z_noise``."""
    return perturbed_digits(sorted({0.0, p.z_noise}), n_datasets=1)


def _nonconvergence_sizes(p: Params) -> str:
    n_runs = p.z_runs + p.z_twins + 4 * p.z_small
    return (
        f"{n_runs} runs (groups of {p.z_runs} and {p.z_small} seeds), B={p.z_batch_size}, "
        f"eval every {p.z_eval_every}"
    )


@EXPERIMENTS.add(
    "non-convergence ensemble",
    sizes=_nonconvergence_sizes,
    at=lambda p, k: p.with_values(z_steps=k, z_burn_in=min(p.z_burn_in, k)),
    count=lambda p: p.z_steps,
    few=lambda p: p.z_eval_every,
)
def nonconvergence_ensemble(p: Params) -> tuple[PerturbedDigits, Trajectory]:
    """Every group of :func:`nonconvergence_runs` at ``p``'s ``z_*`` sizes, seeded from the
    :data:`Units.NONCONVERGENCE` block of offset ``p.seed``, as one batched run: returns the
    data (for :func:`sharpness_table`) and the trajectory."""
    data = nonconvergence_data(p)
    runs = nonconvergence_runs(
        p.z_runs,
        p.z_small,
        p.z_lr,
        p.z_weight_decay,
        p.z_noise,
        p.lyapunov_shift,
        n_twins=p.z_twins,
    )
    runs = with_unit_seeds(runs, p.seed)
    schedule = dict(steps=p.z_steps, eval_every=p.z_eval_every, burn_in=p.z_burn_in)
    return data, train_ensemble(data, runs, batch_size=p.z_batch_size, **schedule)


SAS_POINT_PARAMETERS = (
    "noise_levels lrs n_datasets n_seeds steps burn_in eval_every weight_decay seed".split()
)
"""The arguments of :func:`sas_grid_point` other than the batch size: ``p``'s values."""


def sas_points(p: Params) -> list[dict]:
    """The points of the SAS grid: one per batch size of ``p.batch_sizes``."""
    values = p.as_dict()
    return sweep.grid(batch_size=p.batch_sizes, **{k: [values[k]] for k in SAS_POINT_PARAMETERS})


def _sas_sizes(p: Params) -> str:
    n_runs = len(p.noise_levels) * len(p.lrs) * p.n_datasets * p.n_seeds
    return (
        f"{n_runs} runs per point ({len(p.noise_levels)} noise × {len(p.lrs)} lr × "
        f"{p.n_datasets} datasets × {p.n_seeds} seeds), B={max(p.batch_sizes)} (largest of "
        f"{len(p.batch_sizes)}: upper bound), eval every {p.eval_every}"
    )


sas_grid = EXPERIMENTS.sweep(
    "sas_grid",
    "SAS grid",
    points=sas_points,
    point=sas_grid_point,
    sizes=_sas_sizes,
    steps="steps",
    slowest="batch_size",
    at_point=lambda pt, k, p: dict(pt, steps=k, burn_in=min(pt["burn_in"], k)),
    few=lambda p: p.eval_every,
)
"""The SAS grid: ``sas_grid(p)`` is the list of :func:`sas_grid_point` trajectories, one per
batch size of ``p.batch_sizes`` (in that order)."""


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
    one ratio per seed of the constant-lr ensemble; geometric mean over seeds (t interval on
    the logs)."""
    x = traj.series[series][groups(traj)["constant"]][:, after_burn_in(traj)]
    return Estimate.geometric_mean(per_run_window_ratio(x, n_windows), unit="seeds")


def control_ratio(traj) -> Estimate:
    """Plain-SGD control: final full-batch gradient norm over its value at 10 % of the run
    (the spec's 1.2k of 12k steps), one ratio per seed; geometric mean over seeds (t interval
    on the logs)."""
    grad = traj.grad_norm[groups(traj)["control"]]
    early = np.searchsorted(traj.steps, traj.steps[-1] // 10)
    return Estimate.geometric_mean(grad[:, -1] / grad[:, early], unit="seeds")


def decay_cut(traj) -> dict[str, Estimate]:
    """Step decay against constant lr, seed by seed (the step runs' seeds are the first
    constant-lr seeds: same initialisation and minibatch order), over the last sixth of the
    evaluations after burn-in: ``{"gradient norm": constant / step, "training loss": constant /
    step}``, each the geometric mean over seeds of the per-seed ratio (t interval on the
    logs)."""
    rows = groups(traj)
    step = rows["step"]
    const = rows["constant"][: len(step)]
    end = slice(-max(1, int(after_burn_in(traj).sum()) // 6), None)

    def ratio(x):
        return x[const][:, end].mean(1) / x[step][:, end].mean(1)

    return {
        "gradient norm": Estimate.geometric_mean(ratio(traj.grad_norm), unit="seeds"),
        "training loss": Estimate.geometric_mean(ratio(traj.train_loss), unit="seeds"),
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
    post = after_burn_in(traj)
    spread, z = twin_measurements(traj.test_loss[twin][:, post], traj.test_loss[base][:, post])
    return {
        "RMS Δ / SD": Estimate.mean(spread, unit="twin pairs"),
        f"pairs with |z| < {TWIN_Z:g}": Estimate.fraction(z < TWIN_Z, unit="twin pairs"),
    }


def seed_deviations(x, fit_from: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """How far each run's running time average A_i(T) of ``x[runs, N]`` lies from the mean of
    the other runs' at the same T, over the windows T ≥ ``fit_from``·N (and T ≥ 2, the fit
    window of :func:`grokutils.methods.stability.time_average_convergence`): returns
    ``(T [k], |A_i(T) − mean_{j≠i} A_j(T)| [runs, k])``. Their RMS over runs is the seed
    spread of A(T), up to a factor √(n/(n−1))."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"x must be [runs >= 2, N]; got {x.shape}")
    if not 0 <= fit_from < 1:
        raise ValueError(f"fit_from must be in [0, 1); got {fit_from}")
    running, n = running_average(x), x.shape[0]
    others = (running.sum(0, keepdims=True) - running) / (n - 1)
    t = np.arange(1, x.shape[1] + 1)
    fit = t >= max(2, fit_from * x.shape[1])
    return t[fit], np.abs(running - others)[:, fit]


def spread_decay(x, fit_from: float = 0.25) -> dict[str, Estimate]:
    """Claims S2 and S2-rate on ``x[runs, N]``: each run's least-squares slope of
    log |A_i(T) − mean_{j≠i} A_j(T)| against log T (:func:`seed_deviations`), one per seed.
    ``"decay"``: :meth:`Estimate.trend` with sign −1 (positive: the time averages approach one
    another as T grows), the mean per-seed slope; ``"rate"``: the mean of the per-seed slopes
    themselves, −1/2 for stationary runs (E log|A_i(T) − mean_{j≠i} A_j(T)| = const − ½ log T).
    The units share the other runs' mean, which correlates their slopes weakly and positively:
    on independent white-noise runs (N = 200, 1500 draws) the t interval of the rate covered
    0.925 at 4 seeds, 0.938 at 8 and 0.951 at 16."""
    t, dev = seed_deviations(x, fit_from)
    decay = Estimate.trend(dev, -1, x=np.log(t), log=True, unit="seeds")
    slopes = -np.array(decay.per_unit) if decay.per_unit else np.full(len(dev), np.nan)
    return {"decay": decay, "rate": Estimate.mean(slopes, unit="seeds")}


def law_drift_ratio(x, n_windows: int = 4) -> Estimate:
    """W₁ between the ensemble's laws in the last two of ``n_windows`` time windows over W₁
    between the first two (:func:`grokutils.methods.stability.ensemble_law_drift`) of
    ``x[runs, N]``, which must start where training starts (claim Z3: the drift shrinks as
    the law converges; after a burn-in both windows' drift is at the sampling floor and the
    ratio is 1 whatever happens); below 1 when the law settles. Bootstrapped over seeds; a law
    is the whole ensemble's, so the run's ratio is one unit when runs pool (geometric mean)."""

    def ratio(sample):
        w1_next, _ = ensemble_law_drift(sample, n_windows)
        return w1_next[-1] / w1_next[0] if w1_next[0] > 0 else np.nan

    return Estimate.bootstrap(
        ratio, np.asarray(x, dtype=float), unit="seeds", pool_runs="geometric mean"
    )


def ergodicity(x, final) -> dict[str, Estimate]:
    """Claim Z4 (:func:`grokutils.methods.stability.ergodicity_check`) with both parts bootstrapped
    over runs: ``spread ratio`` = SD over runs of the time averages of ``x[runs, N]`` / RMS of
    their autocorrelation-corrected SEs, and ``ensemble z`` = (mean of ``final[runs]`` − mean
    time average) / SE of the mean of ``final``. Both are statistics of the whole ensemble:
    the run's value is one unit when runs pool (the spread ratio's geometric mean, the z's
    mean)."""
    avg = time_average(x)
    final = np.asarray(final, dtype=float)

    def spread_ratio(mean, se):
        return mean.std(ddof=1) / np.sqrt(np.mean(se**2))

    def ensemble_z(mean, last):
        sd = last.std(ddof=1)
        return (last.mean() - mean.mean()) / (sd / np.sqrt(len(last))) if sd > 0 else np.nan

    return {
        "spread ratio": Estimate.bootstrap(
            spread_ratio, avg.mean, avg.se, unit="seeds", pool_runs="geometric mean"
        ),
        "ensemble z": Estimate.bootstrap(
            ensemble_z, avg.mean, final, unit="seeds", pool_runs="mean"
        ),
    }


@dataclass(frozen=True)
class EnsembleStatistics:
    """The statistics of the constant-lr ensemble's training loss after burn-in that the
    chapter draws (:func:`ensemble_statistics`)."""

    spread: np.ndarray
    """``[records]``: SD over seeds of the running time average A(T), T = 1, 2, … records."""
    w1_next: np.ndarray
    """``[3]``: W₁ between the ensemble's laws in consecutive quarter windows."""
    w1_split: np.ndarray
    """``[4]``: W₁ between two halves of the seeds within each quarter window (the floor)."""
    ergodicity: Ergodicity
    """Each seed's time average against the ensemble average at the last evaluation."""
    final: np.ndarray
    """``[seeds]``: the training loss at the last evaluation."""


def ensemble_statistics(traj: Trajectory) -> EnsembleStatistics:
    """:class:`EnsembleStatistics` of a trajectory of :func:`nonconvergence_runs`
    (:func:`~grokutils.methods.stability.time_average_convergence`,
    :func:`~grokutils.methods.stability.ensemble_law_drift` over 4 windows,
    :func:`~grokutils.methods.stability.ergodicity_check`)."""
    loss = constant_lr_losses(traj)
    final = traj.train_loss[groups(traj)["constant"], -1]
    spread, _ = time_average_convergence(loss)
    w1_next, w1_split = ensemble_law_drift(loss, 4)
    ergodic = ergodicity_check(loss, final=final)
    return EnsembleStatistics(spread, w1_next, w1_split, ergodic, final)


def krylov_bogolyubov(f) -> tuple[Estimate, float]:
    """Zhang et al.'s theorem (our reading) on an observable ``f[runs, evals]`` with values in
    [0, 1]: the time-averaged one-step change of its ensemble mean, |mean_t (E f_{t+1} − E f_t)|
    = |E f_T − E f_0| / T, against the bound 2 max|f| / T = 2 / T (T = evals − 1 intervals).
    The identity holds for every realisation, so the value is exact on the run (its digits
    are the run's). Returns (value, bound)."""
    f = np.asarray(f, dtype=float)
    if f.ndim != 2 or f.shape[1] < 2:
        raise ValueError(f"f must be [runs, evals >= 2]; got {f.shape}")
    if f.min() < 0 or f.max() > 1:
        raise ValueError("f must take values in [0, 1] (an error rate)")
    mean = f.mean(0)
    return Estimate.exact_on_run(float(np.abs(np.diff(mean).mean()))), 2 / (f.shape[1] - 1)


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
    :func:`sas_grid_point`; their datasets are the same)."""
    parts = {k: [] for k in ("test", "train", "tau", "collapsed")}
    configs = []
    datasets = seeds = None
    for traj in trajectories:
        runs = traj.runs.reset_index(drop=True)
        post = after_burn_in(traj)
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


def _dataset_bootstrap(cube: RunCube, statistic, *, pool_runs: str) -> Estimate:
    """``statistic(cube, datasets)`` with a cluster bootstrap over datasets: ``datasets`` are the
    drawn dataset positions (axis 0 of the cube), the same draw for every configuration. The
    datasets share S0 and the seeds, so the grid is one unit when runs pool (``pool_runs``,
    :meth:`Estimate.bootstrap`)."""
    return Estimate.bootstrap(
        lambda d: statistic(cube, d),
        np.arange(cube.n_datasets),
        unit="datasets",
        pool_runs=pool_runs,
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


def noise_rise_fold(cube: RunCube) -> Estimate:
    """Claim S3: the geometric mean over stable (lr, B) pairs of the SAS estimate at the second
    noise level over that at the lowest (> 1: SAS rises with noise), with a cluster bootstrap
    over datasets; the grid's value is one unit when runs pool (NaN when no pair is stable)."""
    lo, hi = _noise_pairs(cube.configs, cube.stable)

    def fold(c, d):
        if len(lo) == 0:
            return np.nan
        sas = sas_per_config(c.test[d], d)
        ratio = sas[hi] / sas[lo]
        return float(np.exp(np.mean(np.log(ratio)))) if (ratio > 0).all() else np.nan

    return _dataset_bootstrap(cube, fold, pool_runs="geometric mean")


def sas_over_gap(cube: RunCube) -> Estimate:
    """Claim S6: the median over stable configurations of SAS estimate / |gap|, gap = time-avg
    test loss − time-avg training loss (mean over runs), with a cluster bootstrap over
    datasets; the grid's value is one unit when runs pool."""
    stable = cube.stable

    def median_ratio(c, d):
        if not stable.any():
            return np.nan
        sas = sas_per_config(c.test[d], d)
        gap = (c.test[d] - c.train[d]).mean((0, 2))
        return float(np.median((sas / np.abs(gap))[stable]))

    return _dataset_bootstrap(cube, median_ratio, pool_runs="geometric mean")


def tau_ratio(cube: RunCube) -> Estimate:
    """Claim S5: per dataset, the median over stable configurations at the second noise level
    of the dataset's τ_int of the test loss (median over its seeds) over the same at the lowest
    noise level; the geometric mean over datasets, with a cluster bootstrap over datasets. The
    datasets share S0 and the run seeds, so the grid's value is one unit when runs pool. NaN
    when either noise level has no stable configuration."""
    levels = np.sort(cube.configs.noise.unique())
    noise, stable = cube.configs.noise.to_numpy(), cube.stable
    lo, hi = stable & (noise == levels[0]), stable & (noise == levels[1])
    tau = np.median(cube.tau, axis=2)  # [dataset, configuration]

    def geometric_mean_ratio(c, d):
        if not (lo.any() and hi.any()):
            return np.nan
        ratios = np.median(tau[d][:, hi], axis=1) / np.median(tau[d][:, lo], axis=1)
        return float(np.exp(np.mean(np.log(ratios)))) if (ratios > 0).all() else np.nan

    return _dataset_bootstrap(cube, geometric_mean_ratio, pool_runs="geometric mean")


def spearman(x, y, *, unit: str = "configurations") -> Estimate:
    """Spearman's ρ between ``x[n]`` and ``y[n]`` with a percentile bootstrap over the n points
    (:meth:`Estimate.bootstrap`: resamples where either variable is constant are dropped, and
    below 32 points the interval is unbounded). Fewer than 3 points or a constant variable give
    NaN. A rank correlation is a statistic of the whole set of points, not one value per point,
    so it has no per-unit form."""

    def rho(a, b):
        if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
            return np.nan
        return stats.spearmanr(a, b).statistic

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return Estimate.bootstrap(rho, x, y, unit=unit)


# ------------------------------------------------------------------ tables of the chapter


def config_table(
    traj: Trajectory,
    by=("noise", "lr", "batch_size"),
    n_boot: int = 1000,
    rng=None,
    n_classes: int = 10,
) -> pd.DataFrame:
    """One row per configuration (the columns ``by`` of ``traj.runs``) of a trajectory of
    :func:`~.sgd_ensemble.train_ensemble`, from the records after burn-in:

    - time-averaged ``train`` (noisy labels), ``test`` (clean) and ``test_noisy`` losses, the
      gaps ``gap = test − train`` and ``gap_noisy = test_noisy − train``, ``error_gap``;
    - ``sas`` (:func:`~grokutils.methods.stability.sas_pair_mean` on the time-averaged test
      loss) with the paper's ``sas_se`` and a 95 % cluster-bootstrap interval ``sas_low``,
      ``sas_high``; ``floor`` (:func:`~grokutils.methods.stability.seed_floor`) and
      ``sas_debiased``;
    - per test point (``traj.final["test_point_loss"]``): ``sas_pt_mean``, ``sas_pt_max`` (pair
      mean per point, then mean / max over points) and the floor ``floor_pt_max``;
    - ``w1`` / ``w1_floor``: pair means of W₁ between test-loss time series;
    - ``tau_test`` (median τ_int of the test loss, in evaluations), ``sd_test`` (median temporal
      SD), ``drift_z`` (median drift z of the training loss), ``nonstationary`` (fraction of
      runs with |drift z| > 3), ``grad_norm`` (mean; NaN when not recorded), ``collapsed`` (any
      run collapsed).
    """
    rng = np.random.default_rng(0) if rng is None else rng
    after = after_burn_in(traj)
    runs = traj.runs.reset_index(drop=True)
    grad_norm = traj.series.get("grad_norm")
    rows = []
    for key, group in runs.groupby(list(by), sort=True):
        r = group.index.to_numpy()
        ds, sd = group["dataset"].to_numpy(), group["seed"].to_numpy()
        train = traj.train_loss[r][:, after]
        test = traj.test_loss[r][:, after]
        row = dict(zip(by, key, strict=True))
        row["n_runs"] = len(r)
        row["collapsed"] = bool(collapsed(traj.train_loss[r, -1], n_classes).any())
        avg = test.mean(1)
        row["train"] = train.mean()
        row["test"] = test.mean()
        row["test_noisy"] = traj.test_loss_noisy[r][:, after].mean()
        row["gap"] = row["test"] - row["train"]
        row["gap_noisy"] = row["test_noisy"] - row["train"]
        row["error_gap"] = (traj.test_error[r][:, after] - traj.train_error[r][:, after]).mean()
        paper = sas_pair_mean(avg, ds, sd)
        boot = cluster_bootstrap_sas(avg, ds, sd, n_boot=n_boot, rng=rng)
        row["sas"], row["sas_se"] = float(paper.mean), float(paper.se)
        row["sas_low"], row["sas_high"] = np.nanquantile(boot, [0.025, 0.975])
        row["floor"] = float(seed_floor(avg, ds, sd).mean)
        row["sas_debiased"] = float(sas_debiased(avg, ds, sd))
        point = traj.final["test_point_loss"][r]
        pt = sas_pair_mean(point, ds, sd).mean
        row["sas_pt_mean"], row["sas_pt_max"] = pt.mean(), pt.max()
        row["floor_pt_max"] = seed_floor(point, ds, sd).mean.max()
        i, j = pair_indices(ds, sd, same_dataset=False, same_seed=True)
        row["w1"] = wasserstein1(test[i], test[j]).mean()
        i, j = pair_indices(ds, sd, same_dataset=True, same_seed=False)
        row["w1_floor"] = wasserstein1(test[i], test[j]).mean()
        row["tau_test"] = np.median(integrated_autocorrelation_time(test))
        row["sd_test"] = np.median(test.std(1))
        z = drift_z(train)
        row["drift_z"] = np.median(z)
        row["nonstationary"] = np.mean(np.abs(z) > 3)
        row["grad_norm"] = np.nan if grad_norm is None else np.mean(grad_norm[r][:, after])
        rows.append(row)
    return pd.DataFrame(rows)


def plateau_windows(traj: Trajectory) -> pd.DataFrame:
    """Mean full-batch gradient norm and displacement of the constant-lr ensemble of a
    :func:`nonconvergence_runs` trajectory over the first, second and last third after
    burn-in (all seeds pooled): rows ``first third``, ``second third``, ``last third``."""
    const, post = groups(traj)["constant"], after_burn_in(traj)
    windows = {
        "grad_windows": window_means(traj.grad_norm[const][:, post], 3).mean(0),
        "disp_windows": window_means(traj.displacement[const][:, post], 3).mean(0),
    }
    return pd.DataFrame(windows, index=["first third", "second third", "last third"])


def sharpness(
    data: PerturbedDigits, traj: Trajectory, rows=None, n_iter: int = 20, seed: int = 0
) -> np.ndarray:
    """Top Hessian eigenvalue of each run's full-batch training loss (its own labels; the
    weight-decay term would add λ) at its final weights ``traj.final["weights"]``, by power
    iteration batched over runs (:func:`grokutils.methods.hessian.top_eigenvalue`):
    ``[len(rows)]`` for the runs at positions ``rows`` (default all). Gradient descent with
    heavy-ball momentum μ is stable only while it stays below 2(1+μ)/η."""
    rows = np.arange(len(traj.runs)) if rows is None else np.asarray(rows)
    runs = traj.runs.iloc[rows]
    members = data.members[torch.tensor(runs["dataset"].to_numpy())]
    level = torch.as_tensor([data.noise_levels.index(p) for p in runs["noise"]])
    x, labels = data.x[members], data.labels[level[:, None], members]

    def loss(params: list[torch.Tensor]) -> torch.Tensor:
        return per_example_loss(mlp_logits(params, x), labels).mean(1).sum()

    weights = [torch.as_tensor(w[rows]) for w in traj.final["weights"]]
    generator = torch_generator(seed)
    top = top_eigenvalue(loss, weights, n_iter=n_iter, batched=True, generator=generator)
    return top.cpu().numpy().astype(np.float64)


def sharpness_table(p: Params, data: PerturbedDigits, traj: Trajectory) -> pd.DataFrame:
    """Sharpness (:func:`sharpness`) of the first run of each group of a
    :func:`nonconvergence_runs` trajectory on ``data``, next to the heavy-ball stability
    threshold 2(1+μ)/η at its initial learning rate η; the power iteration starts from the
    :data:`Units.SHARPNESS` seed of offset ``p.seed``."""
    first = traj.runs.groupby("group", sort=False).head(1).index  # one run per group
    table = traj.runs.loc[first, ["group", "lr", "momentum"]].set_index("group")
    seed = unit_seeds(p.seed, Units.SHARPNESS, 1)[0]
    table["sharpness"] = sharpness(data, traj, rows=first, seed=seed)
    table["2(1+μ)/η"] = 2 * (1 + table.momentum) / table.lr
    return table


CONFIG_COLUMNS = [
    *"noise lr batch_size train test gap gap_noisy sas sas_low sas_high floor sas_debiased".split(),
    *["w1", "w1_floor", "tau_test", "drift_z", "collapsed"],
]
"""The columns of :func:`config_table` the chapter shows."""


def config_tables(trajectories: Sequence[Trajectory], n_boot: int, rng) -> pd.DataFrame:
    """:func:`config_table` of every point of the SAS grid, in grid order (drawing the
    bootstraps from ``rng`` in that order), as one table."""
    tables = [config_table(t, n_boot=n_boot, rng=rng) for t in trajectories]
    return pd.concat(tables, ignore_index=True)


def predictor_rhos(stable: pd.DataFrame, n_boot: int, rng: np.random.Generator) -> pd.DataFrame:
    """Spearman's ρ of the gap against the SAS estimate and four other predictors over the
    stable rows of a :func:`config_table` (:func:`~grokutils.methods.stability.
    spearman_interval`, bootstrap over configurations, drawn from ``rng`` in this order):
    one row per predictor, columns ``rho``, ``low``, ``high``, ``pvalue``, ``n``."""
    predictors = {
        "SAS estimate": stable.sas,
        "debiased SAS": stable.sas_debiased,
        "W₁": stable.w1,
        "temporal SD of test loss": stable.sd_test,
        "training loss": stable.train,
    }
    rhos = {
        name: vars(spearman_interval(x, stable.gap, n_boot=n_boot, rng=rng))
        for name, x in predictors.items()
    }
    return pd.DataFrame(rhos).T


def sas_summary(stable: pd.DataFrame, lo: float, hi: float) -> pd.Series:
    """Point values over the stable configurations of a :func:`config_table`: the median
    τ_int of the test loss at noise ``lo`` and ``hi``, the share of configurations whose
    floor reaches the SAS estimate, the share of drifting runs and the median SAS / gap."""
    tau_by_noise = stable.groupby("noise").tau_test.median()
    return pd.Series(
        {
            "median τ_int at the lowest noise (evals)": tau_by_noise[lo],
            "median τ_int at the next noise (evals)": tau_by_noise[hi],
            "configurations with floor >= SAS": float((stable.floor >= stable.sas).mean()),
            "runs with a significant drift (|z| > 3)": float(stable.nonstationary.mean()),
            "median SAS / gap": float(np.median(stable.sas / stable.gap.abs())),
        }
    )


# ------------------------------------------------------------------ the claims' measurements


def constant_lr_losses(traj: Trajectory, *, burn_in: bool = True) -> np.ndarray:
    """``[seeds, records]``: training loss of the constant-lr ensemble, after burn-in (every
    record from step 0 with ``burn_in=False``)."""
    loss = traj.train_loss[groups(traj)["constant"]]
    return loss[:, after_burn_in(traj)] if burn_in else loss


@dataclass(frozen=True)
class NonconvergenceMeasurements:
    """The measurements of the non-convergence ensemble behind claims S1, S1-twins, S2,
    S2-rate and Z0-Z5 (see :func:`measure_nonconvergence`)."""

    displacement_ratio: Estimate
    """S1: displacement, last / first third after burn-in, per seed."""
    twins: dict[str, Estimate]
    """S1-twins: RMS Δ / SD and the fraction of pairs with equal time averages."""
    spread_decay: Estimate
    """S2: decay of each seed's running time average towards the others' (mean per-seed
    slope against log T, sign −1)."""
    spread_rate: Estimate
    """S2-rate: the mean per-seed log-log slope of the same, against T."""
    drifting: float
    """S2's note: fraction of constant-lr runs whose training loss drifts (|z| > 3)."""
    control_ratio: Estimate
    """Z0: plain-SGD control, final gradient norm / its value at 10 % of the run."""
    grad_ratio: Estimate
    """Z1: gradient norm, last / first third after burn-in, per seed."""
    decay_cut: dict[str, Estimate]
    """Z2: constant / step decay, gradient norm and training loss."""
    law_drift: Estimate
    """Z3: W₁ between consecutive windows' ensemble laws from step 0, last / first."""
    law_floor: float
    """Z3's note: W₁ between two halves of the seeds in the last window after burn-in."""
    ergodicity: dict[str, Estimate]
    """Z4: spread ratio and ensemble z."""
    krylov_bogolyubov: Estimate
    """Z5: |mean one-step change of the ensemble mean training error| (exact)."""
    krylov_bogolyubov_bound: float
    """Z5's bound 2 max|f| / T."""


def measure_nonconvergence(traj: Trajectory) -> NonconvergenceMeasurements:
    """The claims' measurements on a trajectory of :func:`nonconvergence_runs`."""
    const = groups(traj)["constant"]
    loss_c = constant_lr_losses(traj)
    _, w1_split = ensemble_law_drift(loss_c, 4)
    kb, kb_bound = krylov_bogolyubov(traj.train_error[const])  # f = training error, in [0, 1]
    spread = spread_decay(loss_c)
    return NonconvergenceMeasurements(
        displacement_ratio=window_ratio(traj, "displacement"),
        twins=twins(traj),
        spread_decay=spread["decay"],
        spread_rate=spread["rate"],
        drifting=float(np.mean(np.abs(drift_z(loss_c)) > 3)),
        control_ratio=control_ratio(traj),
        grad_ratio=window_ratio(traj, "grad_norm"),
        decay_cut=decay_cut(traj),
        law_drift=law_drift_ratio(constant_lr_losses(traj, burn_in=False), 4),
        law_floor=float(w1_split[-1]),
        ergodicity=ergodicity(loss_c, traj.train_loss[const][:, -1]),
        krylov_bogolyubov=kb,
        krylov_bogolyubov_bound=kb_bound,
    )


@dataclass(frozen=True)
class SASGridMeasurements:
    """The measurements of the SAS grid behind claims S3-S6 (see :func:`measure_sas_grid`)."""

    lo: float
    """The lowest noise level (the reference)."""
    hi: float
    """The second-lowest noise level, compared with ``lo``."""
    noise_rise: Estimate
    """S3: geometric-mean fold of the SAS estimate from ``lo`` to ``hi`` over stable (lr, B)
    pairs."""
    rising: float
    """S3's note: the fraction of stable (lr, B) pairs whose SAS rises from ``lo`` to ``hi``."""
    pooled_rho: Estimate
    """S4: Spearman ρ(SAS, gap) over the stable configurations, pooled over noise levels
    (bootstrap over configurations)."""
    within_rho: Estimate
    """S4-within: the same within noise ``lo``."""
    tau_ratio: Estimate
    """S5: τ_int of the test loss at ``hi`` / at ``lo``, one ratio per dataset."""
    sas_over_gap: Estimate
    """S6: median SAS / |gap| over the stable configurations."""


def measure_sas_grid(cube: RunCube, stable: pd.DataFrame) -> SASGridMeasurements:
    """The claims' measurements of the SAS grid: its :class:`RunCube` and the stable rows of
    its :func:`config_table`."""
    lo, hi = np.sort(cube.configs.noise.unique())[:2]
    within = stable.noise == lo
    return SASGridMeasurements(
        lo=float(lo),
        hi=float(hi),
        noise_rise=noise_rise_fold(cube),
        rising=float(np.mean(sas_fold(cube) > 1)),
        pooled_rho=spearman(stable.sas, stable.gap),
        within_rho=spearman(stable.sas[within], stable.gap[within]),
        tau_ratio=tau_ratio(cube),
        sas_over_gap=sas_over_gap(cube),
    )
