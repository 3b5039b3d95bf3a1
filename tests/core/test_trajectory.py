"""The house trajectory record and the batched optimiser steps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from grokutils.core.trajectory import Recorder, Trajectory, record_steps
from grokutils.methods.optimisers import BatchedAdam, momentum_sgd_


def test_record_steps_are_log_spaced_with_both_ends():
    at = record_steps(1000, 20)
    assert at[0] == 0 and at[-1] == 1000 and (np.diff(at) > 0).all()
    with pytest.raises(ValueError, match="steps >= 1"):
        record_steps(0, 5)


def test_recorder_records_before_the_update_and_returns_runs_by_time():
    rec, theta = Recorder([0, 1, 3]), torch.zeros(2)
    for t in range(4):
        if rec.due(t):
            rec.add(t, value=theta.clone())
        theta += 1.0  # update t + 1
    traj = rec.trajectory(runs=pd.DataFrame({"seed": [0, 1]}), last=theta.numpy())
    assert traj.steps.tolist() == [0, 1, 3]
    assert traj.value.shape == (2, 3) and traj.value[0].tolist() == [0.0, 1.0, 3.0]
    assert traj.final["last"].tolist() == [4.0, 4.0]


def test_first_crossing_is_strict_and_inf_for_never():
    traj = Trajectory(np.array([0, 10, 20]), {"loss": [[1.0, 0.5, 0.05], [1.0, 0.9, 0.8]]})
    assert traj.first_crossing("loss", 0.1).tolist() == [20.0, np.inf]
    assert traj.last("loss").tolist() == [0.05, 0.8]


def test_first_reaching_counts_the_level_itself_and_inf_for_never():
    traj = Trajectory(np.array([0, 10, 20]), {"acc": [[0.5, 1.0, 1.0], [0.0, 0.2, 0.9]]})
    assert traj.first_reaching("acc", 1.0).tolist() == [10.0, np.inf]
    assert traj.first_reaching("acc", [1.0, 0.2]).tolist() == [10.0, 10.0]


def test_select_and_concat_keep_runs_aligned():
    a = Trajectory([0, 1], {"x": [[1.0, 2.0]]}, pd.DataFrame({"seed": [7]}), {"w": np.ones(1)})
    b = Trajectory([0, 1], {"x": [[3.0, 4.0]]}, pd.DataFrame({"seed": [8]}), {"w": np.zeros(1)})
    both = Trajectory.concat([a, b])
    assert both.n_runs == 2 and both.runs["seed"].tolist() == [7, 8]
    picked = both.select(both.runs["seed"] == 8)
    assert picked.x.tolist() == [[3.0, 4.0]] and picked.final["w"].tolist() == [0.0]


def test_trajectory_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"\[runs, 2\]"):
        Trajectory([0, 1], {"x": [[1.0, 2.0, 3.0]]})
    with pytest.raises(ValueError, match="increasing"):
        Trajectory([1, 0], {"x": [[1.0, 2.0]]})
    with pytest.raises(ValueError, match="same number of runs"):
        Trajectory([0, 1], {"x": [[1.0, 2.0]], "y": [[1.0, 2.0], [3.0, 4.0]]})


def test_batched_adam_is_torch_adamw_row_by_row():
    torch.manual_seed(0)
    theta = torch.randn(3, 5, dtype=torch.float64)
    lr, wd = torch.tensor([1e-2, 3e-3, 1e-1], dtype=torch.float64), torch.tensor([0.0, 0.1, 1.0])
    opt, ours = BatchedAdam(theta, betas=(0.9, 0.98)), theta.clone()
    rows = [theta[i].clone().requires_grad_(True) for i in range(3)]
    refs = [
        torch.optim.AdamW([r], lr=float(lr[i]), weight_decay=float(wd[i]), betas=(0.9, 0.98))
        for i, r in enumerate(rows)
    ]
    for _ in range(20):
        grad = torch.randn(3, 5, dtype=torch.float64)
        ours = opt.step(ours, grad, lr, wd.double())
        for i, (r, ref) in enumerate(zip(rows, refs, strict=True)):
            r.grad = grad[i].clone()
            ref.step()
    assert torch.allclose(ours, torch.stack([r.detach() for r in rows]), rtol=1e-10, atol=1e-12)


def test_batched_adam_leaves_inactive_runs_alone():
    theta = torch.ones(2, 3)
    opt = BatchedAdam(theta)
    out = opt.step(theta, torch.ones(2, 3), 0.1, active=torch.tensor([True, False]))
    assert torch.equal(out[1], theta[1]) and (out[0] < 1).all()
    assert opt.count.tolist() == [1, 0]
    with pytest.raises(ValueError, match="betas"):
        BatchedAdam(theta, betas=(1.0, 0.9))


def test_momentum_sgd_follows_pytorch_convention():
    w, g, v = [torch.ones(2, 1)], [torch.full((2, 1), 0.5)], [torch.full((2, 1), 1.0)]
    lr, mu, wd = torch.tensor([[0.1], [0.2]]), torch.tensor([[0.9], [0.0]]), torch.tensor(0.01)
    momentum_sgd_(w, g, v, lr=lr, momentum=mu, weight_decay=wd)
    assert torch.allclose(v[0], torch.tensor([[0.9 + 0.5 + 0.01], [0.5 + 0.01]]))
    assert torch.allclose(w[0], 1 - lr * v[0])
