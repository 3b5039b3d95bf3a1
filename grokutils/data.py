"""Synthetic data sets (and scikit-learn's digits, which ship inside the package).

Every generator takes a ``seed`` or a ``np.random.Generator``/``torch.Generator`` and never
touches global random state.
"""


def digits_split(n_train: int = 1000, n_pool: int = 100, seed: int = 0):
    """scikit-learn's 8×8 digits (1797 images, 10 classes, bundled with the package) split at
    random into train ``[n_train]``, a pool of spare examples ``[n_pool]`` (for replace-one
    perturbations) and test (the rest), standardised with the training set's statistics.

    Returns a dict of float32 numpy arrays ``x_train [n_train, 64]``, ``x_pool``, ``x_test`` and
    int64 labels ``y_train``, ``y_pool``, ``y_test``.
    """
    import numpy as np
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    if n_train < 1 or n_pool < 0 or n_train + n_pool >= len(x):
        raise ValueError(
            f"n_train >= 1 and n_pool >= 0 must leave test examples among {len(x)}; "
            f"got n_train={n_train}, n_pool={n_pool}"
        )
    order = np.random.default_rng(seed).permutation(len(x))
    parts = np.split(order, [n_train, n_train + n_pool])
    mean, std = x[parts[0]].mean(0), x[parts[0]].std(0)
    scaled = ((x - mean) / np.where(std > 0, std, 1.0)).astype(np.float32)
    names = ("train", "pool", "test")
    return {
        **{f"x_{n}": scaled[idx] for n, idx in zip(names, parts, strict=True)},
        **{f"y_{n}": y[idx].astype(np.int64) for n, idx in zip(names, parts, strict=True)},
    }


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
