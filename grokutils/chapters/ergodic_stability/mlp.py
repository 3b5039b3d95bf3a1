"""A ReLU MLP batched over runs: the weights of ``R`` runs are ``[R, in, out]`` tensors.

One batched matrix product per layer evaluates every run, on its own inputs ``[R, n, in]`` or
on inputs shared by all runs ``[n, in]``; runs are independent, so the gradient of the *sum*
of their losses is each run's own gradient.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from grokutils.core.seeding import torch_generator


def init_mlp(seeds, widths, init_shift=None) -> list[torch.Tensor]:
    """He-initialised MLP weights of each run, ``[W1, b1, W2, b2, ...]`` with ``W [runs, in,
    out]`` and ``b [runs, 1, out]`` (zeros). A run's weights depend only on its seed;
    ``init_shift [runs]`` is added to its output bias of class 0 (Lyapunov twins; a
    first-layer weight could multiply a pixel that is blank in every image)."""
    seeds = np.asarray(seeds)
    unique, code = np.unique(seeds, return_inverse=True)
    per_seed = []
    for s in unique:  # one generator per distinct seed (runs that share it share the init)
        g = torch_generator(int(s))
        per_seed.append(
            [
                torch.randn(a, b, generator=g) * math.sqrt(2 / a)
                for a, b in itertools.pairwise(widths)
            ]
        )
    index = torch.as_tensor(code)
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
