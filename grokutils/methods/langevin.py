"""Overdamped Langevin dynamics at temperature T, batched over replicas.

The Euler–Maruyama discretisation of ``dθ = −∇L dt + √(2T) dW``::

    θ ← θ − η ∇L(θ) + √(2ηT) ξ,   ξ ~ N(0, I_P),

whose stationary density (when it exists) is ``∝ exp(−L/T)`` up to an O(η) bias. Every
replica ``r`` has its own temperature ``T_r`` and step size ``η_r``: a grid of temperatures ×
noise seeds is one leading tensor dimension ``R`` and one batched gradient per step.

Rescaled time (Jules et al. 2023, §2.4 of the chapter's spec): with ``τ = T t`` the dynamics is
Langevin on ``L/T`` at unit temperature, so a step size ``η = c/T`` at a fixed number of steps
gives every temperature the same rescaled time ``τ = c · steps`` (:func:`rescaled_step_sizes`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from grokutils.core.trajectory import Trajectory

RECORDED = ("train_loss", "sq_weight_norm")
"""The series :func:`overdamped_langevin` records, into buffers allocated before its loop: a
long-lived allocation made between steps splits a freed block of the step's large temporaries,
and glibc's heap then grows by about one such block per record (chapter 06 at the paper preset:
216 replicas, 20 000 steps, more than 10 GiB), while the buffers keep the heap flat."""

LossAndGrad = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
"""``theta [R, P] -> (loss [R], drift gradient [R, P])``."""


def replica_grid(temperatures, n_seeds: int) -> np.ndarray:
    """Temperatures of ``len(temperatures) × n_seeds`` replicas, temperature-major: replica
    ``r = i * n_seeds + k`` is temperature ``i``, noise seed ``k`` (reshape results with
    ``[..., n_T, n_seeds, ...]``). Shape ``[n_T * n_seeds]``."""
    temperatures = np.asarray(temperatures, dtype=float)
    if temperatures.ndim != 1 or temperatures.size == 0 or np.any(temperatures <= 0):
        raise ValueError(
            f"temperatures must be a non-empty 1-D list of values > 0; got {temperatures}"
        )
    if n_seeds < 1:
        raise ValueError(f"n_seeds must be >= 1; got {n_seeds}")
    return np.repeat(temperatures, n_seeds)


def rescaled_step_sizes(temperatures, eta_t: float, eta_max: float = np.inf) -> np.ndarray:
    """Step sizes ``η = min(c/T, η_max)`` with ``c = eta_t = ηT``: equal rescaled time
    ``τ = T t`` per step at every temperature below ``c/η_max``. Shape of ``temperatures``."""
    temperatures = np.asarray(temperatures, dtype=float)
    if np.any(temperatures <= 0):
        raise ValueError(f"temperatures must be > 0; got {temperatures}")
    if eta_t <= 0 or eta_max <= 0:
        raise ValueError(f"eta_t and eta_max must be > 0; got eta_t={eta_t}, eta_max={eta_max}")
    return np.minimum(eta_t / temperatures, eta_max)


def overdamped_langevin(
    loss_and_grad: LossAndGrad,
    theta: torch.Tensor,
    temperature,
    step_size,
    n_steps: int,
    *,
    generator: torch.Generator,
    record_every: int = 10,
    observe: Callable[[int, torch.Tensor], None] | None = None,
    project: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> Trajectory:
    """Run ``n_steps`` Euler–Maruyama steps of overdamped Langevin dynamics for ``R`` replicas.

    Returns a :class:`~grokutils.core.trajectory.Trajectory` recorded every ``record_every``
    steps (after that many updates): ``train_loss [R, T]`` (the potential's recorded loss),
    ``sq_weight_norm [R, T]`` (``|θ|²``); ``final["theta"]`` the last parameters ``[R, P]``.

    Parameters
    ----------
    loss_and_grad
        ``theta [R, P] -> (loss [R], grad [R, P])``: the recorded loss and the gradient of the
        potential that drives the drift (the same function for a Gibbs measure ``exp(−L/T)``).
    theta
        Starting parameters ``[R, P]`` (not modified).
    temperature, step_size
        ``T_r`` and ``η_r``: scalars or ``[R]`` (loss units and time units per step).
    generator
        The ``torch.Generator`` of the noise; one ``[R, P]`` normal draw per step, so the run is
        a deterministic function of its seed and of the replica layout.
    record_every
        Record the loss and ``|θ|²`` every this many steps (also at step 0).
    observe
        ``observe(step, theta)`` is called at every record, for extra measurements.
    project
        Optional map applied after each step (e.g. back onto a sphere: a confined ablation).
    """
    if theta.dim() != 2:
        raise ValueError(f"theta must be [R, P]; got shape {tuple(theta.shape)}")
    if n_steps < 1 or record_every < 1:
        raise ValueError(f"n_steps and record_every must be >= 1; got {n_steps}, {record_every}")
    n_rep = theta.shape[0]
    temperature = _per_replica(temperature, n_rep, theta.dtype, "temperature")
    step_size = _per_replica(step_size, n_rep, theta.dtype, "step_size")
    noise_scale = torch.sqrt(2 * step_size * temperature)[:, None]
    eta = step_size[:, None]
    theta = theta.detach().clone()
    steps = np.arange(0, n_steps + 1, record_every)
    records = {name: theta.new_empty(len(steps), n_rep, dtype=torch.float64) for name in RECORDED}
    for step in range(n_steps + 1):
        loss, grad = loss_and_grad(theta)
        if step % record_every == 0:
            records["train_loss"][step // record_every] = loss.detach()
            records["sq_weight_norm"][step // record_every] = (theta**2).sum(1)
            if observe is not None:
                observe(step, theta)
        if step == n_steps:
            break
        noise = torch.randn(theta.shape, generator=generator, dtype=theta.dtype)
        theta = theta - eta * grad + noise_scale * noise
        if project is not None:
            theta = project(theta)
    series = {name: values.T.contiguous().cpu().numpy() for name, values in records.items()}
    return Trajectory(steps, series, None, {"theta": theta})


def _per_replica(value, n_rep: int, dtype, name: str) -> torch.Tensor:
    value = torch.as_tensor(value, dtype=dtype)
    if value.dim() == 0:
        value = value.expand(n_rep)
    if value.shape != (n_rep,) or torch.any(value <= 0):
        raise ValueError(f"{name} must be a scalar or [{n_rep}] of values > 0; got {value}")
    return value
