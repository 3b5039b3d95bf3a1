"""Claim checks: a claim, its reference and source, our estimate with its interval, a verdict.

A chapter builds one :class:`Claim` per claim with a constructor that *computes* the verdict
from an :class:`~grokutils.core.estimates.Estimate` (a value with its 95 % interval over the run's
independent seeds or data sets) and a tolerance fixed before the number is seen:

* **reproduced** when the whole interval satisfies the tolerance,
* **not reproduced** when the whole interval violates it,
* **inconclusive** when it straddles (or the value is NaN, or a diagnostic says the run
  cannot decide),
* **not checked at this preset** when the preset cannot afford it (it names the one that can).

One spelling each: a bound is :meth:`Claim.check` (``at_least``, ``at_most`` or both; a target
with a relative or absolute tolerance is :meth:`Claim.close`); a trend along a swept axis is the
estimate :meth:`~grokutils.core.estimates.Estimate.trend` (the mean over units of each unit's
slope along the axis) held against ``at_least=0``, strictly; a yes/no statement per unit is
:meth:`~grokutils.core.estimates.Estimate.fraction`. A claim with several parts (one per
activation, say) takes a dict of estimates: reproduced when every part is, not reproduced when
any part is. Every constructor takes ``quick``, beside the claim: ``True`` when CI asserts it
at the quick preset, else the reason (the mechanism) it is not asserted there.

Every claim names its ``reference`` (the value or direction it is held against) and its
``source``: ``"paper, Fig. 3a"`` (or ``§4.2``, ``eq. 13``), ``"theory, eq. 7"`` (our closed
form) or ``"prototype"`` (an expectation we measured ourselves, never the paper's). Where the
*threshold* comes from is said apart (``tolerance_from``, shown beside the tolerance): ``"ours"``
(the default: a number we chose, never shown as the paper's), ``"paper, ..."`` where the paper
states the number, ``"theory, ..."`` where our closed form sets it.
A chapter's claims are collected, shown and saved by :class:`grokutils.core.report.ClaimReport`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np

from grokutils.core.estimates import TREND_METHOD, Estimate

SOURCES = ("paper", "theory", "prototype")
"""What a claim's reference can come from: the paper (with its location), our closed form
(with its equation), or a prototype run of ours."""
TOLERANCE_SOURCES = ("ours", "paper", "theory")
"""What a claim's threshold can come from: our choice (with its reason), the paper (with its
location), our closed form (with its equation)."""


class Verdict(StrEnum):
    REPRODUCED = "reproduced"
    NOT_REPRODUCED = "not reproduced"
    INCONCLUSIVE = "inconclusive"
    NOT_CHECKED = "not checked at this preset"


def format_value(value: object) -> str:
    """A measured or reference value as short, stable text (4 significant digits)."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | np.integer):
        value = int(value)
        return f"{value:,}".replace(",", " ") if abs(value) >= 10_000 else str(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.4g}"
    if isinstance(value, tuple | list):
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    return str(value)


def format_estimate(estimate: Estimate) -> tuple[str, str]:
    """``(value, interval)`` as text: ``("0.53", "[0.41, 0.66], 8 seeds")``; for one
    deterministic computation the interval is its method (``"exact"``, ``"round-off"``, …)."""
    value = format_value(estimate.value)
    if estimate.is_exact:
        return value, estimate.method
    interval = f"[{format_value(estimate.low)}, {format_value(estimate.high)}]"
    return value, f"{interval}, {estimate.n} {estimate.unit}"


class RunBound(float):
    """A tolerance computed from the run itself (the rms difference of two sampler runs, 3×
    a measured step): pass it as a bound and the claim records ``tolerance_from_run``, so that
    its digits, which move with the machine like a measured value's, are not compared across
    machines (:meth:`ClaimReport.invariants`)."""


@dataclass(frozen=True)
class Bound:
    """A tolerance: ``low <= value <= high`` (either side may be open)."""

    low: float = -math.inf
    high: float = math.inf

    def __post_init__(self):
        if math.isnan(self.low) or math.isnan(self.high) or self.low > self.high:
            raise ValueError(f"a tolerance needs low <= high; got [{self.low}, {self.high}]")
        if self.low == -math.inf and self.high == math.inf:
            raise ValueError("a tolerance needs at least one finite bound")

    def decide(self, estimate: Estimate) -> Verdict:
        """The interval rule: inside -> reproduced, outside -> not reproduced, else inconclusive.
        A trend's bound is strict: a direction holds only when the whole interval of the mean
        slope lies beyond 0 (slopes that are all exactly 0 are no trend)."""
        if estimate.is_nan:
            return Verdict.INCONCLUSIVE
        if estimate.method == TREND_METHOD:
            inside = (self.low == -math.inf or self.low < estimate.low) and (
                self.high == math.inf or estimate.high < self.high
            )
        else:
            inside = self.low <= estimate.low and estimate.high <= self.high
        if inside:
            return Verdict.REPRODUCED
        if estimate.high < self.low or estimate.low > self.high:
            return Verdict.NOT_REPRODUCED
        return Verdict.INCONCLUSIVE

    def __str__(self) -> str:
        if self.low == -math.inf:
            return f"≤ {format_value(self.high)}"
        if self.high == math.inf:
            return f"≥ {format_value(self.low)}"
        return f"in [{format_value(self.low)}, {format_value(self.high)}]"


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """A claim of several parts: reproduced if all are, not reproduced if any is."""
    verdicts = list(verdicts)
    if any(v == Verdict.NOT_REPRODUCED for v in verdicts):
        return Verdict.NOT_REPRODUCED
    if verdicts and all(v == Verdict.REPRODUCED for v in verdicts):
        return Verdict.REPRODUCED
    return Verdict.INCONCLUSIVE


@dataclass(frozen=True)
class Claim:
    """One claim with its reference, our estimate(s) and the verdict computed from them.

    ``estimates`` maps a part's label to its estimate (one part: label ``""``); ``measured``,
    ``interval`` and ``tolerance`` are the same as text for the tables; ``tolerance_from_run``:
    a bound was a :class:`RunBound`. ``quick``: whether CI asserts the claim at the quick
    preset; ``not_at_quick``: else why not (the mechanism). ``bounds``: the tolerance of each
    part as numbers (the rule the pooled verdict applies again), ``diagnosed``: a diagnostic
    made the claim inconclusive whatever its interval. Build claims with the constructors,
    not directly; each takes ``quick=True`` or ``quick="why it is not asserted at quick"``.
    """

    id: str
    statement: str
    reference: str
    source: str
    verdict: Verdict
    tolerance: str
    measured: str = "-"
    interval: str = "-"
    note: str = ""
    estimates: Mapping[str, Estimate] = field(default_factory=dict)
    tolerance_from_run: bool = False
    quick: bool = False
    not_at_quick: str = ""
    bounds: Mapping[str, Bound] = field(default_factory=dict)
    diagnosed: bool = False
    tolerance_from: str = "ours"

    def __post_init__(self):
        kind = self.source.split(",")[0].strip()
        if kind not in SOURCES:
            raise ValueError(
                f"claim {self.id}: source must start with one of {', '.join(SOURCES)} "
                f"(e.g. 'paper, Fig. 3a'); got {self.source!r}"
            )
        if not self.reference:
            raise ValueError(f"claim {self.id}: give the reference value or direction")
        if self.tolerance_from.split(",")[0].split(":")[0].strip() not in TOLERANCE_SOURCES:
            raise ValueError(
                f"claim {self.id}: tolerance_from must start with one of "
                f"{', '.join(TOLERANCE_SOURCES)} (e.g. 'ours: twice the prototype's spread'); "
                f"got {self.tolerance_from!r}"
            )
        if self.quick == bool(self.not_at_quick.strip()):
            raise ValueError(
                f"claim {self.id}: say quick=True (asserted at quick) or give the reason it is "
                "not asserted there (quick='...')"
            )

    @classmethod
    def check(
        cls,
        id: str,
        statement: str,
        measured: Estimate | Mapping[str, Estimate],
        *,
        source: str,
        quick: bool | str,
        at_least: float | Mapping[str, float | None] | None = None,
        at_most: float | Mapping[str, float | None] | None = None,
        reference: str | None = None,
        note: str = "",
        inconclusive_because: str | None = None,
        tolerance_from: str = "ours",
    ) -> Claim:
        """The one way to hold an estimate against bounds: reproduced when the whole interval of
        every part lies within them, not reproduced when it lies outside for any part.

        ``measured``: one estimate, or ``{label: estimate}`` for a claim of several parts (a
        trend: :meth:`Estimate.trend`, against ``at_least=0``; a yes/no statement:
        :meth:`Estimate.fraction`);
        ``at_least`` / ``at_most``: one bound for every part, or one per label (None: open).
        ``reference`` defaults to the bounds (``"≥ 0.5"``, ``"in [1, 2]"``);
        ``tolerance_from``: where the bounds come from (module docstring; default ``"ours"``).
        """
        if at_least is None and at_most is None:
            raise ValueError(f"claim {id}: give at_least, at_most or both")
        parts = measured if isinstance(measured, Mapping) else {"": measured}
        bounds = {
            label: Bound(
                -math.inf if (lo := _per_part(at_least, label)) is None else lo,
                math.inf if (hi := _per_part(at_most, label)) is None else hi,
            )
            for label in parts
        }
        if reference is None:
            reference = _bounds_text(at_least, at_most)
        claim = cls._decided(
            id, statement, parts, bounds, reference, source, note, inconclusive_because, quick
        )
        return claim.with_tolerance_from(tolerance_from)

    @classmethod
    def close(
        cls,
        id: str,
        statement: str,
        measured: Estimate,
        target: float,
        *,
        source: str,
        quick: bool | str,
        rel: float = 0.0,
        abs: float = 0.0,
        reference: str | None = None,
        note: str = "",
        inconclusive_because: str | None = None,
        tolerance_from: str = "ours",
    ) -> Claim:
        """A bound written as a target: reproduced when the whole interval lies within
        ``target ± (abs + rel·|target|)``."""
        if rel < 0 or abs < 0 or rel == abs == 0:
            raise ValueError(f"claim {id}: give a positive rel or abs tolerance")
        half = abs + rel * math.fabs(target)
        text = " + ".join(
            ([f"±{rel:.0%}"] if rel else []) + ([f"±{format_value(abs)}"] if abs else [])
        )
        claim = cls._decided(
            id,
            statement,
            {"": measured},
            {"": Bound(target - half, target + half)},
            reference if reference is not None else format_value(target),
            source,
            note,
            inconclusive_because,
            quick,
        )
        return replace(claim, tolerance=f"{format_value(target)} {text}").with_tolerance_from(
            tolerance_from
        )

    @classmethod
    def inconclusive(
        cls,
        id: str,
        statement: str,
        *,
        reference: str,
        source: str,
        quick: bool | str,
        diagnostic: str,
        measured: Estimate | None = None,
        tolerance: str = "as stated",
    ) -> Claim:
        """Not decided by this run; ``diagnostic`` says why (e.g. a sampler not converged)."""
        parts = {} if measured is None else {"": measured}
        value, interval = format_estimate(measured) if measured is not None else ("-", "-")
        return cls(
            id,
            statement,
            reference,
            source,
            Verdict.INCONCLUSIVE,
            tolerance,
            value,
            interval,
            diagnostic,
            parts,
            **_quick_fields(quick),
            diagnosed=True,
        )

    @classmethod
    def not_checked(
        cls,
        id: str,
        statement: str,
        *,
        reference: str,
        source: str,
        quick: bool | str,
        checked_at: str,
        reason: str = "",
    ) -> Claim:
        """Not run at this preset; ``checked_at`` names the preset that checks it."""
        note = f"checked at the {checked_at} preset" + (f": {reason}" if reason else "")
        return cls(
            id,
            statement,
            reference,
            source,
            Verdict.NOT_CHECKED,
            "-",
            note=note,
            **_quick_fields(quick),
        )

    @classmethod
    def _decided(
        cls,
        id: str,
        statement: str,
        parts: Mapping[str, Estimate],
        bounds: Mapping[str, Bound],
        reference: str,
        source: str,
        note: str,
        inconclusive_because: str | None,
        quick: bool | str,
    ) -> Claim:
        if not parts:
            raise ValueError(f"claim {id}: no estimate to decide on")
        for label, estimate in parts.items():
            if not isinstance(estimate, Estimate):
                raise TypeError(
                    f"claim {id}{' ' + label if label else ''}: measured must be an Estimate "
                    f"(grokutils.core.estimates), not {type(estimate).__name__}"
                )
        verdict = combine(bounds[k].decide(e) for k, e in parts.items())
        if nan := [k for k, e in parts.items() if e.is_nan]:
            # a NaN part cannot be reproduced, but another part may still refute the claim
            what = "the measured value is NaN" if nan == [""] else f"{', '.join(nan)}: NaN"
            note = "; ".join(filter(None, [what, note]))
        if inconclusive_because is not None:
            verdict = Verdict.INCONCLUSIVE
            note = "; ".join(filter(None, [inconclusive_because, note]))
        measured, interval, tolerance = _texts(parts, bounds)
        from_run = any(isinstance(v, RunBound) for b in bounds.values() for v in (b.low, b.high))
        return cls(
            id,
            statement,
            reference,
            source,
            verdict,
            tolerance,
            measured,
            interval,
            note,
            dict(parts),
            from_run,
            **_quick_fields(quick),
            bounds=dict(bounds),
            diagnosed=inconclusive_because is not None,
        )

    def with_tolerance_from(self, tolerance_from: str) -> Claim:
        """This claim with its threshold's origin recorded and shown beside the tolerance
        (``"≤ 1.01 (ours)"``)."""
        return replace(
            self, tolerance=f"{self.tolerance} ({tolerance_from})", tolerance_from=tolerance_from
        )

    def unless_budget_bound(self, preset: str, *, checked_at: str = "paper") -> Claim:
        """This claim, or, where a diagnostic left it inconclusive at a preset other than
        ``checked_at``, the same claim *not checked at this preset*: use it for a claim whose
        diagnostic is a convergence or sample-size check, so that a budget below the one the
        claim needs says so instead of reading as an undecided measurement. The measured text
        stays; the note names ``checked_at`` and keeps the diagnostic. At ``checked_at`` itself
        a failed diagnostic stays inconclusive."""
        if not self.diagnosed or preset == checked_at:
            return self
        note = f"checked at the {checked_at} preset; budget too short at {preset}: {self.note}"
        return replace(
            self,
            verdict=Verdict.NOT_CHECKED,
            note=note,
            estimates={},
            bounds={},
            diagnosed=False,
        )

    @property
    def machine_independent(self) -> bool:
        """Whether the measured value, and so the verdict, is the same on every machine: every
        part is a closed form or an exact count (not a run's value, not round-off)."""
        return bool(self.estimates) and all(
            e.is_machine_independent for e in self.estimates.values()
        )

    @property
    def result(self) -> str:
        """Measured value and interval as one text: ``0.53 [0.41, 0.66], 8 seeds``, part by
        part for a claim of several parts (``linear 0.98 [...]; tanh ...``)."""
        if not self.estimates:
            return self.measured
        texts = []
        for label, estimate in self.estimates.items():
            value, interval = format_estimate(estimate)
            texts.append(" ".join(filter(None, [label, value, interval])))
        return "; ".join(texts)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "statement": self.statement,
            "reference": self.reference,
            "source": self.source,
            "verdict": self.verdict.value,
            "measured": self.measured,
            "interval": self.interval,
            "tolerance": self.tolerance,
            "tolerance_from": self.tolerance_from,
            "note": self.note,
            "tolerance_from_run": self.tolerance_from_run,
            "estimates": {k: _json_safe(e.to_dict()) for k, e in self.estimates.items()},
            "bounds": {
                k: [_json_number(b.low), _json_number(b.high)] for k, b in self.bounds.items()
            },
            "diagnosed": self.diagnosed,
        }


def _texts(parts: Mapping[str, Estimate], bounds: Mapping[str, Bound]) -> tuple[str, str, str]:
    """Measured value, interval and tolerance of a claim as table text, part by part."""
    texts = {k: format_estimate(e) for k, e in parts.items()}
    tol = {k: str(b) for k, b in bounds.items()}
    if list(parts) == [""]:
        return *texts[""], tol[""]
    measured = "; ".join(f"{k} {v}" for k, (v, _) in texts.items())
    interval = "; ".join(f"{k} {i}" for k, (_, i) in texts.items())
    if len(set(tol.values())) == 1:
        return measured, interval, next(iter(tol.values()))
    return measured, interval, "; ".join(f"{k} {t}" for k, t in tol.items())


def _quick_fields(quick: bool | str) -> dict:
    """A constructor's ``quick`` (True, or the reason the claim is not asserted at quick) as
    the claim's two fields."""
    if quick is True:
        return {"quick": True, "not_at_quick": ""}
    if isinstance(quick, str):
        return {"quick": False, "not_at_quick": quick}
    raise ValueError(
        f"quick must be True or the reason the claim is not asserted at quick; got {quick!r}"
    )


def _bounds_text(at_least, at_most) -> str:
    """The default reference of a bound: ``"≥ 0.5"``, ``"≤ 2"`` or ``"in [1, 2]"``."""
    if at_most is None:
        return _bound_text("≥", at_least)
    if at_least is None:
        return _bound_text("≤", at_most)
    return f"in [{_bound_text('', at_least)}, {_bound_text('', at_most)}]"


def _bound_text(symbol: str, bound: float | Mapping[str, float]) -> str:
    if isinstance(bound, Mapping):
        return "; ".join(f"{k} {_bound_text(symbol, v)}" for k, v in bound.items())
    return " ".join(filter(None, [symbol, format_value(bound)]))


def _per_part(bound: float | Mapping[str, float] | None, label: str) -> float | None:
    if isinstance(bound, Mapping):
        if label not in bound:
            raise ValueError(f"no bound for part {label!r}; bounds are given for {list(bound)}")
        return bound[label]
    return bound


def _json_number(x: float) -> float | str:
    """A float as JSON allows it: ``"inf"``, ``"-inf"`` and ``"nan"`` as text."""
    return float(x) if math.isfinite(x) else str(float(x))


def _json_safe(d: dict) -> dict:
    """inf and NaN as strings: JSON has no such numbers."""
    return {
        k: (str(v) if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()
    }
