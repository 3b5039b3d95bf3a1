"""A fraction of units where a statement holds, when some units cannot say: the outcome of a
unit whose run did not finish (a GD run that never fit its training data) is censored, known
neither to hold nor to fail.

Such a unit is counted neither way: the interval runs from the Clopper-Pearson lower end of the
units that hold (every undecided unit failing) to the upper end of the units that hold or are
undecided (every undecided unit holding). It covers at 95 % whatever the undecided units would
have done, so a claim "fraction >= b" is reproduced only if it holds with every undecided unit
failing, and not reproduced only if it fails with every undecided unit holding: a censored unit
never decides a verdict. The value is the fraction among the decided units (NaN if none).

``per_unit`` keeps one value per unit: 1.0 (holds), 0.0 (fails), :data:`UNDECIDED` (censored),
so that runs pool (:func:`pooled`: the same statistic on the union of the units).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from grokutils.core.estimates import LEVEL, Estimate

METHOD = "fraction, Clopper-Pearson, undecided units either way"
UNDECIDED = 0.5
"""``per_unit`` value of a unit whose outcome is censored."""


def censored_fraction(holds, undecided, *, unit: str = "seeds") -> Estimate:
    """Fraction of units where a statement holds (``holds [n]``, bools), the units flagged in
    ``undecided [n]`` (bools) counted neither way (module docstring). A unit cannot both hold and
    be undecided."""
    h, u = (np.asarray(a).ravel() for a in (holds, undecided))
    if h.dtype != bool or u.dtype != bool or h.shape != u.shape:
        raise TypeError(
            f"holds and undecided must be booleans of one shape; got {h.shape}, {u.shape}"
        )
    if (h & u).any():
        raise ValueError("a unit cannot both hold and be undecided")
    n, k, k_open = len(h), int(h.sum()), int(u.sum())
    decided = n - k_open
    value = k / decided if decided else math.nan  # within [low, high]: k + k_open <= n
    alpha = 1 - LEVEL
    low = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    top = k + k_open
    high = 1.0 if top == n else float(stats.beta.ppf(1 - alpha / 2, top + 1, n - top))
    per_unit = tuple(np.where(u, UNDECIDED, h.astype(float)))
    return Estimate(value, low, high, n, METHOD, unit, per_unit)


def from_values(values: Sequence[float], *, unit: str = "seeds") -> Estimate:
    """:func:`censored_fraction` of per-unit values as ``per_unit`` keeps them."""
    v = np.asarray(values, dtype=float).ravel()
    if not np.isin(v, (0.0, 1.0, UNDECIDED)).all():
        raise ValueError(f"per-unit values must be 0, 1 or {UNDECIDED} (undecided)")
    return censored_fraction(v == 1.0, v == UNDECIDED, unit=unit)


def pooled(estimates: Sequence[Estimate]) -> Estimate:
    """The same statistic on the union of the units of ``estimates`` (one per run, this
    method, one unit name)."""
    if any(e.method != METHOD or e.unit != estimates[0].unit for e in estimates):
        raise ValueError(f"pooled estimates must all be {METHOD!r} over one kind of unit")
    if any(len(e.per_unit) != e.n for e in estimates):
        raise ValueError("per-unit values not recorded")
    values = np.concatenate([np.asarray(e.per_unit, dtype=float) for e in estimates])
    return from_values(values, unit=estimates[0].unit)
