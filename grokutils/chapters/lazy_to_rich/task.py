"""The single-index quadratic teacher of the lazy-to-rich chapter (Kumar et al., eq. 3).

The generator takes seeds and never touches global random state.
"""


def single_index_quadratic(
    d: int, n: int, seeds, *, scale: float = 0.5, normalise: bool = True, dtype=None
):
    """The single-index quadratic target of Kumar et al. (eq. 3): ``y = scale · (β·x)²``.

    Inputs ``x ~ N(0, I/d)`` (so ``|x|² ≈ 1``), teacher ``β ~ N(0, I_d)`` rescaled to
    ``|β|² = d`` when ``normalise`` (then ``E[y²] = 3 scale²`` for every seed). For each seed
    β is drawn before the inputs, so the teacher does not change with ``n`` and the first
    ``n' < n`` inputs of a seed are the inputs drawn with ``n'``.

    Returns float64 tensors (or ``dtype``) ``beta [runs, d]``, ``x [runs, n, d]``,
    ``y [runs, n]`` with one run per entry of ``seeds``.
    """
    import numpy as np
    import torch

    if d < 1 or n < 1:
        raise ValueError(f"d and n must be >= 1; got d={d}, n={n}")
    if scale <= 0:
        raise ValueError(f"scale must be > 0; got {scale}")
    seeds = [int(s) for s in np.atleast_1d(seeds)]
    betas, xs = [], []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        beta = rng.standard_normal(d)
        if normalise:
            beta *= np.sqrt(d) / np.linalg.norm(beta)
        betas.append(beta)
        xs.append(rng.standard_normal((n, d)) / np.sqrt(d))
    dtype = dtype or torch.float64
    beta = torch.as_tensor(np.stack(betas), dtype=dtype)
    x = torch.as_tensor(np.stack(xs), dtype=dtype)
    y = scale * torch.einsum("rpd,rd->rp", x, beta) ** 2
    return beta, x, y
