"""The linear student of Levi, Beck & Bar-Sinai, trained by exact full-batch GD.

Loss = mean squared error over samples and outputs (eq. 1), full-batch GD with learning rate
``η`` and weight decay ``γ`` in the paper's eq. 3 convention (decay divided by ``d_out``;
``torch.optim.SGD(weight_decay=γ/d_out)``). The data, in the eigenbasis of each run's training
covariance, come from :func:`.task.teacher_student`.

The trick that makes every trajectory exact and cheap: in the eigenbasis ``Σ_tr = P diag(ν) Pᵀ``
GD acts on each row of ``D̄ = Pᵀ(S - T)`` independently,
``D̄_{t+1} = r D̄_t + (η/d_out)(2b̄ - γT̄)`` with ``r = 1 - (η/d_out)(2ν + γ)`` and the label-noise
forcing ``b̄ = PᵀXᵀδ/N``, so ``D̄_t = rᵗ(D̄₀ - D̄*) + D̄*`` at any integer step ``t`` after one
eigendecomposition (§2.1 of the chapter's spec). Every array carries a leading ``[runs]``
dimension: independent seeds are one batch.
"""

from __future__ import annotations

import numpy as np
import torch

from grokutils.chapters.linear_grokking.task import TeacherStudent
from grokutils.core.trajectory import Trajectory


def _decay_and_fixed_point(problem: TeacherStudent, eta: float, gamma: float):
    """Per-mode contraction ``r [runs, d_in, 1]`` and fixed point ``D̄* [runs, d_in, d_out]``."""
    if eta <= 0 or gamma < 0:
        raise ValueError(f"eta must be > 0 and gamma >= 0; got eta={eta}, gamma={gamma}")
    stiffness = (2 * problem.nu + gamma)[..., None]
    r = 1 - eta / problem.d_out * stiffness
    if np.any(r <= 0):
        raise ValueError(
            f"eta={eta} is too large: GD oscillates or diverges (needs eta < d_out/(2ν_max + γ) "
            f"= {problem.d_out / stiffness.max():.3g})"
        )
    target = 2 * problem.forcing - gamma * problem.teacher
    fixed = np.divide(target, stiffness, out=np.zeros_like(target), where=stiffness > 0)
    return r, fixed


def distance_at(problem: TeacherStudent, steps, *, eta: float, gamma: float = 0.0) -> np.ndarray:
    """Exact GD iterate ``D̄_t = rᵗ(D̄₀ - D̄*) + D̄*`` (eigenbasis), ``[runs, n_t, d_in, d_out]``.

    ``steps``: GD steps, ``[n_t]`` (shared) or ``[runs, n_t]`` (one list per run).
    """
    steps = np.asarray(steps, dtype=float)
    if np.any(steps < 0):
        raise ValueError("steps must be >= 0")
    steps = np.broadcast_to(steps, (problem.runs, steps.shape[-1]))
    r, fixed = _decay_and_fixed_point(problem, eta, gamma)
    powers = r[:, None, :, :] ** steps[:, :, None, None]
    return powers * (problem.d0 - fixed)[:, None] + fixed[:, None]


def measure(
    problem: TeacherStudent,
    steps,
    *,
    eta: float,
    eps: float,
    gamma: float = 0.0,
    chunk_elements: int = 2**23,
) -> dict[str, np.ndarray]:
    """Losses and accuracies of exact GD after ``steps`` updates, each ``[runs, n_t]``.

    ``steps``: ``[n_t]`` (shared) or ``[runs, n_t]`` (one list per run). Keys: ``train_loss``
    (against the noisy training labels, eq. 1), ``test_loss`` (the exact population loss
    ``‖D‖²/d_out``, eq. 2), ``test_loss_empirical`` (mean over the ``N_gen`` test samples),
    ``train_acc`` and ``test_acc`` (fraction of samples whose squared error, averaged over
    outputs, is below ``eps``). Steps are evaluated in chunks of about ``chunk_elements``
    per-sample errors to bound memory.
    """
    if eps <= 0:
        raise ValueError(f"eps must be > 0; got {eps}")
    steps = np.broadcast_to(np.asarray(steps, dtype=float), (problem.runs, np.shape(steps)[-1]))
    n_samples = problem.n_train + problem.z_gen.shape[1]
    per_chunk = max(1, chunk_elements // (n_samples * problem.d_out * problem.runs))
    parts = []
    for start in range(0, steps.shape[1], per_chunk):
        chunk = steps[:, start : start + per_chunk]
        dist = distance_at(problem, chunk, eta=eta, gamma=gamma)
        flat = dist.transpose(0, 2, 1, 3).reshape(problem.runs, problem.d_in, -1)
        shape = (problem.runs, -1, chunk.shape[1], problem.d_out)  # [runs, samples, n_t, d_out]
        train_err = (problem.z_train @ flat).reshape(shape) - problem.noise[:, :, None]
        test_err = (problem.z_gen @ flat).reshape(shape)
        train_mse, test_mse = (train_err**2).mean(-1), (test_err**2).mean(-1)
        parts.append(
            {
                "train_loss": train_mse.mean(1),
                "test_loss": (dist**2).sum((-2, -1)) / problem.d_out,
                "test_loss_empirical": test_mse.mean(1),
                "train_acc": (train_mse < eps).mean(1),
                "test_acc": (test_mse < eps).mean(1),
            }
        )
    return {key: np.concatenate([p[key] for p in parts], axis=1) for key in parts[0]}


def trajectory(
    problem: TeacherStudent, steps, *, eta: float, eps: float, gamma: float = 0.0
) -> Trajectory:
    """:func:`measure` at the shared, increasing ``steps [T]``, as a :class:`Trajectory` with the
    series ``train_loss``, ``test_loss``, ``test_loss_empirical``, ``train_acc``, ``test_acc``
    ``[runs, T]``."""
    steps = np.asarray(steps)
    if steps.ndim != 1:
        raise ValueError(f"steps must be shared by every run, [T]; got shape {steps.shape}")
    return Trajectory(steps, measure(problem, steps, eta=eta, eps=eps, gamma=gamma))


def grokking_steps(
    problem: TeacherStudent,
    *,
    eta: float,
    eps: float,
    accuracy: float = 0.95,
    gamma: float = 0.0,
    t_max: float = 1e7,
    grid_points: int = 200,
) -> tuple[np.ndarray, np.ndarray]:
    """``(t*_tr, t*_gen)``: first GD steps at which the train and the test accuracy reach
    ``accuracy``, each ``[runs]`` (``inf``: not within ``t_max``).

    One log grid of integer steps brackets both first crossings; integer bisection then finds
    the exact steps (exact wherever the accuracy does not dip back below between grid points).
    All runs bisect together.
    """
    grid = np.unique(np.round(np.concatenate([[0], np.geomspace(1, t_max, grid_points)])))
    on_grid = measure(problem, grid, eta=eta, eps=eps, gamma=gamma)
    times = []
    for key in ("train_acc", "test_acc"):
        hit = on_grid[key] >= accuracy
        found = hit.any(1)
        first = np.where(found, hit.argmax(1), len(grid) - 1)
        hi = grid[first]
        lo = np.where(first > 0, grid[np.maximum(first - 1, 0)], hi)
        while np.any(hi - lo > 1):
            mid = np.floor((lo + hi) / 2)
            at_mid = measure(problem, mid[:, None], eta=eta, eps=eps, gamma=gamma)[key]
            ok = at_mid[:, 0] >= accuracy
            lo, hi = np.where(ok, lo, mid), np.where(ok, mid, hi)
        times.append(np.where(found, hi, np.inf))
    return times[0], times[1]


def sgd_reference(
    problem: TeacherStudent, steps: int, *, eta: float, gamma: float = 0.0
) -> np.ndarray:
    """The naive route: ``steps`` iterations of ``torch.optim.SGD(lr=η, weight_decay=γ/d_out)``
    on ``MSELoss`` in float64, in the original input basis. Returns ``Pᵀ(S_t - T)``,
    ``[runs, d_in, d_out]``, comparable with :func:`distance_at`. Only for checks and benchmarks."""
    basis = torch.as_tensor(problem.basis)
    x = torch.as_tensor(problem.z_train) @ basis.transpose(1, 2)
    teacher = basis @ torch.as_tensor(problem.teacher)
    labels = x @ teacher + torch.as_tensor(problem.noise)
    student = (basis @ torch.as_tensor(problem.d0) + teacher).clone().requires_grad_(True)
    optimiser = torch.optim.SGD([student], lr=eta, weight_decay=gamma / problem.d_out)
    for _ in range(steps):
        optimiser.zero_grad()
        # one MSE per run, summed: each run's gradient is its own MSE's gradient
        loss = ((x @ student - labels) ** 2).mean((1, 2)).sum()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        return (basis.transpose(1, 2) @ (student - teacher)).cpu().numpy()
