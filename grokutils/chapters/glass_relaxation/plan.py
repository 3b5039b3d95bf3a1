"""The experiments of chapter 04 (glass relaxation) as the dry run times them
(see :mod:`grokutils.core.dry_run`), in notebook order: the Ising and harmonic validations of
the Wang-Landau samplers, the AdamW grokking baseline, the fixed-norm control, the 1-D WLMD
equilibrium run, the 2-D band maps and the WanD sweep. ``run(k)`` makes the notebook's call
with the preset's sizes and ``k`` steps (Wang-Landau sweeps, MD steps or optimiser steps).
The sweeps (band maps, WanD) probe one point, ``repeats`` = their points, on the preset's
backend. The measures, fits and figures are left out (under a second).
"""

from __future__ import annotations

from grokutils.chapters.glass_relaxation import experiments as gx
from grokutils.core import sweep
from grokutils.core.dry_run import Probe, sweep_workers
from grokutils.core.params import Params
from grokutils.methods.modular_data import TASKS

ADAMW_RECORD_EVERY = 20  # the notebook's record interval of the AdamW baseline


def _point(fn, point: dict, steps_key: str):
    def run(k: int):
        return fn(**{**point, steps_key: k})

    return run


def probes(p: Params) -> list[Probe]:
    seeds = gx.Seeds.of(p)
    maps = gx.band_map_points(p.map_steps, p.map_band, p.map_walkers, p=p.p, seed=seeds.band_maps)
    grid = sweep.grid(dt=p.wand_dts, kT=p.wand_kTs, friction=p.wand_frictions)
    wand = gx.wand_points(grid, n_seeds=p.wand_seeds, n_steps=p.wand_steps, p=p.p, seed=seeds.wand)
    return [
        Probe(
            "Ising validation (discrete WL, two schedules)",
            f"4×4 Ising, {p.ising_replicas} replicas",
            p.ising_steps,
            lambda k: gx.ising_validation(p.ising_replicas, k, seed=seeds.ising),
            few=500,
        ),
        Probe(
            "harmonic validation (WLMD)",
            f"{p.harmonic_groups} groups × 16 walkers, 8 dimensions",
            p.harmonic_steps,
            lambda k: gx.harmonic_validation(p.harmonic_groups, k, seed=seeds.harmonic),
            few=20,
        ),
        Probe(
            "AdamW grokking baseline",
            f"p={p.p}, {len(TASKS)} tasks × {len(p.lrs)} lr × {p.adamw_seeds} seeds "
            f"(+ {p.control_seeds} control seeds)",
            p.adamw_steps,
            lambda k: gx.grokking_baseline(
                TASKS,
                p.lrs,
                p.adamw_seeds,
                k,
                p=p.p,
                control_seeds=p.control_seeds,
                record_every=ADAMW_RECORD_EVERY,
                seed=seeds.adamw,
            ),
            few=2 * ADAMW_RECORD_EVERY,
        ),
        Probe(
            "fixed-norm control",
            f"p={p.p}, widths {p.norm_widths} × {p.norm_seeds} seeds, radius {p.norm_radius}",
            p.norm_steps,
            lambda k: gx.fixed_norm_widths(
                p.norm_widths, p.norm_radius, p.norm_seeds, k, p=p.p, seed=seeds.fixed_norm
            ),
            few=50,
        ),
        Probe(
            "1-D equilibrium curve (WLMD)",
            f"p={p.p}, 2 × {p.wl1d_walkers} walkers",
            p.wl1d_steps,
            lambda k: gx.equilibrium_run(
                p.p, p.wl1d_walkers, k, p.wl1d_F, p.wl1d_t_rise, seeds.equilibrium
            ),
            few=20,
        ),
        Probe(
            "2-D band maps (WLMD)",
            f"p={p.p}, {p.map_walkers} walkers, band {p.map_band}",
            p.map_steps,
            _point(gx.band_map, maps[-1], "n_steps"),
            repeats=len(maps),
            workers=min(sweep_workers(p), len(maps)),
            few=20,
        ),
        Probe(
            "WanD sweep",
            f"p={p.p}, {p.wand_seeds} seeds per point, {len(wand)} (Δt, kT, γ) points",
            p.wand_steps,
            _point(gx.wand_point, wand[-1], "n_steps"),
            repeats=len(wand),
            workers=min(sweep_workers(p), len(wand)),
            few=20,
        ),
    ]
