"""Thermal exploration of the low-loss region (Jules et al. 2023, as reconstructed in the
chapter spec §1.2, §2.4): train each data set's tanh MLP to a loss threshold with Adam, then
run free overdamped Langevin from that point at every temperature, all replicas batched.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from grokutils.chapters.thermal_landscape.adam_to_threshold import adam_to_threshold
from grokutils.chapters.thermal_landscape.random_labels import random_label_data
from grokutils.chapters.thermal_landscape.tanh_mlp import (
    mlp_init,
    mlp_loss_and_grad,
    mlp_margins,
)
from grokutils.core.seeding import stream_seed, torch_generator
from grokutils.core.trajectory import Trajectory
from grokutils.methods.heap import reuse_freed_blocks
from grokutils.methods.langevin import overdamped_langevin, replica_grid, rescaled_step_sizes

INIT_STREAM = 1
"""The network initialisation of a data set draws from this stream of its data seed."""


def pca_fractions(snapshots: torch.Tensor, k: int = 10) -> np.ndarray:
    """Fractions of the variance carried by the top ``k`` principal components of snapshots
    ``[R, M, P]`` (M times, centred over time), per replica: ``[R, k]``."""
    if snapshots.dim() != 3 or snapshots.shape[1] < 2:
        raise ValueError(f"snapshots must be [R, M >= 2, P]; got {tuple(snapshots.shape)}")
    centred = (snapshots - snapshots.mean(1, keepdim=True)).double()
    sv2 = torch.linalg.svdvals(centred) ** 2
    frac = (sv2 / sv2.sum(1, keepdim=True)).cpu().numpy()
    return np.pad(frac[:, :k], ((0, 0), (0, max(0, k - frac.shape[1]))))


@lru_cache(maxsize=1)
def trained_sets(
    n_points: tuple[int, ...],
    dim: int,
    width: int,
    data_seeds: tuple[int, ...],
    adam_threshold: float,
) -> tuple[
    np.ndarray, np.ndarray, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, Trajectory
]:
    """The ``S`` training sets of :func:`thermal_run` (seed-major over ``n_points``) and their
    networks trained by Adam to ``L < adam_threshold``: ``sizes [S]``, ``seeds [S]``, inputs
    ``x [S, N, d]`` and labels ``s [S, N]`` padded to the largest ``N``, the mask ``used [S, N]``,
    the loss weights ``weight [S, N]`` (``1/n`` on a set's points) and Adam's trajectory.

    The last call's result is kept (read-only: callers index copies out of it), so that a dry
    run, which calls a thermal run three times on the same sets, pays their Adam phase once."""
    sizes = np.tile(np.asarray(n_points, dtype=int), len(data_seeds))
    seeds = np.repeat(np.asarray(data_seeds, dtype=int), len(n_points))
    x, s = random_label_data(int(sizes.max()), dim, list(data_seeds))
    x, s = x.repeat_interleave(len(n_points), 0), s.repeat_interleave(len(n_points), 0)
    used = torch.arange(x.shape[1])[None, :] < torch.as_tensor(sizes)[:, None]
    weight = used / torch.as_tensor(sizes, dtype=torch.float32)[:, None]
    start = adam_to_threshold(
        mlp_loss_and_grad(x, s, width, weight),
        mlp_init(dim, width, [stream_seed(int(seed), INIT_STREAM) for seed in seeds]),
        threshold=adam_threshold,
    )
    return sizes, seeds, x, s, used, weight, start


def thermal_run(
    *,
    n_points: int | list[int],
    dim: int,
    width: int,
    data_seeds: list[int],
    temperatures: list[float],
    n_noise: int,
    eta_t: float,
    eta_max: float,
    n_steps: int,
    record_every: int = 10,
    n_snapshots: int = 100,
    noise_seed: int = 0,
    adam_threshold: float = 1e-3,
) -> Trajectory:
    """Train to the low-loss region, then run free overdamped Langevin at every temperature.

    The ``S`` training sets are data seed × size (``n_points``, an int or a list; seed-major):
    the first ``n`` points of the seed's random-label data (nested subsets), padded to the
    largest size with zero loss weight. For each: LeCun init (stream 1 of the data seed), Adam to
    ``L < adam_threshold`` → θ0. Then ``S × n_T × n_noise`` replicas start at their θ0 and run
    ``n_steps`` Euler–Maruyama steps with ``η = min(eta_t/T, eta_max)`` (rescaled time), all in
    one batched tensor; the noise comes from ``torch.Generator(noise_seed)``.

    Returns a :class:`~grokutils.core.trajectory.Trajectory` over the ``R = S × n_T × n_noise``
    replicas (data set-major, then temperature, then noise seed): series ``train_loss`` and
    ``sq_weight_norm [R, T]`` every ``record_every`` steps; ``runs`` with ``data_set``,
    ``data_seed``, ``n_points``, ``temperature``, ``step_size``, ``noise``; ``final`` (per
    replica; per-point arrays have the largest size ``N``, NaN on padding): over the second
    half of the run (the first is burn-in) ``point_loss`` (⟨ℓ_i⟩), ``margin_mean``,
    ``margin_var [R, N]``; PCA variance fractions of ``n_snapshots`` parameter and margin
    snapshots in the second half, ``pca_theta``, ``pca_margin [R, 10]``; the end point
    ``theta [R, P]``; its data set's start ``theta0 [R, P]``, ``loss0 [R]`` and ``adam_steps [R]``.
    """
    reuse_freed_blocks()  # its steps' temporaries are megabytes (see grokutils.methods.heap)
    temps = np.asarray(temperatures, dtype=float)
    if n_steps < 2 * record_every or n_steps % (2 * record_every):
        raise ValueError(f"n_steps must be a multiple of 2 * record_every; got {n_steps}")
    half_records = n_steps // (2 * record_every)
    if not 2 <= n_snapshots <= half_records:
        raise ValueError(f"n_snapshots must be in [2, {half_records}]; got {n_snapshots}")
    sets = trained_sets(
        tuple(np.atleast_1d(n_points).tolist()), dim, width, tuple(data_seeds), adam_threshold
    )
    sizes, seeds, x, s, used, weight, start = sets
    n_data = x.shape[0]
    theta0 = start.final["theta"]
    # replicas: data set-major, then temperature, then noise seed
    per_data = len(temps) * n_noise
    data_index = torch.arange(n_data).repeat_interleave(per_data)
    xr, sr, wr, usedr = x[data_index], s[data_index], weight[data_index], used[data_index]
    theta_start = theta0[data_index]
    t_rep = np.tile(replica_grid(temps, n_noise), n_data)
    eta = rescaled_step_sizes(t_rep, eta_t, eta_max)
    half = n_steps // 2
    snapshot_every = record_every * (half_records // n_snapshots)
    # buffers allocated before the loop (see grokutils.methods.langevin.RECORDED)
    sums = {name: torch.zeros(usedr.shape, dtype=torch.float64) for name in ("loss", "m", "m2")}
    snaps_theta = theta_start.new_empty(n_snapshots, *theta_start.shape)
    snaps_margin = theta_start.new_empty(n_snapshots, *usedr.shape)
    taken = {"records": 0, "snapshots": 0}

    def observe(step: int, theta: torch.Tensor) -> None:
        if step <= half:
            return
        with torch.no_grad():
            m = torch.where(usedr, mlp_margins(theta, xr, sr, width).double(), 0.0)
        sums["loss"] += F.softplus(-m)
        sums["m"] += m
        sums["m2"] += m**2
        taken["records"] += 1
        if (step - half) % snapshot_every == 0 and taken["snapshots"] < n_snapshots:
            snaps_theta[taken["snapshots"]] = theta
            snaps_margin[taken["snapshots"]] = m
            taken["snapshots"] += 1

    traj = overdamped_langevin(
        mlp_loss_and_grad(xr, sr, width, wr),
        theta_start,
        torch.as_tensor(t_rep, dtype=torch.float32),
        torch.as_tensor(eta, dtype=torch.float32),
        n_steps,
        generator=torch_generator(noise_seed),
        record_every=record_every,
        observe=observe,
    )
    count, n_taken = taken["records"], taken["snapshots"]
    mean_m = sums["m"] / count

    def per_point(value: torch.Tensor) -> np.ndarray:
        return torch.where(usedr, value, torch.nan).cpu().numpy()

    index = data_index.cpu().numpy()
    runs = pd.DataFrame(
        {
            "data_set": index,
            "data_seed": seeds[index],
            "n_points": sizes[index],
            "temperature": t_rep,
            "step_size": eta,
            "noise": np.tile(np.arange(n_noise), n_data * len(temps)),
        }
    )
    final = {
        "point_loss": per_point(sums["loss"] / count),
        "margin_mean": per_point(mean_m),
        "margin_var": per_point((sums["m2"] / count - mean_m**2).clamp(min=0)),
        "pca_theta": pca_fractions(snaps_theta[:n_taken].transpose(0, 1).contiguous()),
        "pca_margin": pca_fractions(snaps_margin[:n_taken].transpose(0, 1).contiguous()),
        "theta": traj.final["theta"].cpu().numpy(),
        "theta0": theta0.cpu().numpy()[index],
        "loss0": start.last("train_loss")[index],
        "adam_steps": start.final["steps_taken"][index],
    }
    return Trajectory(traj.steps, traj.series, runs, final)
