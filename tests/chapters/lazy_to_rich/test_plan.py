"""The dry-run plan of chapter lazy_to_rich: every experiment named, steps from the preset."""

from __future__ import annotations

import grokutils.core.params as params
from grokutils.chapters.lazy_to_rich import plan

EXPERIMENTS = [
    "recursion check (GD on W and recursion)",
    "Fig. 1 headline",
    "Fig. 1 linearised + kernel level",
    "Figs. 4, 10 width 2 (GD on W)",
    "Fig. 3a α sweep",
    "Fig. 3b ε sweep",
    "Fig. 3e phase diagram",
    "Fig. 7 σ sweep",
    "Fig. 7 α = σ⁻²",
    "Fig. 9 P sweep",
    "Fig. 9 P sweep, ε = 0.5 (authors' settings)",
    "Fig. 2 modular addition",
    "Fig. 5 eigenvector labels (GD on W)",
]


def _quick():
    return params.load("01_lazy_to_rich", "quick")


def test_every_experiment_in_notebook_order():
    assert [probe.name for probe in plan.probes(_quick())] == EXPERIMENTS


def test_steps_and_repeats_follow_the_preset():
    p = _quick()
    by_name = {probe.name: probe for probe in plan.probes(p)}
    expected = [
        plan.RECURSION_CHECK_STEPS,
        p.steps,
        p.steps,
        p.n2_steps,
        p.sweep_steps,
        p.sweep_steps,
        p.phase_steps,
        p.sweep_steps,
        p.sweep_steps,
        p.p_steps,
        p.p_paper_steps,
        p.mod_steps,
        p.eig_steps,
    ]
    assert [by_name[name].steps for name in EXPERIMENTS] == expected
    assert all(probe.repeats == 1 and probe.workers == 1 for probe in by_name.values())


def test_every_preset_builds_a_plan():
    for preset in ("quick", "book", "paper"):
        assert len(plan.probes(params.load("01_lazy_to_rich", preset))) == len(EXPERIMENTS)


def test_cheapest_probe_runs_one_step():
    by_name = {probe.name: probe for probe in plan.probes(_quick())}
    by_name["Figs. 4, 10 width 2 (GD on W)"].run(1)
