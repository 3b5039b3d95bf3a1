"""Guess & check throughput: naive rejection against the GEMM rate, smart samplers against naive.

Prints, measured in the same run on one thread:

1. candidates/s of naive batched rejection (depth 2, width 5, the official batch layout) and
   the fp32 GEMM rate of this machine, as the fraction of the GEMM-bound candidate rate;
2. effective accepted samples per second of each smart sampler against naive rejection at the
   same ε, where the effective number of a sampler is ``Var_post(L_gen) / se²`` (the number of
   naive accepted draws that give the same standard error; for naive it is the accepted count).
   Rows at the paper's ε extrapolate naive rejection as ``P(accept) × candidates/s``.

Run: ``python benchmarks/guess_and_check.py`` (about two minutes).
"""

from __future__ import annotations

import time

import torch

from grokutils.chapters.guess_and_check.priors import NetworkPrior
from grokutils.chapters.guess_and_check.sampler import (
    NaiveRejection,
    RaoBlackwellIS,
    SubsetSimulation,
)
from grokutils.chapters.guess_and_check.task import make_task
from grokutils.core.seeding import seed_everything


def gemm_flops(n: int = 1024, repeats: int = 10) -> float:
    """fp32 GEMM rate (FLOP/s) of an ``n × n`` product."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - start)


def timed(sampler, eps):
    start = time.perf_counter()
    result = sampler.condition(eps)
    return result, time.perf_counter() - start


def main() -> None:
    seed_everything(0)
    task = make_task([0])
    flops = gemm_flops()
    prior = NetworkPrior(5, 2)
    draws = 2_000_000
    naive, seconds = timed(NaiveRejection(prior, task, n_draws=draws, seed=1), 0.02)
    rate = draws / seconds
    # per candidate: 2 layers (2·5·5·5) + 25 measurement coordinates (2·25·25) FLOPs
    per_candidate = 2 * 5 * 5 * 5 + 2 * 25 * 25
    print(f"fp32 GEMM (1024², 1 thread): {flops / 1e9:.1f} GFLOP/s")
    print(f"naive rejection, depth 2, width 5: {rate / 1e3:.0f} k candidates/s")
    print(
        f"ratio to the GEMM-bound rate ({flops / per_candidate / 1e6:.1f} M candidates/s at "
        f"{per_candidate} FLOP each): {rate * per_candidate / flops:.3f}"
    )

    print("\neffective accepted samples/s, smart sampler vs naive rejection at the same ε")
    cases = [  # (name, prior, ε, subset-simulation replicas or None for RB-IS, naive affordable)
        ("RB-IS, linear, width 20, ε 0.02", NetworkPrior(20, 2), 0.02, None, True),
        ("RB-IS, tanh, width 160, ε 0.02", NetworkPrior(160, 2, "tanh"), 0.02, None, True),
        (
            "SS, linear, depth 6 normalised, ε 0.02",
            NetworkPrior(5, 6, normalise=True),
            0.02,
            4,
            True,
        ),
        (
            "SS, linear, depth 6 normalised, ε 0.0035",
            NetworkPrior(5, 6, normalise=True),
            0.0035,
            4,
            False,
        ),
    ]
    for name, prior, eps, replicas, affordable in cases:
        if replicas is None:
            smart = RaoBlackwellIS(prior, task, n_inner=10_000, seed=2)
        else:
            smart = SubsetSimulation(prior, task, n_particles=500, replicas=replicas, seed=2)
        result, smart_seconds = timed(smart, eps)
        if affordable:
            naive, naive_seconds = timed(NaiveRejection(prior, task, n_draws=10**6, seed=3), eps)
            naive_rate = naive.ess[0] / naive_seconds
            effective = naive.se[0] ** 2 * naive.ess[0] / result.se[0] ** 2  # Var_post / se²
        else:  # naive accepts P(accept) × candidates/s; SS's ess is its own Var_post / se²
            _, naive_seconds = timed(NaiveRejection(prior, task, n_draws=200_000, seed=3), eps)
            naive_rate = result.p_accept[0] * 200_000 / naive_seconds
            effective = result.ess[0]
        smart_rate = effective / smart_seconds
        print(
            f"{name}: {smart_rate:.3g} /s vs naive {naive_rate:.3g} /s "
            f"-> ratio {smart_rate / naive_rate:.3g}" + ("" if affordable else " (naive: P × rate)")
        )


if __name__ == "__main__":
    main()
