"""Every chapter's dry-run plan builds at every preset, names each experiment once, and takes
its step counts from the preset (chapters 01 and 05 have tests of their own as well)."""

from __future__ import annotations

import importlib

import pytest

from grokutils.chapters.glass_relaxation import plan as glass_relaxation
from grokutils.chapters.guess_and_check import plan as guess_and_check
from grokutils.chapters.linear_grokking import plan as linear_grokking
from grokutils.chapters.thermal_landscape import plan as thermal_landscape
from grokutils.core import params

CHAPTERS = [
    "01_lazy_to_rich",
    "02_linear_grokking",
    "03_guess_and_check",
    "04_glass_relaxation",
    "05_ergodic_stability",
    "06_thermal_landscape",
]


@pytest.mark.parametrize("preset", params.PRESETS)
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_plan_builds_at_every_preset(chapter, preset):
    plan = importlib.import_module(f"grokutils.chapters.{chapter.split('_', 1)[1]}.plan")
    probes = plan.probes(params.load(chapter, preset))
    names = [probe.name for probe in probes]
    assert names and len(set(names)) == len(names)
    assert all(probe.sizes and probe.steps >= 1 for probe in probes)


def by_name(plan, chapter, preset="paper"):
    p = params.load(chapter, preset)
    return p, {probe.name: probe for probe in plan.probes(p)}


def test_guess_and_check_steps_follow_the_preset():
    p, probes = by_name(guess_and_check, "03_guess_and_check")
    assert probes["GD depth (Leaky ReLU)"].steps == p.gd_depth_steps_leaky
    assert probes["GD depth (linear, tanh)"].steps == p.gd_depth_steps
    assert probes["GD width"].steps == p.gd_width_steps
    assert probes["G&C depth sweep"].repeats == len(p.depths) * len(p.activations)
    assert not probes["G&C depth sweep"].scales


def test_glass_relaxation_steps_follow_the_preset():
    p, probes = by_name(glass_relaxation, "04_glass_relaxation")
    assert probes["AdamW grokking baseline"].steps == p.adamw_steps
    assert probes["WanD sweep"].repeats == len(p.wand_dts) * len(p.wand_kTs) * len(p.wand_frictions)
    assert probes["Ising validation (discrete WL, two schedules)"].steps == p.ising_steps


def test_linear_grokking_and_thermal_landscape_units():
    p, probes = by_name(linear_grokking, "02_linear_grokking")
    assert probes["Fig. 5 two-layer networks"].steps == linear_grokking.HORIZON_PARTS
    p, probes = by_name(thermal_landscape, "06_thermal_landscape")
    unit = thermal_landscape.LANGEVIN_UNIT
    assert probes["temperature sweep (Adam, then Langevin)"].steps * unit == p.n_steps
    assert probes["exponential-wall toy model"].steps * thermal_landscape.TOY_UNIT == p.toy_steps
