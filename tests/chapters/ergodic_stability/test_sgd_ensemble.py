"""The batched ensemble: perturbed datasets, label noise, batched training equal to single runs,
recorded as the house trajectory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from grokutils.chapters.ergodic_stability import experiments as es
from grokutils.chapters.ergodic_stability import sgd_ensemble as sgd
from grokutils.chapters.ergodic_stability.digits import digits_split, flip_labels, perturbed_digits
from grokutils.chapters.ergodic_stability.mlp import init_mlp
from grokutils.core.seeding import seed_everything
from grokutils.core.trajectory import Trajectory

seed_everything(0)
DATA = perturbed_digits([0.0, 0.3], n_datasets=4, n_train=200, n_pool=10)
TRAIN = dict(batch_size=16, steps=60, eval_every=20, burn_in=20)


def test_perturbed_datasets_differ_from_the_base_in_one_example():
    base = set(DATA.members[0].tolist())
    for k in range(1, 4):
        other = set(DATA.members[k].tolist())
        assert base - other == {k - 1} and other - base == {200 + k - 1}


def test_label_noise_flips_the_expected_fraction_to_other_classes_once_per_level():
    clean, noisy = DATA.labels
    y = digits_split(n_train=200, n_pool=10)
    assert torch.equal(clean, torch.from_numpy(np.concatenate([y["y_train"], y["y_pool"]])))
    rng_labels = flip_labels(np.zeros(20_000, dtype=int), 0.3, 10, seed=1)
    flipped = rng_labels != 0
    assert flipped.mean() == pytest.approx(0.3, abs=3 * np.sqrt(0.3 * 0.7 / 20_000))
    assert set(np.unique(rng_labels[flipped])) == set(range(1, 10))  # never the true class
    again = perturbed_digits([0.3], n_datasets=4, n_train=200, n_pool=10)
    assert torch.equal(again.labels[0], noisy)  # a fixed draw per noise level


def test_batched_training_equals_each_run_trained_alone():
    runs = pd.concat(
        [
            sgd.run_grid(dataset=[0, 2], seed=[3], noise=[0.3], lr=[0.05], weight_decay=[1e-3]),
            sgd.run_grid(seed=[4], lr=[0.02], schedule=["step"], init_shift=[1e-3]),
            sgd.run_grid(seed=[3], lr=[0.1], momentum=[0.0], schedule=["cosine"]),
        ],
        ignore_index=True,
    )
    batched = sgd.train_ensemble(DATA, runs, **TRAIN)
    for r in range(len(runs)):
        alone = sgd.train_ensemble(DATA, runs.iloc[[r]], **TRAIN)
        for name in sgd.SERIES:
            np.testing.assert_allclose(
                batched[name][r], alone[name][0], rtol=1e-4, atol=1e-6, err_msg=name
            )
        np.testing.assert_allclose(
            batched.final["test_point_loss"][r], alone.final["test_point_loss"][0], rtol=1e-4
        )


def test_runs_with_one_seed_share_init_and_order_and_differ_only_through_the_data():
    runs = sgd.run_grid(dataset=[0, 0, 1], seed=[5], lr=[0.05])
    traj = sgd.train_ensemble(DATA, runs, **TRAIN)
    np.testing.assert_array_equal(traj.train_loss[0], traj.train_loss[1])
    assert not np.array_equal(traj.train_loss[0], traj.train_loss[2])
    assert traj.test_loss[0, 0] == traj.test_loss[2, 0]  # same init: same test loss at step 0


def test_trajectory_records_consistent_measurements():
    runs = sgd.run_grid(noise=[0.0, 0.3], lr=[0.05], weight_decay=[1e-3])
    traj = sgd.train_ensemble(DATA, runs, **TRAIN)
    assert traj.steps.tolist() == [0, 20, 40, 60]
    assert sgd.after_burn_in(traj).tolist() == [False, True, True, True]
    assert np.isnan(traj.displacement[:, 0]).all() and (traj.displacement[:, 1:] > 0).all()
    assert (traj.grad_norm > 0).all() and (traj.train_loss[:, -1] < traj.train_loss[:, 0]).all()
    # at noise 0 the noisy-population test loss is the clean test loss
    np.testing.assert_allclose(traj.test_loss_noisy[0], traj.test_loss[0], rtol=1e-6)
    assert (traj.test_loss_noisy[1, 1:] > traj.test_loss[1, 1:]).all()  # once it has learnt
    # time-averaged per-point losses average to the time average of the test loss
    mean_series = traj.test_loss[:, sgd.after_burn_in(traj)].mean(1)
    np.testing.assert_allclose(traj.final["test_point_loss"].mean(1), mean_series, rtol=1e-5)


def test_training_returns_the_house_trajectory_with_its_extras_per_run():
    runs = sgd.run_grid(seed=[1, 2], lr=[0.05], noise=[0.3]).assign(group="g")
    traj = sgd.train_ensemble(DATA, runs, **TRAIN, record_gradient=False)
    assert isinstance(traj, Trajectory) and traj.n_runs == 2
    assert set(traj.series) == set(sgd.SERIES) - {"grad_norm", "grad_norm_reg"}
    assert all(v.dtype == np.float64 and v.shape == (2, 4) for v in traj.series.values())
    assert traj.runs.group.tolist() == ["g", "g"]  # extra columns travel with the runs
    assert traj.final["burn_in"].tolist() == [20, 20]
    assert traj.final["test_point_loss"].shape == (2, len(DATA.y_test))
    assert [w.shape[0] for w in traj.final["weights"]] == [2] * 6
    one = traj.select([1])
    assert sgd.after_burn_in(one).tolist() == sgd.after_burn_in(traj).tolist()
    np.testing.assert_array_equal(one.final["weights"][0][0], traj.final["weights"][0][1])
    both = Trajectory.concat([traj.select([0]), one])
    np.testing.assert_array_equal(both.test_loss, traj.test_loss)
    mixed = Trajectory(traj.steps, {}, final={"burn_in": np.array([0, 20])})
    with pytest.raises(ValueError, match="different burn-ins"):
        sgd.after_burn_in(mixed)


def test_momentum_and_weight_decay_match_torch_optim_sgd():
    runs = sgd.run_grid(seed=[7], lr=[0.1], weight_decay=[1e-2])
    traj = sgd.train_ensemble(DATA, runs, **TRAIN)
    params = [w[0].clone().requires_grad_(True) for w in init_mlp([7], (64, 128, 128, 10))]
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-2)
    order_rng = np.random.default_rng([7, 1])
    x, y = DATA.x[DATA.members[0]], DATA.labels[0, DATA.members[0]]
    per_epoch = 200 // 16
    for t in range(TRAIN["steps"]):
        if t % per_epoch == 0:
            perm = torch.from_numpy(order_rng.permutation(200))
        pos = perm[(t % per_epoch) * 16 : (t % per_epoch + 1) * 16]
        h = x[pos]
        for i in range(0, 6, 2):
            h = h @ params[i] + params[i + 1]
            h = torch.relu(h) if i < 4 else h
        opt.zero_grad()
        torch.nn.functional.cross_entropy(h, y[pos]).backward()
        opt.step()
    h = x
    for i in range(0, 6, 2):
        h = h @ params[i] + params[i + 1]
        h = torch.relu(h) if i < 4 else h
    final = torch.nn.functional.cross_entropy(h, y).item()
    assert traj.train_loss[0, -1] == pytest.approx(final, rel=1e-4)


def test_a_shifted_initial_weight_changes_the_trajectory():
    runs = sgd.run_grid(seed=[2], lr=[0.05], init_shift=[0.0, 1e-3])
    traj = sgd.train_ensemble(DATA, runs, **TRAIN)
    assert not np.array_equal(traj.train_loss[0], traj.train_loss[1])


def test_lyapunov_twins_are_the_first_seeds_of_the_ensemble_with_a_shifted_bias():
    runs = es.nonconvergence_runs(6, 2, 0.05, 5e-4, 0.3, 1e-3, n_twins=4)
    twins, const = runs[runs.group == "twin"], runs[runs.group == "constant"]
    assert twins.seed.tolist() == const.seed.tolist()[:4] == [0, 1, 2, 3]
    assert (twins.init_shift == 1e-3).all() and (const.init_shift == 0).all()
    assert (runs.group == "step").sum() == 2  # the control groups keep n_small seeds
    default = es.nonconvergence_runs(6, 2, 0.05, 5e-4, 0.3, 1e-3)
    assert (default.group == "twin").sum() == 2
    with pytest.raises(ValueError, match="n_twins"):
        es.nonconvergence_runs(6, 2, 0.05, 5e-4, 0.3, 1e-3, n_twins=7)


def test_bad_runs_are_named():
    with pytest.raises(ValueError, match=r"runs\.noise"):
        sgd.train_ensemble(DATA, sgd.run_grid(noise=[0.5]), **TRAIN)
    with pytest.raises(ValueError, match="unknown run columns"):
        sgd.run_grid(learning_rate=[0.1])
    with pytest.raises(ValueError, match="schedule"):
        sgd.lr_multiplier("linear", 10)


def test_batched_sharpness_equals_the_sharpness_of_the_run_alone():
    runs = sgd.run_grid(seed=[1, 2], lr=[0.05], noise=[0.3])
    traj = sgd.train_ensemble(DATA, runs, **TRAIN)
    top = es.sharpness(DATA, traj, n_iter=50)
    alone = sgd.train_ensemble(DATA, runs.iloc[[1]], **TRAIN)
    assert top[1] == pytest.approx(es.sharpness(DATA, alone, n_iter=50)[0], rel=1e-3)
    assert es.sharpness(DATA, traj, rows=[1], n_iter=50) == pytest.approx(top[1:], rel=1e-3)
    assert np.all(top > 0)
