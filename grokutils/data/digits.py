"""scikit-learn's 8×8 digits (bundled with scikit-learn), split and standardised."""


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
