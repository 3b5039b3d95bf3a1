"""Random Gaussian inputs with random ±1 labels: the memorisation task of the thermal-landscape
chapter (Jules et al. 2023, as reconstructed in its spec §1.2).

The generator takes seeds and never touches global random state.
"""

from __future__ import annotations

import numpy as np
import torch

from grokutils.core.seeding import torch_generator


def random_label_data(n_points: int, dim: int, data_seeds) -> tuple[torch.Tensor, torch.Tensor]:
    """Random inputs ``x ~ N(0, I_d)`` and uniform random labels ``s = ±1``, one data set per
    seed (each drawn by ``torch.Generator(seed)``: inputs first, then labels).

    Returns float32 ``x [S, N, d]`` and ``s [S, N]``.
    """
    if n_points < 1 or dim < 1:
        raise ValueError(f"n_points and dim must be >= 1; got {n_points}, {dim}")
    xs, ss = [], []
    for seed in np.atleast_1d(data_seeds).tolist():  # a few data sets, each from its own seed
        gen = torch_generator(int(seed))
        xs.append(torch.randn(n_points, dim, generator=gen))
        ss.append(2.0 * torch.randint(0, 2, (n_points,), generator=gen).float() - 1.0)
    return torch.stack(xs), torch.stack(ss)
