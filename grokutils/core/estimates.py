"""A measured statistic with its 95 % interval, computed from the run's independent units.

A claim is decided on an :class:`Estimate`, never on a bare number: the point value, a
two-sided 95 % interval and the number of independent units (seeds, data sets, runs) it
comes from. The constructors say how the interval was obtained:

* :meth:`Estimate.mean`: Student-t interval of the mean, ``mean ± t(0.975, n-1) · s/√n``;
* :meth:`Estimate.median`: distribution-free order-statistic interval of the median;
* :meth:`Estimate.fraction`: Clopper-Pearson interval of the fraction of units where a
  yes/no statement (a trend, an ordering) holds;
* :meth:`Estimate.bootstrap`: percentile bootstrap of any statistic of the units (a ratio of
  medians, a Spearman ρ), resampling units with a fixed seed so the interval is reproducible;
* :meth:`Estimate.exact`: a deterministic value (a closed form against its recursion), whose
  interval is the point itself;
* :meth:`Estimate.from_interval`: an interval an estimator computed itself (a sampler's own
  standard error, an autocorrelation-corrected one).

One unit gives no interval: the interval is then ``(-inf, inf)`` and every claim on it is
inconclusive, which is what one seed can honestly say. A NaN among the units (a diverged run)
makes the estimate NaN, hence inconclusive: it is never silently dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

LEVEL = 0.95
"""Coverage of every interval in the book."""
BOOTSTRAP_RESAMPLES = 2000
EXACT_METHODS = ("exact", "round-off", "exact on this run")
"""Methods of one deterministic computation (no sampling interval): a closed form or exact
count, round-off, and an identity evaluated on a run."""
BOOTSTRAP_SEED = 20_241_201
"""Seed of the bootstrap resampling: the data carry the run's randomness, not the bootstrap."""


@dataclass(frozen=True)
class Estimate:
    """``value`` with its two-sided 95 % interval ``[low, high]`` from ``n`` units.

    ``method`` names the interval (``"mean, t"``, ``"median, order statistics"``,
    ``"fraction, Clopper-Pearson"``, ``"bootstrap"``, one of :data:`EXACT_METHODS`, or the
    estimator's own);
    ``unit`` what the ``n`` units are (``"seeds"``, ``"data sets"``, ``"configurations"``);
    ``per_unit`` the values the estimate was computed from, one per unit, where the method
    can be applied again to a larger set of units (a mean, a median, a fraction: 1.0 where
    the statement holds), so that runs can be pooled; empty otherwise.
    """

    value: float
    low: float
    high: float
    n: int
    method: str
    unit: str = "seeds"
    per_unit: tuple[float, ...] = ()

    def __post_init__(self):
        for name in ("value", "low", "high"):
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "n", int(self.n))
        object.__setattr__(self, "per_unit", tuple(float(v) for v in self.per_unit))
        if self.per_unit and len(self.per_unit) != self.n:
            raise ValueError(f"{len(self.per_unit)} per-unit values for {self.n} units")
        if not (math.isnan(self.value) or self.low <= self.value <= self.high):
            raise ValueError(
                f"estimate {self.value} is outside its interval [{self.low}, {self.high}]"
            )

    @property
    def is_exact(self) -> bool:
        """One deterministic computation, no sampling interval (:data:`EXACT_METHODS`)."""
        return self.method in EXACT_METHODS

    @property
    def is_machine_independent(self) -> bool:
        """Whether the printed value is the same on every CPU: a closed form or an exact count
        (:meth:`exact`), not a run's estimate and not round-off."""
        return self.method == "exact"

    @property
    def is_nan(self) -> bool:
        return math.isnan(self.value)

    @classmethod
    def mean(cls, samples: Sequence[float] | np.ndarray, *, unit: str = "seeds") -> Estimate:
        """Mean of ``samples`` (shape ``[n]``, one value per independent unit), t interval."""
        x = _units(samples, "mean", allow_inf=False)
        n, method = len(x), "mean, t"
        if n == 0 or np.isnan(x).any():
            return cls._nan(n, unit, method, x)
        mean = float(x.mean())
        if n == 1:
            return cls(mean, -math.inf, math.inf, 1, method, unit, tuple(x))
        half = stats.t.ppf(0.5 + LEVEL / 2, n - 1) * float(x.std(ddof=1)) / math.sqrt(n)
        return cls(mean, mean - half, mean + half, n, method, unit, tuple(x))

    @classmethod
    def median(cls, samples: Sequence[float] | np.ndarray, *, unit: str = "seeds") -> Estimate:
        """Median of ``samples`` (shape ``[n]``; ``inf`` counts as the largest value, e.g. a
        run that never crossed) with the order-statistic interval ``[x_(k), x_(n+1-k)]``,
        ``k`` the largest rank with coverage >= 95 %; below six units no rank reaches it and
        the interval is unbounded."""
        values = _units(samples, "median", allow_inf=True)
        x, n, method = np.sort(values), len(values), "median, order statistics"
        if n == 0 or np.isnan(x).any():
            return cls._nan(n, unit, method, values)
        median = float(np.median(x))
        # P(x_(k) <= median <= x_(n+1-k)) = 1 - 2 P(Binomial(n, 1/2) <= k - 1)
        ks = [k for k in range(1, n // 2 + 1) if 1 - 2 * stats.binom.cdf(k - 1, n, 0.5) >= LEVEL]
        if not ks:
            return cls(median, -math.inf, math.inf, n, method, unit, tuple(values))
        k = max(ks)
        return cls(median, float(x[k - 1]), float(x[n - k]), n, method, unit, tuple(values))

    @classmethod
    def fraction(cls, holds: Sequence[bool] | np.ndarray, *, unit: str = "seeds") -> Estimate:
        """Fraction of units where a statement holds (shape ``[n]`` of bools), with its
        Clopper-Pearson interval."""
        h = np.asarray(holds)
        if h.dtype != bool:
            raise TypeError(f"fraction needs booleans, one per unit; got dtype {h.dtype}")
        h = h.ravel()
        n, k = len(h), int(h.sum())
        if n == 0:
            return cls._nan(0, unit, "fraction, Clopper-Pearson")
        alpha = 1 - LEVEL
        low = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
        high = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
        return cls(k / n, low, high, n, "fraction, Clopper-Pearson", unit, tuple(h.astype(float)))

    @classmethod
    def trend(
        cls,
        values,
        sign: int,
        *,
        nan: str = "error",
        strict: bool = True,
        unit: str = "seeds",
    ) -> Estimate:
        """A trend along a swept axis: the fraction of units whose row of ``values [units, k]``
        (ordered along the axis) increases (``sign=+1``) or decreases (``-1``), strictly unless
        ``strict=False``, with its Clopper-Pearson interval. ``nan``: what a NaN entry means,
        ``"largest"`` (a crossing that never happened, ranked last), ``"smallest"`` or
        ``"error"`` (refuse); see :func:`monotone_rows`."""
        return cls.fraction(monotone_rows(values, sign, nan=nan, strict=strict), unit=unit)

    @classmethod
    def bootstrap(
        cls,
        statistic: Callable[..., float],
        *samples: np.ndarray,
        unit: str = "seeds",
        resamples: int = BOOTSTRAP_RESAMPLES,
    ) -> Estimate:
        """``statistic(*samples)`` with a percentile bootstrap interval.

        Every array in ``samples`` has the units along axis 0 (shape ``[n, ...]``); they are
        resampled together, so paired measurements stay paired. Resamples whose statistic
        is not finite are dropped; if more than 5 % are, the interval is unbounded.
        """
        arrays = [np.asarray(s) for s in samples]
        n = len(arrays[0])
        if any(len(a) != n for a in arrays):
            raise ValueError("bootstrap samples must have the same number of units along axis 0")
        value = float(statistic(*arrays)) if n else math.nan
        if n < 2 or math.isnan(value):
            return cls(value, -math.inf, math.inf, n, "bootstrap", unit)
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        draws = np.array(
            [
                statistic(*(a[idx] for a in arrays))
                for idx in rng.integers(0, n, size=(resamples, n))
            ],
            dtype=float,
        )
        finite = draws[np.isfinite(draws)]
        if len(finite) < 0.95 * resamples:
            return cls(value, -math.inf, math.inf, n, "bootstrap", unit)
        alpha = 1 - LEVEL
        low, high = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
        return cls(value, min(float(low), value), max(float(high), value), n, "bootstrap", unit)

    @classmethod
    def exact(cls, value: float, *, unit: str = "computation") -> Estimate:
        """A closed form or an exact count: its interval is the value itself, and its printed
        digits are the same on every machine (else use :meth:`roundoff`)."""
        value = float(value)
        return cls(value, value, value, 1, "exact", unit)

    @classmethod
    def roundoff(cls, value: float, *, unit: str = "computation") -> Estimate:
        """How far apart two float64 routes to the same exact number land (a relative
        difference, say): deterministic on one machine, but its digits are round-off, which
        other kernels (another CPU family, another dispatch) change."""
        value = float(value)
        return cls(value, value, value, 1, "round-off", unit)

    @classmethod
    def exact_on_run(cls, value: float, *, unit: str = "run") -> Estimate:
        """A quantity that holds exactly for whatever run it is evaluated on (an identity, not
        an estimate of a population value): no interval, but its digits are the run's, which
        other kernels move."""
        value = float(value)
        return cls(value, value, value, 1, "exact on this run", unit)

    @classmethod
    def from_interval(
        cls, value: float, low: float, high: float, n: int, method: str, *, unit: str = "seeds"
    ) -> Estimate:
        """An interval an estimator computed itself; ``method`` says how."""
        return cls(float(value), float(low), float(high), int(n), method, unit)

    @classmethod
    def _nan(cls, n: int, unit: str, method: str, values=()) -> Estimate:
        """No value: no units, or a unit whose value is NaN (a diverged run is not dropped)."""
        return cls(math.nan, -math.inf, math.inf, n, method, unit, tuple(values))

    def to_dict(self) -> dict:
        """The fields as JSON allows them: non-finite per-unit values as text (``"inf"``)."""
        d = asdict(self)
        d["per_unit"] = [v if math.isfinite(v) else str(v) for v in self.per_unit]
        return d


def _units(samples, what: str, *, allow_inf: bool) -> np.ndarray:
    """Samples as a 1-D float array, one value per unit."""
    x = np.asarray(samples, dtype=float).ravel()
    if not allow_inf and np.isinf(x).any():
        raise ValueError(
            f"{what} of samples with inf: decide first what a never-crossed run means "
            "(a fraction, or a median that counts inf as the largest value)"
        )
    return x


def monotone_rows(values, sign: int = 1, *, nan: str = "error", strict: bool = True) -> np.ndarray:
    """``[units]`` bools: whether each row of ``values [units, k]`` increases (``sign=+1``) or
    decreases (``-1``) along its last axis. ``nan``: ``"largest"``, ``"smallest"`` or
    ``"error"`` (a NaN raises ValueError)."""
    rows = np.atleast_2d(np.asarray(values, dtype=float))
    if rows.ndim != 2 or rows.shape[1] < 2:
        raise ValueError(f"a trend needs values [units, k >= 2]; got shape {rows.shape}")
    if nan not in ("largest", "smallest", "error"):
        raise ValueError(f"nan must be 'largest', 'smallest' or 'error'; got {nan!r}")
    if np.isnan(rows).any():
        if nan == "error":
            raise ValueError("values contain NaN: say what NaN means with nan='largest' or ...")
        rows = np.where(np.isnan(rows), np.inf if nan == "largest" else -np.inf, rows)
    with np.errstate(invalid="ignore"):  # inf - inf: two never-crossed entries are tied
        steps = sign * np.diff(rows, axis=1)
    steps = np.where(np.isnan(steps), 0.0, steps)
    return (steps > 0).all(1) if strict else (steps >= 0).all(1)
