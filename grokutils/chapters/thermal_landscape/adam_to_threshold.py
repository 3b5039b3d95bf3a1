"""Full-batch Adam until every run's loss is below a threshold: the starting point θ0 of the
thermal runs of chapter 06 is defined by that threshold, not by a number of steps."""

from __future__ import annotations

from collections.abc import Callable

import torch

from grokutils.core.trajectory import Recorder, Trajectory, record_steps
from grokutils.methods.optimisers import BatchedAdam

LossAndGrad = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
"""``theta [R, P] -> (loss [R], grad [R, P])``."""


def adam_to_threshold(
    loss_and_grad: LossAndGrad,
    theta: torch.Tensor,
    *,
    lr: float = 1e-3,
    threshold: float = 1e-3,
    max_steps: int = 20_000,
    n_records: int = 50,
) -> Trajectory:
    """Full-batch Adam (β = 0.9, 0.999, ε = 1e-8, no weight decay) on every run of
    ``theta [R, P]`` until its loss is below ``threshold``; a run that got there stops moving
    (:class:`~grokutils.methods.optimisers.BatchedAdam`'s ``active`` mask).

    Returns a :class:`~grokutils.core.trajectory.Trajectory` with ``train_loss [R, T]`` at
    about ``n_records`` log-spaced steps and at the step where the last run got below the
    threshold; ``final``: ``theta [R, P]`` (the end points, a tensor) and ``steps_taken [R]``
    (the Adam updates of each run). Raises if a run has not got there within ``max_steps``.
    """
    if lr <= 0 or threshold <= 0 or max_steps < 1:
        raise ValueError(
            f"need lr, threshold > 0, max_steps >= 1; got {lr}, {threshold}, {max_steps}"
        )
    theta = theta.detach().clone()
    adam = BatchedAdam(theta)
    rec = Recorder(record_steps(max_steps, n_records))
    for t in range(max_steps + 1):
        loss, grad = loss_and_grad(theta)
        active = loss >= threshold
        done = not active.any()
        if rec.due(t) or done:
            rec.add(t, train_loss=loss)
        if done:
            return rec.trajectory(theta=theta, steps_taken=adam.count.cpu().numpy())
        theta = adam.step(theta, grad, lr, active=active)
    raise RuntimeError(f"Adam did not reach loss < {threshold} within {max_steps} steps")
