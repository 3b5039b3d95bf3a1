"""The dry-run plan of chapter 05: every experiment named, its steps and repeats the preset's."""

from __future__ import annotations

import pytest

from grokutils.chapters.ergodic_stability import plan
from grokutils.core.params import load
from grokutils.core.seeding import seed_everything

EXPERIMENTS = ["non-convergence ensemble", "SAS grid"]


@pytest.fixture(scope="module")
def quick():
    seed_everything(0, device="cpu")
    p = load("05_ergodic_stability", "quick")
    return p, {probe.name: probe for probe in plan.probes(p)}


def test_names_every_experiment(quick):
    _, probes = quick
    assert list(probes) == EXPERIMENTS


def test_steps_and_repeats_follow_the_preset(quick):
    p, probes = quick
    z, sas = probes["non-convergence ensemble"], probes["SAS grid"]
    assert (z.steps, z.repeats, z.workers, z.few) == (p.z_steps, 1, 1, p.z_eval_every)
    assert (sas.steps, sas.repeats, sas.few) == (p.steps, len(p.batch_sizes), p.eval_every)
    assert sas.workers == (2 if p.backend == "processes" else 1)
    assert f"B={max(p.batch_sizes)}" in sas.sizes


def test_paper_probes_use_the_paper_sizes():
    p = load("05_ergodic_stability", "paper")
    z, sas = plan.probes(p)
    n_z = p.z_runs + p.z_twins + 4 * p.z_small
    assert z.sizes.startswith(f"{n_z} runs") and z.steps == p.z_steps
    assert sas.repeats == len(p.batch_sizes) and sas.workers == 2
    assert sas.sizes.startswith(f"{3 * 4 * p.n_datasets * p.n_seeds} runs per point")


def test_cheapest_probe_runs(quick):
    p, probes = quick
    z_runs = p.z_runs + p.z_twins + 4 * p.z_small
    traj = probes["non-convergence ensemble"].run(1)
    assert traj.train_loss.shape[0] == z_runs
