"""The experiments of chapter guess_and_check as the dry run times them (see
:mod:`grokutils.core.dry_run`).

Every experiment of the chapter is a :func:`grokutils.core.sweep.run` over sweep points of
:mod:`.experiments`; each probe runs ONE point of the most expensive
kind (through ``sweep.run`` on the chapter's backend, ``cache=False``) and ``repeats`` is the
number of points of that kind, so the projection is an upper bound where the points differ.

What a "step" is:

* **G&C width sweep** (:func:`gc.width_point`): the ``rbis_inner`` feature draws of
  Rao-Blackwellised IS. ``run(k)`` scales the point's other Monte-Carlo budgets with it (subset
  simulation's particles, naive rejection's draws and the ESS threshold that decides whether
  subset simulation runs, each × ``k / rbis_inner``), so ``k = rbis_inner`` is the chapter's
  point. Two kinds: the narrowest width (naive rejection runs there) and the widest (upper
  bound for every other width).
* **Agreement check** (:func:`gc.depth_point` with naive rejection), two probes: its subset
  simulation, one full point timed once (``scales=False``, as in the depth sweep), and its
  naive rejection (``NaiveRejection`` on the point's prior), whose step is one draw. Timing
  the two together with the draws as steps would bury the draws' cost (microseconds each) in
  the noise of subset simulation's tens of seconds. Deepest depth (upper bound).
* **G&C depth sweep and the d → ∞ limit** (:func:`gc.depth_point`): one
  full point, timed once (``scales=False``): subset simulation has no step count to cut (its
  levels depend on ε), and with a few hundred particles it can lose every particle below a
  level (ties after resampling), so it runs with the preset's own particles. Deepest depth
  (upper bound).
* **GD** (:func:`gc.gd_point`): GD steps, widest / deepest network of the grid (upper bound);
  the depth sweep has two kinds, linear and tanh (``gd_depth_steps``) and Leaky ReLU
  (``gd_depth_steps_leaky``).

The closed-form chance level (``task.prior_chance_linear``) and the tables and figures are
trivially cheap and left out.
"""

from __future__ import annotations

import math

import grokutils.chapters.guess_and_check.experiments as gc
from grokutils.chapters.guess_and_check.sampler import NaiveRejection
from grokutils.chapters.guess_and_check.task import make_task
from grokutils.core import sweep
from grokutils.core.dry_run import Probe, sweep_workers
from grokutils.core.params import Params
from grokutils.core.seeding import stream_seed

MIN_PARTICLES = 100
"""Particles of subset simulation in a width probe's scaled-down runs, at least."""


def _one(p: Params, fn, point: dict, desc: str):
    return sweep.run(fn, [point], cache=False, desc=f"dry run: {desc}", **sweep.where(p))


def _scaled(value: float, k: int, full: int) -> int:
    return max(1, math.ceil(value * k / full))


def _width_run(p: Params, point: dict):
    full = p.rbis_inner

    def run(k: int):
        pt = dict(
            point,
            n_inner=k,
            n_particles=max(_scaled(p.ss_particles, k, full), MIN_PARTICLES),
            naive_draws=_scaled(point["naive_draws"], k, full) if point["naive_draws"] else 0,
            ess_min=p.ess_min * k / full,
        )
        return _one(p, gc.width_point, pt, "G&C width")

    return run


def _depth_run(p: Params, point: dict, desc: str):
    def run(k: int):  # the full point: k is the preset's particle count (scales=False)
        return _one(p, gc.depth_point, point, desc)

    return run


def _naive_run(point: dict):
    """``run(k)``: naive rejection at the check point with ``k`` draws (as in gc.depth_point)."""

    def run(k: int):
        task = make_task(point["seeds"])
        prior = gc.depth_prior(point["activation"], point["depth"], point["width"], task.shape)
        naive = NaiveRejection(prior, task, n_draws=k, seed=stream_seed(point["sampler_seed"], 1))
        return naive.condition(point["eps"])

    return run


def _gd_run(p: Params, point: dict):
    def run(k: int):
        return _one(p, gc.gd_point, dict(point, steps=k), "GD")

    return run


def _slowest(points: list[dict], key: str) -> dict:
    """The point with the largest ``key`` (the last such in grid order)."""
    return max(reversed(points), key=lambda pt: pt[key])


def probes(p: Params) -> list[Probe]:
    seeds = gc.data_seeds(p)
    w = sweep_workers(p)
    out = []

    width = gc.width_points(p, seeds)
    narrow = [pt for pt in width if pt["width"] == p.widths[0]]
    wide = [pt for pt in width if pt["width"] != p.widths[0]]
    few_inner = max(100, p.rbis_inner // 4)  # fewer draws would switch to SS too early
    out.append(
        Probe(
            name="G&C width sweep, narrowest width (+ naive check)",
            sizes=(
                f"k={p.widths[0]}, {p.n_seeds} data sets, RB-IS {p.rbis_inner} × "
                f"{p.rbis_points}, SS {p.ss_particles} × {p.ss_replicas}, naive "
                f"{p.naive_draws:.0e}; {len(narrow)} activations"
            ),
            steps=p.rbis_inner,
            run=_width_run(p, narrow[-1]),
            repeats=len(narrow),
            workers=w,
            few=few_inner,
        )
    )
    if wide:
        top = _slowest(wide, "width")
        out.append(
            Probe(
                name="G&C width sweep, other widths (at the widest)",
                sizes=(
                    f"k={top['width']} (upper bound for {sorted({pt['width'] for pt in wide})}), "
                    f"{p.n_seeds} data sets, RB-IS {p.rbis_inner} × {p.rbis_points}"
                ),
                steps=p.rbis_inner,
                run=_width_run(p, top),
                repeats=len(wide),
                workers=w,
                few=few_inner,
            )
        )

    check = gc.check_points(p, seeds)
    deep_check = _slowest(check, "depth")
    sizes = (
        f"linear, d={deep_check['depth']} (of {p.check_depths}), ε {p.check_eps}, "
        f"{p.n_seeds_depth} data sets"
    )
    out += [
        Probe(
            name="naive vs SS (depth agreement check): subset simulation",
            sizes=f"{sizes}, SS {p.ss_particles} × {deep_check['replicas']}",
            steps=p.ss_particles,
            run=_depth_run(p, dict(deep_check, naive_draws=0), "naive vs SS: SS"),
            repeats=len(check),
            workers=w,
            scales=False,
        ),
        Probe(
            name="naive vs SS (depth agreement check): naive rejection",
            sizes=f"{sizes}, naive {p.naive_draws:.0e} draws",
            steps=deep_check["naive_draws"],
            run=_naive_run(deep_check),
            repeats=len(check),
            workers=w,
            few=max(1000, deep_check["naive_draws"] // 100),
        ),
    ]

    gd_width = gc.gd_width_points(p, seeds)
    widest = _slowest(gd_width, "width")
    out.append(
        Probe(
            name="GD width",
            sizes=(
                f"depth 2, width {widest['width']} (upper bound for {p.gd_widths}), "
                f"{p.n_seeds} data sets × {len(p.activations)} activations"
            ),
            steps=p.gd_width_steps,
            run=_gd_run(p, widest),
            repeats=len(gd_width),
            workers=w,
            few=max(100, p.gd_width_steps // 50),
        )
    )

    depth = gc.depth_points(p, seeds)
    deepest = _slowest(depth, "depth")
    out.append(
        Probe(
            name="G&C depth sweep",
            sizes=(
                f"width {p.depth_width}, d={deepest['depth']} (upper bound for {p.depths}), "
                f"ε {p.eps_depth}, {p.n_seeds_depth} data sets, SS {p.ss_particles} × "
                f"{p.ss_replicas}; {len(p.activations)} activations"
            ),
            steps=p.ss_particles,
            run=_depth_run(p, deepest, "G&C depth"),
            repeats=len(depth),
            workers=w,
            scales=False,
        )
    )
    out.append(
        Probe(
            name="depth → ∞",
            sizes=f"linear limit u vᵀ/‖u vᵀ‖, {p.n_seeds_depth} data sets, SS {p.ss_particles}",
            steps=p.ss_particles,
            run=_depth_run(p, gc.limit_point(p, seeds), "depth → ∞"),
            repeats=1,
            workers=w,
            scales=False,
        )
    )

    gd_depth = gc.gd_depth_points(p, seeds)
    for label, kind in (
        ("linear, tanh", [pt for pt in gd_depth if pt["activation"] != "leaky_relu"]),
        ("Leaky ReLU", [pt for pt in gd_depth if pt["activation"] == "leaky_relu"]),
    ):
        if not kind:
            continue
        top = _slowest(kind, "depth")
        out.append(
            Probe(
                name=f"GD depth ({label})",
                sizes=(
                    f"width {p.depth_width}, d={top['depth']} (upper bound for {p.gd_depths}), "
                    f"{p.n_seeds_depth} data sets"
                ),
                steps=top["steps"],
                run=_gd_run(p, top),
                repeats=len(kind),
                workers=w,
                few=max(100, top["steps"] // 50),
            )
        )
    return out
