"""The official GD baseline of the guess-&-check chapter: GroupRMSprop on matrix factorisations.

Full-batch gradient descent on ``L_train`` of the network of
:class:`~.priors.NetworkPrior` (official ``train_gd`` with
``group_rmsprop.py``), batched over the ``S`` data sets of a
:class:`~.task.SensingTask`: the layers are ``[S, rows, cols]`` tensors
and run ``s`` fits data set ``s``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from grokutils.chapters.guess_and_check.priors import NetworkPrior
from grokutils.chapters.guess_and_check.task import SensingTask
from grokutils.core.seeding import torch_generator
from grokutils.core.trajectory import Recorder, Trajectory, record_steps

RMS_DECAY = 0.99
"""EMA factor of GroupRMSprop's squared gradient norm (official ``group_rmsprop.py``)."""
RMS_WEIGHT = 0.01
"""Weight of the new squared norm in the EMA: ``1 − RMS_DECAY`` as the literal the official code
uses (``1 - 0.99`` rounds differently in floating point)."""
RMS_EPS = 1e-6
"""Added to the root of the EMA before dividing (official code)."""


def gradient_descent(
    task: SensingTask,
    width: int,
    depth: int,
    activation: str,
    *,
    init_scale: float,
    lr: float,
    steps: int,
    seed: int,
    records: int = 20,
    also_record: tuple[int, ...] = (),
) -> Trajectory:
    """The official GD baseline, batched over the task's ``S`` data sets (the runs).

    Layers ``[S, rows, cols]`` with PyTorch's ``nn.Linear`` default init ``U(±1/√fan_in)`` times
    ``init_scale`` (drawn from ``(seed, data seed)``, so batching does not change a run);
    full-batch ``L_train``; GroupRMSprop: the step is
    ``lr / (√(bias-corrected EMA_0.99 of the total squared gradient norm) + 1e-6)`` times the
    gradient, the norm taken over all layers of one run (so per data set here).

    Returns a :class:`~grokutils.core.trajectory.Trajectory` with series ``train_loss`` and
    ``test_loss`` (``L_gen``, eq. 6) ``[S, T]`` at about ``records`` log-spaced steps, the last
    one ``steps``, plus the steps ``also_record`` (each in ``[0, steps]``); ``runs`` has one row
    per data set (``data_seed``).
    """
    if not isinstance(steps, int | np.integer) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be an int >= 1; got {steps!r}")
    if lr <= 0 or init_scale <= 0:
        raise ValueError(f"lr and init_scale must be > 0; got lr={lr}, init_scale={init_scale}")
    prior = NetworkPrior(width, depth, activation, shape=task.shape)
    S = task.n_tasks
    layers = _initial_layers(prior, task.seeds, seed, init_scale)
    G = task.measurement_operator(torch.float64)
    ema = torch.zeros(S, dtype=torch.float64)

    def forward():
        H = prior.sigma(layers[0])
        for w in layers[1:-1]:
            H = prior.sigma(w @ H)
        coords = torch.bmm(G, (layers[-1] @ H).flatten(1).unsqueeze(-1)).squeeze(-1)
        return task.losses_from_coordinates(coords)

    extra = [int(t) for t in also_record]
    if any(t < 0 or t > steps for t in extra):
        raise ValueError(f"also_record must lie in [0, {steps}]; got {also_record!r}")
    rec = Recorder(np.union1d(record_steps(steps, records), extra).astype(int))
    for t in range(steps + 1):
        train, test = forward()
        if rec.due(t):
            rec.add(t, train_loss=train, test_loss=test)
        if t == steps:
            break
        grads = torch.autograd.grad(train.sum(), layers)
        with torch.no_grad():  # update t + 1
            sq = sum(g.square().flatten(1).sum(1) for g in grads)
            ema.mul_(RMS_DECAY).add_(RMS_WEIGHT * sq)
            scale = lr / ((ema / (1 - RMS_DECAY ** (t + 1))).sqrt() + RMS_EPS)
            for w, g in zip(layers, grads, strict=True):
                w.sub_(scale.view(S, 1, 1) * g)
    return rec.trajectory(runs=pd.DataFrame({"data_seed": list(task.seeds)}))


def _initial_layers(prior: NetworkPrior, data_seeds, seed: int, init_scale: float):
    """``[S, rows, cols]`` leaf tensors, run ``s`` drawn from ``(seed, data_seeds[s])`` only."""
    layers = [[] for _ in prior.layer_shapes]
    for data_seed in data_seeds:
        state = np.random.SeedSequence([seed, data_seed]).generate_state(1)[0]
        gen = torch_generator(int(state))
        for layer, (rows, cols) in zip(layers, prior.layer_shapes, strict=True):
            u = torch.rand(rows, cols, generator=gen, dtype=torch.float64)
            layer.append((2 * u - 1) * init_scale / cols**0.5)
    return [torch.stack(layer).requires_grad_() for layer in layers]
