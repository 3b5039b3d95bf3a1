"""The claim measurements of chapter 04 (grokutils.chapters.glass_relaxation.experiments)."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from grokutils.chapters.glass_relaxation import experiments as gx
from grokutils.chapters.glass_relaxation.embed_mlp import EmbedMLP
from grokutils.core import dry_run, params
from grokutils.core.seeding import seed_everything
from grokutils.core.trajectory import Trajectory
from grokutils.methods.exact_dos import IsingMoves, harmonic_exact_entropy, ising_exact_dos
from grokutils.methods.modular_data import TASKS
from grokutils.methods.wang_landau import Axis, wang_landau_discrete


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    seed_everything(0)


# ------------------------------------------------------------------------------- Ising (V1, V2)


def test_exact_ising_dos_has_no_error_and_a_shifted_one_has_none_either():
    _, g = ising_exact_dos(4)
    ln_g = np.tile(np.log(g), (32, 1)) + np.arange(32)[:, None]  # any constant per replica
    errors = gx.ising_errors(ln_g, g, 16)
    assert np.allclose(errors, 0.0)
    bias = gx.ising_bias(errors)
    assert bias.value == pytest.approx(0.0) and bias.high == pytest.approx(0.0, abs=1e-12)


def test_ising_bias_sees_a_systematic_error_but_averages_noise_out():
    _, g = ising_exact_dos(4)
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.2, (64, len(g)))
    noise -= noise.mean(0)  # replica noise with zero mean at every level
    assert gx.ising_bias(gx.ising_errors(np.log(g) + noise, g, 16)).value < 0.05
    biased = np.log(g) + noise
    biased[:, 3] += 0.5  # one level systematically 0.5 nats too high
    bias = gx.ising_bias(gx.ising_errors(biased, g, 16))
    assert bias.low > 0.3 and bias.unit == "replicas"


def test_one_over_t_beats_halving_wang_landau_at_the_same_budget():
    """V2 on a small run: 1/t's error is smaller, and the ratio's interval lies above 1."""
    energies, g = ising_exact_dos(4)
    err = {}
    for schedule in ("halving", "1/t"):
        moves = IsingMoves(4)
        state, idx = moves.initial(32, seed=1)  # the bootstrap covers from 32 replicas
        run = wang_landau_discrete(
            moves, state, idx, len(energies), 30_000, schedule=schedule, record_every=30_000
        )
        err[schedule] = gx.max_abs_error(gx.ising_errors(run.final["ln_g"], g, 16))
    ratio = gx.error_ratio(err["halving"], err["1/t"])
    assert ratio.low > 1.0 and ratio.n == 32


# --------------------------------------------------------------------------- harmonic (V3, V4)


def test_harmonic_fit_of_the_exact_entropy_is_exact():
    x, y = np.linspace(-1, 1, 12), np.linspace(-0.9, 0.9, 19)
    exact = harmonic_exact_entropy(x[:, None], y[None, :], 8)
    groups = np.stack([exact + c for c in (0.0, 3.0, -1.0)])  # a constant per group
    fit = gx.harmonic_fit(groups, np.ones_like(groups), x, y, 8)
    assert fit["slope a"].value == pytest.approx(4.0)
    assert fit["slope a"].high - fit["slope a"].low == pytest.approx(0.0, abs=1e-9)
    assert fit["y-profile rms (nats)"].value == pytest.approx(0.0, abs=1e-9)


def test_a_wrong_y_profile_shows_in_its_rms_and_an_unvisited_bin_leaves_a_group_undecided():
    x, y = np.linspace(-1, 1, 12), np.linspace(-0.9, 0.9, 19)
    flat_in_y = np.broadcast_to(4.0 * x[:, None], (2, 12, 19)).copy()  # no y dependence
    rms = gx.y_profile_rms(flat_in_y, np.ones_like(flat_in_y, bool), y, 8)
    inner = y[2:-2]
    exact = 2.5 * np.log1p(-(inner**2))
    assert np.allclose(rms, np.std(exact))
    visited = np.ones_like(flat_in_y, bool)
    visited[1, 5, 5] = False
    rms = gx.y_profile_rms(flat_in_y, visited, y, 8)
    assert np.isfinite(rms[0]) and np.isnan(rms[1])


def test_ising_validation_records_both_schedules_against_the_exact_dos():
    ising = gx.ising_validation(replicas=8, steps=3000, seed=0)
    assert set(ising.runs) == {"halving", "1/t"} and ising.n_levels == 15
    run = ising.runs["1/t"]
    assert run.n_runs == 8 and run.steps[-1] == 3000
    assert np.allclose(run.last("max_error"), gx.max_abs_error(ising.errors["1/t"]))
    assert ising.bias.unit == "replicas" and ising.ratio.n == 8


def test_kinetic_temperature_is_averaged_per_group_over_the_second_half():
    temperature = np.ones((4, 10))  # [walkers, T]
    temperature[:, :5] = 7.0  # the first half is left out
    temperature[2:, 5:] = 1.2  # group 1 runs hot
    est = gx.kinetic_temperature(temperature, groups=2)
    assert est.value == pytest.approx(1.1) and est.n == 2 and est.unit == "walker groups"


# ------------------------------------------------------------------------- AdamW (C1), C8


def _history(test_acc, train_acc, step_every=10, runs=None):
    """A trajectory from records written time-major (``[T, runs]``, one row per record)."""
    test_acc, train_acc = np.asarray(test_acc, float).T, np.asarray(train_acc, float).T
    steps = np.arange(test_acc.shape[1]) * step_every
    return Trajectory(steps, {"test_acc": test_acc, "train_acc": train_acc}, runs=runs)


def test_grokking_counts_a_delayed_x_plus_y_and_a_never_generalising_x2_as_later():
    k = 12
    test = np.zeros((k, 6))
    train = np.zeros((k, 6))
    train[1:] = 1.0  # every network fits at step 10
    test[6:, 0] = 1.0  # x+y seed 0: step 60 = 6 × 10 -> groks
    test[3:, 1] = 1.0  # x+y seed 1: step 30 < 5 × 10 -> no delay
    test[9:, 2] = 1.0  # x^2+y seed 0 later than x+y seed 0
    # x^2+y seed 1 and both cube seeds never generalise
    tasks = ["x+y", "x+y", "x^2+y", "x^2+y", "x^3+xy^2+y", "x^3+xy^2+y"]
    base = _history(test, train, runs=pd.DataFrame({"task": tasks, "weight_decay": 1.0}))
    runs = gx.grokking_runs(base, TASKS)
    assert runs["x^2+y"]["grok"].tolist() == [90.0, math.inf]
    holds = gx.grokking_holds(runs)
    assert holds["x+y groks"].tolist() == [True, False]
    assert holds["x²+y later"].tolist() == [True, True]
    assert runs["x^3+xy^2+y"]["best"].tolist() == [0.0, 0.0]


def test_fixed_norm_holds_needs_every_width_without_delay_and_close_together():
    fast = _history(
        [[0, 0, 0], [0, 0, 0], [1, 0, 1], [1, 1, 1]], [[0, 0, 0], [1, 1, 1], [1, 1, 1], [1, 1, 1]]
    )
    other = _history(
        [[0, 0, 0], [0, 0, 0], [1, 0, 0], [1, 0, 0]], [[0, 0, 0], [1, 1, 1], [1, 1, 1], [1, 1, 1]]
    )
    holds = gx.fixed_norm_holds({32: fast, 64: other}, min_steps=10.0)
    # seed 0: both widths at step 20 (≤ 2 × 10); seed 1: width 32 at 30 > 20, width 64 never;
    # seed 2: width 64 never
    assert holds.tolist() == [True, False, False]


def test_the_fixed_norm_is_where_the_baseline_generalises_or_its_last_norm():
    steps = np.array([0, 10, 20])
    runs = pd.DataFrame(
        {"task": ["x+y", "x+y", "x+y", "x^2+y"], "weight_decay": [1.0, 1.0, 0.0, 1.0]}
    )
    test = np.array([[0, 0.96, 1], [0, 0.5, 0.9], [0, 1, 1], [0, 1, 1]])
    norm = np.array([[5.0, 4.0, 3.0], [9.0, 8.0, 6.0], [50.0, 50, 50], [70.0, 70, 70]])
    base = Trajectory(steps, {"test_acc": test, "weight_norm": norm}, runs)
    # network 0 generalises at step 10 (norm 4), network 1 never (last norm 6); the wd-0 control
    # and the other task do not count
    rms = gx.generalising_rms(base, 31)
    assert rms == pytest.approx(5.0 / math.sqrt(EmbedMLP(31).n_params))


def test_a_seed_that_never_fits_is_told_apart_from_a_censored_one():
    fits = _history([[0, 0], [0, 0], [0, 0]], [[0, 0.2], [1, 0.3], [1, 0.4]])
    control = gx.FixedNormControl({32: fits}, rms=0.5, p=31)
    assert control.never_fit.tolist() == [False, True]
    assert control.best_train_acc == 1.0
    # seed 0 fits at step 10 but has not generalised by 20 < 2 × 100 (the minimum): censored
    assert control.censored(20).tolist() == [True, True]
    # past the tolerance seed 0 is decided; seed 1, never fitted, stays undecided at any budget
    assert control.censored(400).tolist() == [False, True]


# ----------------------------------------------------------------------------- C5, C6, WanD


def test_max_jump_skips_unpopulated_bins():
    curves = [np.array([0.1, np.nan, 0.2, 0.5, np.nan]), np.array([0.0, 0.05, np.nan, np.nan, 1.0])]
    jumps = gx.max_jump(curves)
    assert jumps.tolist() == pytest.approx([0.3, 0.95])
    assert np.isnan(gx.max_jump([np.array([0.1, np.nan, 0.2])])[0])  # two bins: no curve


def test_difference_of_means_is_welch_and_unbounded_with_one_unit():
    a, b = np.array([0.6, 0.7, 0.65, 0.62]), np.array([0.02, 0.05, 0.01])
    est = gx.difference_of_means(a, b, unit="groups + seeds")
    assert est.value == pytest.approx(a.mean() - b.mean())
    assert est.low > 0.5 and est.n == 7
    one = gx.difference_of_means(a, b[:1], unit="groups + seeds")
    assert math.isinf(one.low) and math.isinf(one.high)
    assert gx.difference_of_means(a, np.array([np.nan, 0.1]), unit="x").is_nan


def test_wand_runs_mark_never_generalising_networks_as_inf():
    run = Trajectory(
        np.array([0, 50, 100]),
        {
            "test_acc": np.array([[0.0, 0.5, 0.96], [0.0, 0.0, 0.1]]),
            "weight_norm": np.array([[10.0, 12.0, 30.0], [10.0, 11.0, 11.0]]),
            "thermal_norm": np.array([[10.0, 10.5, 11.0], [10.0, 10.5, 11.0]]),
        },
    )
    out = gx.wand_runs(run)
    assert out["grok"].tolist() == [100.0, math.inf]
    assert np.allclose(out["norm_ratio"], [30 / 11, 1.0])


def test_wand_sweep_picks_the_point_with_the_best_final_test_accuracy():
    def point(acc):
        series = {"test_acc": [[0.0, acc]], "weight_norm": [[1.0, 2.0]], "thermal_norm": [[1, 1]]}
        return Trajectory(np.array([0, 10]), series)

    sweep = gx.WandSweep([{"dt": 1.0}, {"dt": 2.0}], [point(0.2), point(0.9)])
    assert sweep.best == 1 and sweep.final_test.tolist() == [0.2, 0.9]
    assert sweep.largest_ratio == 2.0


def test_l_shape_runs_give_one_value_per_grokked_run():
    ln_loss = np.array([[0.0, -5.0, -5.5, -5.6], [0.0, -1.0, -2.0, -3.0]])  # [runs, T]
    acc_smooth = np.array([[0.0, 0.1, 0.6, 0.97], [0.0, 0.1, 0.2, 0.3]])
    acc = np.array([[0.0, 0.1, 0.6, 0.99], [0.0, 0.1, 0.2, 0.3]])
    runs = gx.l_shape_runs(ln_loss, acc_smooth, acc)
    assert runs["grokked"].tolist() == [True, False]
    assert runs["low_acc_on_arrival"][0] == pytest.approx(0.1)  # ln L within 1 of -5.6 at step 1
    assert runs["loss_range_during_rise"][0] == pytest.approx(0.1)
    assert np.isnan(runs["low_acc_on_arrival"][1])


def test_descending_curve_reads_each_run_on_its_new_lows_only():
    axis = Axis(-3.0, 0.0, 3)  # centres -2.5, -1.5, -0.5
    ln_loss = np.array([[0.0, -1.0, -0.2, -3.0]])  # the climb back to -0.2 is not a new low
    acc = np.array([[0.0, 0.5, 0.9, 1.0]])
    curve = gx.descending_curve(ln_loss, acc, axis)
    assert curve == pytest.approx([0.875, 0.625, 0.25])


# --- the registry: what the notebook runs and the dry run times ------------------------------

DECLARED = [
    "ising",
    "harmonic",
    "adamw_baseline",
    "fixed_norm",
    "equilibrium",
    "band_map_sweep",
    "wand_sweep",
]


def _preset(name: str):
    return params.load("04_glass_relaxation", name, presets_dir="chapters/presets")


def test_the_registry_declares_each_experiment_once_with_the_presets_sizes():
    assert [e.key for e in gx.EXPERIMENTS] == DECLARED
    assert gx.start == gx.EXPERIMENTS.start
    changed = _preset("quick").with_values(adamw_steps=400, map_steps=500, wand_kTs=[0.5, 1.0])
    assert gx.EXPERIMENTS["adamw_baseline"].full_steps(changed) == 400
    assert gx.EXPERIMENTS["adamw_baseline"].at_steps(changed, 3).adamw_steps == 3
    maps = gx.band_map_sweep.points(changed)
    assert [pt["n_steps"] for pt in maps] == [500, 500]
    # a dry-run cut shortens the map but keeps the full run's WL factor schedule
    assert gx.band_map_sweep.cut(maps[0], 20, changed) == dict(maps[0], n_steps=20)
    assert len(gx.wand_sweep.points(changed)) == 2 and "2 (Δt, kT, γ)" in gx.wand_sweep.sizes(
        changed
    )


@pytest.mark.parametrize("preset", params.PRESETS)
def test_the_dry_run_builds_one_probe_per_experiment_at_every_preset(preset):
    p = _preset(preset)
    probes = dry_run.probes(p, gx.EXPERIMENTS)
    assert [probe.name for probe in probes] == [e.name for e in gx.EXPERIMENTS]
    assert all(probe.steps >= 1 and probe.scales for probe in probes)
    assert probes[-1].repeats == len(p.wand_dts) * len(p.wand_kTs) * len(p.wand_frictions)


def test_every_experiment_flushes_denormal_floats_first():
    if not torch.set_flush_denormal(False):
        pytest.skip("this CPU cannot flush denormal floats")
    tiny = _preset("quick").with_values(ising_replicas=2, ising_steps=300)
    gx.ising(tiny)
    assert (torch.tensor([1e-40]) * 1.0).item() == 0.0
