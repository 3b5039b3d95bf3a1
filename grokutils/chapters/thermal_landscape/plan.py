"""The experiments of chapter 06 (thermal landscape) as the dry run times them
(see :mod:`grokutils.core.dry_run`), in notebook order.

The network runs (:func:`.thermal_langevin.thermal_run`: Adam to the low-loss
region, then Langevin) go through ``sweep.run`` as in the chapter; a probe's step is
:data:`LANGEVIN_UNIT` Langevin steps (``thermal_run`` needs a multiple of 20 and keeps at most
one snapshot per 20 steps), and the Adam phase is the fixed overhead. The toy model's step is
:data:`TOY_UNIT` Langevin steps (its averages need at least 10). Not projected: the curvature
cell (batched Lanczos at every end point, the dense Hessian spectrum at θ0, inertia counts),
which has no step count to cut and took about a minute at the paper preset on a 2-core CPU,
and the measures and figures (under a second).
"""

from __future__ import annotations

import dataclasses

from grokutils.chapters.thermal_landscape import experiments as ex
from grokutils.chapters.thermal_landscape.thermal_langevin import thermal_run
from grokutils.core import sweep
from grokutils.core.dry_run import Probe
from grokutils.core.params import Params

LANGEVIN_UNIT = 40
TOY_UNIT = 10
SNAPSHOTS = 100  # thermal_run's default, kept when the run is long enough


def _langevin(p: Params, points: list[dict]):
    def run(k: int):
        n_steps = LANGEVIN_UNIT * k
        snapshots = min(SNAPSHOTS, n_steps // 20)
        at_k = [dict(pt, n_steps=n_steps, n_snapshots=snapshots) for pt in points]
        return sweep.run(thermal_run, at_k, **sweep.where(p), cache=False, desc="dry")

    return run


def probes(p: Params) -> list[Probe]:
    main = dict(ex.protocol(p), n_points=p.n_points, width=p.width, temperatures=p.temperatures)
    todo, sweeps = ex.size_and_width_points(p)
    replicas = f"{len(p.data_seeds)} data sets × {p.n_noise} noise seeds"
    return [
        Probe(
            "temperature sweep (Adam, then Langevin)",
            f"N={p.n_points}, d={p.dim}, width {p.width}, {len(p.temperatures)} T × {replicas}",
            p.n_steps // LANGEVIN_UNIT,
            _langevin(p, [main]),
            few=5,
        ),
        Probe(
            "D vs N and width",
            f"sizes {p.sizes} at width {p.width}; widths {todo} at N={p.sweep_points}; "
            f"T={p.sweep_temperature}, {replicas}",
            p.n_steps // LANGEVIN_UNIT,
            _langevin(p, sweeps),
            few=5,
        ),
        Probe(
            "exponential-wall toy model",
            f"n={p.toy_coords}, α={p.toy_alpha}, {len(p.temperatures)} T × {p.toy_noise} chains",
            p.toy_steps // TOY_UNIT,
            lambda k: ex.toy_sweep(
                dataclasses.replace(p, values={**p.values, "toy_steps": TOY_UNIT * k})
            ),
            few=5,
        ),
    ]
