"""Full-batch GD of the quadratic-activation MLP on modular addition (Kumar et al.'s Fig. 2).

No weight decay, float32 (the authors' precision), every ``(α, seed)`` run one slice of the
batch of :class:`~.quadratic_mlp.QuadraticMLP`.
"""

from __future__ import annotations

import pandas as pd
import torch

from grokutils.chapters.lazy_to_rich.quadratic_mlp import QuadraticMLP, modular_addition_units
from grokutils.core.progress import progress
from grokutils.core.trajectory import Recorder, Trajectory, record_steps
from grokutils.methods.modular_data import fixed_split


def train_modular_addition(
    alphas,
    seeds,
    *,
    p: int = 23,
    width: int = 100,
    steps: int = 50_000,
    lr: float = 100.0,
    train_fraction: float = 0.9,
    split_seed: int = 1,
    n_records: int = 100,
    desc: str = "modular addition",
) -> Trajectory:
    """Train one network per ``(α, seed)`` pair (α-major) by full-batch GD and record it.

    ``alphas``, ``seeds``: output scales and weight seeds (every combination is one run);
    ``steps``: GD steps; ``lr``: the paper's η (the step is ``lr/α²``); ``n_records``:
    log-spaced recording steps; ``split_seed`` fixes the train/test split. Deterministic for
    fixed arguments.

    Returns series ``[runs, T]``: ``train_loss``, ``test_loss`` (the MSE without the 1/α²
    factor), ``train_acc``, ``test_acc`` (argmax of ``f``, in [0, 1]) and ``weight_norm``
    ``‖W₁‖_F + ‖W₂‖_F``; the ``runs`` table has ``alpha`` and ``seed``.
    """
    alphas, seeds = [float(a) for a in alphas], [int(s) for s in seeds]
    if not alphas or min(alphas) <= 0:
        raise ValueError(f"alphas must be a non-empty list of values > 0; got {alphas}")
    if not seeds:
        raise ValueError("seeds must be a non-empty list")
    for name, value in {"p": p, "width": width, "steps": steps, "n_records": n_records}.items():
        if value < 2:
            raise ValueError(f"{name} must be >= 2; got {value}")
    if lr <= 0:
        raise ValueError(f"lr must be > 0; got {lr}")

    runs = [(al, s) for al in alphas for s in seeds]
    net = QuadraticMLP.init([r[0] for r in runs], [r[1] for r in runs], p, width)
    units, labels = modular_addition_units(p)
    splits = dict(zip(("train", "test"), fixed_split(p, train_fraction, split_seed), strict=True))
    splits = {k: (units[:, idx], labels[idx]) for k, idx in splits.items()}
    train_units, train_labels = splits["train"]
    train_target_t = torch.nn.functional.one_hot(train_labels, p).to(net.W2.dtype).T.contiguous()
    step_size = (lr / net.alpha**2)[:, None, None]
    rec = Recorder(record_steps(steps, n_records + 1))  # step 0 and n_records log-spaced steps
    for t in progress(range(steps + 1), desc=desc):
        if rec.due(t):
            row = {"weight_norm": net.weight_norm()}
            for split, data in splits.items():
                row[f"{split}_loss"], row[f"{split}_acc"] = net.mse(*data)
            rec.add(t, **row)
        if t == steps:
            break
        g_W1t, g_W2 = net._gradients(train_units, train_target_t)
        net.W1t -= step_size * g_W1t
        net.W2 -= step_size * g_W2
    table = pd.DataFrame({"alpha": [float(a) for a, _ in runs], "seed": [s for _, s in runs]})
    return rec.trajectory(runs=table)
