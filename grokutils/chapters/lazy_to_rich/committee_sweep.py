"""Grids of committee machines on the single-index target, each grid one batched GD run.

:func:`single_index_sweep` trains every point of ``α × ε × c × σ × λ × P × seed``;
:func:`eigenvector_label_runs` the width-2 networks of Fig. 5 on labels along the initial NTK's
eigenvectors. Both return :class:`~grokutils.core.trajectory.Trajectory` records whose ``runs``
table holds each run's settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from grokutils.chapters.lazy_to_rich import theory
from grokutils.chapters.lazy_to_rich.committee import Committee, init_weights, solution_weights
from grokutils.chapters.lazy_to_rich.committee_gd import train
from grokutils.chapters.lazy_to_rich.task import single_index_quadratic
from grokutils.core.seeding import stream_seed
from grokutils.core.trajectory import Trajectory

WEIGHTS, ALIGNMENT_INPUTS, TEST_INPUTS = 1, 2, 3
"""The random streams of a run's seed besides its data (stream 0, the seed itself):
:func:`~grokutils.core.seeding.stream_seed` of the seed and the stream."""
AXES = ("alpha", "eps", "c", "sigma", "mix", "p", "seed")
"""The grid's axes, slowest first (the seed is the fastest)."""
LOOP_DTYPE = torch.float32
"""The dtype of a sweep's GD loop: the authors trained in float32 (JAX's default), and the loop
runs twice as fast in it as in float64 here. Data, initial weights and records stay float64
(:func:`.committee_gd.train`); the float64 twin agrees within the tolerance its test states.
Measured at book's headline sizes (D = 40, P = 160, 60 000 steps): the recursion's test loss
within 1.3e-4 of its initial value of the float64 twin's (under 1 % of the final loss), and the
verdicts of all 31 claims at quick the same at offsets 1042-1049."""


@dataclass
class SingleIndexSweep:
    """A batch of runs on the single-index target: the grid, the data and the trajectory.

    ``config`` maps the :data:`AXES` to ``[runs]`` arrays (the Cartesian product of the values
    given, last name fastest; ``trajectory.runs`` is the same as a table); ``shape`` is the
    grid's shape (its last axis the seeds).
    """

    config: dict[str, np.ndarray]
    shape: tuple[int, ...]
    model: Committee
    beta: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    weights: torch.Tensor
    scale: float
    trajectory: Trajectory

    @property
    def n_seeds(self) -> int:
        """Number of seeds (the grid's last, fastest axis)."""
        return self.shape[-1]

    def kernel_regression_loss(self, n_test: int) -> np.ndarray:
        """Test MSE ``[runs]`` of regression with each run's initial NTK on ``n_test`` fresh
        inputs per run (the lazy limit of the centred network)."""
        _, x_test, _ = single_index_quadratic(
            self.x.shape[-1], n_test, streams(self.config["seed"], TEST_INPUTS)
        )
        y_test = self.scale * torch.einsum("rpd,rd->rp", x_test, self.beta) ** 2
        losses = []
        for r, p in enumerate(self.config["p"]):  # runs differ in P: one solve each
            m = self.model
            losses.append(
                theory.kernel_regression_test_loss(
                    self.x[r : r + 1, :p],
                    self.y[r : r + 1, :p],
                    x_test[r : r + 1],
                    y_test[r : r + 1],
                    m.w_bar0[r : r + 1],
                    m.M0[r : r + 1],
                    m.eps[r : r + 1],
                )
            )
        return torch.cat(losses).cpu().numpy()


def single_index_sweep(
    *,
    d: int,
    width: int,
    steps: int,
    alpha=(1.0,),
    eps=(0.05,),
    c=(1.0,),
    sigma=(1.0,),
    mix=(0.0,),
    p=(160,),
    seed=(0,),
    alpha_sigma2: float | None = None,
    scale: float = 0.5,
    centred: bool = True,
    engine: str = "statistics",
    n_align: int = 0,
    n_records: int = 200,
    desc: str = "GD",
    dtype: torch.dtype = LOOP_DTYPE,
) -> SingleIndexSweep:
    """Train every point of the grid ``alpha × eps × c × sigma × mix × p × seed`` in one batch.

    Data of seed ``k``: :func:`.task.single_index_quadratic` with seed
    ``k`` (teacher normalised to ``|β|² = D``), padded to the largest ``p`` with zero sample
    weights (the stored ``x, y, weights``; runs of different ``p`` train in separate batches of
    their own size, which gives the same trajectories without the padding's cost); initial
    weights ``W₀ = σ Z`` with ``Z`` from stream :data:`WEIGHTS` of ``k``, mixed with the solution as
    ``(1 - λ) W₀ + λ W_sol`` for ``mix = λ > 0`` (width 2 only; Fig. 10). ``n_align > 0`` adds
    the NTK-label alignment on ``n_align`` fresh inputs (stream :data:`ALIGNMENT_INPUTS`).
    ``alpha_sigma2`` sets ``α = alpha_sigma2/σ²`` run by run instead of the ``alpha`` axis
    (Fig. 7c: the joint scaling that leaves the dynamics unchanged). ``dtype``: the GD loop's
    (:data:`LOOP_DTYPE`; float64 where a check compares engines to rounding error).
    """
    from grokutils.core.sweep import grid

    axes = {"alpha": alpha, "eps": eps, "c": c, "sigma": sigma, "mix": mix, "p": p, "seed": seed}
    points = grid(**axes)
    config = {k: np.array([pt[k] for pt in points]) for k in axes}
    shape = tuple(len(v) for v in axes.values())
    if alpha_sigma2 is not None:
        config["alpha"] = alpha_sigma2 / config["sigma"] ** 2
    if (config["mix"] != 0).any() and width != 2:
        raise ValueError(f"mix > 0 needs width 2 (the solution has two neurons); got {width}")
    p_max = int(config["p"].max())
    beta, x, y = single_index_quadratic(d, p_max, config["seed"], scale=scale)
    weights = (torch.arange(p_max)[None, :] < torch.as_tensor(config["p"])[:, None]).double()
    weights = weights / weights.sum(1, keepdim=True)
    hyper = {k: torch.as_tensor(config[k], dtype=torch.float64) for k in ("alpha", "eps", "c")}
    sigma_t, lam = (torch.as_tensor(config[k], dtype=torch.float64) for k in ("sigma", "mix"))
    W0 = init_weights(streams(config["seed"], WEIGHTS), width, d, sigma_t)
    if (lam != 0).any():
        W_sol = solution_weights(beta, hyper["alpha"], hyper["eps"] / (2 * scale))
        W0 = (1 - lam)[:, None, None] * W0 + lam[:, None, None] * W_sol
    model = Committee(W0, sigma=sigma_t, centred=centred, **hyper)
    align = {}
    if n_align:
        _, x_align, _ = single_index_quadratic(
            d, n_align, streams(config["seed"], ALIGNMENT_INPUTS)
        )
        align = {
            "x_align": x_align,
            "y_align": scale * torch.einsum("rpd,rd->rp", x_align, beta) ** 2,
        }
    kw = {"steps": steps, "engine": engine, "scale": scale, "n_records": n_records, "dtype": dtype}
    table = pd.DataFrame(config)
    sizes = np.unique(config["p"])
    if len(sizes) == 1:
        trajectory = train(
            model, x, y, weights=weights, beta=beta, runs=table, desc=desc, **kw, **align
        )
    else:  # one batch per sample size, so that no run pays for the largest P's padding
        parts, order = [], []
        for size in sizes:
            rows = np.flatnonzero(config["p"] == size)
            sub = Committee(
                W0[rows],
                sigma=sigma_t[rows],
                centred=centred,
                **{k: v[rows] for k, v in hyper.items()},
            )
            part = train(
                sub,
                x[rows, :size],
                y[rows, :size],
                weights=weights[rows, :size],
                beta=beta[rows],
                runs=table.iloc[rows].reset_index(drop=True),
                desc=f"{desc}, P = {size}",
                **kw,
                **{k: v[rows] for k, v in align.items()},
            )
            parts.append(part)
            order.append(rows)
        trajectory = Trajectory.concat(parts).select(np.argsort(np.concatenate(order)))
    return SingleIndexSweep(config, shape, model, beta, x, y, weights, scale, trajectory)


def eigenvector_label_runs(
    *,
    d: int,
    p: int,
    ranks,
    steps: int,
    eps: float = 0.25,
    alpha: float = 1.0,
    c: float = 0.5,
    width: int = 2,
    seeds=(0,),
    n_records: int = 200,
) -> Trajectory:
    """Fig. 5: one run per ``(seed, rank j)``, seed-major (run ``s·len(ranks) + j``); labels =
    the j-th eigenvector of the initial NTK Gram on ``2p`` inputs (first ``p`` train, last
    ``p`` test), centred network, GD on the weights. The ``runs`` table has ``seed`` and
    ``rank``.

    The runs of a seed share its inputs and ``W₀`` (the seed and its stream :data:`WEIGHTS`); the
    test loss is measured on the ``p`` held-out points of the eigenvector.
    """
    ranks, seeds = list(ranks), [int(s) for s in np.atleast_1d(seeds)]
    _, x_seed, _ = single_index_quadratic(d, 2 * p, seeds)
    W_seed = init_weights(streams(seeds, WEIGHTS), width, d)
    labels = []
    for k in range(len(seeds)):
        w_bar0, M0 = W_seed[k].mean(0), W_seed[k].T @ W_seed[k] / width
        labels.append(theory.ntk_eigenvector_labels(x_seed[k], w_bar0, M0, eps, ranks))
    labels = torch.cat(labels)  # [seeds · ranks, 2p]
    x = x_seed.repeat_interleave(len(ranks), dim=0)
    W0 = W_seed.repeat_interleave(len(ranks), dim=0)
    model = Committee(W0, alpha=alpha, eps=eps, c=c)
    table = pd.DataFrame({"seed": np.repeat(seeds, len(ranks)), "rank": np.tile(ranks, len(seeds))})
    return train(
        model,
        x[:, :p],
        labels[:, :p],
        steps=steps,
        engine="direct",
        x_test=x[:, p:],
        y_test=labels[:, p:],
        n_records=n_records,
        runs=table,
        desc="eigenvector labels",
    )


def streams(seeds, stream: int) -> list[int]:
    """Stream ``stream`` of each run seed in ``seeds``."""
    return [stream_seed(int(s), stream) for s in np.atleast_1d(seeds)]
