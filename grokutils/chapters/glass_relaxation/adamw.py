"""Full-batch AdamW on a batch of embedding MLPs (glass-relaxation chapter, spec §4.1).

Every network (row of ``theta [W, n]``) has its own learning rate, weight decay and labels;
the step is :class:`grokutils.methods.optimisers.BatchedAdam` with β = (0.9, 0.98) and a linear
warm-up (Nanda et al.). ``fixed_norm`` rescales each network to a fixed global norm after every
step (the Omnigrok control of the paper's §4.2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from grokutils.chapters.glass_relaxation.embed_mlp import EmbedMLP, measure
from grokutils.core.trajectory import Recorder, Trajectory
from grokutils.methods.modular_data import ModularData
from grokutils.methods.optimisers import BatchedAdam


def train_adamw(
    model: EmbedMLP,
    theta: torch.Tensor,
    data: ModularData,
    n_steps: int,
    *,
    lr: torch.Tensor | float,
    weight_decay: torch.Tensor | float,
    fixed_norm: torch.Tensor | float | None = None,
    betas: tuple[float, float] = (0.9, 0.98),
    warmup: int = 10,
    record_every: int = 20,
    stop_below: float | None = None,
    runs: pd.DataFrame | None = None,
    progress_desc: str | None = None,
) -> Trajectory:
    """Full-batch AdamW on the ``W`` networks ``theta [W, n]`` at once.

    lr, weight_decay, fixed_norm: scalars or ``[W]``; ``fixed_norm`` rescales each network to
    that global L2 norm after every step (NaN or None = free). The learning rate rises
    linearly over the first ``warmup`` steps. ``stop_below``: stop at the first record where
    every network has ``ln L_train <= stop_below``. Records the series of
    :func:`~.embed_mlp.measure` every ``record_every`` steps (step 0
    included); ``final["theta"]`` holds the last parameters ``[W, n]``.
    """
    from grokutils.core.progress import progress

    n = len(theta)
    lr = torch.as_tensor(lr, dtype=theta.dtype).expand(n)
    wd = torch.as_tensor(weight_decay, dtype=theta.dtype).expand(n)
    if (lr <= 0).any() or (wd < 0).any():
        raise ValueError("lr must be > 0 and weight_decay >= 0")
    norm = None
    if fixed_norm is not None:
        norm = torch.as_tensor(fixed_norm, dtype=theta.dtype).expand(n)[:, None]
    theta = theta.detach().clone()
    adam = BatchedAdam(theta, betas=betas)
    rec = Recorder(np.arange(0, n_steps + 1, record_every))
    steps = range(n_steps + 1)
    if progress_desc:
        steps = progress(steps, desc=progress_desc, total=n_steps + 1)
    for t in steps:
        if rec.due(t):
            values = measure(model, theta, data)
            rec.add(t, **values)
            if stop_below is not None and (values["ln_train_loss"] <= stop_below).all():
                break
        if t == n_steps:
            break
        _, grad = model.loss_and_grad(theta, data.pairs_train, data.y_train)
        theta = adam.step(theta, grad, lr * min(1.0, (t + 1) / warmup), wd)
        if norm is not None:
            scale = norm / theta.norm(dim=1, keepdim=True)
            theta.mul_(torch.where(torch.isnan(scale), 1.0, scale))
    return rec.trajectory(runs=runs, theta=theta)
