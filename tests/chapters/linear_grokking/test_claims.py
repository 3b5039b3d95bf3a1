"""Chapter 02's claim declarations: the quick set, whole reports on tiny runs, and claim 15c's
parts (one per λ, the verdict unchanged); claim 9's per-seed slopes."""

from __future__ import annotations

import numpy as np
import pytest
from linear_grokking_tiny import TINY, synthetic_two_layer

import grokutils.chapters.linear_grokking.claims as claims
import grokutils.chapters.linear_grokking.experiments as ex
from grokutils.core import params
from grokutils.core.claims import Verdict

QUICK_SET = {
    *("1", "2", "3", "4", "7b", "9", "10a", "10b", "12", "13c", "13d"),
    *("14a", "14b", "14e", "14f", "15a", "15c", "19"),
}
"""The claims CI asserts at the quick preset."""


@pytest.fixture(scope="module")
def results():
    p = params.load("02_linear_grokking", "quick", 0, TINY, presets_dir="chapters/presets")
    sweep = ex.lambda_sweep(p)
    fig5, probe = synthetic_two_layer(p)
    return p, {
        "machinery": ex.machinery(p),
        "sweep": sweep,
        "dout": ex.output_dimension(p),
        "wd": ex.weight_decay(p, sweep),
        "phase": ex.phase_diagrams(p),
        "init": ex.init_scale(p),
        "noise": ex.label_noise(p),
        "fig5": fig5,
        "probe": probe,
    }


def test_the_quick_set_is_unchanged_and_every_other_claim_says_why_not(results):
    p, r = results
    report = claims.report(p, **r)
    ids = [c.id for c in report.claims]
    assert len(ids) == len(set(ids))
    assert {c.id for c in report.claims if c.quick} == QUICK_SET
    for claim in report.claims:
        assert claim.quick or len(claim.not_at_quick) > 30, claim.id


def test_exact_claims_of_the_theory_are_reproduced_even_on_tiny_runs(results):
    p, r = results
    by_id = {c.id: c for c in claims.report(p, **r).claims}
    for cid in ("1", "2", "3", "10a", "10b", "12", "13c", "13d", "14a", "14b", "14e", "14f"):
        assert by_id[cid].verdict == Verdict.REPRODUCED, cid
    for cid in ("10c", "14g", "15b", "15d"):  # red by design: the errata
        assert by_id[cid].verdict == Verdict.NOT_REPRODUCED, cid


def test_claim_15c_shows_one_part_per_lambda_and_decides_on_the_same_parts(results):
    p, r = results
    (claim,) = [c for c in claims.phase_claims(p, r["phase"]) if c.id == "15c"]
    lams = r["phase"][("d_out", "λ")].y
    assert list(claim.estimates) == [f"λ = {lam:.3g}" for lam in lams]
    assert claim.measured.count("λ =") == len(lams)
    assert claim.verdict == Verdict.REPRODUCED

    plane = r["phase"][("d_out", "λ")]
    delay = plane.delay.copy()
    delay[plane.x >= 1500, 1] = 5.0  # one λ with a delay above d_out = 1500
    bad = {**r["phase"], ("d_out", "λ"): ex.PhasePlane(plane.x, plane.y, delay)}
    (claim,) = [c for c in claims.phase_claims(p, bad) if c.id == "15c"]
    assert claim.verdict == Verdict.NOT_REPRODUCED
    assert claim.estimates[f"λ = {lams[1]:.3g}"].value == (plane.x >= 1500).sum()
    assert claim.estimates[f"λ = {lams[0]:.3g}"].value == 0


def test_two_layer_claims_read_the_interpolated_crossings(results):
    p, r = results
    by_id = {c.id: c for c in claims.two_layer_claims(p, r["fig5"], r["probe"])}
    # the synthetic accuracy reaches 0.95 at step 380, the "theory"
    assert by_id["17a"].estimates["t*_gen"].value == pytest.approx(1.0)
    assert by_id["18a"].estimates["d_h = 5"].value == pytest.approx(1.0)


def test_fig1_claims_read_grid_cells_by_label_whatever_the_order_of_lambda(results):
    p, r = results
    shuffled = p.with_values(delay_lambdas=[0.9, 0.1, 0.5])
    as_given = {c.id: c for c in claims.lambda_claims(p, r["sweep"])}
    reordered = {c.id: c for c in claims.lambda_claims(shuffled, ex.lambda_sweep(shuffled))}
    for cid in ("7a", "7b", "8", "9"):
        mine, theirs = as_given[cid].estimates, reordered[cid].estimates
        assert {k: repr(e) for k, e in mine.items()} == {k: repr(e) for k, e in theirs.items()}


def test_claim_9_trend_is_each_seeds_slope_in_lambda_and_censors_a_delay_that_never_came():
    rows = np.array([[10.0, 100.0, 1000.0], [10.0, 100.0, np.inf]])  # [runs, λ ascending]
    grid = ex.EpsLambdaGrid((1e-3,), (0.9, 0.1, 0.5), rows.T[[2, 0, 1]][None])  # λ given unsorted
    (trend,) = claims.delay_trends(grid).values()
    slope = np.log(10) / 0.4  # log Δt rises by log 10 per 0.4 in λ
    assert trend.per_unit[0] == pytest.approx(slope)
    assert trend.per_unit[1] > slope  # the budget stands in for the never-crossed Δt
    assert trend.censored == "high" and trend.high == np.inf and trend.value > 0
