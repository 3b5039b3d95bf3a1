"""The guess-&-check chapter's experiments: sweep points, their summaries and the measurements
its claims (W1-W7, D1-D7) are decided on, one value per data set.

**Sweep points.** Every ``*_point`` function is module-level and deterministic given its
arguments, so :func:`grokutils.core.sweep.run` can cache it and farm it out. Each evaluates all
data seeds of the point in one batched computation (seeds are a tensor dimension): G&C points
return :class:`~.sampler.Conditioned` summaries (``[S]`` arrays), GD
points a :class:`~grokutils.core.trajectory.Trajectory` with one run per data set. The
``*_points`` builders turn the chapter's parameters into those grids.

**Experiments.** Each sweep the notebook runs is declared once in :data:`EXPERIMENTS`, in
notebook order (the width sweep, the depth agreement check's two samplers, GD against width,
the depth sweep, its d → ∞ limit, GD against depth), with what its cost scales with: the
notebook calls ``width_sweep(p)`` and the dry run times one point of each kind of the same
declaration.

**Tables.** :func:`sweep_table` gives ``{activation: {"mean", "prior", "ratio", "p_accept",
...}}``, each ``[X, S]`` over the grid ``xs`` and ``S`` data sets; :func:`gd_table`
``{activation: {"train_loss", "test_loss"}}`` at the reported GD step (:data:`GD_REPORT_LAG`
steps before the last, as the official ``train_gd`` reports). :class:`Results` holds the
tables the claims are decided on.

**Measurements.** The independent units are the data sets (matrix-sensing tasks, one per data
seed): every width, depth, sampler and GD run sees the same data sets, so a ratio G&C / prior
or a trend along the width axis is computed *within* a data set and the claims are decided on
the spread of those per-data-set values. The G&C posterior means carry the samplers' own
Monte-Carlo standard errors too; those are part of each data set's value, and the
between-data-set spread (which includes them) is the uncertainty a claim about the typical data
set needs. Functions return per-data-set arrays ``[S]`` (or ``{part: [S]}``), or the
:class:`~grokutils.core.estimates.Estimate` over data sets of such per-data-set values (a trend:
each data set's slope along the grid; a ratio: the geometric mean of the per-data-set ratios).
The thresholds live next to the claims' statements in :mod:`.claims`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import pandas as pd

from grokutils.chapters.guess_and_check.gradient_descent import gradient_descent
from grokutils.chapters.guess_and_check.priors import InfiniteDepthPrior, NetworkPrior
from grokutils.chapters.guess_and_check.sampler import (
    Conditioned,
    NaiveRejection,
    RaoBlackwellIS,
    SubsetSimulation,
)
from grokutils.chapters.guess_and_check.task import make_task
from grokutils.core.estimates import Estimate
from grokutils.core.experiment import Registry
from grokutils.core.seeding import seed_record, stream_seed
from grokutils.core.trajectory import Trajectory

UNIT = "data sets"

GD_REPORT_LAG = 100
"""GD reports ``L_gen`` (and ``L_train``) at step ``steps − 100``, not at the last step: the
official ``train_gd`` logs every ``gd_log_period = 100`` epochs of ``range(epochs)`` and returns
the last log, taken at epoch ``epochs − 100``. (It evaluates that test loss right after the
update of that epoch, i.e. one update later than our record; at 2000 to 100 000 steps the
difference is immaterial.) One rule at every preset."""

Table = Mapping[str, Mapping[str, np.ndarray]]


# --- the sweep grids -------------------------------------------------------------------------


class Units(IntEnum):
    """The chapter's families of seeds at a seed offset (:func:`grokutils.core.seeding.unit_seeds`):
    the data sets (the independent units) and the samplers' and GD's own randomness."""

    DATA_SETS = 0
    SAMPLERS = 1


def seeds_of(p) -> dict[str, list[int]]:
    """The unit seeds of each family at offset ``p.seed`` (the record of the claims JSON): the
    data seeds, as many as the larger sweep needs (data set ``s`` is the same task in every
    sweep of the run), and the one seed of the samplers."""
    n_data_sets = max(p.n_seeds, p.n_seeds_depth)
    return seed_record(p.seed, {Units.DATA_SETS: n_data_sets, Units.SAMPLERS: 1})


def data_seeds(p) -> list[int]:
    """The data seeds of the run (:func:`seeds_of`)."""
    return seeds_of(p)["data_sets"]


def sampler_seed_of(p) -> int:
    """The seed of the samplers and of GD's initialisations at every point of the run (their
    further streams: :func:`~grokutils.core.seeding.stream_seed`)."""
    return seeds_of(p)["samplers"][0]


def width_points(p) -> list[dict]:
    """The width sweep (activation-major): depth 2, ``p.n_seeds`` data sets, naive rejection
    as an agreement check at the narrowest width only."""
    seeds = data_seeds(p)
    return [
        dict(
            activation=a,
            width=k,
            seeds=list(seeds[: p.n_seeds]),
            eps=p.eps_width,
            n_inner=p.rbis_inner,
            n_points=p.rbis_points,
            ess_min=p.ess_min,
            n_particles=p.ss_particles,
            replicas=p.ss_replicas,
            naive_draws=p.naive_draws if k == p.widths[0] else 0,
            sampler_seed=sampler_seed_of(p),
        )
        for a in p.activations
        for k in p.widths
    ]


def check_points(p) -> list[dict]:
    """The depth agreement check's subset simulation (:func:`depth_point`): linear nets at
    ``p.check_depths`` and the looser ``p.check_eps``, at least 4 replicas."""
    seeds = data_seeds(p)
    return [
        dict(
            activation="linear",
            depth=d,
            width=p.depth_width,
            seeds=list(seeds[: p.n_seeds_depth]),
            eps=p.check_eps,
            n_particles=p.ss_particles,
            replicas=max(p.ss_replicas, 4),
            sampler_seed=sampler_seed_of(p),
        )
        for d in p.check_depths
    ]


def naive_check_points(p) -> list[dict]:
    """The depth agreement check's naive rejection (:func:`naive_point`) at the points of
    :func:`check_points`, ``p.naive_draws`` draws each."""
    keep = ("activation", "depth", "width", "seeds", "eps", "sampler_seed")
    return [{k: pt[k] for k in keep} | {"n_draws": p.naive_draws} for pt in check_points(p)]


def depth_points(p) -> list[dict]:
    """The depth sweep (activation-major): width ``p.depth_width``, normalised prior."""
    seeds = data_seeds(p)
    return [
        dict(
            activation=a,
            depth=d,
            width=p.depth_width,
            seeds=list(seeds[: p.n_seeds_depth]),
            eps=p.eps_depth,
            n_particles=p.ss_particles,
            replicas=p.ss_replicas,
            sampler_seed=sampler_seed_of(p),
        )
        for a in p.activations
        for d in p.depths
    ]


def limit_point(p) -> dict:
    """The depth → ∞ limit of linear nets, on the depth sweep's data sets and sampler."""
    return dict(depth_points(p)[0], activation="linear", depth=None)


def gd_width_points(p) -> list[dict]:
    """The GD baseline against width (depth 2, initialisation scale 1e-3)."""
    seeds = data_seeds(p)
    return [
        dict(
            activation=a,
            width=k,
            depth=2,
            seeds=list(seeds[: p.n_seeds]),
            init_scale=1e-3,
            lr=p.gd_width_lr,
            steps=p.gd_width_steps,
            sampler_seed=sampler_seed_of(p),
        )
        for a in p.activations
        for k in p.gd_widths
    ]


def gd_depth_points(p) -> list[dict]:
    """The GD baseline against depth (the official initialisation scale of each depth, and the
    official step counts: ``p.gd_depth_steps`` for linear and tanh nets,
    ``p.gd_depth_steps_leaky`` for Leaky ReLU)."""
    seeds = data_seeds(p)
    return [
        dict(
            activation=a,
            width=p.depth_width,
            depth=d,
            seeds=list(seeds[: p.n_seeds_depth]),
            init_scale=official_init_scale(d, a),
            lr=p.gd_depth_lr,
            steps=p.gd_depth_steps_leaky if a == "leaky_relu" else p.gd_depth_steps,
            sampler_seed=sampler_seed_of(p),
        )
        for a in p.activations
        for d in p.gd_depths
    ]


# --- the sweep points ------------------------------------------------------------------------
def width_point(
    activation: str,
    width: int,
    seeds: list[int],
    eps: float,
    n_inner: int,
    n_points: int,
    ess_min: float,
    n_particles: int,
    replicas: int,
    naive_draws: int,
    sampler_seed: int,
) -> dict[str, Conditioned | None]:
    """G&C at one width (depth 2, unnormalised prior) on the data sets ``seeds``.

    Runs Rao-Blackwellised IS (width-free Bartlett features for linear nets); where its
    effective sample size is below ``ess_min`` on some data set (narrow nets, whose weights are
    heavy-tailed) it also runs subset simulation, and with ``naive_draws > 0`` naive rejection
    as an agreement check. Returns ``{"rbis": ..., "ss": ... | None, "naive": ... | None}``.
    """
    task = make_task(seeds)
    exact = activation == "linear" and width >= task.shape[1]
    prior = NetworkPrior(width, 2, activation, exact_linear=exact)
    rbis = RaoBlackwellIS(prior, task, n_inner=n_inner, n_points=n_points, seed=sampler_seed)
    out = {"rbis": rbis.condition(eps), "ss": None, "naive": None}
    direct = NetworkPrior(width, 2, activation)
    if np.min(out["rbis"].ess) < ess_min:
        ss = SubsetSimulation(
            direct,
            task,
            n_particles=n_particles,
            replicas=replicas,
            seed=stream_seed(sampler_seed, 1),
        )
        out["ss"] = ss.condition(eps)
    if naive_draws:
        naive = NaiveRejection(direct, task, n_draws=naive_draws, seed=stream_seed(sampler_seed, 2))
        out["naive"] = naive.condition(eps)
    return out


def depth_prior(activation: str, depth: int | None, width: int, shape: tuple[int, int]):
    """The normalised network prior of the depth sweep for targets of ``shape`` (d × d'):
    width ``width``, ``depth`` layers, or with ``depth=None`` the infinite-depth limit
    ``u vᵀ/‖u vᵀ‖`` (linear only)."""
    if depth is None:
        if activation != "linear":
            raise ValueError(f"the infinite-depth limit is linear; got activation {activation!r}")
        return InfiniteDepthPrior(shape)
    return NetworkPrior(width, depth, activation, normalise=True, shape=shape)


def depth_point(
    activation: str,
    depth: int | None,
    width: int,
    seeds: list[int],
    eps: float,
    n_particles: int,
    replicas: int,
    sampler_seed: int,
) -> dict[str, Conditioned]:
    """G&C at one depth (normalised prior) by subset simulation; ``depth=None`` is the
    infinite-depth limit ``u vᵀ/‖u vᵀ‖`` (linear only). Returns ``{"ss": Conditioned}``."""
    task = make_task(seeds)
    prior = depth_prior(activation, depth, width, task.shape)
    ss = SubsetSimulation(
        prior, task, n_particles=n_particles, replicas=replicas, seed=sampler_seed
    )
    return {"ss": ss.condition(eps)}


def naive_point(
    activation: str,
    depth: int,
    width: int,
    seeds: list[int],
    eps: float,
    n_draws: int,
    sampler_seed: int,
) -> Conditioned:
    """Naive rejection with ``n_draws`` draws at one depth of the normalised prior (the depth
    agreement check), on stream 1 of ``sampler_seed`` (subset simulation at the same point,
    :func:`depth_point`, takes the seed itself)."""
    task = make_task(seeds)
    prior = depth_prior(activation, depth, width, task.shape)
    naive = NaiveRejection(prior, task, n_draws=n_draws, seed=stream_seed(sampler_seed, 1))
    return naive.condition(eps)


def gd_point(
    activation: str,
    width: int,
    depth: int,
    seeds: list[int],
    init_scale: float,
    lr: float,
    steps: int,
    sampler_seed: int,
) -> Trajectory:
    """The GD baseline at one (width, depth), batched over the data sets ``seeds`` (one run
    each): series ``train_loss`` and ``test_loss`` ``[S, T]``, recorded at the reported step
    ``steps − GD_REPORT_LAG`` (:func:`report_step`) among others."""
    task = make_task(seeds)
    return gradient_descent(
        task,
        width,
        depth,
        activation,
        init_scale=init_scale,
        lr=lr,
        steps=steps,
        seed=sampler_seed,
        also_record=(report_step(steps),),
    )


def report_step(steps: int) -> int:
    """The GD step whose record the chapter reports: ``steps − GD_REPORT_LAG`` (0 if fewer)."""
    return max(int(steps) - GD_REPORT_LAG, 0)


def official_init_scale(depth: int, activation: str) -> float:
    """The official GD initialisation scale of the depth sweep (configs ``depth_*.json``):
    1e-3 up to depth 4, 0.1 from 5, and 0.2 at depths 9-10 for linear and tanh."""
    if depth <= 4:
        return 1e-3
    if depth >= 9 and activation != "leaky_relu":
        return 0.2
    return 0.1


# --- the experiments, in notebook order (the notebook and the dry run call these) ------------

EXPERIMENTS = Registry("03_guess_and_check")
start = EXPERIMENTS.start  # the notebook's start-up call

MIN_PARTICLES = 100
"""Particles of subset simulation in a width point cut to a few feature draws, at least."""


def width_point_cut(pt: dict, k: int, p) -> dict:
    """A width point cut to ``k`` RB-IS feature draws (the dry run's step): subset simulation's
    particles, naive rejection's draws and the ESS threshold that decides whether subset
    simulation runs all scale with ``k / n_inner``, so the cut point takes the full point's
    branches."""
    full = pt["n_inner"]

    def scaled(value: float) -> int:
        return max(1, math.ceil(value * k / full))

    return dict(
        pt,
        n_inner=k,
        n_particles=max(scaled(pt["n_particles"]), MIN_PARTICLES),
        naive_draws=scaled(pt["naive_draws"]) if pt["naive_draws"] else 0,
        ess_min=pt["ess_min"] * k / full,
    )


width_sweep = EXPERIMENTS.sweep(
    "width_sweep",
    "G&C width sweep",
    points=width_points,
    point=width_point,
    sizes=lambda p: (
        f"k ∈ {p.widths}, {p.n_seeds} data sets × {len(p.activations)} activations, RB-IS "
        f"{p.rbis_inner} × {p.rbis_points}, SS {p.ss_particles} × {p.ss_replicas}, naive "
        f"{p.naive_draws:.0e} at k = {p.widths[0]}"
    ),
    steps="n_inner",
    at_point=width_point_cut,
    few=lambda p: max(100, p.rbis_inner // 4),  # fewer draws would switch to SS too early
    kind=lambda pt: "narrowest width, + naive check" if pt["naive_draws"] else "other widths",
    slowest="width",
)
"""The width sweep. A dry-run step is one RB-IS feature draw (:func:`width_point_cut`); the
narrowest width (naive rejection runs there) and the widest (an upper bound for the other
widths) are timed."""

check_subset_simulation = EXPERIMENTS.sweep(
    "check_subset_simulation",
    "naive vs SS: subset simulation",
    points=check_points,
    point=depth_point,
    sizes=lambda p: (
        f"linear, d ∈ {p.check_depths}, ε {p.check_eps}, {p.n_seeds_depth} data sets, "
        f"SS {p.ss_particles} × {max(p.ss_replicas, 4)}"
    ),
    steps="replicas",
    few=1,
    slowest="depth",
)
"""The depth agreement check, subset simulation's side, at the deepest depth: a dry-run step
is one replica (independent runs of the sampler, each with every particle: the particles
cannot be cut, since subset simulation's levels depend on ε and with a few hundred particles
it can lose every particle below a level)."""

check_naive_rejection = EXPERIMENTS.sweep(
    "check_naive_rejection",
    "naive vs SS: naive rejection",
    points=naive_check_points,
    point=naive_point,
    sizes=lambda p: (
        f"linear, d ∈ {p.check_depths}, ε {p.check_eps}, {p.n_seeds_depth} data sets, "
        f"naive {p.naive_draws:.0e} draws"
    ),
    steps="n_draws",
    few=lambda p: max(1000, p.naive_draws // 100),
    slowest="depth",
)
"""The depth agreement check, naive rejection's side: a dry-run step is one draw (timed apart
from subset simulation, whose tens of seconds would bury the draws' microseconds)."""

gd_width_sweep = EXPERIMENTS.sweep(
    "gd_width_sweep",
    "GD width",
    points=gd_width_points,
    point=gd_point,
    sizes=lambda p: (
        f"depth 2, widths {p.gd_widths}, {p.n_seeds} data sets × {len(p.activations)} activations"
    ),
    steps="steps",
    few=lambda p: max(100, p.gd_width_steps // 50),
    slowest="width",
)
"""GD against width; a dry-run step is a GD step, at the widest network."""

depth_sweep = EXPERIMENTS.sweep(
    "depth_sweep",
    "G&C depth sweep",
    points=depth_points,
    point=depth_point,
    sizes=lambda p: (
        f"width {p.depth_width}, d ∈ {p.depths}, ε {p.eps_depth}, {p.n_seeds_depth} data sets, "
        f"SS {p.ss_particles} × {p.ss_replicas}; {len(p.activations)} activations"
    ),
    steps="replicas",
    few=1,
    slowest="depth",
)
"""The depth sweep at the deepest depth; a dry-run step is one replica of subset simulation
(as the check's)."""

depth_limit = EXPERIMENTS.sweep(
    "depth_limit",
    "depth → ∞",
    points=lambda p: [limit_point(p)],
    point=depth_point,
    sizes=lambda p: f"linear limit u vᵀ/‖u vᵀ‖, {p.n_seeds_depth} data sets, SS {p.ss_particles}",
)
"""The depth → ∞ limit of linear nets (one point, timed once in full)."""

gd_depth_sweep = EXPERIMENTS.sweep(
    "gd_depth_sweep",
    "GD depth",
    points=gd_depth_points,
    point=gd_point,
    sizes=lambda p: (
        f"width {p.depth_width}, depths {p.gd_depths}, {p.n_seeds_depth} data sets; "
        f"{p.gd_depth_steps} steps (Leaky ReLU {p.gd_depth_steps_leaky})"
    ),
    steps="steps",
    few=lambda p: max(100, min(p.gd_depth_steps, p.gd_depth_steps_leaky) // 50),
    kind=lambda pt: "Leaky ReLU" if pt["activation"] == "leaky_relu" else "linear, tanh",
    slowest="depth",
)
"""GD against depth; a dry-run step is a GD step, at the deepest network of each step count
(linear and tanh nets, Leaky ReLU nets)."""


def closed_chance(p) -> np.ndarray:
    """``[S]``: the chance level ``1/m + ‖b*‖²/|B|`` of the unnormalised linear prior on each
    data set of the width sweep (closed form)."""
    task = make_task(data_seeds(p)[: p.n_seeds])
    return task.prior_chance_linear(normalised=False).cpu().numpy()


def agreement(p, width_runs, check_ss, check_naive) -> pd.DataFrame:
    """The run's agreement table (:func:`agreement_frame`): the width sweep's naive check and
    the depth agreement check (the results of :data:`check_subset_simulation` and
    :data:`check_naive_rejection`, paired point by point)."""
    check_runs = [dict(ss, naive=naive) for ss, naive in zip(check_ss, check_naive, strict=True)]
    return agreement_frame(width_runs, width_points(p), check_runs, check_points(p))


def preferred(point: dict[str, Conditioned | None]) -> Conditioned:
    """The estimate the chapter plots at a width: RB-IS, unless its effective sample size was
    too small and subset simulation ran instead (spec §5.3's rule)."""
    return point["rbis"] if point["ss"] is None else point["ss"]


def stack(results: list[Conditioned], field: str) -> np.ndarray:
    """``[len(results), S]``: one field of a row of summaries (e.g. over widths)."""
    return np.stack([getattr(r, field) for r in results])


def agreement_z(a: Conditioned, b: Conditioned, field: str = "mean") -> np.ndarray:
    """``|a − b| / √(se_a² + se_b²)`` per data set for ``field`` ("mean" or "p_accept")."""
    se = "se" if field == "mean" else "p_accept_se"
    diff = getattr(a, field) - getattr(b, field)
    return np.abs(diff) / np.sqrt(getattr(a, se) ** 2 + getattr(b, se) ** 2)


def sweep_table(
    runs: list[dict[str, Conditioned | None]], activations: list[str], key: str | None = None
) -> dict[str, dict[str, np.ndarray]]:
    """Reshape sweep results in grid order (activation-major) into per-activation arrays.

    ``key`` picks the estimate of each point (``None``: :func:`preferred`). Returns, per
    activation, ``mean``, ``se``, ``prior``, ``ratio`` (G&C / prior), ``p_accept`` and ``ess``
    of shape ``[X, S]`` and ``method`` of shape ``[X]``.
    """
    per = len(runs) // len(activations)
    table = {}
    for a, activation in enumerate(activations):
        row = [preferred(r) if key is None else r[key] for r in runs[a * per : (a + 1) * per]]
        mean, prior = stack(row, "mean"), stack(row, "prior_mean")
        table[activation] = {
            "mean": mean,
            "se": stack(row, "se"),
            "prior": prior,
            "ratio": mean / prior,
            "p_accept": stack(row, "p_accept"),
            "ess": stack(row, "ess"),
            "method": np.array([r.method for r in row]),
        }
    return table


def gd_table(runs: list[Trajectory], activations: list[str]) -> dict[str, dict]:
    """GD trajectories in grid order (activation-major), at their reported step
    (:func:`reported`: ``GD_REPORT_LAG`` steps before the last):
    ``{activation: {"train_loss", "test_loss"}}``, each ``[X, S]``."""
    per = len(runs) // len(activations)
    return {
        a: {
            key: np.stack([reported(r, key) for r in runs[i * per : (i + 1) * per]])
            for key in ("train_loss", "test_loss")
        }
        for i, a in enumerate(activations)
    }


def reported(run: Trajectory, key: str) -> np.ndarray:
    """``[S]``: series ``key`` of a GD trajectory at step ``report_step(last step)``."""
    step = report_step(run.steps[-1])
    hit = np.flatnonzero(run.steps == step)
    if hit.size == 0:
        raise ValueError(f"the trajectory has no record at the reported step {step}")
    return run.series[key][:, hit[0]]


def agreement_frame(width_runs, width_points, depth_runs, depth_points) -> pd.DataFrame:
    """Smart samplers against naive rejection wherever naive rejection ran, one row per case.

    Per (case, smart sampler): median over data sets of the ratios sampler / naive of the
    posterior mean of ``L_gen`` and of the acceptance probability, and the largest
    ``z = |Δ| / √(se_1² + se_2²)`` over data sets (NaN where the smart sampler has no standard
    error: subset simulation with one replica), and the fewest draws naive rejection accepted.
    """
    rows = []
    cases = [
        (f"width {pt['width']}, {pt['activation']}, ε {pt['eps']}", run)
        for pt, run in zip(width_points, width_runs, strict=True)
    ]
    cases += [
        (f"depth {pt['depth']}, {pt['activation']}, normalised, ε {pt['eps']}", run)
        for pt, run in zip(depth_points, depth_runs, strict=True)
    ]
    for case, run in cases:
        naive = run["naive"]
        for key in ("rbis", "ss"):
            smart = run.get(key)
            if naive is None or smart is None:
                continue
            rows.append(
                {
                    "case": case,
                    "sampler": smart.method,
                    "L_gen ratio": float(np.median(smart.mean / naive.mean)),
                    "max z (L_gen)": float(np.max(agreement_z(naive, smart, "mean"))),
                    "P(accept) ratio": float(np.median(smart.p_accept / naive.p_accept)),
                    "max z (P)": float(np.max(agreement_z(naive, smart, "p_accept"))),
                    "fewest accepted (naive)": int(np.min(naive.ess)),
                }
            )
    return pd.DataFrame(rows).set_index(["case", "sampler"])


# --- the measurements ------------------------------------------------------------------------


def _index(xs: Sequence[int], x: int) -> int:
    xs = list(xs)
    if x not in xs:
        raise ValueError(f"{x} is not on the grid {xs}")
    return xs.index(x)


def _order(xs: Sequence[int], up_to: float | None = None) -> np.ndarray:
    """Grid indices in increasing ``x`` (only ``x <= up_to``)."""
    xs = np.asarray(xs)
    order = np.argsort(xs, kind="stable")
    return order if up_to is None else order[xs[order] <= up_to]


def trend(
    table: Table,
    xs: Sequence[int],
    key: str = "mean",
    *,
    sign: int,
    log_x: bool = False,
    up_to: float | None = None,
    at: Sequence[int] | None = None,
    activations: Sequence[str] | None = None,
) -> dict[str, Estimate]:
    """Per activation, the trend of ``key`` (a positive scale: ``L_gen``, ``P(accept)``) along
    the grid as a per-data-set effect (:meth:`Estimate.trend`): each data set's least-squares
    slope of ``log key`` against ``x`` (against ``log x`` with ``log_x``, for a log-spaced grid),
    times ``sign`` (+1: the claim says increasing, −1: decreasing), and the t interval of the
    mean slope over data sets; positive supports the claim. The grid points are those
    ``x <= up_to`` (every point by default), or the grid values ``at``. A NaN makes the estimate
    NaN (callers name the failed runs with :func:`failed_runs`)."""
    idx = _order(xs, up_to) if at is None else np.array([_index(xs, x) for x in at])
    x = np.asarray(xs, float)[idx]
    pos = np.log(x) if log_x else x
    return {
        a: Estimate.trend(np.asarray(table[a][key], float)[idx].T, sign, x=pos, log=True, unit=UNIT)
        for a in activations or table
    }


def ratio_at(table: Table, xs: Sequence[int], x: int, activations=None) -> dict[str, np.ndarray]:
    """Per activation, per data set: G&C posterior mean / prior mean at grid value ``x``."""
    i = _index(xs, x)
    return {a: np.asarray(table[a]["ratio"][i], float) for a in activations or table}


def gap_parts(
    table: Table, widths: Sequence[int], *, at: int, scaled: Sequence[int], activations
) -> dict[str, np.ndarray]:
    """Claim W4's parts, per data set: the relative gap ``1 − G&C/prior`` at width ``at``
    (``"<act>, gap at k = <at>"``) and ``k × gap`` at each width of ``scaled``
    (``"<act>, k × gap at k = <k>"``)."""
    parts = {}
    for a in activations:
        gap = 1 - np.asarray(table[a]["ratio"], float)
        parts[f"{a}, gap at k = {at}"] = gap[_index(widths, at)]
        for k in scaled:
            parts[f"{a}, k × gap at k = {k}"] = k * gap[_index(widths, k)]
    return parts


def depth_fall(table: Table, depths: Sequence[int], *, shallow: int = 2) -> dict[str, np.ndarray]:
    """Per activation, per data set: G&C at the deepest depth / G&C at depth ``shallow``."""
    deep, low = int(np.argmax(depths)), _index(depths, shallow)
    return {a: np.asarray(t["mean"][deep] / t["mean"][low], float) for a, t in table.items()}


def ratio_shallow_and_deep(
    table: Table, depths: Sequence[int], activation: str = "linear", *, shallow: int = 2
) -> dict[str, np.ndarray]:
    """Claim D3's parts, per data set: G&C / prior at depth ``shallow`` and at the deepest."""
    deep = int(np.max(depths))
    ratio = np.asarray(table[activation]["ratio"], float)
    return {
        f"d = {shallow}": ratio[_index(depths, shallow)],
        f"d = {deep}": ratio[_index(depths, deep)],
    }


def limit_ratio(table: Table, depths: Sequence[int], limit_mean: np.ndarray) -> np.ndarray:
    """Linear nets, per data set: G&C at the deepest depth / G&C of the depth → ∞ prior."""
    deep = int(np.argmax(depths))
    return np.asarray(table["linear"]["mean"][deep] / np.asarray(limit_mean), float)


def geometric_means(parts: Mapping[str, np.ndarray]) -> dict[str, Estimate]:
    """The geometric mean over data sets of each part (a ratio per data set), with the t
    interval of the mean log mapped back."""
    return {k: Estimate.geometric_mean(v, unit=UNIT) for k, v in parts.items()}


def means(parts: Mapping[str, np.ndarray]) -> dict[str, Estimate]:
    """The mean over data sets of each part, with its t interval."""
    return {k: Estimate.mean(v, unit=UNIT) for k, v in parts.items()}


def failed_runs(**tables: Table | np.ndarray) -> str | None:
    """Which G&C estimates are NaN (subset simulation that never reached ε, nothing accepted):
    the reason a claim on them is undecided, or None. ``tables``: name -> sweep table (its
    ``mean``) or a ``[S]`` array."""
    bad = []
    for name, table in tables.items():
        if isinstance(table, Mapping):
            bad += [f"{name} {a}" for a, t in table.items() if np.isnan(t["mean"]).any()]
        elif np.isnan(np.asarray(table, float)).any():
            bad.append(name)
    return f"G&C has no estimate (NaN) for {', '.join(bad)}" if bad else None


@dataclass(frozen=True)
class Results:
    """The tables the chapter's claims are decided on.

    ``width``/``depth``: G&C sweep tables (:func:`sweep_table`) over ``widths``/``depths``;
    ``gd_width``/``gd_depth``: GD tables (:func:`gd_table`) over ``gd_widths``/``gd_depths``;
    ``limit``: G&C of the depth → ∞ prior (linear) on the depth sweep's data sets.
    """

    widths: Sequence[int]
    width: Table
    gd_widths: Sequence[int]
    gd_width: Table
    depths: Sequence[int]
    depth: Table
    gd_depths: Sequence[int]
    gd_depth: Table
    limit: Conditioned

    @property
    def width_failed(self) -> str | None:
        """Why a claim on the width sweep is undecided (a NaN G&C estimate), or None."""
        return failed_runs(width=self.width)

    @property
    def depth_failed(self) -> str | None:
        """Why a claim on the depth sweep is undecided (a NaN G&C estimate), or None."""
        return failed_runs(depth=self.depth, limit=self.limit.mean)
