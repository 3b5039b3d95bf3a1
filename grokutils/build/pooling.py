"""Pooled verdicts: each claim decided again on the union of the units of every current archived
run of a chapter at a preset, with the rule its run applied (issue 24).

A run's claims JSON keeps, for every part of every claim, the values its estimate was computed
from (``per_unit``, one per independent unit: a number, or a worst point's curve with its
``reference``) and its tolerance as numbers (``bounds``). The
runs of a chapter that ran the same code as the newest one (same code and chapter fingerprints,
:func:`grokutils.build.archive.is_stale`) and share no unit seed are pooled: the estimate of each
part is computed again, by its own method, on the per-unit values of all of them, and decided
with the same bounds. A run's own verdict stays what it is.

A claim is pooled only where that is the same statistic on more units
(:func:`pool_units`: a mean, a geometric mean, a median, a fraction (with censored units or
without), a trend of per-unit slopes, the worst point of a mean curve against the same reference
curve). A bootstrap of another statistic, an exact value, an interval an estimator computed
itself, worst points against different reference curves, a claim a diagnostic made inconclusive
in some run, a tolerance each run computes from itself (:class:`~grokutils.core.claims.RunBound`:
3× that run's AdamW step), or runs that share a unit seed are not pooled (``"pooled": false``,
with the reason): such a claim keeps the verdict every run gave when they all agree, and is
inconclusive when they do not; a claim not checked at the preset stays so.

``results/<preset>/pooled.json``: ``{chapter: {claim_id: {"verdict", "pooled", "n_units",
"runs", "source", "tolerance_from", "estimate", "low", "high", "reason"}}}``; a claim of
several parts has ``"parts"`` (``{label: {"estimate", "low", "high", "n_units"}}``) in place
of one estimate. An inconclusive pooled claim's ``reason`` says which part's interval holds which
bound of its tolerance (:func:`at_tolerance`).

Command line (the seed runner writes it too)::

    python -m grokutils.build.pooling --preset book
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from grokutils.build.archive import (
    RESULTS_DIR,
    ROOT,
    claim_versions,
    is_stale,
    load_archived,
    shared_unit_seeds,
)
from grokutils.core.claims import Bound, Verdict, combine, format_value
from grokutils.core.estimates import POOLABLE, Estimate
from grokutils.methods import censored_fraction

POOLED_FILE = "pooled.json"
POOLED_METHODS = (*POOLABLE, censored_fraction.METHOD)
"""Methods whose runs pool: core's (:data:`~grokutils.core.estimates.POOLABLE`) and the
censored fraction (:mod:`grokutils.methods.censored_fraction`)."""


def pool_units(estimates: Sequence[Estimate]) -> Estimate:
    """The same statistic on the union of the units of ``estimates`` (one per run): pooled
    evidence. Raises ValueError where they do not pool
    (:meth:`~grokutils.core.estimates.Estimate.from_units`)."""
    if estimates[0].method == censored_fraction.METHOD:
        return censored_fraction.pooled(estimates)
    return Estimate.from_units(estimates)


def current_runs(reports: Sequence[Mapping]) -> list[Mapping]:
    """The reports that ran the same code as the newest one (by the stamp's ``finished``)."""
    stamped = [r for r in reports if r.get("provenance")]
    if not stamped:
        return []
    newest = max(stamped, key=lambda r: r["provenance"].get("finished", ""))
    return [r for r in stamped if not is_stale(r, newest["provenance"])]


def pool_chapter(reports: Sequence[Mapping]) -> dict[str, dict]:
    """Every claim of the current runs among ``reports`` (one chapter, one preset), pooled."""
    runs = current_runs(reports)
    if not runs:
        return {}
    shared = shared_unit_seeds(runs)
    out = {}
    for claim in runs[-1]["claims"]:
        present = claim_versions(runs, claim["id"])
        if shared:
            out[claim["id"]] = _not_pooled(claim, present, "the runs share unit seeds")
        else:
            out[claim["id"]] = pool_claim(present)
    return out


def pool_claim(versions: Sequence[Mapping]) -> dict:
    """One claim as the runs ``versions`` (claims JSON entries) decided it, pooled."""
    claim = versions[-1]
    if reason := _why_not_poolable(versions):
        return _not_pooled(claim, versions, reason)
    bounds = {k: Bound(*(float(x) for x in b)) for k, b in claim["bounds"].items()}
    try:
        parts = {
            label: pool_units([Estimate.from_dict(v["estimates"][label]) for v in versions])
            for label in claim["estimates"]
        }
    except ValueError as e:  # worst points against different reference curves
        return _not_pooled(claim, versions, str(e))
    verdict = combine(bounds[k].decide(e) for k, e in parts.items())
    entry = {
        "verdict": verdict.value,
        "pooled": True,
        "n_units": min(e.n for e in parts.values()),
        "runs": len(versions),
        "source": claim["source"],
        "tolerance_from": claim.get("tolerance_from", "ours"),
        "reason": at_tolerance(bounds, parts) if verdict == Verdict.INCONCLUSIVE else "",
    }
    if list(parts) == [""]:
        return {**entry, **_numbers(parts[""])}
    return {**entry, "parts": {k: {**_numbers(e), "n_units": e.n} for k, e in parts.items()}}


def at_tolerance(bounds: Mapping[str, Bound], parts: Mapping[str, Estimate]) -> str:
    """Why a pooled claim is undecided: each part whose 95 % interval holds a bound of its
    tolerance (or that has no estimate), e.g. ``"undecided: gradient norm [1.62, 3.28] holds
    its bound 3"``."""
    why = []
    for label, estimate in parts.items():
        if bounds[label].decide(estimate) != Verdict.INCONCLUSIVE:
            continue
        name = label or "the estimate"
        if estimate.is_nan:
            why.append(f"{name}: no estimate")
            continue
        held = [b for b in (bounds[label].low, bounds[label].high) if math.isfinite(b)]
        held = [b for b in held if estimate.low <= b <= estimate.high] or held
        interval = f"[{format_value(estimate.low)}, {format_value(estimate.high)}]"
        bound = " and ".join(map(format_value, held))
        why.append(f"{name} {interval} holds its bound{'s' * (len(held) > 1)} {bound}")
    return "undecided: " + "; ".join(why)


def pooled(root: Path, preset: str) -> dict[str, dict[str, dict]]:
    """``{chapter: {claim_id: pooled entry}}`` over the archived runs of ``preset``."""
    return {
        chapter: pool_chapter(reports) for chapter, reports in load_archived(root, preset).items()
    }


def write(root: Path, preset: str) -> Path:
    """Write ``results/<preset>/pooled.json`` and return its path."""
    path = Path(root) / RESULTS_DIR / preset / POOLED_FILE
    path.write_text(json.dumps(pooled(root, preset), indent=1, ensure_ascii=False) + "\n")
    return path


def load_pooled(root: Path, preset: str) -> dict[str, dict[str, dict]]:
    """``results/<preset>/pooled.json`` (``{chapter: {claim_id: entry}}``), ``{}`` if absent."""
    path = Path(root) / RESULTS_DIR / preset / POOLED_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def _why_not_poolable(versions: Sequence[Mapping]) -> str:
    claim = versions[-1]
    if claim["verdict"] == Verdict.NOT_CHECKED.value:
        return "not checked at this preset" + (f": {claim['note']}" if claim["note"] else "")
    if any(v.get("diagnosed") for v in versions):
        return "a diagnostic made a run's verdict inconclusive"
    if any(v.get("tolerance_from_run") for v in versions):
        return "each run computes its own tolerance, so each decides on its own units"
    if any(not v["estimates"] or set(v["estimates"]) != set(v.get("bounds", {})) for v in versions):
        return "no tolerance recorded for every part"
    for version in versions:
        for label, estimate in version["estimates"].items():
            if estimate["method"] not in POOLED_METHODS:
                return f"{estimate['method']} is not a statistic of the units alone"
            if len(estimate.get("per_unit", [])) != Estimate.from_dict(estimate).units_per_run:
                return "per-unit values not recorded"
            if estimate["unit"] != claim["estimates"][label]["unit"]:
                return "the runs' units differ"
    return ""


def _numbers(estimate: Estimate) -> dict:
    return {
        "estimate": _finite_or_text(estimate.value),
        "low": _finite_or_text(estimate.low),
        "high": _finite_or_text(estimate.high),
        "method": estimate.method,
    }


def _finite_or_text(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)


def _not_pooled(claim: Mapping, versions: Sequence[Mapping], reason: str) -> dict:
    """A claim whose units cannot be pooled: the verdict every run gave when they all agree
    (an exact value, a claim each run decided on its own units), else inconclusive; a claim
    not checked at this preset stays so. ``"pooled": false`` and ``reason`` say why."""
    verdicts = {v["verdict"] for v in versions}
    if claim["verdict"] == Verdict.NOT_CHECKED.value:
        verdict = Verdict.NOT_CHECKED.value
    elif len(verdicts) == 1:
        verdict, reason = verdicts.pop(), f"{reason}; every run's own verdict"
    else:
        verdict, reason = Verdict.INCONCLUSIVE.value, f"{reason}; the runs disagree"
    return {
        "verdict": verdict,
        "pooled": False,
        "n_units": 0,
        "runs": len(versions),
        "source": claim["source"],
        "tolerance_from": claim.get("tolerance_from", "ours"),
        "reason": reason,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="book", choices=("quick", "book", "paper"))
    parser.add_argument("--root", type=Path, default=ROOT, help="the book whose results/ to read")
    args = parser.parse_args(argv)
    print(f"pooled verdicts: {write(args.root, args.preset)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
