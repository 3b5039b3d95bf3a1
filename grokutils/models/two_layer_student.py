"""Two-layer teacher-student networks of Levi, Beck & Bar-Sinai (Sec. 4, Fig. 5), batched over runs.

Teacher ``f_T(x) = T₁ᵀ σ(g T₀ᵀx)/g`` and student ``f_S`` alike, ``σ`` = identity or ``tanh``,
``T₀, S₀ ∈ R^{d_in×d_h}`` with entries ``N(0, 1/(2 d_in d_h))`` and ``T₁, S₁ ∈ R^{d_h×d_out}``
with entries ``N(0, 1/(2 d_h d_out))`` (App. A), loss = MSE over samples and outputs (eq. 17),
full-batch GD. The gain ``g`` probes non-linearity (reviewer 2's test): dividing by ``g`` keeps
the linearised network, hence eq. 19's theory, independent of ``g`` while the pre-activations
grow as ``g²/(2 d_h)``. (Equivalently, the spec's ``tanh(g·)`` with ``η/g²`` and ``ε g²``.)

Every tensor has a leading ``[runs]`` dimension; each run has its own seed and gain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

ACTIVATIONS = ("linear", "tanh")


@dataclass(frozen=True)
class TwoLayerProblem:
    """Data and initial weights of a batch of runs (float32 tensors).

    ``x_train [runs, N_tr, d_in]``, ``x_gen [runs, N_gen, d_in]``, ``teacher_in`` and
    ``student_in [runs, d_in, d_h]``, ``teacher_out`` and ``student_out [runs, d_h, d_out]``.
    """

    x_train: torch.Tensor
    x_gen: torch.Tensor
    teacher_in: torch.Tensor
    teacher_out: torch.Tensor
    student_in: torch.Tensor
    student_out: torch.Tensor


def two_layer_problem(
    d_in: int, n_train: int, d_hidden: int, d_out: int, seeds, *, n_gen: int = 4000
) -> TwoLayerProblem:
    """One run per seed; ``np.random.default_rng(seed)`` draws ``T₀, T₁, S₀, S₁, X_tr, X_gen``
    in that order, so a seed gives the same network whatever the activation or gain."""
    sizes = {"d_in": d_in, "n_train": n_train, "d_hidden": d_hidden, "d_out": d_out}
    for name, value in {**sizes, "n_gen": n_gen}.items():
        if not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}")
    std_in, std_out = 1 / np.sqrt(2 * d_in * d_hidden), 1 / np.sqrt(2 * d_hidden * d_out)
    draws = []
    for seed in np.atleast_1d(seeds):
        rng = np.random.default_rng(int(seed))
        draws.append(
            (
                rng.standard_normal((n_train, d_in)),
                rng.standard_normal((n_gen, d_in)),
                std_in * rng.standard_normal((d_in, d_hidden)),
                std_out * rng.standard_normal((d_hidden, d_out)),
                std_in * rng.standard_normal((d_in, d_hidden)),
                std_out * rng.standard_normal((d_hidden, d_out)),
            )
        )
    x_train, x_gen, t_in, t_out, s_in, s_out = (
        torch.as_tensor(np.stack(a), dtype=torch.float32) for a in zip(*draws, strict=True)
    )
    return TwoLayerProblem(x_train, x_gen, t_in, t_out, s_in, s_out)


def _forward(x, w_in, w_out, activation: str, gain: torch.Tensor) -> torch.Tensor:
    """Network outputs ``[runs, samples, d_out]``; ``gain [runs]``."""
    pre = x @ w_in
    if activation == "tanh":
        g = gain[:, None, None]
        return torch.tanh(g * pre) / g @ w_out
    return pre @ w_out


def train_two_layer(
    problem: TwoLayerProblem,
    *,
    activation: str,
    eta: float,
    steps: int,
    eps: float,
    eval_every: int = 50,
    gain=1.0,
) -> dict[str, np.ndarray]:
    """Full-batch GD on the MSE (eq. 17); losses and accuracies every ``eval_every`` steps.

    ``gain``: scalar or one value per run. Returns ``step [n_eval]`` and ``train_loss``,
    ``gen_loss``, ``train_accuracy``, ``gen_accuracy`` ``[runs, n_eval]`` (accuracy: fraction of
    samples whose squared error averaged over outputs is below ``eps``; gen = fresh samples).
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
    y_train = _forward(problem.x_train, problem.teacher_in, problem.teacher_out, activation, gain)
    y_gen = _forward(problem.x_gen, problem.teacher_in, problem.teacher_out, activation, gain)
    w_in, w_out = problem.student_in.clone(), problem.student_out.clone()
    n_train, d_out = problem.x_train.shape[1], w_out.shape[2]
    if activation == "linear":  # MSE = Tr(DᵀΣ_tr D)/d_out: O(d_in² d_out) a step, not O(N d_in d_h)
        sigma = problem.x_train.transpose(1, 2) @ problem.x_train / n_train
        teacher_map = problem.teacher_in @ problem.teacher_out
    record = {k: [] for k in ("train_loss", "gen_loss", "train_accuracy", "gen_accuracy")}
    for step in range(steps + 1):
        if step % eval_every == 0:
            for name, x, y in (("train", problem.x_train, y_train), ("gen", problem.x_gen, y_gen)):
                per_sample = ((_forward(x, w_in, w_out, activation, gain) - y) ** 2).mean(-1)
                record[f"{name}_loss"].append(per_sample.mean(-1).double().numpy())
                record[f"{name}_accuracy"].append((per_sample < eps).double().mean(-1).numpy())
        if step == steps:
            break
        if activation == "linear":  # eq. 38: gradients through the end-to-end map D
            grad_map = 2 / d_out * sigma @ (w_in @ w_out - teacher_map)
            grad_in, grad_out = grad_map @ w_out.transpose(1, 2), w_in.transpose(1, 2) @ grad_map
        else:  # backpropagation through tanh(g·)/g, whose derivative is 1 - tanh²
            g = gain[:, None, None]
            hidden = torch.tanh(g * (problem.x_train @ w_in))
            grad_y = 2 / (n_train * d_out) * (hidden / g @ w_out - y_train)
            grad_out = (hidden / g).transpose(1, 2) @ grad_y
            grad_pre = (grad_y @ w_out.transpose(1, 2)) * (1 - hidden**2)
            grad_in = problem.x_train.transpose(1, 2) @ grad_pre
        w_in -= eta * grad_in
        w_out -= eta * grad_out
    out = {key: np.stack(values, axis=1) for key, values in record.items()}
    out["step"] = np.arange(0, steps + 1, eval_every)
    return out
