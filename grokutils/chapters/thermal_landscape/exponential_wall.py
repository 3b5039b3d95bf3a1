"""The exponential-wall toy model of the thermal-landscape chapter (spec §2.3), sampled by
overdamped Langevin: ``n`` margins ``u_i`` with loss ``L = Σ_i e^{−u_i}`` and a density of
states ``∝ e^{−αu}``, whose stationary law makes each ``e^{−u_i}`` exactly ``Gamma(α, T)``
(closed forms: :func:`.theory.toy_model_moments`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from grokutils.core.seeding import torch_generator
from grokutils.core.trajectory import Trajectory
from grokutils.methods.langevin import overdamped_langevin, replica_grid, rescaled_step_sizes


def toy_model_run(
    *,
    n_coords: int,
    alpha: float,
    temperatures: list[float],
    n_noise: int,
    eta_t: float,
    n_steps: int,
    record_every: int = 10,
    noise_seed: int = 0,
) -> Trajectory:
    """The toy model sampled by overdamped Langevin.

    The drift is the gradient of the free energy ``L + αT Σ_i u_i``. Replicas: temperatures ×
    noise seeds (temperature-major), started at ``u = −ln T``, with ``η = eta_t/T`` (rescaled
    time), float64.

    Returns a :class:`~grokutils.core.trajectory.Trajectory` over the ``n_T × n_noise``
    chains: ``train_loss [chains, T]`` (``L``), ``runs`` with ``temperature`` and ``noise``,
    and in ``final`` the time averages over the second half per coordinate ``mean_curvature``
    (``⟨e^{−u_i}⟩``), ``mean_margin`` (``⟨u_i⟩``) and ``mean_sq_margin`` (``⟨u_i²⟩``)
    ``[chains, n]``. Coordinates are independent, so their spread gives standard errors.
    """
    if n_coords < 1 or alpha <= 0:
        raise ValueError(f"need n_coords >= 1 and alpha > 0; got {n_coords}, {alpha}")
    temps = np.asarray(temperatures, dtype=float)
    t_rep = replica_grid(temps, n_noise)
    t_col = torch.as_tensor(t_rep)[:, None]
    half = n_steps // 2
    sums = {"v": 0.0, "u": 0.0, "u2": 0.0, "count": 0}

    def loss_and_grad(u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        v = torch.exp(-u)
        return v.sum(1), alpha * t_col - v  # ∇(L + αT Σu)

    def observe(step: int, u: torch.Tensor) -> None:
        if step > half:
            sums["v"] = sums["v"] + torch.exp(-u)
            sums["u"] = sums["u"] + u
            sums["u2"] = sums["u2"] + u**2
            sums["count"] += 1

    u0 = (-torch.log(t_col)).expand(-1, n_coords)
    traj = overdamped_langevin(
        loss_and_grad,
        u0,
        torch.as_tensor(t_rep),
        torch.as_tensor(rescaled_step_sizes(t_rep, eta_t)),
        n_steps,
        generator=torch_generator(noise_seed),
        record_every=record_every,
        observe=observe,
    )
    count = sums["count"]
    runs = pd.DataFrame({"temperature": t_rep, "noise": np.tile(np.arange(n_noise), len(temps))})
    final = {
        "mean_curvature": (sums["v"] / count).cpu().numpy(),
        "mean_margin": (sums["u"] / count).cpu().numpy(),
        "mean_sq_margin": (sums["u2"] / count).cpu().numpy(),
    }
    return Trajectory(traj.steps, {"train_loss": traj.train_loss}, runs, final)
