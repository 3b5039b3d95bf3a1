"""Crossing times on trajectories: first crossings of a threshold, train-to-test delays and
interpolated crossings. A threshold never crossed has crossing time ``inf``."""

import numpy as np


def first_crossing(steps, losses, threshold):
    """First recorded step at which each run's loss is below ``threshold`` (``inf`` if never).

    ``steps [T]``, ``losses [runs, T]``, ``threshold`` a scalar or ``[runs]`` (e.g. ``0.1 L(0)``
    for a relative threshold). Returns float ``[runs]``. Kumar et al. (Fig. 3e) use the first
    step with loss < 0.1 and count a run that never gets there as no grokking.
    """
    steps, losses = np.asarray(steps), np.atleast_2d(np.asarray(losses, dtype=float))
    if losses.shape[-1] != len(steps):
        raise ValueError(f"losses must have shape [runs, {len(steps)}]; got {losses.shape}")
    below = losses < np.reshape(threshold, (-1, 1))
    hit = below.any(-1)
    return np.where(hit, steps[below.argmax(-1)].astype(float), np.inf)


def grokking_delay(steps, train, test, threshold):
    """Train-to-test delay of each run at a loss ``threshold``: ``(t_train, t_test, gap, ratio)``.

    ``gap = t_test - t_train`` and ``ratio = t_test / t_train``, each ``[runs]``; ``inf`` where
    the test loss never crosses (Kumar et al.'s heat map counts those runs as zero grokking:
    use ``np.where(np.isfinite(gap), gap, 0)`` for that convention).
    """
    t_train = first_crossing(steps, train, threshold)
    t_test = first_crossing(steps, test, threshold)
    with np.errstate(invalid="ignore", divide="ignore"):
        return t_train, t_test, t_test - t_train, t_test / np.maximum(t_train, 1)


def interpolated_crossing(steps, values, level: float):
    """First step at which ``values [runs, n]`` (measured at increasing ``steps [n]``) reach
    ``level`` or more, linearly interpolated between the two measurements around the crossing.

    Returns ``[runs]`` float steps: ``steps[0]`` if already there, ``inf`` if never reached.
    """
    steps, values = np.asarray(steps, dtype=float), np.atleast_2d(np.asarray(values, float))
    if values.shape[-1] != steps.shape[0]:
        raise ValueError(f"values must have shape [runs, {len(steps)}]; got {values.shape}")
    hit = values >= level
    k = hit.argmax(1)
    before = np.maximum(k - 1, 0)
    rows = np.arange(len(values))
    v0, v1 = values[rows, before], values[rows, k]
    fraction = np.where(k > 0, (level - v0) / np.where(v1 > v0, v1 - v0, 1.0), 0.0)
    crossing = steps[before] + fraction * (steps[k] - steps[before])
    return np.where(hit.any(1), crossing, np.inf)
