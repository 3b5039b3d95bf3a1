"""A miniature of chapter 06 for the tests of its checks and figures: every measurement the
notebook makes, on a 6-12-12-1 net, 3 data sets and 2000 Langevin steps (run once per test
session)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache

from grokutils.chapters.thermal_landscape import experiments as ex
from grokutils.core.params import Params
from grokutils.core.trajectory import Trajectory

VALUES = dict(
    n_points=8, dim=6, width=12, data_seeds=[0, 1, 2], temperatures=[1e-5, 1e-4, 3e-4],
    t_exponential=3e-4, n_noise=1, eta_t=5e-6, eta_max=0.5, n_steps=2000, sizes=[4, 6, 8],
    widths=[8, 12], sweep_points=8, sweep_temperature=1e-4, toy_coords=6, toy_alpha=0.5,
    toy_steps=400, toy_eta_t=0.01, toy_noise=2, backend="serial", scheduler=None, device="cpu",
)  # fmt: skip


@dataclass(frozen=True)
class MiniChapter:
    p: Params
    traj: Trajectory
    run: ex.ThermalGrid
    sizes: ex.SizeAndWidth
    curvature: ex.Curvature
    toy: Trajectory


@lru_cache(maxsize=1)
def mini_chapter() -> MiniChapter:
    """The chapter's pipeline at the miniature parameters (sweep results cached in a temporary
    folder, removed afterwards: never in the user's cache)."""
    p = Params("06_thermal_landscape", "quick", 0, values=VALUES)
    old = os.environ.get("GROKBOOK_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="grokbook-06-") as cache:
        os.environ["GROKBOOK_CACHE_DIR"] = cache
        try:
            (traj,) = ex.temperature_runs(p)
            run = ex.ThermalGrid.of(traj)
            sizes = ex.size_and_width_sweeps(p, run, ex.size_and_width_runs(p))
        finally:
            if old is None:
                del os.environ["GROKBOOK_CACHE_DIR"]
            else:
                os.environ["GROKBOOK_CACHE_DIR"] = old
    return MiniChapter(p, traj, run, sizes, ex.curvature(p, run), ex.toy_sweep(p))
