"""Chapter 05's claim declarations: the quick set, the thresholds and the whole report."""

from __future__ import annotations

import math

import pytest

import grokutils.chapters.ergodic_stability.claims as checks
from grokutils.chapters.ergodic_stability.experiments import (
    NonconvergenceMeasurements,
    SASGridMeasurements,
)
from grokutils.core import params
from grokutils.core.claims import Verdict
from grokutils.core.estimates import Estimate
from grokutils.core.report import ClaimsNotReproduced

IDS = ["S1", "S1-twins", "S2", "S2-rate", "S3", "S4", "S4-within", "S5", "S6"]
IDS += [f"Z{i}" for i in range(6)]


def within(value: float, half: float = 0.01, n: int = 8) -> Estimate:
    return Estimate.from_interval(value, value - half, value + half, n, "mean, t")


def nonconvergence(**changes) -> NonconvergenceMeasurements:
    """Measurements of an ensemble where every claim holds."""
    values = dict(
        displacement_ratio=within(0.9),
        twins={"RMS Δ / SD": within(1.2), "pairs with |z| < 3": within(0.9)},
        spread_decay=within(0.5),
        spread_rate=within(-0.5),
        drifting=0.25,
        control_ratio=within(0.01, 0.005),
        grad_ratio=within(0.9),
        decay_cut={"gradient norm": within(5.0), "training loss": within(1.1)},
        law_drift=within(0.3),
        law_floor=0.0015,
        ergodicity={"spread ratio": within(1.0), "ensemble z": within(0.0)},
        krylov_bogolyubov=Estimate.exact(0.01),
        krylov_bogolyubov_bound=2 / 24,
    )
    return NonconvergenceMeasurements(**{**values, **changes})


def sas_grid(**changes) -> SASGridMeasurements:
    values = dict(
        lo=0.0,
        hi=0.2,
        noise_rise=within(13.6, 5.0, 4),
        rising=1.0,
        pooled_rho=within(0.8, 0.1, 12),
        within_rho=within(0.7, 0.1, 6),
        tau_ratio=within(1.5, 0.1, 4),
        sas_over_gap=within(0.01, 0.005, 4),
    )
    return SASGridMeasurements(**{**values, **changes})


def report(preset="quick", **nonconvergence_changes):
    p = params.load("05_ergodic_stability", preset, seed=101)
    return checks.report(p, nonconvergence(**nonconvergence_changes), sas_grid())


def test_every_claim_is_in_the_quick_set_or_says_why_not():
    r = report()
    assert r.quick == ("Z3", "Z5")
    assert all(c.not_at_quick for c in r.claims if c.id not in r.quick)
    assert not set(r.quick) & set(checks.MOVED_UNDER_DISPATCH)


def test_the_report_records_the_unit_seeds_of_every_family():
    seeds = report().unit_seeds
    assert list(seeds) == ["nonconvergence", "sas", "sharpness", "bootstrap"]
    p = params.load("05_ergodic_stability", "quick", seed=101)
    assert [len(s) for s in seeds.values()] == [max(p.z_runs, p.z_small), p.n_seeds, 1, 1]


def test_a_run_where_everything_holds_reproduces_every_claim_in_the_chapters_order():
    r = report("book")
    assert [c.id for c in r.claims] == IDS
    assert all(c.verdict == Verdict.REPRODUCED for c in r.claims)
    r.finish()
    by_id = {c.id: c for c in r.claims}
    assert by_id["S3"].statement.startswith("the SAS estimate rises from noise 0% to 20%")
    assert by_id["S3"].note.startswith("rises in 100% of the stable (lr, B) pairs")
    assert by_id["S2"].tolerance == "≥ 0 (ours: 0, the direction itself)" and by_id[
        "S2"
    ].source.startswith("paper, ")
    assert by_id["S2-rate"].tolerance == "in [-0.75, -0.25] (ours: a band of ±1/4)"
    assert by_id["S2-rate"].source.startswith("theory, ")
    assert by_id["S2-rate"].note == "T ≥ N/4; runs flagged drifting (|z| > 3): 25%"
    assert by_id["Z3"].note == "floor (two halves of the seeds, last window): 0.0015"
    assert by_id["Z5"].tolerance == "≤ 0.08333 (theory, the bound 2 max|f| / T)"


def test_the_stationarity_claims_are_not_checked_while_the_ensemble_relaxes():
    r = report()  # quick: burn-in and window shorter than two equilibration times
    short = [c for c in r.claims if c.verdict == Verdict.NOT_CHECKED]
    assert [c.id for c in short] == ["S1", "Z1", "Z4"]
    assert all("book preset" in c.note and "relaxing" in c.note for c in short)
    r.finish()  # the quick set still holds


def test_the_thresholds_sit_next_to_their_statements():
    claims = {c.id: c for c in report(spread_decay=within(-0.3), spread_rate=within(0.3)).claims}
    assert claims["S2"].verdict == claims["S2-rate"].verdict == Verdict.NOT_REPRODUCED
    faster = {c.id: c for c in report(spread_decay=within(1.8), spread_rate=within(-1.8)).claims}
    assert faster["S2"].verdict == Verdict.REPRODUCED  # converging faster is converging
    assert faster["S2-rate"].verdict == Verdict.NOT_REPRODUCED
    z2 = {"gradient norm": within(5.0), "training loss": within(2.5)}  # the loss changed > 2×
    claims = {c.id: c for c in report(decay_cut=z2).claims}
    assert claims["Z2"].verdict == Verdict.NOT_REPRODUCED
    nan = Estimate.from_interval(math.nan, -math.inf, math.inf, 2, "bootstrap")
    claims = {c.id: c for c in report(law_drift=nan).claims}
    assert claims["Z3"].verdict == Verdict.INCONCLUSIVE


def test_a_failing_quick_claim_fails_the_quick_report():
    r = report(law_drift=within(1.5))
    with pytest.raises(ClaimsNotReproduced, match="Z3"):
        r.finish()
