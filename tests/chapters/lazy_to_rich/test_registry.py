"""Chapter 01's experiments, each declared once: every training call of the notebook, in its
order, with its step count from the preset, and the dry run's probes built from them."""

from __future__ import annotations

import pytest

from grokutils.chapters.lazy_to_rich import experiments as ex
from grokutils.core import dry_run, params

EXPERIMENTS = {
    "recursion_check": "recursion check (GD on W and recursion)",
    "headline_runs": "Fig. 1 headline",
    "linearised_runs": "Fig. 1 linearised + kernel level",
    "width_two_runs": "Figs. 4, 10 width 2 (GD on W)",
    "alpha_sweep": "Fig. 3a α sweep",
    "eps_sweep": "Fig. 3b ε sweep",
    "phase_sweep": "Fig. 3e phase diagram",
    "sigma_sweep": "Fig. 7 σ sweep",
    "joint_sweep": "Fig. 7 α = σ⁻²",
    "sample_size_sweep": "Fig. 9 P sweep",
    "sample_size_paper_sweep": "Fig. 9 P sweep, ε = 0.5 (authors' settings)",
    "modular_addition_runs": "Fig. 2 modular addition",
    "eigenvector_runs": "Fig. 5 eigenvector labels (GD on W)",
}
STEPS = {
    "headline_runs": "steps",
    "linearised_runs": "steps",
    "width_two_runs": "n2_steps",
    "alpha_sweep": "sweep_steps",
    "eps_sweep": "sweep_steps",
    "phase_sweep": "phase_steps",
    "sigma_sweep": "sweep_steps",
    "joint_sweep": "sweep_steps",
    "sample_size_sweep": "p_steps",
    "sample_size_paper_sweep": "p_paper_steps",
    "modular_addition_runs": "mod_steps",
    "eigenvector_runs": "eig_steps",
}


def _quick():
    return params.load("01_lazy_to_rich", "quick")


def test_every_experiment_is_declared_once_in_notebook_order():
    assert {e.key: e.name for e in ex.EXPERIMENTS} == EXPERIMENTS
    assert list(EXPERIMENTS) == [e.key for e in ex.EXPERIMENTS]


@pytest.mark.parametrize("preset", params.PRESETS)
def test_the_dry_run_probes_every_experiment_at_every_preset(preset):
    probes = dry_run.probes(params.load("01_lazy_to_rich", preset), ex.EXPERIMENTS)
    assert [probe.name for probe in probes] == list(EXPERIMENTS.values())
    assert all(probe.sizes and probe.steps >= 1 for probe in probes)
    assert all(probe.repeats == 1 and probe.workers == 1 for probe in probes)


def test_step_counts_follow_the_parameters():
    p = _quick()
    for key, name in STEPS.items():
        experiment = ex.EXPERIMENTS[key]
        assert experiment.full_steps(p) == getattr(p, name), key
        assert experiment.full_steps(p.with_values(**{name: 1234})) == 1234, key
    check = ex.EXPERIMENTS["recursion_check"]
    assert not check.scales and str(ex.RECURSION_CHECK_STEPS) in check.sizes(p)
    assert "10 seeds" in ex.EXPERIMENTS["headline_runs"].sizes(p)
    assert "3 seeds" in ex.EXPERIMENTS["headline_runs"].sizes(p.with_values(seeds=[0, 1, 2]))


def test_a_dry_run_step_records_only_the_first_and_last_step():
    p = _quick()
    cut = ex.EXPERIMENTS["eps_sweep"].at_steps(p, 7)
    assert cut.sweep_steps == 7 and cut.n_records == ex.PROBE_RECORDS
    assert cut.steps == p.steps and cut.eig_steps == p.eig_steps


def test_the_cheapest_experiment_runs_a_few_steps():
    p = _quick()
    w2 = ex.EXPERIMENTS["width_two_runs"]
    runs = w2(w2.at_steps(p, 3))
    assert runs.trajectory.test_loss.shape[0] == len(p.mix_values) * len(p.n2_seeds)
