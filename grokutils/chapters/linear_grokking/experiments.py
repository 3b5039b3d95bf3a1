"""Measurements of the linear-grokking chapter (Levi, Beck & Bar-Sinai): what its claims decide on.

Two kinds of numbers come out of here:

* **exact** ones, from the deterministic theory (:mod:`.theory`):
  a closed form against its quadrature, an asymptote against the exact curve, a property of a
  phase diagram. :mod:`.claims` wraps them in :meth:`Estimate.exact`.
* **per-run** ones, one value per independent teacher-student draw (runs are seeds; the
  leading axis of every simulation array), which the checks turn into an interval over seeds:
  :meth:`Estimate.geometric_mean` of a time or a final loss over the theory's, or of two
  times of the same run; :meth:`Estimate.mean` of an accuracy, or of a loss whose finite-size
  expectation the theory gives; :meth:`Estimate.trend` of Δt along λ or the init scale;
  :meth:`Estimate.fraction` of a yes/no check per run; or :meth:`Estimate.worst_point` of a
  seed-averaged curve against the theory's.

A run that never reaches its grokking accuracy has ``t* = inf``. :func:`finite_ratio` maps a
ratio with such a run to NaN, which makes a geometric mean NaN (the claim is then inconclusive,
never silently dropped); a trend keeps it as ``inf`` and censors it at the search budget
(:data:`SWEEP_BUDGET`, :data:`INIT_BUDGET`); :func:`censored_ratio` keeps it as the lower bound
``horizon/theory`` where a claim only says "at least".

The chapter's experiments, each declared once in :data:`EXPERIMENTS` with what its cost scales
with (the notebook and the dry run call the same functions), return typed results
(:class:`LambdaSweep` for Fig. 1, :class:`OutputDimension`, :class:`WeightDecay`,
:class:`PhasePlane`, :class:`InitScale`, :class:`LabelNoise`, :class:`TwoLayer`,
:class:`GainProbe`, :class:`FiniteSize`) whose curves are
:class:`~grokutils.core.trajectory.Trajectory` records.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from grokutils.chapters.linear_grokking import linear_estimator as le
from grokutils.chapters.linear_grokking import task as ts
from grokutils.chapters.linear_grokking import theory as th
from grokutils.chapters.linear_grokking.two_layer_gd import train_two_layer
from grokutils.core.crossings import interpolated_crossing
from grokutils.core.experiment import Registry
from grokutils.core.params import Params
from grokutils.core.progress import progress
from grokutils.core.seeding import seed_record
from grokutils.core.trajectory import Trajectory

EXPERIMENTS = Registry("02_linear_grokking")
"""The chapter's experiments in notebook order. The one-layer ones are exact GD in the data's
eigenbasis at the logged steps; their cost is the eigendecompositions and the grokking-time
searches (at the paper's d_in up to 4000: minutes), and grows as d_in³ at most
(:data:`ONE_LAYER_COST`). Fig. 3's weight decay evaluates Fig. 1's λ = 0.9 problems, so the
dry run times it once on those of Fig. 1's last cut run and projects it low, by seconds at the
paper's sizes (it costs ``(N_tr + N_gen)·d_in`` a logged step). The two-layer runs (Fig. 5
and the gain probe) are one sweep of GD runs for ``horizon`` times the theory's grokking time:
a dry-run step is one evaluation period (:data:`TWO_LAYER_EVAL_EVERY` GD steps)."""
start = EXPERIMENTS.start  # the notebook's start-up call

SCALE_PARTS = 1000
"""A one-layer experiment's dry-run steps. Its work grows as d_in³ at most (the ``[d_in, d_in]``
moments of N_tr ∝ d_in samples and their eigendecomposition, the test set's ``N_gen·d_in²``
projection), so a cut to ``k`` of these steps runs it with every input dimension and ``N_gen``
scaled by ``(k/SCALE_PARTS)^(1/3)``: ``k/SCALE_PARTS`` of the cubic work. Terms that grow more
slowly (the evaluations at logged steps, ``(N_tr + N_gen)·d_in`` each, and the d_out = 700
runs' fixed test set) are projected as if cubic: an upper bound."""

SCALE_FEW = 8
"""The dry run's ``k`` of a one-layer experiment: input dimensions at a fifth of the preset's."""


def _at_scale(p: Params, k: int) -> Params:
    """``p`` with the one-layer sizes scaled to ``k/SCALE_PARTS`` of the work (a dry run's cut),
    each kept at its parameter's minimum (20 inputs, 100 test samples) or above."""
    s = (k / SCALE_PARTS) ** (1 / 3)
    return p.with_values(
        d_in=max(20, round(p.d_in * s)),
        n_gen=max(100, round(p.n_gen * s)),
        finite_d_ins=[max(20, round(d * s)) for d in p.finite_d_ins],
    )


ONE_LAYER_COST = dict(at=_at_scale, count=lambda p: SCALE_PARTS, few=SCALE_FEW)
"""What a one-layer experiment's cost scales with: d_in³ (see :data:`SCALE_PARTS`)."""


class Units(IntEnum):
    """The chapter's families of independent units (teacher-student draws), each with its own
    block of seeds at every seed offset (:func:`grokutils.core.seeding.unit_seeds`)."""

    ONE_LAYER = 0
    TWO_LAYER = 1


def seeds_of(p: Params) -> dict[str, list[int]]:
    """The unit seeds of each family at offset ``p.seed``: ``p.seeds`` one-layer draws and
    ``p.two_layer_seeds`` two-layer ones."""
    return seed_record(p.seed, {Units.ONE_LAYER: p.seeds, Units.TWO_LAYER: p.two_layer_seeds})


def one_layer_seeds(p: Params) -> np.ndarray:
    """``[runs]``: the one-layer runs, independent teacher-student draws (Figs. 1-3, 6, 7)."""
    return np.array(seeds_of(p)["one_layer"])


def two_layer_seeds(p: Params) -> np.ndarray:
    """``[runs]``: the two-layer runs (Fig. 5 and the gain probe)."""
    return np.array(seeds_of(p)["two_layer"])


def _one_layer_sizes(p: Params) -> str:
    return f"d_in={p.d_in}, {p.seeds} seeds, N_gen={p.n_gen}"


def _two_layer_sizes(p: Params) -> str:
    return f"d_in={p.two_layer_d_in}, d_h={p.hidden_widths}, {p.two_layer_seeds} seeds"


SWEEP_BUDGET = 1e9
"""GD steps within which Fig. 1's grokking times are searched: a Δt that never came is
censored here."""
INIT_BUDGET = 1e8
"""GD steps within which the init-scale runs' grokking times are searched."""

RESOLVED_LOSS = 1e-200
"""Losses below this are left out of ratio checks (they underflow towards 0 at late times)."""


def finite_ratio(numerator, denominator) -> np.ndarray:
    """``numerator/denominator`` per run, NaN wherever either is not finite (a run that never
    crossed, on either side), without floating-point warnings."""
    a, b = np.broadcast_arrays(np.asarray(numerator, float), np.asarray(denominator, float))
    ok = np.isfinite(a) & np.isfinite(b) & (b != 0)
    return np.divide(a, b, out=np.full(a.shape, np.nan), where=ok)


def censored_ratio(times, theory: float, horizon: float) -> np.ndarray:
    """``min(t*, horizon)/theory`` per run: a run that did not cross within the simulated
    ``horizon`` counts at the horizon, a lower bound on its true ratio (for "at least" claims)."""
    times = np.asarray(times, dtype=float)
    return np.minimum(times, horizon) / theory


# --- exact checks of the theory (no randomness) -------------------------------------------------


def closed_form_error(lams: Sequence[float], t, *, eta: float) -> float:
    """Largest relative difference between eq. 9 and the MP quadrature of ``L_tr`` (statement 1),
    over ``lams`` and the times ``t`` where the closed form is resolved (> 1e-250)."""
    worst = 0.0
    for lam in lams:
        closed = th.train_loss_closed_form(t, lam, eta=eta)
        quadrature = th.losses(t, lam, eta=eta)[0]
        resolved = closed > 1e-250
        worst = max(worst, float(np.abs(quadrature[resolved] / closed[resolved] - 1).max()))
    return worst


def sgd_error(problem: ts.TeacherStudent, steps: int, *, eta: float, gamma: float) -> float:
    """Largest difference between ``steps`` of torch SGD and the eigenbasis closed form,
    relative to the largest entry (statement 2)."""
    exact = le.distance_at(problem, [steps], eta=eta, gamma=gamma)[:, 0]
    looped = le.sgd_reference(problem, steps, eta=eta, gamma=gamma)
    return float(np.abs(looped - exact).max() / np.abs(exact).max())


def identity_error(lam: float, t, *, eta: float, h: float = 0.05) -> float:
    """Largest relative violation of eq. 21, ``-(1/4η) dL_gen/dt = L_tr``, with a central
    difference of half-width ``h`` steps (statement 3)."""
    t = np.asarray(t, dtype=float)
    slope = (th.losses(t + h, lam, eta=eta)[1] - th.losses(t - h, lam, eta=eta)[1]) / (2 * h)
    return float(np.abs(-slope / (4 * eta) / th.losses(t, lam, eta=eta)[0] - 1).max())


def envelope_ratio(lams, eps, *, eta: float, t_max: float = 1e10) -> np.ndarray:
    """Numerical ``Δt`` over eq. 12's ``ε → 0`` envelope, ``[len(eps), len(lams)]``."""
    lams, eps = np.asarray(lams, dtype=float), np.asarray(eps, dtype=float)[:, None]
    return th.grokking_delay(lams, eps, eta=eta, t_max=t_max) / th.grokking_delay_eq12(
        lams, eta=eta
    )


def lambert_error(lams, eps: float, *, eta: float, t_max: float = 1e10) -> float:
    """Largest ``|Δt_eq24/Δt_numerical - 1|`` over ``lams`` at threshold ``eps`` (eq. 24)."""
    t_tr, t_gen = th.grokking_times_lambert(lams, eps, eta=eta)
    return float(
        np.abs((t_gen - t_tr) / th.grokking_delay(lams, eps, eta=eta, t_max=t_max) - 1).max()
    )


def late_time_checks(lam: float, *, eta: float) -> dict[str, float]:
    """Fig. 6: worst ``|eq. 22/exact - 1|`` and ``|eq. 23/exact - 1|`` for ``t ≥ 1e3`` (up to
    ``10^5.5``), and eq. 11 over the exact gen loss at ``t = 1e4`` and ``1e5``."""
    t = np.geomspace(1e3, 10**5.5, 200)
    train, gen = th.losses(t, lam, eta=eta)
    at = np.array([1e4, 1e5])
    leading = th.gen_loss_leading(at, lam, eta=eta) / th.losses(at, lam, eta=eta)[1]
    return {
        "eq. 22": float(np.abs(th.train_loss_late(t, lam, eta=eta) / train - 1).max()),
        "eq. 23": float(np.abs(th.gen_loss_late(t, lam, eta=eta) / gen - 1).max()),
        "eq. 11 at 1e4": float(leading[0]),
        "eq. 11 at 1e5": float(leading[1]),
    }


def peak_output_dimension(d_grid, delays) -> np.ndarray:
    """``d_out`` of the largest theoretical ``Δt`` per row of ``delays [..., len(d_grid)]``."""
    return np.asarray(d_grid)[np.nanargmax(delays, axis=-1)]


def weight_decay_ratio_error(lams, gammas, *, eta: float) -> float:
    """Largest ``|L_gen(∞)/L_tr(∞)·(1-λ)² - 1|`` of eq. 15 over ``lams × gammas`` (claim 14a)."""
    worst = 0.0
    for lam in lams:
        for gamma in gammas:
            train, gen = th.losses(np.inf, lam, eta=eta, gamma=gamma)
            worst = max(worst, abs(float(gen / train) * (1 - lam) ** 2 - 1))
    return worst


def critical_edge(gammas, lams, delay) -> np.ndarray:
    """Per ``λ`` column of ``delay [len(gammas), len(lams)]``: the largest ``γ`` that still
    groks (finite ``Δt``), 0 where none does."""
    gammas = np.asarray(gammas)
    finite = np.isfinite(delay)
    return np.array(
        [gammas[finite[:, j]].max() if finite[:, j].any() else 0.0 for j in range(len(lams))]
    )


# --- per-run statistics of the simulations (runs = seeds, axis 0) --------------------------------


def empirical_loss_deviation(curves: Sequence[Trajectory]) -> np.ndarray:
    """Per run: the largest ``|L_test,empirical/L_test,analytic - 1|`` over the logged steps
    (where the analytic loss is resolved) of every trajectory in ``curves`` (statement 4).
    ``[runs]``."""
    worst = []
    for curve in curves:
        analytic, empirical = curve.test_loss, curve.test_loss_empirical
        resolved = analytic > RESOLVED_LOSS
        ratio = np.divide(empirical, analytic, out=np.ones_like(analytic), where=resolved)
        worst.append(np.abs(ratio - 1).max(axis=1))
    return np.max(worst, axis=0)


def steepest_rise(gammas: np.ndarray, lams: np.ndarray, delay: np.ndarray) -> float:
    """Claim 15b on the (γ, λ) plane ``delay [len(gammas), len(lams)]`` (NaN: never groks):
    at each λ < 1 with at least two grokking cells, the least-squares slope of ``log Δt``
    against ``log γ`` over them; the largest slope (NaN when no λ has two cells)."""
    slopes = []
    for j in np.flatnonzero(lams < 1):
        ok = np.isfinite(delay[:, j]) & (delay[:, j] > 0)
        if ok.sum() >= 2:
            slopes.append(np.polyfit(np.log(gammas[ok]), np.log(delay[ok, j]), 1)[0])
    return float(max(slopes)) if slopes else math.nan


def decay_rate_monotone(curves: Sequence[Trajectory]) -> np.ndarray:
    """Per run: in every trajectory of ``curves`` the analytic test loss never rises and its
    decay rate ``-d log L_test/dt`` never increases over the logged steps (statement 19; exact
    for γ = 0 since ``L_test = Σ c_i r_i^{2t}`` with ``c_i ≥ 0`` is log-convex). ``[runs]`` bools.

    Rates that involve a loss below :data:`RESOLVED_LOSS` are left out (near the float64
    underflow the loss loses its digits, and at 0 its log is -inf); a relative slack of 1e-9 of
    the run's largest rate absorbs rounding."""
    holds = None
    for curve in curves:
        loss, steps = curve.test_loss, np.asarray(curve.steps, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.diff(np.log(loss), axis=1) / np.diff(steps)  # = -(decay rate)
        resolved = (loss[:, 1:] > RESOLVED_LOSS) & (loss[:, :-1] > RESOLVED_LOSS)
        ok = np.all(np.diff(loss, axis=1) <= 0, axis=1)
        for run in range(len(loss)):
            r = rate[run][resolved[run]]
            if len(r) > 1:
                ok[run] &= bool(np.all(np.diff(r) >= -1e-9 * np.abs(r).max()))
        holds = ok if holds is None else holds & ok
    return holds


def label_noise_floor_finite(d_in: int, n_train: int) -> float:
    """``L_gen(∞)/σ²`` of least squares at finite size: ``E tr[(XᵀX)^{-1}]·N = d_in/(N - d_in - 1)``
    (inverse-Wishart mean, Gaussian inputs, γ = 0), which tends to ``λ/(1-λ)``."""
    if n_train <= d_in + 1:
        raise ValueError(f"needs N_tr > d_in + 1; got N_tr = {n_train}, d_in = {d_in}")
    return d_in / (n_train - d_in - 1)


# --- the chapter's experiments, one per section (runs = seeds, the leading axis) ----------------


def logged_steps() -> np.ndarray:
    """The GD steps at which the one-layer curves are logged: 120 log-spaced from 1 to 1e6."""
    return np.unique(np.round(np.geomspace(1, 1e6, 120)))


@dataclass(frozen=True)
class Machinery:
    """Statements 1-3: the closed form, the eigenbasis solution and eq. 21, as relative errors."""

    closed_form_error: float
    sgd_error: float
    identity_error: float


@EXPERIMENTS.add(
    "machinery checks (eq. 9, eigenbasis vs SGD, eq. 21)",
    sizes=lambda p: "closed forms and 500 SGD steps",
)
def machinery(p: Params) -> Machinery:
    """Eq. 9 against quadrature (λ = 0.1, 0.5, 0.9, 1.5), the eigenbasis against 500 steps of
    torch SGD (the first two one-layer seeds, γ = 1e-3, three outputs, label noise) and eq. 21
    at λ = 0.9."""
    small = ts.teacher_student(40, 60, one_layer_seeds(p)[:2], d_out=3, noise_var=1e-3, n_gen=10)
    return Machinery(
        closed_form_error=closed_form_error(
            (0.1, 0.5, 0.9, 1.5), np.geomspace(1, 5e4, 200), eta=p.eta
        ),
        sgd_error=sgd_error(small, 500, eta=p.eta, gamma=1e-3),
        identity_error=identity_error(0.9, np.geomspace(10, 1e4, 30), eta=p.eta),
    )


@dataclass(frozen=True)
class EpsLambdaGrid:
    """A quantity on the (ε, λ) grid of Fig. 1 (right): ``values [len(eps), len(lambdas), ...]``
    (trailing axes: runs, if any). Select a cell by its labels with :meth:`at`."""

    eps: tuple[float, ...]
    lambdas: tuple[float, ...]
    values: np.ndarray

    def at(self, *, eps: float, lam: float) -> np.ndarray:
        """The cell at threshold ``eps`` and ratio ``lam`` (``[...]``, e.g. ``[runs]``)."""
        return self.values[self.eps.index(eps), self.lambdas.index(lam)]

    def cells(self) -> Iterator[tuple[float, float, np.ndarray]]:
        """``(ε, λ, cell)`` for every cell, ε-major."""
        for i, e in enumerate(self.eps):
            for j, lam in enumerate(self.lambdas):
                yield e, lam, self.values[i, j]

    def ascending_lambda(self) -> np.ndarray:
        """``values`` with the λ axis sorted ascending, ``[len(eps), len(lambdas), ...]``."""
        return self.values[:, np.argsort(self.lambdas)]


def theory_delay_grid(
    eps: Sequence[float], lambdas: Sequence[float], *, eta: float
) -> EpsLambdaGrid:
    """The theory's ``Δt`` on an (ε, λ) grid, :class:`EpsLambdaGrid` of ``[ε, λ]``."""
    delay = th.grokking_delay(np.array(lambdas), np.array(eps)[:, None], eta=eta, t_max=1e9)
    return EpsLambdaGrid(tuple(eps), tuple(lambdas), delay)


@dataclass(frozen=True)
class LambdaSweep:
    """Fig. 1: curves at each λ of ``lambdas`` and grokking times at each (ε, λ) of the delays.

    ``curves[λ]``: exact GD at the logged steps; ``theory[λ]``: ``(L_tr, L_gen)`` of eq. 8;
    ``t_train``, ``t_gen``: the simulated ``t*_tr``, ``t*_gen`` on the (ε, λ) grid of the
    delays, ``[len(delay_eps), len(delay_lambdas), runs]``; ``delay_theory [len(delay_eps),
    len(lam_grid)]``: the theory's Δt on a fine λ grid.
    """

    steps: np.ndarray
    problems: dict[float, ts.TeacherStudent]
    curves: dict[float, Trajectory]
    theory: dict[float, tuple[np.ndarray, np.ndarray]]
    t_train: EpsLambdaGrid
    t_gen: EpsLambdaGrid
    lam_grid: np.ndarray
    delay_theory: np.ndarray

    @property
    def delay(self) -> EpsLambdaGrid:
        """Simulated ``Δt = t*_gen - t*_tr``, ``[len(delay_eps), len(delay_lambdas), runs]``."""
        return EpsLambdaGrid(
            self.t_gen.eps, self.t_gen.lambdas, self.t_gen.values - self.t_train.values
        )


@EXPERIMENTS.add(
    "Fig. 1 λ sweep",
    sizes=lambda p: (
        f"{_one_layer_sizes(p)}, {len(p.lambdas)} λ, Δt at {len(p.delay_lambdas)} λ × "
        f"{len(p.delay_eps)} ε"
    ),
    **ONE_LAYER_COST,
)
def lambda_sweep(p: Params) -> LambdaSweep:
    """Fig. 1 at ``d_in = p.d_in``, one run per one-layer seed, ``N_tr = d_in/λ``, logged at
    :func:`logged_steps`."""
    seeds, steps = one_layer_seeds(p), logged_steps()
    problems = {
        lam: ts.teacher_student(p.d_in, round(p.d_in / lam), seeds, n_gen=p.n_gen)
        for lam in p.lambdas
    }
    curves = {
        lam: le.trajectory(problem, steps, eta=p.eta, eps=p.eps)
        for lam, problem in problems.items()
    }
    theory = {lam: th.losses(steps, lam, eta=p.eta) for lam in p.lambdas}
    times = np.full((2, len(p.delay_eps), len(p.delay_lambdas), p.seeds), np.nan)  # tr, gen
    for j, lam in enumerate(progress(p.delay_lambdas, desc="grokking times vs λ")):
        problem = problems.get(lam) or ts.teacher_student(
            p.d_in, round(p.d_in / lam), seeds, n_gen=p.n_gen
        )
        for i, e in enumerate(p.delay_eps):
            times[:, i, j] = le.grokking_steps(problem, eta=p.eta, eps=e, t_max=SWEEP_BUDGET)
    lam_grid = np.linspace(0.05, 0.95, 19)
    delay_theory = th.grokking_delay(lam_grid, np.array(p.delay_eps)[:, None], eta=p.eta, t_max=1e9)
    t_train, t_gen = (EpsLambdaGrid(tuple(p.delay_eps), tuple(p.delay_lambdas), t) for t in times)
    return LambdaSweep(steps, problems, curves, theory, t_train, t_gen, lam_grid, delay_theory)


@dataclass(frozen=True)
class OutputDimension:
    """Fig. 2 at λ = 0.9: ``curves[d_out]`` of the first two runs, ``start[d_out]`` the initial
    test loss ``[runs]``, ``times[d_out]`` ``[2, runs]`` (``t*_tr``, ``t*_gen``), ``theory[d_out]``
    the eq. 13 losses, and the theory's ``delay [len(lams), len(d_grid)]``."""

    curves: dict[int, Trajectory]
    start: dict[int, np.ndarray]
    times: dict[int, np.ndarray]
    theory: dict[int, tuple[np.ndarray, np.ndarray]]
    d_grid: np.ndarray
    lams: np.ndarray
    delay: np.ndarray


@EXPERIMENTS.add(
    "Fig. 2 output dimension",
    sizes=lambda p: f"{_one_layer_sizes(p)}, d_out {p.d_outs}",
    **ONE_LAYER_COST,
)
def output_dimension(p: Params) -> OutputDimension:
    """Fig. 2: ``d_out`` of ``p.d_outs`` at λ = 0.9 (``N_gen = 500`` beyond ``d_out = 1``: a
    logged step costs ``d_out`` times more)."""
    seeds, steps = one_layer_seeds(p), logged_steps()
    problems = {
        d: ts.teacher_student(
            p.d_in, round(p.d_in / 0.9), seeds, d_out=d, n_gen=p.n_gen if d == 1 else 500
        )
        for d in p.d_outs
    }
    curves = {
        d: le.trajectory(ts.select(pr, slice(0, 2)), steps, eta=p.eta, eps=p.eps)
        for d, pr in progress(problems.items(), desc="Fig. 2")
    }
    start = {
        d: le.measure(pr, [0], eta=p.eta, eps=p.eps)["test_loss"][:, 0]
        for d, pr in problems.items()
    }
    times = {
        d: np.array(le.grokking_steps(pr, eta=p.eta, eps=p.eps, t_max=1e8, grid_points=80))
        for d, pr in problems.items()
    }
    theory = {d: th.losses(steps, 0.9, eta=p.eta, d_out=d) for d in p.d_outs}
    d_grid = np.unique(np.round(np.logspace(0, 3.3, 60)))
    lams = np.array([0.5, 0.7, 0.9])
    delay = th.grokking_delay(lams[:, None], p.eps, eta=p.eta, d_out=d_grid)
    return OutputDimension(curves, start, times, theory, d_grid, lams, delay)


@dataclass(frozen=True)
class WeightDecay:
    """Fig. 3 at λ = 0.9: ``curves[γ]``, the eq. 15 losses ``theory[γ]`` and their ``t → ∞``
    limits ``final[γ]``; the theory's ``delay [len(lams), len(g_grid)]`` and ``gamma_c [lams]``."""

    curves: dict[float, Trajectory]
    theory: dict[float, tuple[np.ndarray, np.ndarray]]
    final: dict[float, tuple[np.ndarray, np.ndarray]]
    g_grid: np.ndarray
    lams: np.ndarray
    delay: np.ndarray
    gamma_c: np.ndarray


@EXPERIMENTS.add(
    "Fig. 3 weight decay",
    sizes=lambda p: f"{_one_layer_sizes(p)}, γ {p.gammas} on Fig. 1's λ = 0.9 problems",
    needs=("lambda_sweep",),
)
def weight_decay(p: Params, sweep: LambdaSweep) -> WeightDecay:
    """Fig. 3: the γ of ``p.gammas`` on Fig. 1's λ = 0.9 problems (``p.lambdas`` holds 0.9)."""
    problem = sweep.problems[0.9]
    curves = {
        g: le.trajectory(problem, sweep.steps, eta=p.eta, eps=p.eps, gamma=g) for g in p.gammas
    }
    theory = {g: th.losses(sweep.steps, 0.9, eta=p.eta, gamma=g) for g in p.gammas}
    final = {g: th.losses(np.inf, 0.9, eta=p.eta, gamma=g) for g in p.gammas}
    g_grid = np.logspace(-6, 0, 25)
    lams = np.array([0.5, 0.7, 0.9, 1.5])
    delay = th.grokking_delay(lams[:, None], p.eps, eta=p.eta, gamma=g_grid)
    gamma_c = th.critical_weight_decay(lams, p.eps)
    return WeightDecay(curves, theory, final, g_grid, lams, delay, gamma_c)


@dataclass(frozen=True)
class PhasePlane:
    """One Fig. 4 panel: the theory's ``delay [len(x), len(y)]`` (NaN: never groks)."""

    x: np.ndarray
    y: np.ndarray
    delay: np.ndarray


@EXPERIMENTS.add(
    "Fig. 4 phase diagrams",
    sizes=lambda p: f"{p.phase_points}² grid points per plane (closed form)",
)
def phase_diagrams(p: Params) -> dict[tuple[str, str], PhasePlane]:
    """Fig. 4: Δt on the (γ, d_out) plane at λ = 0.9, (γ, λ) at d_out = 1 and (d_out, λ) at
    γ = 0, ``p.phase_points`` per axis."""
    points, eps, eta = p.phase_points, p.eps, p.eta
    gammas, lams = np.logspace(-6, -1, points), np.linspace(0.05, 1.5, points)
    d_outs = np.unique(np.round(np.logspace(0, 3.5, points)))
    return {
        ("γ", "d_out"): PhasePlane(
            gammas,
            d_outs,
            th.grokking_delay(0.9, eps, eta=eta, gamma=gammas[:, None], d_out=d_outs),
        ),
        ("γ", "λ"): PhasePlane(
            gammas, lams, th.grokking_delay(lams, eps, eta=eta, gamma=gammas[:, None])
        ),
        ("d_out", "λ"): PhasePlane(
            d_outs, lams, th.grokking_delay(lams, eps, eta=eta, d_out=d_outs[:, None])
        ),
    }


@dataclass(frozen=True)
class InitScale:
    """λ = 0.7, student ``S₀ → αS₀``: ``start[α]`` the initial test loss ``[runs]``,
    ``times[α]`` ``[2, runs]`` and the theory's ``(t*_tr, t*_gen)`` in ``theory[α]``."""

    start: dict[float, np.ndarray]
    times: dict[float, np.ndarray]
    theory: dict[float, tuple[np.ndarray, np.ndarray]]

    @property
    def delays(self) -> dict[float, np.ndarray]:
        """Simulated Δt per α, ``[runs]``."""
        return {a: t[1] - t[0] for a, t in self.times.items()}

    @property
    def theory_delays(self) -> dict[float, float]:
        return {a: float(t[1] - t[0]) for a, t in self.theory.items()}


@EXPERIMENTS.add(
    "Fig. 6 initial scale",
    sizes=lambda p: f"{_one_layer_sizes(p)}, scales {p.init_scales}",
    **ONE_LAYER_COST,
)
def init_scale(p: Params) -> InitScale:
    """The init scales ``p.init_scales`` at λ = 0.7."""
    seeds = one_layer_seeds(p)
    problems = {
        a: ts.teacher_student(p.d_in, round(p.d_in / 0.7), seeds, n_gen=p.n_gen, init_scale=a)
        for a in p.init_scales
    }
    start = {
        a: le.measure(pr, [0], eta=p.eta, eps=p.eps)["test_loss"][:, 0]
        for a, pr in problems.items()
    }
    times = {
        a: np.array(le.grokking_steps(pr, eta=p.eta, eps=p.eps, t_max=INIT_BUDGET))
        for a, pr in problems.items()
    }
    theory = {a: th.grokking_times(0.7, p.eps, eta=p.eta, init_scale=a) for a in p.init_scales}
    return InitScale(start, times, theory)


@dataclass(frozen=True)
class LabelNoise:
    """``curves[(λ, σ²)]`` at the logged steps and, last, at step 1e9 (the floor)."""

    lams: tuple[float, ...]
    curves: dict[tuple[float, float], Trajectory]

    def floor(self, noise_vars) -> dict[float, np.ndarray]:
        """``L_gen(∞)/σ²`` per run and λ, averaged over σ² (the same for every σ² of a seed:
        the noise is scaled)."""
        return {
            lam: np.mean([self.curves[lam, s].test_loss[:, -1] / s for s in noise_vars], axis=0)
            for lam in self.lams
        }


@EXPERIMENTS.add(
    "Fig. 7 label noise",
    sizes=lambda p: f"{_one_layer_sizes(p)}, σ² {p.noise_vars}",
    **ONE_LAYER_COST,
)
def label_noise(p: Params, lams=(0.5, 0.9)) -> LabelNoise:
    """Label noise ``σ²`` of ``p.noise_vars`` at each λ of ``lams``."""
    seeds, steps = one_layer_seeds(p), logged_steps()
    curves = {
        (lam, s): le.trajectory(
            ts.teacher_student(p.d_in, round(p.d_in / lam), seeds, n_gen=p.n_gen, noise_var=s),
            np.append(steps, 1e9),
            eta=p.eta,
            eps=p.eps,
        )
        for lam in lams
        for s in p.noise_vars
    }
    return LabelNoise(tuple(lams), curves)


@dataclass(frozen=True)
class TwoLayer:
    """Fig. 5: ``curves[(d_h, activation)]``, the eq. 19 ``theory[d_h] = (t*_tr, t*_gen)`` and
    the simulated ``times[(d_h, activation)]`` ``[2, runs]`` (interpolated between evaluations)."""

    lam: float
    eps: float
    d_out: int
    curves: dict[tuple[int, str], Trajectory]
    theory: dict[int, tuple[np.ndarray, np.ndarray]]
    times: dict[tuple[int, str], np.ndarray]


def crossing_times(curve: Trajectory, level: float = th.GROK_ACCURACY) -> np.ndarray:
    """``[2, runs]``: the interpolated steps at which train and test accuracy reach ``level``."""
    return np.array(
        [interpolated_crossing(curve.steps, curve[f"{k}_acc"], level) for k in ("train", "test")]
    )


FIG5_LAM, FIG5_EPS, FIG5_D_OUT = 0.5, 1e-4, 5
"""Fig. 5's task: ``N_tr = d_in/λ``, accuracy threshold ε, output dimension."""
TWO_LAYER_N_GEN = 2000
"""Fresh test samples per two-layer run."""
TWO_LAYER_EVAL_EVERY = 50
"""GD steps between a two-layer run's evaluations (and its step counts' granularity)."""
GAIN_HORIZON = 1.5
"""The gain probe runs this many times Fig. 5's horizon."""


def two_layer_theory(p: Params, d_hidden: int) -> tuple[np.ndarray, np.ndarray]:
    """Eq. 19's ``(t*_tr, t*_gen)`` of Fig. 5's task at width ``d_hidden``."""
    return th.two_layer_grokking_times(
        FIG5_LAM, FIG5_EPS, eta=p.eta, d_out=FIG5_D_OUT, d_hidden=d_hidden
    )


def two_layer_steps(p: Params, d_hidden: int, factor: float = 1.0) -> int:
    """GD steps of a two-layer run: ``factor × horizon × t*_gen``, in whole evaluation periods."""
    every = TWO_LAYER_EVAL_EVERY
    return int(p.horizon * factor * two_layer_theory(p, d_hidden)[1] / every) * every


def two_layer_run(
    d_in: int,
    n_train: int,
    d_hidden: int,
    d_out: int,
    seeds: tuple[int, ...],
    n_gen: int,
    activation: str,
    gain: float,
    eta: float,
    steps: int,
    eps: float,
) -> Trajectory:
    """One point of :data:`two_layer_runs`: the networks of ``seeds`` (one run each, batched;
    :func:`.task.two_layer_problem`) trained by :func:`.train_two_layer` at one activation and
    gain."""
    problem = ts.two_layer_problem(d_in, n_train, d_hidden, d_out, list(seeds), n_gen=n_gen)
    return train_two_layer(
        problem,
        activation=activation,
        eta=eta,
        steps=steps,
        eps=eps,
        eval_every=TWO_LAYER_EVAL_EVERY,
        gain=gain,
    )


def two_layer_points(p: Params) -> list[dict]:
    """The points of :data:`two_layer_runs`, the costliest first (a worker that finishes early
    takes the next): the gain probe's tanh networks at the widest width, one point per gain
    other than 1, for :data:`GAIN_HORIZON` times the horizon; then Fig. 5's, one point per
    width and activation (gain 1), widest first."""
    common = {
        "d_in": p.two_layer_d_in,
        "n_train": round(p.two_layer_d_in / FIG5_LAM),
        "d_out": FIG5_D_OUT,
        "seeds": tuple(int(s) for s in two_layer_seeds(p)),
        "n_gen": TWO_LAYER_N_GEN,
        "eta": p.eta,
        "eps": FIG5_EPS,
    }
    widest = max(p.hidden_widths)
    gain_steps = two_layer_steps(p, widest, GAIN_HORIZON)
    gains = [
        dict(common, d_hidden=widest, activation="tanh", gain=float(g), steps=gain_steps)
        for g in p.gains
        if g != 1
    ]
    fig5 = [
        dict(common, d_hidden=d_h, activation=act, gain=1.0, steps=two_layer_steps(p, d_h))
        for d_h in sorted(p.hidden_widths, reverse=True)
        for act in ("tanh", "linear")
    ]
    return gains + fig5


def _two_layer_kind(pt: dict) -> str:
    if pt["gain"] != 1:
        return "gain probe (tanh)"
    return f"Fig. 5 {pt['activation']}"


two_layer_runs = EXPERIMENTS.sweep(
    "two_layer_runs",
    "two-layer networks (Fig. 5, gain probe)",
    points=two_layer_points,
    point=two_layer_run,
    sizes=lambda p: (
        f"{_two_layer_sizes(p)} a point; Fig. 5 linear and tanh for {p.horizon} × t*_gen, "
        f"gains {p.gains} for {GAIN_HORIZON} × {p.horizon} × t*_gen"
    ),
    steps="steps",
    unit=TWO_LAYER_EVAL_EVERY,
    few=1,
    kind=_two_layer_kind,
    slowest="d_hidden",
)
"""Fig. 5 and the gain probe as one sweep of :func:`two_layer_run` points (one process per
point with the ``processes`` backend, each cached); the notebook assembles them with
:func:`two_layer` and :func:`gain_probe`. A dry-run step is one evaluation period; the dry run
times the widest point of each kind."""


def _of_points(p: Params, runs: Sequence[Trajectory]) -> dict[tuple[int, str, float], Trajectory]:
    """``runs`` (:data:`two_layer_runs`' results at ``p``) by (d_h, activation, gain)."""
    points = two_layer_points(p)
    if len(points) != len(runs):
        raise ValueError(
            f"expected {len(points)} two-layer runs at these parameters, got {len(runs)}"
        )
    return {
        (pt["d_hidden"], pt["activation"], pt["gain"]): r
        for pt, r in zip(points, runs, strict=True)
    }


def two_layer(p: Params, runs: Sequence[Trajectory]) -> TwoLayer:
    """Fig. 5 from :data:`two_layer_runs`: linear and tanh networks of each width of
    ``p.hidden_widths``, ``N_tr = d_in/λ``, GD for ``p.horizon`` times the theory's ``t*_gen``,
    one run per two-layer seed."""
    by_point = _of_points(p, runs)
    curves = {
        (d_h, act): by_point[d_h, act, 1.0] for d_h in p.hidden_widths for act in ("linear", "tanh")
    }
    theory = {d_h: two_layer_theory(p, d_h) for d_h in p.hidden_widths}
    times = {key: crossing_times(curve) for key, curve in curves.items()}
    return TwoLayer(FIG5_LAM, FIG5_EPS, FIG5_D_OUT, curves, theory, times)


@dataclass(frozen=True)
class GainRun:
    """The tanh network at one gain: its ``curve``, ``times [2, runs]`` and simulated horizon."""

    curve: Trajectory
    times: np.ndarray
    horizon: float


@dataclass(frozen=True)
class GainProbe:
    """``tanh(g·)/g`` at the widest ``d_hidden``: one :class:`GainRun` per gain."""

    d_hidden: int
    runs: dict[float, GainRun]


def gain_probe(p: Params, runs: Sequence[Trajectory]) -> GainProbe:
    """The gains ``p.gains`` at the widest width from :data:`two_layer_runs`, for
    :data:`GAIN_HORIZON` times Fig. 5's horizon; ``g = 1`` is Fig. 5's tanh network (same
    seeds, Fig. 5's horizon)."""
    by_point = _of_points(p, runs)
    d_h = max(p.hidden_widths)
    out = {}
    for g in p.gains:
        curve = by_point[d_h, "tanh", float(g)]
        out[float(g)] = GainRun(curve, crossing_times(curve), float(curve.steps[-1]))
    return GainProbe(d_h, out)


@dataclass(frozen=True)
class FiniteSize:
    """λ = 0.9 at each ``d_in`` of ``d_ins``: ``loss_deviation [d_ins]`` the largest
    ``|log(seed mean/theory)|`` of the train and test losses for ``t ≤ 1.5 t*_gen`` (claim 5's
    statistic) and ``delay_ratio [d_ins, runs]`` each run's ``Δt/Δt_theory``."""

    d_ins: list[int]
    loss_deviation: np.ndarray
    delay_ratio: np.ndarray

    @property
    def delay_ratio_se(self) -> np.ndarray:
        """Standard error of the seed mean of ``delay_ratio``, ``[d_ins]`` (0 for one seed)."""
        runs = self.delay_ratio.shape[1]
        if runs > 1:
            return self.delay_ratio.std(1, ddof=1) / np.sqrt(runs)
        return np.zeros(len(self.d_ins))


@EXPERIMENTS.add(
    "finite size",
    sizes=lambda p: f"d_in {p.finite_d_ins}, {p.seeds} seeds, λ 0.9",
    **ONE_LAYER_COST,
)
def finite_size(p: Params, *, lam: float = 0.9) -> FiniteSize:
    """The finite-size panel: ``d_in`` of ``p.finite_d_ins`` at ``λ`` and the chapter's ε, one
    run per one-layer seed."""
    seeds, steps = one_layer_seeds(p), logged_steps()
    window = steps <= 1.5 * th.grokking_times(lam, p.eps, eta=p.eta)[1]
    theory = th.losses(steps, lam, eta=p.eta)
    delay_theory = float(th.grokking_delay(lam, p.eps, eta=p.eta, t_max=1e9))
    loss_deviation, delay_ratio = [], []
    for d in progress(p.finite_d_ins, desc="finite size"):
        problem = ts.teacher_student(d, round(d / lam), seeds, n_gen=p.n_gen)
        curve = le.trajectory(problem, steps, eta=p.eta, eps=p.eps)
        loss_deviation.append(
            max(
                np.abs(np.log(curve[f"{k}_loss"].mean(0) / theory[i]))[window].max()
                for i, k in enumerate(("train", "test"))
            )
        )
        t_tr, t_gen = le.grokking_steps(problem, eta=p.eta, eps=p.eps, t_max=1e9)
        delay_ratio.append((t_gen - t_tr) / delay_theory)
    return FiniteSize(list(p.finite_d_ins), np.array(loss_deviation), np.array(delay_ratio))
