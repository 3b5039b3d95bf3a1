"""The experiments of chapter 02 (linear grokking) as the dry run times them
(see :mod:`grokutils.core.dry_run`), in notebook order.

The one-layer curves are exact GD in the data's eigenbasis, evaluated at the 120 logged steps
of :func:`.experiments.logged_steps`; their cost is the
eigendecompositions and the grokking-time searches (at the paper's d_in up to 4000: minutes),
not the logged steps, so each one-layer experiment is timed once in full (``scales=False``).
That makes this chapter's dry run long (minutes at the paper preset). The λ sweep and the
weight decay (which reuses its λ = 0.9 problems) are one probe. The two-layer runs (Fig. 5 and
the gain probe) are GD for ``horizon`` times the theory's grokking time: a probe's step is one
hundredth of the horizon, and ``run(k)`` trains for ``k / 100`` of it; the gain probe includes
its Fig. 5 runs (an upper bound).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from grokutils.chapters.linear_grokking import experiments as ex
from grokutils.core.dry_run import Probe
from grokutils.core.params import Params

HORIZON_PARTS = 100
"""A two-layer probe's steps: hundredths of the preset's horizon."""


def _at_horizon(p: Params, k: int) -> Params:
    return dataclasses.replace(p, values={**p.values, "horizon": p.horizon * k / HORIZON_PARTS})


def probes(p: Params) -> list[Probe]:
    units = ex.seeds_of(p)
    seeds, two = np.array(units["one_layer"]), np.array(units["two_layer"])
    logged = ex.logged_steps()
    one_layer = f"d_in={p.d_in}, {p.seeds} seeds, N_gen={p.n_gen}"
    lambdas = f"{len(p.lambdas)} λ, Δt at {len(p.delay_lambdas)} λ × {len(p.delay_eps)} ε"
    widths = f"d_in={p.two_layer_d_in}, d_h={p.hidden_widths}, {p.two_layer_seeds} seeds"
    return [
        Probe(
            "machinery checks (eq. 9, eigenbasis vs SGD, eq. 21)",
            "closed forms and 500 SGD steps",
            1,
            lambda k: ex.machinery(seeds, eta=p.eta),
            scales=False,
        ),
        Probe(
            "Figs. 1, 3 λ sweep and weight decay",
            f"{one_layer}, {lambdas}; γ {p.gammas}",
            1,
            lambda k: ex.weight_decay(p, ex.lambda_sweep(p, seeds, logged), seeds),
            scales=False,
        ),
        Probe(
            "Fig. 2 output dimension",
            f"{one_layer}, d_out {p.d_outs}",
            1,
            lambda k: ex.output_dimension(p, seeds, logged),
            scales=False,
        ),
        Probe(
            "Fig. 4 phase diagrams",
            f"{p.phase_points}² grid points per plane (closed form)",
            1,
            lambda k: ex.phase_diagrams(p.phase_points, eps=p.eps, eta=p.eta),
            scales=False,
        ),
        Probe(
            "Fig. 6 initial scale",
            f"{one_layer}, scales {p.init_scales}",
            1,
            lambda k: ex.init_scale(p, seeds),
            scales=False,
        ),
        Probe(
            "Fig. 7 label noise",
            one_layer,
            1,
            lambda k: ex.label_noise(p, seeds, logged),
            scales=False,
        ),
        Probe(
            "Fig. 5 two-layer networks",
            f"{widths}, linear and tanh, {p.horizon} × t*_gen (steps: 1/100 of it)",
            HORIZON_PARTS,
            lambda k: ex.two_layer(_at_horizon(p, k), two),
            few=2,
        ),
        Probe(
            "gain probe (with Fig. 5's runs)",
            f"{widths}, gains {p.gains}, 1.5 × {p.horizon} × t*_gen",
            HORIZON_PARTS,
            lambda k: ex.gain_probe(_at_horizon(p, k), ex.two_layer(_at_horizon(p, k), two), two),
            few=2,
        ),
        Probe(
            "finite size",
            f"d_in {p.finite_d_ins}, {p.seeds} seeds, λ 0.9",
            1,
            lambda k: ex.finite_size(p, seeds, logged),
            scales=False,
        ),
    ]
