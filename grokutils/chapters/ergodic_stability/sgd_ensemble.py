"""Minibatch SGD with momentum on an ensemble of MLPs, every run a slice of one tensor program.

The statistical-stability experiments (Chandramoorthy et al. 2022) and the non-convergence
experiments (Zhang et al. 2022) need many runs of the same small network: several datasets
that differ in one example, several seeds, learning rates, label-noise levels and schedules.
Every run is one row of a table (:func:`run_grid`) and one slice of the batched weights of
:mod:`.mlp`; each run draws its own minibatches from its own dataset (its order
fixed by its seed), and :func:`train_ensemble` trains them all at once, recording a
:class:`~grokutils.core.trajectory.Trajectory`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from grokutils.chapters.ergodic_stability.digits import N_CLASSES, PerturbedDigits
from grokutils.chapters.ergodic_stability.mlp import init_mlp, mlp_logits, per_example_loss
from grokutils.core.sweep import grid
from grokutils.core.trajectory import Recorder, Trajectory
from grokutils.methods.optimisers import momentum_sgd_

SCHEDULES = ("constant", "step", "cosine")
RUN_COLUMNS = (
    "dataset",
    "seed",
    "noise",
    "lr",
    "momentum",
    "weight_decay",
    "schedule",
    "init_shift",
)
SERIES = (
    "train_loss",
    "train_error",
    "test_loss",
    "test_error",
    "test_loss_noisy",
    "grad_norm",
    "grad_norm_reg",
    "weight_norm",
    "displacement",
)
"""The series of :func:`train_ensemble` (the two gradient norms only with ``record_gradient``)."""


def run_grid(**axes) -> pd.DataFrame:
    """The table of runs: the Cartesian product of the given columns (any of ``dataset``,
    ``seed``, ``noise`` (level value), ``lr``, ``momentum``, ``weight_decay``, ``schedule``,
    ``init_shift``), the others at their defaults (dataset 0, seed 0, noise 0, lr 0.01,
    momentum 0.9, wd 0, constant, 0)."""
    unknown = set(axes) - set(RUN_COLUMNS)
    if unknown:
        raise ValueError(f"unknown run columns {sorted(unknown)}; known: {RUN_COLUMNS}")
    defaults = {
        "dataset": [0],
        "seed": [0],
        "noise": [0.0],
        "lr": [0.01],
        "momentum": [0.9],
        "weight_decay": [0.0],
        "schedule": ["constant"],
        "init_shift": [0.0],
    }
    return pd.DataFrame(grid(**{c: axes.get(c, defaults[c]) for c in RUN_COLUMNS}))


def lr_multiplier(schedule: str, steps: int) -> np.ndarray:
    """Learning-rate multiplier per step ``[steps]``: constant; step (÷10 at steps/3 and
    2·steps/3, Zhang et al.'s piecewise decay); cosine (½(1 + cos(π t/steps)))."""
    t = np.arange(steps)
    if schedule == "constant":
        return np.ones(steps)
    if schedule == "step":
        return 0.1 ** ((t >= steps / 3).astype(float) + (t >= 2 * steps / 3))
    if schedule == "cosine":
        return 0.5 * (1 + np.cos(np.pi * t / steps))
    raise ValueError(f"schedule must be one of {SCHEDULES}; got {schedule!r}")


def after_burn_in(traj: Trajectory) -> np.ndarray:
    """Mask ``[T]`` of the records of a :func:`train_ensemble` trajectory at steps ≥ its
    burn-in (``traj.final["burn_in"]``, the same for every run)."""
    burn_in = np.unique(traj.final["burn_in"])
    if len(burn_in) != 1:
        raise ValueError(f"the runs of the trajectory have different burn-ins {burn_in}")
    return traj.steps >= burn_in[0]


def _check_runs(runs: pd.DataFrame, data: PerturbedDigits) -> None:
    missing = set(RUN_COLUMNS) - set(runs.columns)
    if missing:
        raise ValueError(f"runs lacks columns {sorted(missing)}")
    if len(runs) == 0:
        raise ValueError("runs is empty")
    if not runs["dataset"].between(0, len(data.members) - 1).all():
        raise ValueError(f"runs.dataset must be in [0, {len(data.members) - 1}]")
    if not runs["noise"].isin(data.noise_levels).all():
        raise ValueError(f"runs.noise must be one of the data's levels {data.noise_levels}")
    if not runs["schedule"].isin(SCHEDULES).all():
        raise ValueError(f"runs.schedule must be one of {SCHEDULES}")
    if (runs["lr"] <= 0).any() or (runs["weight_decay"] < 0).any():
        raise ValueError("runs.lr must be > 0 and runs.weight_decay >= 0")
    if not runs["momentum"].between(0, 1, inclusive="left").all():
        raise ValueError("runs.momentum must be in [0, 1)")


def train_ensemble(
    data: PerturbedDigits,
    runs: pd.DataFrame,
    *,
    batch_size: int,
    steps: int,
    eval_every: int,
    burn_in: int,
    hidden: tuple[int, ...] = (128, 128),
    record_gradient: bool = True,
) -> Trajectory:
    """Train every run of ``runs`` by minibatch SGD with heavy-ball momentum μ and weight decay
    λ of its row (PyTorch's convention: v ← μ v + ∇L + λ w, w ← w − η_t v), all runs as one
    batched tensor computation, and evaluate them every ``eval_every`` steps (step 0 included).

    Each run samples minibatches of ``batch_size`` without replacement from its own dataset,
    reshuffled every epoch (``n_train // batch_size`` steps) by a generator seeded with the
    run's seed: runs with the same seed share initialisation and data order (common random
    numbers, as in the authors' code). Results depend only on each run's own row.

    Returns a :class:`~grokutils.core.trajectory.Trajectory` with the series ``[runs, T]``
    (full-batch, at ``steps = 0, eval_every, ...``): ``train_loss`` and ``train_error`` on the
    run's own (noisy) labels; clean ``test_loss`` and ``test_error``; ``test_loss_noisy``, the
    exact expected test loss under the run's label noise, (1−p)ℓ(x,y) + p/(K−1) Σ_{y'≠y}
    ℓ(x,y'); with ``record_gradient`` the gradient norm of the data loss ``grad_norm`` and of
    the regularised objective ``grad_norm_reg``; ``weight_norm``; ``displacement``
    ‖w_t − w_{t−eval_every}‖ (NaN at step 0, which has no previous record). ``runs`` is the
    table of runs (index reset); ``final`` holds ``burn_in [runs]``, ``test_point_loss [runs,
    n_test]`` (each test point's loss averaged over the records at steps ≥ burn_in, see
    :func:`after_burn_in`) and ``weights``, the final ``[W1, b1, ...]`` (``[runs, ...]``
    arrays).
    """
    _check_runs(runs, data)
    if not 1 <= batch_size <= data.n_train:
        raise ValueError(f"batch_size must be in [1, {data.n_train}]; got {batch_size}")
    if steps < 1 or eval_every < 1 or not 0 <= burn_in <= steps:
        raise ValueError(
            f"need steps >= 1, eval_every >= 1, 0 <= burn_in <= steps; got {steps}, "
            f"{eval_every}, {burn_in}"
        )
    runs = runs.reset_index(drop=True)
    n_runs = len(runs)
    widths = (data.x.shape[1], *hidden, N_CLASSES)
    params = init_mlp(runs["seed"].to_numpy(), widths, runs["init_shift"].to_numpy())
    velocity = [torch.zeros_like(w) for w in params]
    for w in params:
        w.requires_grad_(True)

    rows = data.members[torch.tensor(runs["dataset"].to_numpy())]  # [runs, n_train]
    level = torch.as_tensor([data.noise_levels.index(p) for p in runs["noise"]])
    labels = data.labels[level[:, None], rows]  # [runs, n_train]
    lr = torch.tensor(runs["lr"].to_numpy(), dtype=torch.float32)
    wd = torch.tensor(runs["weight_decay"].to_numpy(), dtype=torch.float32)
    kind = runs["schedule"].map(SCHEDULES.index).to_numpy()
    multipliers = np.stack([lr_multiplier(s, steps) for s in SCHEDULES])[kind]  # [runs, steps]
    lr_table = torch.as_tensor(multipliers, dtype=torch.float32) * lr[:, None]
    p_noise = torch.tensor(runs["noise"].to_numpy(), dtype=torch.float32)
    wd_b = wd.view(-1, 1, 1)
    mu_b = torch.tensor(runs["momentum"].to_numpy(), dtype=torch.float32).view(-1, 1, 1)

    seeds, seed_code = np.unique(runs["seed"].to_numpy(), return_inverse=True)
    order_rngs = [np.random.default_rng([int(s), 1]) for s in seeds]
    per_epoch = data.n_train // batch_size
    evaluate = _Evaluator(data, rows, labels, p_noise, wd, record_gradient, burn_in)
    rec = Recorder(np.arange(0, steps + 1, eval_every))
    for t in range(steps + 1):
        if rec.due(t):
            rec.add(t, **evaluate(params, t))
        if t == steps:
            break
        if t % per_epoch == 0:  # one permutation per distinct seed and epoch
            perms = np.stack([g.permutation(data.n_train) for g in order_rngs])[seed_code]
            order = torch.as_tensor(perms[:, : per_epoch * batch_size]).view(
                n_runs, per_epoch, batch_size
            )
        pos = order[:, t % per_epoch]  # [runs, batch]
        xb = data.x[rows.gather(1, pos)]  # [runs, batch, in]
        loss = per_example_loss(mlp_logits(params, xb), labels.gather(1, pos)).mean(1)
        grads = torch.autograd.grad(loss.sum(), params)  # runs are independent: block gradient
        with torch.no_grad():
            lr_t = lr_table[:, t, None, None]
            momentum_sgd_(params, grads, velocity, lr=lr_t, momentum=mu_b, weight_decay=wd_b)
    return rec.trajectory(
        runs=runs,
        burn_in=np.full(n_runs, burn_in),
        test_point_loss=evaluate.test_point_loss(),
        weights=[w.detach().cpu().numpy().copy() for w in params],
    )


class _Evaluator:
    """Full-batch measurements ``{series: [runs]}`` of all runs at once (see
    :func:`train_ensemble`), and the running sum of the per-test-point losses after burn-in."""

    def __init__(self, data, rows, labels, p_noise, wd, record_gradient, burn_in):
        self.data, self.labels, self.p, self.wd = data, labels, p_noise, wd
        self.x_train = data.x[rows]  # [runs, n_train, in]
        self.record_gradient, self.burn_in = record_gradient, burn_in
        self.previous: torch.Tensor | None = None
        self.point_sum = torch.zeros(len(rows), len(data.y_test), dtype=torch.float64)
        self.n_point = 0

    def __call__(self, params: list[torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        rec = {}
        with torch.set_grad_enabled(self.record_gradient):
            logits = mlp_logits(params, self.x_train)
            loss = per_example_loss(logits, self.labels).mean(1)  # [runs]
        flat = torch.cat([w.detach().flatten(1) for w in params], 1)  # [runs, n_params]
        if self.record_gradient:
            grad = torch.cat([g.flatten(1) for g in torch.autograd.grad(loss.sum(), params)], 1)
            rec["grad_norm"] = grad.norm(dim=1)
            rec["grad_norm_reg"] = (grad + self.wd[:, None] * flat).norm(dim=1)
            logits, loss = logits.detach(), loss.detach()
        with torch.no_grad():
            rec["train_loss"] = loss
            rec["train_error"] = (logits.argmax(-1) != self.labels).float().mean(1)
            test_logits = mlp_logits(params, self.data.x_test)  # [runs, n_test, classes]
            nll = -torch.log_softmax(test_logits, -1)
            clean = nll.gather(-1, self.data.y_test.expand(nll.shape[:-1]).unsqueeze(-1))[..., 0]
            p = self.p.view(-1, 1)
            noisy = (1 - p) * clean + p / (N_CLASSES - 1) * (nll.sum(-1) - clean)
            rec["test_loss"] = clean.mean(1)
            rec["test_loss_noisy"] = noisy.mean(1)
            rec["test_error"] = (test_logits.argmax(-1) != self.data.y_test).float().mean(1)
            rec["weight_norm"] = flat.norm(dim=1)
            rec["displacement"] = (
                (flat - self.previous).norm(dim=1)
                if self.previous is not None
                else torch.full((len(loss),), float("nan"))
            )
            self.previous = flat
            if step >= self.burn_in:
                self.point_sum += clean.double()
                self.n_point += 1
        return rec

    def test_point_loss(self) -> np.ndarray:
        """``[runs, n_test]``: each test point's loss averaged over the records after burn-in."""
        return (self.point_sum / max(self.n_point, 1)).cpu().numpy()
