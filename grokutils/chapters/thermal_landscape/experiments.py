"""The sweeps and measurements of chapter 06 (thermal-noise charting of a loss landscape).

The network runs (:func:`.thermal_langevin.thermal_run`) return one
:class:`~grokutils.core.trajectory.Trajectory` over data sets × temperatures × noise seeds;
:class:`ThermalGrid` is its view on that grid, which every measurement here reads. The
measurements behind the claims return an :class:`~grokutils.core.estimates.Estimate` (or
``{part: Estimate}``, one per part of a claim) whose interval comes from the chapter's
independent units:

* the **data sets** of the network runs: each data seed draws its own random inputs and
  labels and its own initialisation, is trained to its own starting point θ0 and then explored
  at every temperature by its own Langevin chains. Noise seeds of one data set share its θ0,
  so they are averaged *within* the data set (:func:`by_data_set`) and the claims are decided
  on the spread *between* data sets. A statistic across temperatures, sizes or widths (a
  slope, a trend, a ratio) is computed within each data set and decided on its spread over
  data sets: a ratio of two measurements by the geometric mean of the per-data-set ratios, a
  trend by the mean per-data-set slope. Only the max/min of the seed-averaged D curve
  (:func:`spread_of_means`) is a statistic of the data-set means; it is bootstrapped over
  data sets, which gives an interval only from 32 of them;
* the **noise chains** of the toy model (:func:`.exponential_wall.toy_model_run`)
  for its loss statistics, and its **coordinates** (chains × margins) for the per-margin
  statistics: the toy's loss is a sum of independent one-dimensional processes, one per
  margin, so every margin of every chain is an independent draw of the same stationary law.

The fluctuation analysis (spec §2, §5): ``D_mean = 2⟨L⟩/T``, ``D_var = 2 Var(L)/T²``
(:func:`dimension_estimates`), per-point contributions ``c_i = 2⟨ℓ_i⟩/(N T)``
(:func:`point_contributions`), stationarity diagnostics (:func:`relative_drift`,
:func:`windowed_dimension`). A seed offset gives the data sets, the Langevin noise and the toy
model's noise their own blocks of seeds (:class:`Units`), so it redraws all three. Tolerances
live next to the claims in :mod:`.claims`.

The experiments, declared once in :data:`EXPERIMENTS` in notebook order (the notebook and the
dry run call the same objects, :mod:`grokutils.core.experiment`): the temperature sweep and the
D-vs-N and D-vs-width runs (:func:`.thermal_langevin.thermal_run` through ``sweep.run``: Adam
to the low-loss region, then Langevin; a dry-run step is :data:`LANGEVIN_UNIT` Langevin steps,
the Adam phase the fixed overhead) and the toy model (a dry-run step is :data:`TOY_UNIT`
Langevin steps). Not declared: the Hessians (:func:`curvature`: batched Lanczos at every end
point, the dense spectrum at θ0, inertia counts), which have no step count to cut, need the
main run, and take about a minute at the paper preset on a 2-core CPU; and the measures and
figures (under a second).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import scipy.linalg
import torch
from scipy import special

from grokutils.chapters.thermal_landscape import tanh_mlp, theory
from grokutils.chapters.thermal_landscape.exponential_wall import toy_model_run
from grokutils.chapters.thermal_landscape.random_labels import random_label_data
from grokutils.chapters.thermal_landscape.thermal_langevin import thermal_run
from grokutils.core.estimates import Estimate
from grokutils.core.experiment import Registry
from grokutils.core.seeding import unit_seeds
from grokutils.core.trajectory import Trajectory
from grokutils.methods.stability import time_average

EXPERIMENTS = Registry("06_thermal_landscape")
start = EXPERIMENTS.start  # the notebook's start-up call

UNIT = "data sets"
ACTIVE_WINDOW = 3.0
"""A point is thermally active at T when its mean margin is below ``−ln(N T) + 3``."""
MARGIN_TEMPERATURES = (1e-5, 1e-4, 1e-3)
"""The temperatures of the margin mechanism (claim C7), where the run has them."""
LANGEVIN_UNIT = 40
"""Langevin steps of a network run per dry-run step (a multiple of 20: ``thermal_run`` records
every 10 steps and analyses the second half)."""
TOY_UNIT = 10
"""Langevin steps of the toy model per dry-run step (its averages need at least 10)."""
PROBE_REPLICA_STEPS = 8_000
"""Replica-steps (Langevin steps × replicas of the main run) of a dry run's shortest timed
network run, so that the difference of its two timed runs is work, not timer noise: at paper
(216 replicas) one dry-run step, about 2 s; more steps at the smaller presets."""
SNAPSHOTS = 100
"""``thermal_run``'s parameter snapshots (its default), fewer in a dry run's short runs (at
most one per 20 steps)."""


class Units(IntEnum):
    """The chapter's families of seeds at a seed offset (:func:`grokutils.core.seeding.unit_seeds`):
    the data sets (the independent units; each also seeds its network's initialisation), the
    Langevin noise of the network runs and the toy model's noise."""

    DATA_SETS = 0
    NOISE = 1
    TOY = 2


def data_seeds_for(data_seeds: Sequence[int], seed: int) -> list[int]:
    """The data seeds of the run at seed offset ``seed``: the unit indices ``data_seeds`` of
    the :data:`Units.DATA_SETS` block."""
    return unit_seeds(seed, Units.DATA_SETS, data_seeds)


def seed_units(p) -> dict[Units, list[int] | int]:
    """The units of each family (for :func:`grokutils.core.seeding.seed_record`): the data
    sets ``p.data_seeds``, one Langevin noise seed and one toy noise seed."""
    return {Units.DATA_SETS: p.data_seeds, Units.NOISE: 1, Units.TOY: 1}


def t_label(t: float) -> str:
    return f"T={t:.0e}"


def by_data_set(values) -> np.ndarray:
    """Average over the noise-seed axis (axis 2): ``[S, n_T, n_noise, ...] -> [S, n_T, ...]``."""
    return np.asarray(values, dtype=float).mean(2)


# --------------------------------------------------------------------------- the run's grid


@dataclass(frozen=True)
class ThermalGrid:
    """A :func:`~.thermal_langevin.thermal_run` on its grid of ``S`` data sets
    × ``n_T`` temperatures × ``n_noise`` noise seeds (per-point arrays: the largest size N,
    NaN on padding; ``n_rec`` records at ``steps``).

    ``loss``, ``sq_norm [S, n_T, n_noise, n_rec]``; ``point_loss``, ``margin_mean``,
    ``margin_var [S, n_T, n_noise, N]`` (second half); ``pca_theta``, ``pca_margin
    [S, n_T, n_noise, 10]``; ``theta_end [S, n_T, n_noise, P]``; per data set ``theta0 [S, P]``,
    ``loss0 [S]``, ``adam_steps [S]``, ``n_points [S]``, ``data_seed [S]``; per temperature
    ``temperatures``, ``step_size [n_T]``; ``n_params`` P.
    """

    steps: np.ndarray
    loss: np.ndarray
    sq_norm: np.ndarray
    point_loss: np.ndarray
    margin_mean: np.ndarray
    margin_var: np.ndarray
    pca_theta: np.ndarray
    pca_margin: np.ndarray
    theta_end: np.ndarray
    theta0: np.ndarray
    loss0: np.ndarray
    adam_steps: np.ndarray
    temperatures: np.ndarray
    step_size: np.ndarray
    n_points: np.ndarray
    data_seed: np.ndarray
    n_params: int

    @classmethod
    def of(cls, traj: Trajectory) -> ThermalGrid:
        """The grid view of a thermal run's trajectory (replicas data set-major, then
        temperature, then noise seed, as :func:`thermal_run` lays them out)."""
        runs = traj.runs
        shape = (runs.data_set.nunique(), runs.temperature.nunique(), runs.noise.nunique())
        if np.prod(shape) != traj.n_runs:
            raise ValueError(f"runs do not form a data set × T × noise grid {shape}")
        first = runs.data_set.drop_duplicates().index.to_numpy()  # one replica per data set
        per_t = runs.iloc[: shape[1] * shape[2] : shape[2]]

        def grid(values) -> np.ndarray:
            return np.asarray(values).reshape(*shape, -1)

        return cls(
            steps=traj.steps,
            loss=grid(traj.train_loss),
            sq_norm=grid(traj.sq_weight_norm),
            point_loss=grid(traj.final["point_loss"]),
            margin_mean=grid(traj.final["margin_mean"]),
            margin_var=grid(traj.final["margin_var"]),
            pca_theta=grid(traj.final["pca_theta"]),
            pca_margin=grid(traj.final["pca_margin"]),
            theta_end=grid(traj.final["theta"]),
            theta0=traj.final["theta0"][first],
            loss0=traj.final["loss0"][first],
            adam_steps=traj.final["adam_steps"][first],
            temperatures=per_t.temperature.to_numpy(),
            step_size=per_t.step_size.to_numpy(),
            n_points=runs.n_points.to_numpy()[first],
            data_seed=runs.data_seed.to_numpy()[first],
            n_params=traj.final["theta"].shape[1],
        )

    @property
    def half(self) -> np.ndarray:
        """The analysed second half of the loss series, ``[S, n_T, n_noise, n_rec // 2 + …]``."""
        return self.loss[..., self.loss.shape[-1] // 2 :]


def protocol(p) -> dict:
    """The arguments every network run of the chapter shares (from the parameters ``p``)."""
    return dict(
        dim=p.dim,
        data_seeds=data_seeds_for(p.data_seeds, p.seed),
        n_noise=p.n_noise,
        eta_t=p.eta_t,
        eta_max=p.eta_max,
        n_steps=p.n_steps,
        noise_seed=unit_seeds(p.seed, Units.NOISE, 1)[0],
    )


def langevin_cut(point: dict, k: int, p=None) -> dict:
    """A network run's ``point`` cut to ``k`` dry-run steps: ``LANGEVIN_UNIT · k`` Langevin
    steps, with at most one parameter snapshot per 20 of them (``thermal_run``'s limit)."""
    n_steps = LANGEVIN_UNIT * k
    return dict(point, n_steps=n_steps, n_snapshots=min(SNAPSHOTS, n_steps // 20))


def probe_steps(p) -> int:
    """The dry run's ``k`` of the network runs (:data:`PROBE_REPLICA_STEPS`)."""
    n_replicas = len(p.data_seeds) * len(p.temperatures) * p.n_noise
    return max(1, round(PROBE_REPLICA_STEPS / (LANGEVIN_UNIT * n_replicas)))


def replicas(p) -> str:
    return f"{len(p.data_seeds)} data sets × {p.n_noise} noise seeds"


temperature_runs = EXPERIMENTS.sweep(
    "temperature_runs",
    "temperature sweep (Adam, then Langevin)",
    points=lambda p: [
        dict(protocol(p), n_points=p.n_points, width=p.width, temperatures=p.temperatures)
    ],
    point=thermal_run,
    sizes=lambda p: (
        f"N={p.n_points}, d={p.dim}, width {p.width}, {len(p.temperatures)} T × {replicas(p)}"
    ),
    steps="n_steps",
    unit=LANGEVIN_UNIT,
    at_point=langevin_cut,
    few=probe_steps,
)
"""The main run, one :func:`thermal_run` point: N = ``p.n_points``, width ``p.width``, every
temperature of ``p``."""


def exponential_regime(p) -> np.ndarray:
    """Which temperatures of ``p`` lie in the exponential-tail regime (T ≤ t_exponential)."""
    return np.asarray(p.temperatures) <= p.t_exponential * (1 + 1e-9)


def dimension_estimates(loss, temperature) -> tuple[np.ndarray, np.ndarray]:
    """``D_mean = 2⟨L⟩/T`` and ``D_var = 2 Var(L)/T²`` (equipartition, spec §2.1; L0 = 0 for
    cross-entropy) from loss series ``[..., n]`` (time last); ``temperature`` broadcasts
    against ``loss.shape[:-1]``."""
    loss = np.asarray(loss, dtype=float)
    temperature = np.asarray(temperature, dtype=float)
    if np.any(temperature <= 0):
        raise ValueError("temperature must be > 0")
    return 2 * loss.mean(-1) / temperature, 2 * loss.var(-1, ddof=1) / temperature**2


def relative_drift(series) -> np.ndarray:
    """``(mean of the 4th quarter − mean of the 3rd quarter) / mean of the second half`` of
    series ``[..., n]``: how far from stationary the analysed half still is (spec §5.2)."""
    series = np.asarray(series, dtype=float)
    q = series.shape[-1] // 4
    if q < 1:
        raise ValueError(f"series need at least 4 points; got {series.shape[-1]}")
    third, fourth = series[..., -2 * q : -q], series[..., -q:]
    return (fourth.mean(-1) - third.mean(-1)) / series[..., -2 * q :].mean(-1)


def point_contributions(point_loss, temperature, n_points) -> np.ndarray:
    """``c_i = 2⟨ℓ_i⟩/(N T)`` from time-averaged per-point losses ``[..., N]``, so that
    ``Σ_i c_i = D_mean`` (spec §2.5); ``temperature`` and ``n_points`` broadcast against
    ``[...]``."""
    scale = np.asarray(n_points, dtype=float) * np.asarray(temperature, dtype=float)
    return 2 * np.asarray(point_loss, dtype=float) / scale[..., None]


def active_points(margin_mean, temperature, n_points, window: float = ACTIVE_WINDOW) -> np.ndarray:
    """Points whose mean margin is within ``window`` of the thermal margin ``m_T = −ln(N T)``
    (spec §2.5): boolean ``[..., N]`` (False on NaN padding); ``temperature`` and
    ``n_points`` broadcast against ``[...]``."""
    scale = np.asarray(n_points, dtype=float) * np.asarray(temperature, dtype=float)
    return np.asarray(margin_mean) < -np.log(scale)[..., None] + window


@dataclass(frozen=True)
class Fluctuations:
    """The fluctuation analysis of a run over the second half of each chain.

    Per data set, temperature and noise seed ``[S, n_T, n_noise]``: ``d_mean``, ``d_var``, the
    relative ``drift`` of the loss and its effective sample size ``ess``
    (autocorrelation-corrected, :func:`grokutils.methods.stability.time_average`); per data
    set and temperature ``[S, n_T]``, with per-point contributions ``c_i`` averaged over noise
    seeds: ``n_above_02`` = #{c_i > 0.2}, ``n_above_05`` = #{c_i > 0.5}, and ``d_points`` =
    ``Σ_i c_i`` (the noise-averaged ``D_mean``).
    """

    d_mean: np.ndarray
    d_var: np.ndarray
    drift: np.ndarray
    ess: np.ndarray
    n_above_02: np.ndarray
    n_above_05: np.ndarray
    d_points: np.ndarray

    @classmethod
    def of(cls, run: ThermalGrid) -> Fluctuations:
        d_mean, d_var = dimension_estimates(run.half, run.temperatures[None, :, None])
        c = point_contributions(
            run.point_loss.mean(2), run.temperatures[None, :], run.n_points[:, None]
        )
        return cls(
            d_mean=d_mean,
            d_var=d_var,
            drift=relative_drift(run.half),
            ess=time_average(run.half).ess,
            n_above_02=(c > 0.2).sum(-1),
            n_above_05=(c > 0.5).sum(-1),
            d_points=np.nansum(c, -1),
        )

    @property
    def by_data_set(self) -> tuple[np.ndarray, np.ndarray]:
        """``D_mean`` and ``D_var`` averaged over the noise seeds of each data set: ``[S, n_T]``."""
        return by_data_set(self.d_mean), by_data_set(self.d_var)


def windowed_dimension(loss, temperature, n_windows: int) -> np.ndarray:
    """``D_mean`` in ``n_windows`` consecutive windows of loss series ``[..., n]``:
    ``[..., n_windows]``; a drift across windows means the run is not stationary."""
    loss = np.asarray(loss, dtype=float)
    if not 1 <= n_windows <= loss.shape[-1]:
        raise ValueError(f"n_windows must be in [1, {loss.shape[-1]}]; got {n_windows}")
    usable = loss[..., : loss.shape[-1] // n_windows * n_windows]
    windows = usable.reshape(*loss.shape[:-1], n_windows, -1)
    return 2 * windows.mean(-1) / np.asarray(temperature, dtype=float)[..., None]


# ----------------------------------------------------------------------- main temperature sweep


def dimensions(run: ThermalGrid) -> tuple[np.ndarray, np.ndarray]:
    """``D_mean`` and ``D_var`` of the second half of every chain, averaged over the noise
    seeds of each data set: two ``[S, n_T]``."""
    return Fluctuations.of(run).by_data_set


def mean_loss(run: ThermalGrid) -> np.ndarray:
    """Time-averaged loss over the second half, noise-averaged per data set: ``[S, n_T]``."""
    return by_data_set(run.half.mean(-1))


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
    over data sets (the statistic of the seed-averaged curve, not of each data set, so it has
    no per-data-set value; below 32 data sets its interval is unbounded)."""

    def statistic(v):
        m = v.mean(0)
        return m.max() / m.min()

    return Estimate.bootstrap(statistic, np.asarray(values, dtype=float), unit=UNIT)


def paired_ratio(numerator, denominator) -> Estimate:
    """The ratio ``numerator / denominator`` of paired per-data-set values ``[S]``, within each
    data set, judged on a log scale: the geometric mean over data sets with the t interval of
    the mean log."""
    num, den = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    return Estimate.geometric_mean(num / den, unit=UNIT)


def paired_ratios(numerator, denominator, labels) -> dict[str, Estimate]:
    """:func:`paired_ratio` per column of ``[S, k]`` arrays, one part per label."""
    num, den = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    return {label: paired_ratio(num[:, i], den[:, i]) for i, label in enumerate(labels)}


def log_log_trend(values, x) -> Estimate:
    """Whether positive ``values [S, k]`` grow along a log-spaced axis ``x [k]``: each data
    set's least-squares slope of ``log values`` against ``log x``, and the t interval of the
    mean slope over data sets (:meth:`Estimate.trend`, sign +1: above zero, they grow)."""
    logx = np.log(np.asarray(x, dtype=float))
    return Estimate.trend(np.asarray(values, dtype=float), +1, x=logx, log=True, unit=UNIT)


def below_start(run: ThermalGrid, index: int = 0) -> Estimate:
    """``⟨L⟩`` at temperature ``index`` over the loss at the start θ0, within each data set,
    geometric mean over data sets (below one: the Langevin dynamics went *down* from θ0)."""
    return paired_ratio(mean_loss(run)[:, index], run.loss0)


def free_diffusion_ratio(run: ThermalGrid) -> dict[str, Estimate]:
    """``|θ|`` at the end of the run over ``sqrt(|θ0|² + 2 P ηT t)`` (free diffusion in the
    flat directions, :func:`~.theory.free_diffusion_sq_norm`),
    within each data set; ``{T: mean over data sets}``."""
    temps = np.asarray(run.temperatures, dtype=float)
    sq0 = (np.asarray(run.theta0, dtype=float) ** 2).sum(1)  # [S]
    predicted = theory.free_diffusion_sq_norm(
        sq0[:, None], run.n_params, run.step_size[None, :] * temps[None, :], run.steps[-1]
    )  # [S, n_T]
    ratio = np.sqrt(by_data_set(run.sq_norm[..., -1]) / predicted)
    return per_temperature(ratio, temps)


# ------------------------------------------------------------------- D vs N and D vs width


@dataclass(frozen=True)
class SizeAndWidth:
    """D against the training-set size and the width, at one temperature: per data set and
    size ``[S, n_sizes]`` ``d_points`` (``Σ_i c_i``), ``n_above_05`` and ``n_above_02``
    (#{c_i > 0.5}, #{c_i > 0.2}); per data set and width ``d_width [S, n_widths]``; the
    parameter counts ``n_params_width [n_widths]``."""

    d_points: np.ndarray
    n_above_05: np.ndarray
    n_above_02: np.ndarray
    d_width: np.ndarray
    n_params_width: np.ndarray

    @property
    def by_size(self) -> dict[str, np.ndarray]:
        return {
            "d_points": self.d_points,
            "n_above_05": self.n_above_05,
            "n_above_02": self.n_above_02,
        }


def size_and_width_points(p) -> tuple[list[int], list[dict]]:
    """The widths of ``p.widths`` that need runs of their own, and the ``thermal_run`` points of
    the size and width sweeps: first the D-vs-N point (nested sizes ``p.sizes`` at width
    ``p.width``), then one point per such width (N = ``p.sweep_points``), all at
    ``p.sweep_temperature``. The main run's width needs none when the main run has that
    temperature and N = ``p.sweep_points`` (its chains there are reused)."""
    at_t = dict(protocol(p), temperatures=[p.sweep_temperature])
    reuses_main = (
        np.isclose(p.temperatures, p.sweep_temperature).any() and p.sweep_points == p.n_points
    )
    todo = [h for h in p.widths if not reuses_main or h != p.width]
    points = [dict(at_t, n_points=p.sizes, width=p.width)] + [
        dict(at_t, n_points=p.sweep_points, width=h) for h in todo
    ]
    return todo, points


size_and_width_runs = EXPERIMENTS.sweep(
    "size_and_width_runs",
    "D vs N and width",
    points=lambda p: size_and_width_points(p)[1],
    point=thermal_run,
    sizes=lambda p: (
        f"sizes {p.sizes} at width {p.width}; widths {size_and_width_points(p)[0]} at "
        f"N={p.sweep_points}; T={p.sweep_temperature}, {replicas(p)}"
    ),
    kind=lambda pt: "sizes" if isinstance(pt["n_points"], list) else "widths",
    slowest="width",
    steps="n_steps",
    unit=LANGEVIN_UNIT,
    at_point=langevin_cut,
    few=probe_steps,
)
"""The :func:`thermal_run` points of :func:`size_and_width_points`: the D-vs-N point, then one
per width that needs a run of its own (the dry run times the D-vs-N point and the widest)."""


def size_and_width_sweeps(p, run: ThermalGrid, runs: Sequence[Trajectory]) -> SizeAndWidth:
    """D against N and against the width, from ``runs`` (:data:`size_and_width_runs`: the
    D-vs-N run, nested sizes ``p.sizes`` at width ``p.width``, then the D-vs-width runs,
    N = ``p.sweep_points``, all at ``p.sweep_temperature``) and the main ``run``, whose chains
    at that temperature stand for its own width when the sizes agree
    (:func:`size_and_width_points`)."""
    todo, _ = size_and_width_points(p)
    reused = select_temperature(run, p.sweep_temperature) if len(todo) < len(p.widths) else None
    size_traj, *computed = runs
    by_width = dict(zip(todo, (ThermalGrid.of(t) for t in computed), strict=True))
    width_runs = [by_width.get(h, reused) for h in p.widths]
    by_size = size_sweep(ThermalGrid.of(size_traj), len(p.sizes))
    return SizeAndWidth(
        **by_size,
        d_width=width_dimensions(width_runs),
        n_params_width=np.array([r.n_params for r in width_runs]),
    )


def select_temperature(run: ThermalGrid, temperature: float) -> ThermalGrid:
    """The part of a run at one temperature, as a run of its own (the temperature axis kept,
    of length one)."""
    hits = np.flatnonzero(np.isclose(run.temperatures, temperature))
    if hits.size == 0:
        raise ValueError(f"the run has no temperature {temperature}; it has {run.temperatures}")
    i = slice(hits[0], hits[0] + 1)
    per_t = {"temperatures", "step_size"}
    per_run = {"steps", "theta0", "loss0", "adam_steps", "n_points", "data_seed", "n_params"}
    fields = {
        key: value[i] if key in per_t else value if key in per_run else value[:, i]
        for key, value in vars(run).items()
    }
    return ThermalGrid(**fields)


def size_sweep(size_run: ThermalGrid, n_sizes: int) -> dict[str, np.ndarray]:
    """Per data set and size ``[S, n_sizes]`` of a one-temperature run over nested sizes:
    ``d_points`` (``Σ_i c_i``, the noise-averaged ``D_mean``) and the counts ``n_above_05``,
    ``n_above_02`` of points with ``c_i > 0.5``, ``c_i > 0.2``."""
    fl = Fluctuations.of(size_run)
    return {
        k: np.asarray(getattr(fl, k), dtype=float)[:, 0].reshape(-1, n_sizes)
        for k in ("d_points", "n_above_05", "n_above_02")
    }


def in_bracket(by_size: Mapping[str, np.ndarray]) -> np.ndarray:
    """``#{c_i > 0.5} ≤ D ≤ #{c_i > 0.2}`` per data set and size: booleans ``[S, n_sizes]``."""
    d = by_size["d_points"]
    return (by_size["n_above_05"] <= d) & (d <= by_size["n_above_02"])


def width_dimensions(width_runs: Sequence[ThermalGrid]) -> np.ndarray:
    """``Σ_i c_i`` per data set at each width: ``[S, n_widths]`` (one-temperature runs)."""
    return np.stack([Fluctuations.of(r).d_points[:, 0] for r in width_runs], axis=1).astype(float)


# ----------------------------------------------------------------------------- Hessians


@dataclass(frozen=True)
class Curvature:
    """Hessians of the main run: ``lam_units [S, n_T]`` the largest eigenvalue at the chains'
    end points, noise-averaged per data set; at each data set's start θ0 ``lam0 [S]`` and
    ``n_significant [S]`` (#{λ > 10⁻³ λ_max}); ``spectrum0 [P]`` the full spectrum at θ0 of
    data set 0 (ascending)."""

    lam_units: np.ndarray
    lam0: np.ndarray
    spectrum0: np.ndarray
    n_significant: np.ndarray


def curvature(p, run: ThermalGrid) -> Curvature:
    """Batched Lanczos at every end point and at θ0; the dense spectrum of data set 0 at θ0
    and inertia counts for the others."""
    x, s = random_label_data(p.n_points, p.dim, data_seeds_for(p.data_seeds, p.seed))
    n_data, n_t, n_noise = run.loss.shape[:3]
    of_data = np.repeat(np.arange(n_data), n_t * n_noise)
    theta_end = torch.as_tensor(run.theta_end).flatten(0, 2)
    lam_end = tanh_mlp.top_hessian_eigenvalues(theta_end, x[of_data], s[of_data], p.width)
    lam0 = tanh_mlp.top_hessian_eigenvalues(torch.as_tensor(run.theta0), x, s, p.width)[:, 0]
    spectrum0 = tanh_mlp.hessian_spectrum(torch.as_tensor(run.theta0[0]), x[0], s[0], p.width)
    return Curvature(
        lam_units=by_data_set(lam_end[:, 0].reshape(n_data, n_t, n_noise)),
        lam0=lam0,
        spectrum0=spectrum0,
        n_significant=significant_modes(run.theta0, x, s, p.width, lam0, spectra={0: spectrum0}),
    )


def count_eigenvalues_above(matrix, threshold: float) -> int:
    """Number of eigenvalues of the symmetric ``matrix`` above ``threshold``, exactly, by
    Sylvester's law of inertia: ``matrix − threshold · I = L D Lᵀ`` (Bunch–Kaufman, about a
    quarter of the cost of ``eigvalsh``) has as many positive eigenvalues as the block-diagonal
    ``D``, whose 1 × 1 and 2 × 2 blocks are counted directly."""
    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"matrix must be square; got shape {a.shape}")
    _, d, _ = scipy.linalg.ldl((a + a.T) / 2 - threshold * np.eye(len(a)), lower=True)
    diag, off = np.diag(d), np.diag(d, -1)
    count, i = 0, 0
    while i < len(diag):  # walk the blocks of D
        if i + 1 < len(diag) and off[i] != 0:  # a 2 × 2 block [[a, b], [b, c]]
            det, trace = diag[i] * diag[i + 1] - off[i] ** 2, diag[i] + diag[i + 1]
            count += 1 if det < 0 else 2 * int(trace > 0) if det > 0 else int(trace > 0)
            i += 2
        else:
            count += int(diag[i] > 0)
            i += 1
    return count


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
        matrix = tanh_mlp.dense_hessian(torch.as_tensor(theta0[k]), x[k], s[k], width)
        counts.append(count_eigenvalues_above(matrix, threshold))
    return np.asarray(counts)


# ------------------------------------------------------------------------ margin mechanism


def margin_temperatures(run: ThermalGrid) -> list[float]:
    """The temperatures of :data:`MARGIN_TEMPERATURES` that the run has."""
    return [t for t in run.temperatures if np.isclose(t, MARGIN_TEMPERATURES).any()]


def margin_mechanism(run: ThermalGrid, temperatures) -> dict[str, np.ndarray]:
    """The margins of the points active at every one of ``temperatures`` (noise-averaged
    margins), within each data set: per data set ``shift_per_decade [S, k − 1]`` (median over
    its active points of ``Δ⟨m⟩ / Δlog10 T``), ``median_var [S, k]`` and ``n_common [S]``. A
    data set with no point active at all T gives NaN."""
    temps = np.asarray(temperatures, dtype=float)
    index = [int(np.flatnonzero(np.isclose(run.temperatures, t))[0]) for t in temps]
    mean = run.margin_mean[:, index].mean(2)  # [S, k, N]
    var = run.margin_var[:, index].mean(2)
    common = active_points(mean, temps[None, :], run.n_points[:, None]).all(1)  # [S, N]
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


def pooled_margin_mechanism(run: ThermalGrid) -> dict[str, np.ndarray]:
    """The margins of the points active at every temperature of the run, pooled over data sets
    (the figure's curves, spec §5.5): ``median_mean``, ``median_var [n_T]`` the medians over
    those points of the noise-averaged mean margin and margin variance, ``n_common`` their
    number."""
    temps = run.temperatures
    mean, var = run.margin_mean.mean(2), run.margin_var.mean(2)  # [S, n_T, N]
    common = active_points(mean, temps[None, :], run.n_points[:, None]).all(1)  # [S, N]
    return {
        "median_mean": np.median(np.moveaxis(mean, 1, -1)[common], axis=0),
        "median_var": np.median(np.moveaxis(var, 1, -1)[common], axis=0),
        "n_common": int(common.sum()),
    }


# ------------------------------------------------------------------------------- toy model


@EXPERIMENTS.add(
    "exponential-wall toy model",
    sizes=lambda p: (
        f"n={p.toy_coords}, α={p.toy_alpha}, {len(p.temperatures)} T × {p.toy_noise} chains"
    ),
    steps="toy_steps",
    unit=TOY_UNIT,
    few=5,
)
def toy_sweep(p) -> Trajectory:
    """The exponential-wall toy model at every temperature of ``p``."""
    return toy_model_run(
        n_coords=p.toy_coords,
        alpha=p.toy_alpha,
        temperatures=p.temperatures,
        n_noise=p.toy_noise,
        eta_t=p.toy_eta_t,
        n_steps=p.toy_steps,
        noise_seed=unit_seeds(p.seed, Units.TOY, 1)[0],
    )


def toy_exact(p, temperatures) -> dict[str, np.ndarray]:
    """The toy model's closed forms at ``temperatures`` (:func:`.theory.toy_model_moments`)."""
    return theory.toy_model_moments(p.toy_coords, p.toy_alpha, temperatures)


def toy_grid(toy: Trajectory, name: str) -> np.ndarray:
    """A toy series or per-coordinate average on its grid ``[n_T, n_noise, ...]``."""
    values = toy.series[name] if name in toy.series else toy.final[name]
    n_t, n_noise = toy.runs.temperature.nunique(), toy.runs.noise.nunique()
    return np.asarray(values).reshape(n_t, n_noise, -1)


def toy_half(toy: Trajectory) -> np.ndarray:
    """The second half of the toy's loss series, ``[n_T, n_noise, n]``."""
    loss = toy_grid(toy, "train_loss")
    return loss[..., loss.shape[-1] // 2 :]


def pooled_variance(mean, mean_sq) -> tuple[np.ndarray, np.ndarray]:
    """Variance pooled over independent units (last axis) from their time averages of ``u``
    and ``u²``: ``mean(⟨u²⟩) − mean(⟨u⟩)²``, which, unlike a per-unit time variance, is not
    biased low by a short window; and its standard error by the delta method over units."""
    mean, mean_sq = np.asarray(mean, dtype=float), np.asarray(mean_sq, dtype=float)
    n = mean.shape[-1]
    if n < 2 or mean.shape != mean_sq.shape:
        raise ValueError(f"need matching shapes with >= 2 units; got {mean.shape}, {mean_sq.shape}")
    grand = mean.mean(-1, keepdims=True)
    var = mean_sq.mean(-1) - grand[..., 0] ** 2
    se = (mean_sq - 2 * grand * mean).std(-1, ddof=1) / np.sqrt(n)
    return var, se


@dataclass(frozen=True)
class ToySummary:
    """Per temperature ``[n_T]`` of the toy run: ``d_mean``, ``d_var`` (chain means),
    ``var_u`` (pooled over margins), ``mean_u`` and ``curvature`` (``⟨e^{−u}⟩ / T``)."""

    d_mean: np.ndarray
    d_var: np.ndarray
    var_u: np.ndarray
    mean_u: np.ndarray
    curvature: np.ndarray

    @classmethod
    def of(cls, toy: Trajectory) -> ToySummary:
        temps = toy.runs.temperature.unique()
        d_mean, d_var = dimension_estimates(toy_half(toy), temps[:, None])
        n_t = len(temps)
        margin = toy_grid(toy, "mean_margin")
        return cls(
            d_mean=d_mean.mean(1),
            d_var=d_var.mean(1),
            var_u=pooled_variance(
                margin.reshape(n_t, -1), toy_grid(toy, "mean_sq_margin").reshape(n_t, -1)
            )[0],
            mean_u=margin.mean((1, 2)),
            curvature=toy_grid(toy, "mean_curvature").mean((1, 2)) / temps,
        )


def toy_dimension_ratios(
    toy: Trajectory, temperatures, n_coords: int, alpha: float
) -> dict[str, dict[str, Estimate]]:
    """``D_mean`` and ``D_var`` of each toy chain (second half) over the exact ``2nα``:
    ``{"D_mean": {T: Estimate}, "D_var": {T: Estimate}}``, means over noise chains."""
    temps = np.asarray(temperatures, dtype=float)
    d_mean, d_var = dimension_estimates(toy_half(toy), temps[:, None])  # [n_T, n_noise]
    exact = 2 * n_coords * alpha
    return {
        name: {t_label(t): Estimate.mean(d[i] / exact, unit="chains") for i, t in enumerate(temps)}
        for name, d in (("D_mean", d_mean), ("D_var", d_var))
    }


def toy_margin_ratios(
    toy: Trajectory, temperatures, alpha: float
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
    curv = toy_grid(toy, "mean_curvature").reshape(n_t, -1)
    m = toy_grid(toy, "mean_margin").reshape(n_t, -1)
    m2 = toy_grid(toy, "mean_sq_margin").reshape(n_t, -1)
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


def loss_ess(fluctuations: Fluctuations, columns) -> float:
    """Fewest effective samples of the loss at one data set and temperature (``columns`` of
    the temperature axis), pooled over its noise seeds: ``fluctuations.ess`` summed over axis
    2, minimum over data sets and the chosen temperatures."""
    return float(np.asarray(fluctuations.ess)[:, columns].sum(2).min())


def toy_loss_ess(toy: Trajectory) -> float:
    """Fewest effective samples of the toy's loss at one temperature, pooled over its chains."""
    return float(time_average(toy_half(toy)).ess.sum(1).min())
