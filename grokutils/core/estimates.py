"""A measured statistic with its 95 % interval, computed from the run's independent units.

A claim is decided on an :class:`Estimate`, never on a bare number: the point value, a
two-sided 95 % interval and the number of independent units (seeds, data sets, runs) it
comes from. The constructors say how the interval was obtained:

* :meth:`Estimate.mean`: Student-t interval of the mean, ``mean ± t(0.975, n-1) · s/√n``;
* :meth:`Estimate.geometric_mean`: a ratio (or any positive scale) judged on a log scale: the
  t interval of the mean log, mapped back;
* :meth:`Estimate.median`: distribution-free order-statistic interval of the median; a run
  that never crossed within its budget is censored there, not infinite;
* :meth:`Estimate.trend`: a trend along a swept axis as a per-unit paired effect (each unit's
  least-squares slope), t interval of the mean slope;
* :meth:`Estimate.worst_point`: the largest deviation of a mean curve from a reference curve,
  with per-point t intervals (an intersection-union bound above, Bonferroni below);
* :meth:`Estimate.fraction`: Clopper-Pearson interval of the fraction of units where a
  yes/no statement holds;
* :meth:`Estimate.bootstrap`: percentile bootstrap of any statistic of the units, resampling
  units with a fixed seed; it covers only from :data:`BOOTSTRAP_MIN_UNITS` units, and below
  that its interval is unbounded;
* :meth:`Estimate.exact`: a deterministic value (a closed form against its recursion), whose
  interval is the point itself;
* :meth:`Estimate.from_interval`: an interval an estimator computed itself (a sampler's own
  standard error, an autocorrelation-corrected one).

Which statistic a claim uses follows from the kind of statement, fixed before any number is
seen (the README's "Statistics" section): a ratio on a log scale, a trend or an ordering on
per-unit paired effects, a time that may not have come on its budget as censored. Every method
is used only at unit counts where it covers (``tests/core/test_coverage.py``).

One unit gives no interval: the interval is then ``(-inf, inf)`` and every claim on it is
inconclusive, which is what one seed can honestly say. A NaN among the units (a diverged run)
makes the estimate NaN, hence inconclusive: it is never silently dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np
from scipy import stats

LEVEL = 0.95
"""Coverage of every interval in the book."""
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_MIN_UNITS = 32
"""Fewest units at which the percentile bootstrap covers within Monte Carlo error of 95 % for
a normal mean (0.86 at 6 units, 0.91 at 16; ``tests/core/test_coverage.py``); below, its
interval is unbounded."""
CENSORED_SIDES = ("", "low", "high", "both")
TREND_METHOD = "trend: per-unit slope, t"
WORST_POINT_METHOD = "worst point, t (intersection-union)"
""":meth:`Estimate.worst_point` of the differences ``mean_j - ref_j``."""
WORST_LOG_POINT_METHOD = "worst point of log ratio, t (intersection-union)"
""":meth:`Estimate.worst_point` with ``log``: of the log ratios ``log(mean_j / ref_j)``."""
WORST_POINT_METHODS = (WORST_POINT_METHOD, WORST_LOG_POINT_METHOD)
RUN_POOLED_METHODS = {
    "geometric mean": "bootstrap; runs pool: geometric mean, t on logs",
    "mean": "bootstrap; runs pool: mean, t",
}
""":meth:`Estimate.bootstrap` with ``pool_runs``: a statistic of a whole ensemble (a law, a
spread, pairs of data sets), bootstrapped over the run's units for the run's own verdict; its
one per-unit value is the run's statistic, and the runs' statistics pool as independent units
(a geometric mean for a positive ratio, a mean otherwise)."""
POOLABLE = (
    "mean, t",
    "geometric mean, t on logs",
    "median, order statistics",
    "fraction, Clopper-Pearson",
    TREND_METHOD,
    *WORST_POINT_METHODS,
    *RUN_POOLED_METHODS.values(),
)
"""Methods that are a statistic of their per-unit values alone (a worst point: of its units'
curves and its reference curve), so that the same statistic on the units of several runs is
their pooled estimate (:meth:`Estimate.from_units`)."""
REFERENCE_RTOL = 1e-9
"""Relative difference within which two runs' reference curves are the same curve (the
round-off of another machine's closed form), so that their worst points pool."""
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
    the statement holds; a trend: each unit's slope; a worst point: each unit's curve, a tuple
    of ``points`` floats; a bootstrap that pools by runs: the run's statistic, one value), so
    that runs can be pooled (:meth:`from_units`); empty otherwise.
    ``censored_at``: the budget at which a never-crossed unit (``inf`` in ``per_unit``) was
    censored; ``censored``: which end of the interval censored units left open (``"low"``,
    ``"high"``, ``"both"`` or ``""``). ``reference``: a worst point's reference curve
    (``points`` floats), empty for every other method.
    """

    value: float
    low: float
    high: float
    n: int
    method: str
    unit: str = "seeds"
    per_unit: tuple[float, ...] | tuple[tuple[float, ...], ...] = ()
    censored_at: float | None = None
    censored: str = ""
    reference: tuple[float, ...] = ()

    def __post_init__(self):
        for name in ("value", "low", "high"):
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "n", int(self.n))
        reference = _floats(self.reference, "reference", ndim=1)
        curves = bool(reference)
        per_unit = _floats(self.per_unit, "per_unit", ndim=2 if curves else 1)
        object.__setattr__(self, "reference", reference)
        object.__setattr__(self, "per_unit", per_unit)
        if self.censored not in CENSORED_SIDES:
            raise ValueError(f"censored must be one of {CENSORED_SIDES}; got {self.censored!r}")
        if self.per_unit and len(self.per_unit) != self.units_per_run:
            raise ValueError(f"{len(self.per_unit)} per-unit values for {self.n} units")
        if curves != (self.method in WORST_POINT_METHODS) and (curves or self.per_unit):
            raise ValueError(f"a reference curve is a worst point's, and only its: {self.method}")
        if curves and self.per_unit and len(self.per_unit[0]) != len(reference):
            raise ValueError(
                f"per-unit curves of {len(self.per_unit[0])} points for a reference of "
                f"{len(reference)}"
            )
        if not (math.isnan(self.value) or self.low <= self.value <= self.high):
            raise ValueError(
                f"estimate {self.value} is outside its interval [{self.low}, {self.high}]"
            )

    @property
    def is_exact(self) -> bool:
        """One deterministic computation, no sampling interval (:data:`EXACT_METHODS`)."""
        return self.method in EXACT_METHODS

    @property
    def units_per_run(self) -> int:
        """The units this estimate adds to a pool: ``n``, or 1 for a bootstrap whose runs
        pool (:data:`RUN_POOLED_METHODS`)."""
        return 1 if self.method in RUN_POOLED_METHODS.values() else self.n

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
        return cls(*_t_interval(x), n, method, unit, tuple(x))

    @classmethod
    def geometric_mean(
        cls, samples: Sequence[float] | np.ndarray, *, unit: str = "seeds"
    ) -> Estimate:
        """Geometric mean of positive ``samples`` (shape ``[n]``: a ratio, a time, one per
        unit): the t interval of the mean of their logs, mapped back, so a ratio is judged on a
        log scale (exact coverage for lognormal units). A NaN or non-positive unit makes the
        estimate NaN; an ``inf`` is refused (say first what a never-crossed run means)."""
        x = _units(samples, "geometric mean", allow_inf=False)
        n, method = len(x), "geometric mean, t on logs"
        if n == 0 or np.isnan(x).any() or (x <= 0).any():
            return cls._nan(n, unit, method, x)
        value, low, high = np.exp(_t_interval(np.log(x)))
        return cls(value, low, high, n, method, unit, tuple(x))

    @classmethod
    def median(
        cls,
        samples: Sequence[float] | np.ndarray,
        *,
        unit: str = "seeds",
        censored_at: float | None = None,
    ) -> Estimate:
        """Median of ``samples`` (shape ``[n]``) with the order-statistic interval
        ``[x_(k), x_(n+1-k)]``, ``k`` the largest rank with coverage >= 95 %; below six units no
        rank reaches it and the interval is unbounded.

        ``inf`` is a run that never crossed: with ``censored_at`` (the budget) it is censored
        there, known only to exceed the budget, so an order statistic that falls on it bounds
        the interval at the budget from below and leaves it open above. A censored run can then
        count against a claim ``≤ b`` only when the budget exceeds ``b``. Without
        ``censored_at``, ``inf`` is a value larger than every other."""
        values = _units(samples, "median", allow_inf=True)
        x, n, method = np.sort(values), len(values), "median, order statistics"
        keep = {"per_unit": tuple(values), "censored_at": censored_at}
        if n == 0 or np.isnan(x).any():
            return cls(math.nan, -math.inf, math.inf, n, method, unit, **keep)
        median = float(np.median(x))
        # P(x_(k) <= median <= x_(n+1-k)) = 1 - 2 P(Binomial(n, 1/2) <= k - 1)
        ks = [k for k in range(1, n // 2 + 1) if 1 - 2 * stats.binom.cdf(k - 1, n, 0.5) >= LEVEL]
        if not ks:
            return cls(median, -math.inf, math.inf, n, method, unit, **keep)
        k = max(ks)
        low = float(x[k - 1])
        if censored_at is not None and math.isinf(low):
            low = min(float(censored_at), median)
        return cls(median, low, float(x[n - k]), n, method, unit, **keep)

    @classmethod
    def worst_point(
        cls,
        samples,
        reference,
        *,
        log: bool = False,
        unit: str = "seeds",
    ) -> Estimate:
        """The largest deviation of a curve's mean from a reference curve, for a claim "within
        a tolerance of the reference at every point": ``samples [units, points]`` (one curve per
        unit), ``reference [points]``; the deviation at point ``j`` is ``log(mean_j / ref_j)``
        with ``log``, else ``mean_j - ref_j``; the value is the largest ``|deviation|``.

        ``high``: the largest over points of the farther end of each point's own 97.5 % t
        interval (the true largest deviation is below it with probability >= 97.5 %: an
        intersection-union bound). ``low``: the largest over points of the distance from 0 of
        each point's Bonferroni interval at ``1 - 2.5 %/points`` (all of them hold at once with
        probability >= 97.5 %). Together the interval covers at >= 95 %.

        The estimate keeps each unit's curve (``per_unit``, ``[units][points]``) and the
        reference, and its method says whether on logs (:data:`WORST_LOG_POINT_METHOD`) or not
        (:data:`WORST_POINT_METHOD`), so that runs pool (:meth:`from_units`)."""
        x = np.atleast_2d(np.asarray(samples, dtype=float))
        ref = np.asarray(reference, dtype=float).ravel()
        n, points = x.shape[0], x.shape[1]
        method = WORST_LOG_POINT_METHOD if log else WORST_POINT_METHOD
        if x.ndim != 2 or ref.shape != (points,):
            raise ValueError(f"reference must have {points} points; got shape {ref.shape}")
        if np.isinf(x).any():
            raise ValueError("worst point of samples with inf: a curve's value must be finite")
        mean = x.mean(0)
        deviation = (lambda m: np.log(m / ref)) if log else (lambda m: m - ref)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = float(np.abs(deviation(mean)).max())
        keep = {"per_unit": x, "reference": ref}
        if np.isnan(x).any() or not math.isfinite(value):
            return cls(math.nan, -math.inf, math.inf, n, method, unit, **keep)
        if n == 1:
            return cls(value, -math.inf, math.inf, 1, method, unit, **keep)
        se = x.std(0, ddof=1) / math.sqrt(n)

        def ends(level):  # on logs a lower end at or below 0 is a deviation of -inf
            half = stats.t.ppf(0.5 + level / 2, n - 1) * se
            lower = np.maximum(mean - half, 0.0) if log else mean - half
            with np.errstate(invalid="ignore", divide="ignore"):
                return deviation(lower), deviation(mean + half)

        lo, hi = ends(1 - (1 - LEVEL) / 2)
        high = float(np.nanmax(np.maximum(np.abs(lo), np.abs(hi))))
        lo, hi = ends(1 - (1 - LEVEL) / 2 / points)
        nearest = np.where((lo <= 0) & (hi >= 0), 0.0, np.minimum(np.abs(lo), np.abs(hi)))
        low = float(np.nan_to_num(nearest, nan=0.0).max())
        return cls(value, min(low, value), max(high, value), n, method, unit, **keep)

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
        x: Sequence[float] | np.ndarray | None = None,
        log: bool = False,
        censored_at: float | None = None,
        unit: str = "seeds",
    ) -> Estimate:
        """A trend along a swept axis as a per-unit paired effect: each unit's least-squares
        slope of its row of ``values [units, k]`` (of their logs with ``log``, for a time or a
        ratio) against ``x [k]`` (default the grid positions ``0..k-1``), times ``sign`` (+1:
        the claim says increasing; -1: decreasing), and the t interval of the mean slope over
        units. A positive value supports the claim: hold it against ``at_least=0``, which a
        trend's claim applies strictly (all slopes exactly 0 are no trend).

        A never-crossed entry (``inf``) is censored at ``censored_at``: the slope is computed
        with the budget in its place, which bounds the unit's true slope from one side (raising
        a censored entry raises ``sign · slope`` where ``sign · (x_j - mean x) > 0``), so the
        interval is left open on the other side; units bounded from both sides open both ends.
        A NaN entry (a diverged run) makes the estimate NaN.
        """
        rows = np.atleast_2d(np.asarray(values, dtype=float))
        if rows.ndim != 2 or rows.shape[1] < 2:
            raise ValueError(f"a trend needs values [units, k >= 2]; got shape {rows.shape}")
        if sign not in (1, -1):
            raise ValueError(f"sign must be +1 (increasing) or -1 (decreasing); got {sign!r}")
        pos = np.arange(rows.shape[1], dtype=float) if x is None else np.asarray(x, float)
        if pos.shape != (rows.shape[1],) or np.ptp(pos) == 0:
            raise ValueError(f"x must be {rows.shape[1]} distinct positions; got {pos}")
        censored_cells = np.isinf(rows)
        if censored_cells.any() and censored_at is None:
            raise ValueError("values contain inf: give censored_at, the budget it stands for")
        method, n = TREND_METHOD, rows.shape[0]
        if np.isnan(rows).any() or (log and (rows <= 0).any()):
            return cls._nan(n, unit, method)
        if censored_cells.any():
            rows = np.where(censored_cells, float(censored_at), rows)
        if log:
            rows = np.log(rows)
        lever = pos - pos.mean()
        slopes = sign * (rows - rows.mean(1, keepdims=True)) @ lever / (lever @ lever)
        raises = censored_cells & (sign * lever > 0)  # the true slope is larger
        lowers = censored_cells & (sign * lever < 0)
        side = {(False, False): "", (True, False): "high", (False, True): "low"}.get(
            (raises.any(), lowers.any()), "both"
        )
        return cls._from_effects(slopes, method, unit, side)

    @classmethod
    def _from_effects(cls, effects: np.ndarray, method: str, unit: str, censored: str):
        """Mean of per-unit effects with its t interval, opened where ``censored`` says."""
        value, low, high = _t_interval(effects)
        low = -math.inf if censored in ("low", "both") else low
        high = math.inf if censored in ("high", "both") else high
        return cls(value, low, high, len(effects), method, unit, tuple(effects), None, censored)

    @classmethod
    def bootstrap(
        cls,
        statistic: Callable[..., float],
        *samples: np.ndarray,
        unit: str = "seeds",
        resamples: int = BOOTSTRAP_RESAMPLES,
        pool_runs: str | None = None,
    ) -> Estimate:
        """``statistic(*samples)`` with a percentile bootstrap interval.

        Every array in ``samples`` has the units along axis 0 (shape ``[n, ...]``); they are
        resampled together, so paired measurements stay paired. Resamples whose statistic
        is not finite are dropped; if more than 5 % are, the interval is unbounded. Below
        :data:`BOOTSTRAP_MIN_UNITS` units the percentile interval does not cover (0.86 at six
        units for a normal mean), so it is unbounded there too.

        ``pool_runs`` (``"geometric mean"`` or ``"mean"``, :data:`RUN_POOLED_METHODS`): the
        statistic is one of the whole run (its units are not independent terms of it), and
        runs pool as units: the estimate keeps the run's statistic as its one per-unit value.
        """
        if pool_runs is not None and pool_runs not in RUN_POOLED_METHODS:
            raise ValueError(
                f"pool_runs must be one of {sorted(RUN_POOLED_METHODS)}; got {pool_runs!r}"
            )
        method = "bootstrap" if pool_runs is None else RUN_POOLED_METHODS[pool_runs]
        arrays = [np.asarray(s) for s in samples]
        n = len(arrays[0])
        if any(len(a) != n for a in arrays):
            raise ValueError("bootstrap samples must have the same number of units along axis 0")
        value = float(statistic(*arrays)) if n else math.nan
        run = () if pool_runs is None else (value,)
        if n < BOOTSTRAP_MIN_UNITS or math.isnan(value):
            return cls(value, -math.inf, math.inf, n, method, unit, run)
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
            return cls(value, -math.inf, math.inf, n, method, unit, run)
        alpha = 1 - LEVEL
        low, high = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
        return cls(value, min(float(low), value), max(float(high), value), n, method, unit, run)

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
    def from_units(cls, estimates: Sequence[Estimate]) -> Estimate:
        """The same statistic on the union of the units of ``estimates`` (one per run, same
        method and unit; worst points: the same reference curve, within
        :data:`REFERENCE_RTOL`): pooled evidence. Raises ValueError for a method that is not a
        statistic of its per-unit values alone (a bootstrap of another statistic, an exact
        value, an estimator's own interval), an estimate without per-unit values, or worst
        points against different reference curves."""
        first = estimates[0]
        if any((e.method, e.unit) != (first.method, first.unit) for e in estimates):
            raise ValueError("pooled estimates must share their method and unit")
        if first.method not in POOLABLE:
            raise ValueError(f"{first.method} is not a statistic of the per-unit values alone")
        if any(len(e.per_unit) != e.units_per_run for e in estimates):
            raise ValueError("per-unit values not recorded")
        for e in estimates:
            if len(e.reference) != len(first.reference):
                raise ValueError(
                    "pooled worst points must share their reference curve: "
                    f"{len(first.reference)} points against {len(e.reference)}"
                )
            if not same_reference(e.reference, first.reference):
                raise ValueError("pooled worst points must share their reference curve")
        values = np.concatenate([np.asarray(e.per_unit, dtype=float) for e in estimates])
        budgets = [e.censored_at for e in estimates if e.censored_at is not None]
        censored_at = min(budgets) if budgets else None
        sides = {e.censored for e in estimates} - {""}
        censored = "" if not sides else sides.pop() if len(sides) == 1 else "both"
        pool = {
            "mean, t": lambda: cls.mean(values, unit=first.unit),
            "geometric mean, t on logs": lambda: cls.geometric_mean(values, unit=first.unit),
            "median, order statistics": lambda: cls.median(
                values, unit=first.unit, censored_at=censored_at
            ),
            "fraction, Clopper-Pearson": lambda: cls.fraction(values > 0.5, unit=first.unit),
            TREND_METHOD: lambda: cls._from_effects(values, first.method, first.unit, censored),
            WORST_POINT_METHOD: lambda: cls.worst_point(values, first.reference, unit=first.unit),
            WORST_LOG_POINT_METHOD: lambda: cls.worst_point(
                values, first.reference, log=True, unit=first.unit
            ),
            RUN_POOLED_METHODS["geometric mean"]: lambda: cls.geometric_mean(values, unit="runs"),
            RUN_POOLED_METHODS["mean"]: lambda: cls.mean(values, unit="runs"),
        }
        return pool[first.method]()

    @classmethod
    def from_dict(cls, d: dict) -> Estimate:
        """The inverse of :meth:`to_dict` (non-finite numbers written as text)."""
        fields = {k: d[k] for k in ("value", "low", "high", "n", "method", "unit")}
        extra = {
            "per_unit": _from_json(d.get("per_unit", [])),
            "censored_at": None if d.get("censored_at") is None else float(d["censored_at"]),
            "censored": d.get("censored", ""),
            "reference": _from_json(d.get("reference", [])),
        }
        return cls(
            **{k: float(v) if k in ("value", "low", "high") else v for k, v in fields.items()},
            **extra,
        )

    @classmethod
    def _nan(cls, n: int, unit: str, method: str, values=()) -> Estimate:
        """No value: no units, or a unit whose value is NaN (a diverged run is not dropped)."""
        return cls(math.nan, -math.inf, math.inf, n, method, unit, tuple(values))

    def to_dict(self) -> dict:
        """The fields as JSON allows them: non-finite per-unit values as text (``"inf"``), a
        worst point's curves as nested lists (``[units][points]``), and ``reference`` only
        where there is one."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["per_unit"] = _to_json(self.per_unit)
        if self.censored_at is not None and not math.isfinite(self.censored_at):
            d["censored_at"] = str(self.censored_at)
        if self.reference:
            d["reference"] = _to_json(self.reference)
        else:
            del d["reference"]
        return d


def same_reference(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether two worst points' reference curves (``[points]`` each) are the same curve: as
    many points, equal within :data:`REFERENCE_RTOL` (NaN equal to NaN)."""
    return len(a) == len(b) and bool(np.allclose(a, b, rtol=REFERENCE_RTOL, atol=0, equal_nan=True))


def _t_interval(x: np.ndarray) -> tuple[float, float, float]:
    """Mean of ``x [n]`` (n >= 1, finite) with its Student-t 95 % interval; unbounded at n = 1."""
    mean, n = float(x.mean()), len(x)
    if n == 1:
        return mean, -math.inf, math.inf
    half = stats.t.ppf(0.5 + LEVEL / 2, n - 1) * float(x.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half


def _units(samples, what: str, *, allow_inf: bool) -> np.ndarray:
    """Samples as a 1-D float array, one value per unit."""
    x = np.asarray(samples, dtype=float).ravel()
    if not allow_inf and np.isinf(x).any():
        raise ValueError(
            f"{what} of samples with inf: decide first what a never-crossed run means "
            "(a fraction, or a median that counts inf as the largest value)"
        )
    return x


def _floats(values, name: str, *, ndim: int) -> tuple:
    """``values`` as a tuple of floats (``ndim`` 1), or of equal-length tuples of floats
    (``ndim`` 2: one curve per unit); empty stays empty."""
    if len(values) == 0:
        return ()
    x = np.asarray(values, dtype=float)
    if x.ndim != ndim:
        shape = "[units, points]" if ndim == 2 else "[units]" if name == "per_unit" else "[points]"
        raise ValueError(f"{name} must have shape {shape}; got {x.shape}")
    return tuple(map(tuple, x.tolist())) if ndim == 2 else tuple(x.tolist())


def _to_json(values: tuple) -> list:
    """A tuple of floats, or of tuples of floats, as JSON lists; non-finite values as text."""
    return [
        _to_json(v) if isinstance(v, tuple) else v if math.isfinite(v) else str(v) for v in values
    ]


def _from_json(values: list) -> tuple:
    """The inverse of :func:`_to_json`."""
    return tuple(_from_json(v) if isinstance(v, list) else float(v) for v in values)
