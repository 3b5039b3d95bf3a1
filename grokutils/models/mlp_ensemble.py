"""An ensemble of small MLPs on one-sample-perturbed digits, trained by SGD as one tensor program.

The statistical-stability experiments (Chandramoorthy et al. 2022) and the non-convergence
experiments (Zhang et al. 2022) need many runs of the same small network: several datasets
that differ in one example, several seeds, several learning rates, label-noise levels and
schedules. Here every run is a slice of one batched computation: weights are ``[runs, in, out]``
tensors, each run draws its own minibatches from its own dataset (its order fixed by its
seed), and one batched matrix product per layer trains them all.

- :func:`perturbed_digits`: the base training set S₀ and S_k = S₀ with example k−1 replaced
  by a spare example, with noisy labels drawn *once per noise level* from a fixed seed;
- :func:`run_grid`: the table of runs (one row a run: dataset, seed, noise level, lr,
  momentum, weight decay, schedule, initial shift);
- :func:`train_ensemble`: SGD with momentum and weight decay on all runs at once, evaluated
  along the trajectory (:class:`Trajectory`);
- :func:`sas_grid_point` (a sweep point of the SAS grid), :func:`nonconvergence_runs` and
  :func:`nonconvergence_checks` (the non-convergence experiments), :func:`sharpness`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from grokutils.book.sweep import grid
from grokutils.data.digits import digits_split
from grokutils.measures.hessian import top_eigenvalue
from grokutils.measures.stability import time_average, window_means

N_CLASSES = 10
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


def flip_labels(y: np.ndarray, p: float, n_classes: int, seed: int | list[int]) -> np.ndarray:
    """Each label replaced with probability ``p`` by a uniformly drawn *other* class (``seed``:
    anything ``np.random.default_rng`` takes)."""
    if not 0 <= p < 1:
        raise ValueError(f"p must be in [0, 1); got {p}")
    rng = np.random.default_rng(seed)
    flip = rng.random(len(y)) < p
    shift = rng.integers(1, n_classes, size=len(y))  # never 0: always another class
    return np.where(flip, (y + shift) % n_classes, y)


@dataclass(frozen=True)
class PerturbedDigits:
    """Digits datasets that differ in one example, with noisy labels per noise level.

    ``x [n_train + n_pool, 64]`` holds the training examples then the spare pool;
    ``labels [levels, n_train + n_pool]`` the labels at each of ``noise_levels`` (the same
    corrupted labels for every dataset and run at that level); ``members [datasets, n_train]``
    the rows of ``x`` in each dataset. Test labels are clean.
    """

    x: torch.Tensor
    labels: torch.Tensor
    noise_levels: tuple[float, ...]
    members: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def n_train(self) -> int:
        return self.members.shape[1]


def perturbed_digits(
    noise_levels, n_datasets: int, n_train: int = 1000, n_pool: int = 100, seed: int = 0
) -> PerturbedDigits:
    """S₀ = the first ``n_train`` examples of a seeded digits split, and for k = 1..n_datasets−1
    S_k = S₀ with example k−1 replaced by pool example k−1 (replace-one: S_k ≃ S₀, and S_j, S_k
    differ in two examples). The label noise of level p flips each label (pool included) with
    probability p, drawn once from a seed derived from (``seed``, p)."""
    levels = tuple(float(p) for p in noise_levels)
    if not levels:
        raise ValueError("noise_levels must not be empty")
    if not 1 <= n_datasets <= n_pool + 1:
        raise ValueError(f"n_datasets must be in [1, n_pool + 1 = {n_pool + 1}]; got {n_datasets}")
    d = digits_split(n_train=n_train, n_pool=n_pool, seed=seed)
    y = np.concatenate([d["y_train"], d["y_pool"]])
    labels = np.stack([flip_labels(y, p, N_CLASSES, seed=[seed, round(p * 1e6)]) for p in levels])
    members = np.tile(np.arange(n_train), (n_datasets, 1))
    k = np.arange(1, n_datasets)
    members[k, k - 1] = n_train + k - 1
    return PerturbedDigits(
        x=torch.from_numpy(np.concatenate([d["x_train"], d["x_pool"]])),
        labels=torch.from_numpy(labels),
        noise_levels=levels,
        members=torch.from_numpy(members),
        x_test=torch.from_numpy(d["x_test"]),
        y_test=torch.from_numpy(d["y_test"]),
    )


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


def init_mlp(seeds, widths, init_shift=None) -> list[torch.Tensor]:
    """He-initialised MLP weights of each run, ``[W1, b1, W2, b2, ...]`` with ``W [runs, in,
    out]`` and ``b [runs, 1, out]`` (zeros). A run's weights depend only on its seed;
    ``init_shift [runs]`` is added to its output bias of class 0 (Lyapunov twins; a
    first-layer weight could multiply a pixel that is blank in every image)."""
    seeds = np.asarray(seeds)
    unique, code = np.unique(seeds, return_inverse=True)
    per_seed = []
    for s in unique:  # one generator per distinct seed (runs that share it share the init)
        g = torch.Generator().manual_seed(int(s))
        per_seed.append(
            [
                torch.randn(a, b, generator=g) * math.sqrt(2 / a)
                for a, b in itertools.pairwise(widths)
            ]
        )
    index = torch.from_numpy(code)
    params = []
    for layer, b in enumerate(widths[1:]):
        params.append(torch.stack([w[layer] for w in per_seed])[index])
        params.append(torch.zeros(len(seeds), 1, b))
    if init_shift is not None:
        params[-1][:, 0, 0] += torch.tensor(np.asarray(init_shift, dtype=np.float32))
    return params


def mlp_logits(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Logits ``[runs, n, classes]`` of the batched ReLU MLP; ``x`` is ``[runs, n, in]`` (each
    run its own inputs) or ``[n, in]`` (inputs shared by all runs)."""
    h = x
    for layer in range(0, len(params), 2):
        w, b = params[layer], params[layer + 1]
        h = torch.baddbmm(b, h, w) if h.dim() == 3 else torch.matmul(h, w) + b
        if layer < len(params) - 2:
            h = torch.relu(h)
    return h


def per_example_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy ``[runs, n]`` of logits ``[runs, n, classes]`` against labels ``[runs, n]``
    (or ``[n]``, shared)."""
    logp = torch.log_softmax(logits, -1)
    labels = labels.expand(logits.shape[:-1])
    return -logp.gather(-1, labels.unsqueeze(-1)).squeeze(-1)


@dataclass
class Trajectory:
    """Measurements along the training of ``runs`` (one table row per run).

    Arrays are ``[runs, evals]`` at the optimiser steps ``step [evals]``: full-batch training
    loss on the run's own (noisy) labels ``train_loss`` and error ``train_error``; clean test
    loss ``test_loss`` and error ``test_error``; ``test_loss_noisy``, the exact expected test
    loss under the run's label noise, (1−p)ℓ(x,y) + p/(K−1) Σ_{y'≠y} ℓ(x,y'); the full-batch
    gradient norm of the data loss ``grad_norm`` and of the regularised objective
    ``grad_norm_reg`` (NaN unless recorded); the weight norm ``weight_norm`` and the
    displacement ``displacement`` ‖w_t − w_{t−eval_every}‖. ``test_point_loss [runs, n_test]``
    is each test point's loss averaged over the evaluations at steps ≥ ``burn_in``;
    ``final_weights`` the weights ``[W1, b1, ...]`` (``[runs, ...]`` arrays) after the last step.
    """

    runs: pd.DataFrame
    step: np.ndarray
    burn_in: int
    series: dict[str, np.ndarray] = field(default_factory=dict)
    test_point_loss: np.ndarray | None = None
    final_weights: list[np.ndarray] = field(default_factory=list)

    def __getattr__(self, name: str) -> np.ndarray:
        series = self.__dict__.get("series", {})
        if name in series:
            return series[name]
        raise AttributeError(name)

    @property
    def after_burn_in(self) -> np.ndarray:
        """Mask ``[evals]`` of the evaluations at steps ≥ burn_in."""
        return self.step >= self.burn_in


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
    evaluator = _Evaluator(data, rows, labels, p_noise, wd, record_gradient, burn_in)
    evaluator(params, 0)
    for t in range(steps):
        if t % per_epoch == 0:  # one permutation per distinct seed and epoch
            perms = np.stack([g.permutation(data.n_train) for g in order_rngs])[seed_code]
            order = torch.from_numpy(perms[:, : per_epoch * batch_size]).view(
                n_runs, per_epoch, batch_size
            )
        pos = order[:, t % per_epoch]  # [runs, batch]
        xb = data.x[rows.gather(1, pos)]  # [runs, batch, in]
        loss = per_example_loss(mlp_logits(params, xb), labels.gather(1, pos)).mean(1)
        grads = torch.autograd.grad(loss.sum(), params)  # runs are independent: block gradient
        with torch.no_grad():
            torch._foreach_mul_(velocity, [mu_b] * len(params))
            torch._foreach_add_(velocity, grads)
            torch._foreach_addcmul_(velocity, [wd_b] * len(params), params)
            torch._foreach_addcmul_(params, [-lr_table[:, t, None, None]] * len(params), velocity)
        if (t + 1) % eval_every == 0:
            evaluator(params, t + 1)
    traj = evaluator.trajectory(runs)
    traj.final_weights = [w.detach().numpy().copy() for w in params]
    return traj


class _Evaluator:
    """Full-batch measurements of all runs at once (see :class:`Trajectory`)."""

    def __init__(self, data, rows, labels, p_noise, wd, record_gradient, burn_in):
        self.data, self.labels, self.p, self.wd = data, labels, p_noise, wd
        self.x_train = data.x[rows]  # [runs, n_train, in]
        self.record_gradient, self.burn_in = record_gradient, burn_in
        self.records: dict[str, list] = {name: [] for name in SERIES}
        self.steps: list[int] = []
        self.previous: torch.Tensor | None = None
        self.point_sum = torch.zeros(len(rows), len(data.y_test), dtype=torch.float64)
        self.n_point = 0

    def __call__(self, params: list[torch.Tensor], step: int) -> None:
        rec = self.records
        with torch.set_grad_enabled(self.record_gradient):
            logits = mlp_logits(params, self.x_train)
            loss = per_example_loss(logits, self.labels).mean(1)  # [runs]
        flat = torch.cat([w.detach().flatten(1) for w in params], 1)  # [runs, n_params]
        if self.record_gradient:
            grad = torch.cat([g.flatten(1) for g in torch.autograd.grad(loss.sum(), params)], 1)
            rec["grad_norm"].append(grad.norm(dim=1))
            rec["grad_norm_reg"].append((grad + self.wd[:, None] * flat).norm(dim=1))
            logits, loss = logits.detach(), loss.detach()
        else:
            nan = torch.full((len(loss),), float("nan"))
            rec["grad_norm"].append(nan)
            rec["grad_norm_reg"].append(nan)
        with torch.no_grad():
            rec["train_loss"].append(loss)
            rec["train_error"].append((logits.argmax(-1) != self.labels).float().mean(1))
            test_logits = mlp_logits(params, self.data.x_test)  # [runs, n_test, classes]
            nll = -torch.log_softmax(test_logits, -1)
            clean = nll.gather(-1, self.data.y_test.expand(nll.shape[:-1]).unsqueeze(-1))[..., 0]
            p = self.p.view(-1, 1)
            noisy = (1 - p) * clean + p / (N_CLASSES - 1) * (nll.sum(-1) - clean)
            rec["test_loss"].append(clean.mean(1))
            rec["test_loss_noisy"].append(noisy.mean(1))
            rec["test_error"].append((test_logits.argmax(-1) != self.data.y_test).float().mean(1))
            now = flat
            rec["weight_norm"].append(now.norm(dim=1))
            moved = (
                (now - self.previous).norm(dim=1)
                if self.previous is not None
                else torch.full((len(loss),), float("nan"))
            )
            rec["displacement"].append(moved)
            self.previous = now
            if step >= self.burn_in:
                self.point_sum += clean.double()
                self.n_point += 1
        self.steps.append(step)

    def trajectory(self, runs: pd.DataFrame) -> Trajectory:
        series = {
            name: torch.stack(values, 1).detach().numpy().astype(np.float64)
            for name, values in self.records.items()
        }
        points = (self.point_sum / max(self.n_point, 1)).numpy()
        return Trajectory(runs, np.array(self.steps), self.burn_in, series, points)


def sharpness(
    data: PerturbedDigits, traj: Trajectory, rows=None, n_iter: int = 20, seed: int = 0
) -> np.ndarray:
    """Top Hessian eigenvalue of each run's full-batch training loss (its own labels; the
    weight-decay term would add λ) at its final weights, by power iteration batched over runs
    (:func:`grokutils.measures.hessian.top_eigenvalue`): ``[len(rows)]`` for the runs at positions
    ``rows`` (default all). Gradient descent with heavy-ball momentum μ is stable only while
    it stays below 2(1+μ)/η."""
    rows = np.arange(len(traj.runs)) if rows is None else np.asarray(rows)
    runs = traj.runs.iloc[rows]
    members = data.members[torch.tensor(runs["dataset"].to_numpy())]
    level = torch.as_tensor([data.noise_levels.index(p) for p in runs["noise"]])
    x, labels = data.x[members], data.labels[level[:, None], members]

    def loss(params: list[torch.Tensor]) -> torch.Tensor:
        return per_example_loss(mlp_logits(params, x), labels).mean(1).sum()

    weights = [torch.from_numpy(w[rows]) for w in traj.final_weights]
    generator = torch.Generator().manual_seed(seed)
    top = top_eigenvalue(loss, weights, n_iter=n_iter, batched=True, generator=generator)
    return top.numpy().astype(np.float64)


def sas_grid_point(
    batch_size: int,
    noise_levels: list[float],
    lrs: list[float],
    n_datasets: int,
    n_seeds: int,
    steps: int,
    burn_in: int,
    eval_every: int,
    weight_decay: float,
    seed: int,
) -> Trajectory:
    """One batch size of the SAS grid (a :mod:`grokutils.book.sweep` point): every noise level ×
    learning rate × perturbed dataset × seed as one batched run, SGD with momentum 0.9 and
    weight decay, no gradient recording. Run seeds are ``1000 seed + 0..n_seeds−1``; the
    datasets (and their label noise) are the same for every ``seed``."""
    data = perturbed_digits(noise_levels, n_datasets=n_datasets)
    runs = run_grid(
        noise=noise_levels,
        lr=lrs,
        dataset=range(n_datasets),
        seed=[1000 * seed + s for s in range(n_seeds)],
        weight_decay=[weight_decay],
    )
    traj = train_ensemble(
        data,
        runs,
        batch_size=batch_size,
        steps=steps,
        eval_every=eval_every,
        burn_in=burn_in,
        record_gradient=False,
    )
    traj.runs["batch_size"] = batch_size
    return traj


def nonconvergence_runs(
    n_ensemble: int,
    n_small: int,
    lr: float,
    weight_decay: float,
    noise: float,
    shift: float,
    n_twins: int | None = None,
) -> pd.DataFrame:
    """The runs of the non-convergence experiments (Zhang et al. 2022, on digits), labelled by
    a ``group`` column, all on dataset 0:

    - ``constant``: ``n_ensemble`` seeds, label noise, weight decay, constant lr;
    - ``twin``: the first ``n_twins`` (default ``n_small``, at most ``n_ensemble``) of those
      seeds with the class-0 output bias shifted by ``shift`` (Lyapunov twins);
    - ``step`` and ``cosine``: the same with the learning rate decayed;
    - ``clean_wd``: no label noise, weight decay (a gradient balanced by weight decay);
    - ``control``: plain SGD (no momentum) at lr ×2, no label noise, no weight decay (an
      interpolating problem, which converges).
    """
    n_twins = n_small if n_twins is None else n_twins
    if not 1 <= n_twins <= n_ensemble:
        raise ValueError(f"n_twins must be in [1, n_ensemble = {n_ensemble}]; got {n_twins}")
    common = dict(noise=[noise], lr=[lr], weight_decay=[weight_decay])
    small = range(n_small)
    parts = {
        "constant": run_grid(seed=range(n_ensemble), **common),
        "twin": run_grid(seed=range(n_twins), init_shift=[shift], **common),
        "step": run_grid(seed=small, schedule=["step"], **common),
        "cosine": run_grid(seed=small, schedule=["cosine"], **common),
        "clean_wd": run_grid(seed=small, lr=[lr], weight_decay=[weight_decay]),
        "control": run_grid(seed=small, lr=[2 * lr], momentum=[0.0]),
    }
    return pd.concat([df.assign(group=name) for name, df in parts.items()], ignore_index=True)


def nonconvergence_checks(traj: Trajectory) -> dict[str, float | np.ndarray]:
    """The measurements behind claims S1, Z0, Z1 and Z2 on a trajectory of
    :func:`nonconvergence_runs` (its ``group`` column), after burn-in unless stated:

    - ``grad_windows``, ``disp_windows`` ``[3]``: mean gradient norm and displacement of the
      constant-lr ensemble in the first, second and last third;
    - ``grad_cut``, ``loss_cut``: gradient norm and training loss, constant / step decay, over
      the last sixth of the run;
    - ``control_ratio``: the plain-SGD control's final gradient norm over its value at 10 % of
      the run (the spec's 1.2k of 12k steps), median over seeds;
    - ``twin_spread``: RMS of the twins' test-loss difference over the SD of the test loss
      (median over pairs); ``twin_z``: the largest |difference of time averages| / its SE.
    """
    rows = {g: traj.runs.index[traj.runs.group == g].to_numpy() for g in traj.runs.group.unique()}
    post = traj.after_burn_in
    const, twin = rows["constant"], rows["twin"]
    base = const[: len(twin)]  # the twins' unshifted partners (same seeds, same order)
    end = slice(-max(1, int(post.sum()) // 6), None)
    early = np.searchsorted(traj.step, traj.step[-1] // 10)
    grad, loss, test = traj.grad_norm, traj.train_loss, traj.test_loss
    diff = (test[twin] - test[base])[:, post]
    avg = time_average(diff)
    return {
        "grad_windows": window_means(grad[const][:, post], 3).mean(0),
        "disp_windows": window_means(traj.displacement[const][:, post], 3).mean(0),
        "grad_cut": float(grad[const][:, end].mean() / grad[rows["step"]][:, end].mean()),
        "loss_cut": float(loss[const][:, end].mean() / loss[rows["step"]][:, end].mean()),
        "control_ratio": float(
            np.median(grad[rows["control"]][:, -1] / grad[rows["control"]][:, early])
        ),
        "twin_spread": float(np.median(np.sqrt((diff**2).mean(1)) / test[base][:, post].std(1))),
        "twin_z": float(np.max(np.abs(avg.mean) / avg.se)),
    }
