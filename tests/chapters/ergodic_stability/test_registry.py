"""Chapter 05's experiments, declared once: the notebook and the dry run call the same objects,
whose sizes and step counts follow the preset."""

from __future__ import annotations

import pytest

from grokutils.chapters.ergodic_stability import experiments as ex
from grokutils.core import dry_run, params
from grokutils.core.seeding import seed_everything

CHAPTER = "05_ergodic_stability"


@pytest.fixture(scope="module")
def quick():
    seed_everything(0, device="cpu")
    return params.load(CHAPTER, "quick")


def test_the_registry_declares_both_experiments_in_notebook_order():
    assert [e.key for e in ex.EXPERIMENTS] == ["nonconvergence_ensemble", "sas_grid"]
    assert [e.name for e in ex.EXPERIMENTS] == ["non-convergence ensemble", "SAS grid"]
    assert ex.EXPERIMENTS["sas_grid"] is ex.sas_grid


def test_the_ensembles_steps_follow_the_parameters(quick):
    z = ex.EXPERIMENTS["nonconvergence_ensemble"]
    assert z.full_steps(quick.with_values(z_steps=2400)) == 2400
    cut = z.at_steps(quick, 30)  # a dry-run cut: burn-in never past the end
    assert (cut.z_steps, cut.z_burn_in) == (30, 30)
    assert z.few_steps(quick) == quick.z_eval_every
    n_runs = quick.z_runs + quick.z_twins + 4 * quick.z_small
    assert z.sizes(quick).startswith(f"{n_runs} runs")


def test_the_sas_grid_has_one_point_per_batch_size_and_times_the_largest(quick):
    p = quick.with_values(batch_sizes=[8, 64, 16], steps=3000)
    points = ex.sas_grid.points(p)
    assert [pt["batch_size"] for pt in points] == [8, 64, 16]
    assert all(pt["steps"] == 3000 and pt["seed"] == p.seed for pt in points)
    [(_, largest, repeats)] = ex.sas_grid.representatives(p)
    assert (largest["batch_size"], repeats) == (64, 3)
    assert ex.sas_grid.point_steps(largest) == 3000
    cut = ex.sas_grid.cut(largest, 40, p)
    assert (cut["steps"], cut["burn_in"]) == (40, 40)
    assert "B=64 (largest of 3: upper bound)" in ex.sas_grid.sizes(p)


@pytest.mark.parametrize("preset", params.PRESETS)
def test_the_dry_run_probes_build_at_every_preset(preset):
    p = params.load(CHAPTER, preset)
    probes = dry_run.probes(p, ex.EXPERIMENTS)
    names = [probe.name for probe in probes]
    assert names == ["non-convergence ensemble", "SAS grid"]
    assert all(probe.sizes and probe.steps >= 1 and probe.scales for probe in probes)
    z, sas = probes
    assert (z.steps, z.few, z.repeats) == (p.z_steps, p.z_eval_every, 1)
    assert (sas.steps, sas.few, sas.repeats) == (p.steps, p.eval_every, len(p.batch_sizes))
    assert sas.workers == dry_run.sweep_workers(p)


def test_the_cheapest_probe_trains_every_group(quick):
    z, _ = dry_run.probes(quick, ex.EXPERIMENTS)
    data, traj = z.run(1)
    assert traj.train_loss.shape[0] == quick.z_runs + quick.z_twins + 4 * quick.z_small
    assert data.members.shape[0] == 1
