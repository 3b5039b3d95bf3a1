"""Sweep points and summaries of the guess-&-check chapter (width and depth sweeps, GD baseline).

Every ``*_point`` function is module-level and deterministic given its arguments, so
:func:`grokutils.book.sweep.run` can cache it and farm it out. Each evaluates all data seeds of
the point in one batched computation (seeds are a tensor dimension) and returns numpy arrays
of shape ``[S]`` (or :class:`~grokutils.samplers.guess_and_check.Conditioned` summaries).
The measurements the chapter's claims are decided on live in
:mod:`grokutils.experiments.guess_and_check`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grokutils.models.matrix_sensing import (
    InfiniteDepthPrior,
    NetworkPrior,
    gradient_descent,
    make_task,
)
from grokutils.samplers.guess_and_check import (
    Conditioned,
    NaiveRejection,
    RaoBlackwellIS,
    SubsetSimulation,
)


def width_point(
    activation: str,
    width: int,
    seeds: list[int],
    eps: float,
    n_inner: int,
    n_points: int,
    ess_min: float,
    n_particles: int,
    replicas: int,
    naive_draws: int,
    sampler_seed: int,
) -> dict[str, Conditioned | None]:
    """G&C at one width (depth 2, unnormalised prior) on the data sets ``seeds``.

    Runs Rao-Blackwellised IS (width-free Bartlett features for linear nets); where its
    effective sample size is below ``ess_min`` on some data set (narrow nets, whose weights are
    heavy-tailed) it also runs subset simulation, and with ``naive_draws > 0`` naive rejection
    as an agreement check. Returns ``{"rbis": ..., "ss": ... | None, "naive": ... | None}``.
    """
    task = make_task(seeds)
    exact = activation == "linear" and width >= task.shape[1]
    prior = NetworkPrior(width, 2, activation, exact_linear=exact)
    rbis = RaoBlackwellIS(prior, task, n_inner=n_inner, n_points=n_points, seed=sampler_seed)
    out = {"rbis": rbis.condition(eps), "ss": None, "naive": None}
    direct = NetworkPrior(width, 2, activation)
    if np.min(out["rbis"].ess) < ess_min:
        ss = SubsetSimulation(
            direct, task, n_particles=n_particles, replicas=replicas, seed=sampler_seed + 1
        )
        out["ss"] = ss.condition(eps)
    if naive_draws:
        naive = NaiveRejection(direct, task, n_draws=naive_draws, seed=sampler_seed + 2)
        out["naive"] = naive.condition(eps)
    return out


def depth_point(
    activation: str,
    depth: int | None,
    width: int,
    seeds: list[int],
    eps: float,
    n_particles: int,
    replicas: int,
    sampler_seed: int,
    naive_draws: int = 0,
) -> dict[str, Conditioned | None]:
    """G&C at one depth (normalised prior) by subset simulation; ``depth=None`` is the
    infinite-depth limit ``u vᵀ/‖u vᵀ‖`` (linear only). With ``naive_draws > 0`` naive
    rejection runs as well. Returns ``{"ss": Conditioned, "naive": Conditioned | None}``."""
    task = make_task(seeds)
    if depth is None:
        if activation != "linear":
            raise ValueError(f"the infinite-depth limit is linear; got activation {activation!r}")
        prior = InfiniteDepthPrior(task.shape)
    else:
        prior = NetworkPrior(width, depth, activation, normalise=True, shape=task.shape)
    ss = SubsetSimulation(
        prior, task, n_particles=n_particles, replicas=replicas, seed=sampler_seed
    )
    out = {"ss": ss.condition(eps), "naive": None}
    if naive_draws:
        naive = NaiveRejection(prior, task, n_draws=naive_draws, seed=sampler_seed + 1)
        out["naive"] = naive.condition(eps)
    return out


def gd_point(
    activation: str,
    width: int,
    depth: int,
    seeds: list[int],
    init_scale: float,
    lr: float,
    steps: int,
    sampler_seed: int,
) -> dict[str, np.ndarray]:
    """The GD baseline at one (width, depth), batched over the data sets ``seeds``."""
    task = make_task(seeds)
    return gradient_descent(
        task, width, depth, activation, init_scale=init_scale, lr=lr, steps=steps, seed=sampler_seed
    )


def official_init_scale(depth: int, activation: str) -> float:
    """The official GD initialisation scale of the depth sweep (configs ``depth_*.json``):
    1e-3 up to depth 4, 0.1 from 5, and 0.2 at depths 9-10 for linear and tanh."""
    if depth <= 4:
        return 1e-3
    if depth >= 9 and activation != "leaky_relu":
        return 0.2
    return 0.1


def preferred(point: dict[str, Conditioned | None]) -> Conditioned:
    """The estimate the chapter plots at a width: RB-IS, unless its effective sample size was
    too small and subset simulation ran instead (spec §5.3's rule)."""
    return point["rbis"] if point["ss"] is None else point["ss"]


def stack(results: list[Conditioned], field: str) -> np.ndarray:
    """``[len(results), S]``: one field of a row of summaries (e.g. over widths)."""
    return np.stack([getattr(r, field) for r in results])


def agreement_z(a: Conditioned, b: Conditioned, field: str = "mean") -> np.ndarray:
    """``|a − b| / √(se_a² + se_b²)`` per data set for ``field`` ("mean" or "p_accept")."""
    se = "se" if field == "mean" else "p_accept_se"
    diff = getattr(a, field) - getattr(b, field)
    return np.abs(diff) / np.sqrt(getattr(a, se) ** 2 + getattr(b, se) ** 2)


def sweep_table(
    runs: list[dict[str, Conditioned | None]], activations: list[str], key: str | None = None
) -> dict[str, dict[str, np.ndarray]]:
    """Reshape sweep results in grid order (activation-major) into per-activation arrays.

    ``key`` picks the estimate of each point (``None``: :func:`preferred`). Returns, per
    activation, ``mean``, ``se``, ``prior``, ``ratio`` (G&C / prior), ``p_accept`` and ``ess``
    of shape ``[X, S]`` and ``method`` of shape ``[X]``.
    """
    per = len(runs) // len(activations)
    table = {}
    for a, activation in enumerate(activations):
        row = [preferred(r) if key is None else r[key] for r in runs[a * per : (a + 1) * per]]
        mean, prior = stack(row, "mean"), stack(row, "prior_mean")
        table[activation] = {
            "mean": mean,
            "se": stack(row, "se"),
            "prior": prior,
            "ratio": mean / prior,
            "p_accept": stack(row, "p_accept"),
            "ess": stack(row, "ess"),
            "method": np.array([r.method for r in row]),
        }
    return table


def gd_table(runs: list[dict[str, np.ndarray]], activations: list[str]) -> dict[str, dict]:
    """GD results in grid order (activation-major): ``{activation: {"gen", "train"}}``, each
    ``[X, S]``."""
    per = len(runs) // len(activations)
    return {
        a: {
            key: np.stack([r[key] for r in runs[i * per : (i + 1) * per]])
            for key in ("gen", "train")
        }
        for i, a in enumerate(activations)
    }


def agreement_frame(width_runs, width_points, depth_runs, depth_points) -> pd.DataFrame:
    """Smart samplers against naive rejection wherever naive rejection ran, one row per case.

    Per (case, smart sampler): median over data sets of the ratios sampler / naive of the
    posterior mean of ``L_gen`` and of the acceptance probability, and the largest
    ``z = |Δ| / √(se_1² + se_2²)`` over data sets (NaN where the smart sampler has no standard
    error: subset simulation with one replica), and the fewest draws naive rejection accepted.
    """
    rows = []
    cases = [
        (f"width {pt['width']}, {pt['activation']}, ε {pt['eps']}", run)
        for pt, run in zip(width_points, width_runs, strict=True)
    ]
    cases += [
        (f"depth {pt['depth']}, {pt['activation']}, normalised, ε {pt['eps']}", run)
        for pt, run in zip(depth_points, depth_runs, strict=True)
    ]
    for case, run in cases:
        naive = run["naive"]
        for key in ("rbis", "ss"):
            smart = run.get(key)
            if naive is None or smart is None:
                continue
            rows.append(
                {
                    "case": case,
                    "sampler": smart.method,
                    "L_gen ratio": float(np.median(smart.mean / naive.mean)),
                    "max z (L_gen)": float(np.max(agreement_z(naive, smart, "mean"))),
                    "P(accept) ratio": float(np.median(smart.p_accept / naive.p_accept)),
                    "max z (P)": float(np.max(agreement_z(naive, smart, "p_accept"))),
                    "fewest accepted (naive)": int(np.min(naive.ess)),
                }
            )
    return pd.DataFrame(rows).set_index(["case", "sampler"])
