"""WLMD walker-steps per second: W walkers batched in one tensor vs one walker at a time.

Both runs do the same work (the 1-D WLMD of the glass-relaxation chapter on the x+y embedding
MLP, W walkers, the same number of steps each); prints both rates and their ratio.
Usage: python benchmarks/wang_landau.py [walkers] [steps]
"""

import sys
import time

import torch

from grokutils.chapters.glass_relaxation.embed_mlp import EmbedMLP
from grokutils.chapters.glass_relaxation.wand import train_ln_loss_cv
from grokutils.core.seeding import seed_everything
from grokutils.methods import wang_landau as wl
from grokutils.methods.modular_data import ModularData


def run(n_walkers: int, n_steps: int, seed: int) -> float:
    """Seconds for ``n_steps`` WLMD steps of ``n_walkers`` batched walkers."""
    model = EmbedMLP(31)
    data = ModularData.build(["x+y"] * n_walkers, 31)
    axis = wl.Axis(-15.0, 2.0, 68, wall_low=-14.5, wall_high=0.5, wall=200.0)
    config = wl.WLMDConfig(dt=1e-3, friction=0.01, sigma_bins=2.0, F=1.0, t_rise=100, bound=1.0)
    start = time.perf_counter()
    wl.wlmd(
        train_ln_loss_cv(model, data),
        model.init(n_walkers, seed),
        (axis,),
        config,
        n_steps,
        seed=seed,
        record_every=n_steps,
    )
    return time.perf_counter() - start


def main() -> None:
    walkers = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    seed_everything(0)
    torch.set_flush_denormal(True)
    run(walkers, 5, 0)  # warm-up
    batched = run(walkers, steps, 0)
    looped = sum(run(1, steps, k) for k in range(walkers))
    rate_b, rate_l = walkers * steps / batched, walkers * steps / looped
    print(f"WLMD on the x+y MLP, {walkers} walkers x {steps} steps, 1 thread")
    print(f"batched (one tensor) : {rate_b:8.0f} walker-steps/s")
    print(f"one walker at a time : {rate_l:8.0f} walker-steps/s")
    print(f"speed-up             : {rate_b / rate_l:8.1f}x")


if __name__ == "__main__":
    main()
