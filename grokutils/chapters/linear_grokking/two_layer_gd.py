"""Full-batch GD of the two-layer teacher-student networks (Fig. 5), batched over runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from grokutils.chapters.linear_grokking.task import TwoLayerProblem
from grokutils.chapters.linear_grokking.two_layer_student import (
    ACTIVATIONS,
    forward,
    linear_gradients,
    tanh_gradients,
)
from grokutils.core.trajectory import Recorder, Trajectory


def train_two_layer(
    problem: TwoLayerProblem,
    *,
    activation: str,
    eta: float,
    steps: int,
    eps: float,
    eval_every: int = 50,
    gain=1.0,
) -> Trajectory:
    """``steps`` updates of full-batch GD on the MSE (eq. 17), measured every ``eval_every``.

    ``gain``: scalar or one value per run. Series ``[runs, T]``: ``train_loss``, ``test_loss``,
    ``train_acc``, ``test_acc`` (accuracy: fraction of samples whose squared error averaged over
    outputs is below ``eps``; test = fresh samples); the ``runs`` table holds each run's gain.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}; got {activation!r}")
    if eta <= 0 or eps <= 0 or steps < 1 or eval_every < 1:
        raise ValueError(
            f"eta, eps > 0 and steps, eval_every >= 1 needed; got eta={eta}, eps={eps}, "
            f"steps={steps}, eval_every={eval_every}"
        )
    runs = problem.x_train.shape[0]
    gain = torch.as_tensor(gain, dtype=torch.float32).expand(runs).clone()
    if torch.any(gain <= 0):
        raise ValueError(f"gain must be > 0; got {gain}")
    y_train = forward(problem.x_train, problem.teacher_in, problem.teacher_out, activation, gain)
    y_test = forward(problem.x_gen, problem.teacher_in, problem.teacher_out, activation, gain)
    w_in, w_out = problem.student_in.clone(), problem.student_out.clone()
    if activation == "linear":
        sigma = problem.x_train.transpose(1, 2) @ problem.x_train / problem.x_train.shape[1]
        teacher_map = problem.teacher_in @ problem.teacher_out
    rec = Recorder(np.arange(0, steps + 1, eval_every))
    for step in range(steps + 1):
        if rec.due(step):
            values = {}
            for name, x, y in (
                ("train", problem.x_train, y_train),
                ("test", problem.x_gen, y_test),
            ):
                per_sample = ((forward(x, w_in, w_out, activation, gain) - y) ** 2).mean(-1)
                values[f"{name}_loss"] = per_sample.mean(-1)
                values[f"{name}_acc"] = (per_sample < eps).double().mean(-1)
            rec.add(step, **values)
        if step == steps:
            break
        if activation == "linear":
            grad_in, grad_out = linear_gradients(sigma, teacher_map, w_in, w_out)
        else:
            grad_in, grad_out = tanh_gradients(problem.x_train, y_train, w_in, w_out, gain)
        w_in -= eta * grad_in
        w_out -= eta * grad_out
    return rec.trajectory(runs=pd.DataFrame({"gain": gain.double().cpu().numpy()}))
