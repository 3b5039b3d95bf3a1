"""Power by design: the units a claim of the paper needs, from a pilot's per-unit values."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
from archived_report import report

from grokutils.build import power
from grokutils.core.claims import Claim, RunBound
from grokutils.core.estimates import Estimate
from grokutils.methods.censored_fraction import censored_fraction


def paper_claim(estimate, **bounds):
    return Claim.check("p", "s", estimate, source="paper, Fig. 1", quick=True, **bounds)


def need(runs, quick=()):
    return power.claim_need("fixture", runs, list(quick))[0]


def timed(data, wall_s=3600.0):
    data["provenance"]["wall_time_s"] = wall_s
    return data


def test_a_clear_effect_needs_few_units_and_a_marginal_one_many():
    rng = np.random.default_rng(5)
    clear = timed(report(1, [paper_claim(Estimate.mean(2 + 0.3 * rng.normal(size=6)), at_least=1)]))
    got = need([clear])
    assert 2 <= got.units <= 4 and got.runs == 1 and got.reach and got.units_per_run == 6
    marginal = Estimate.mean(1.02 + 0.3 * rng.normal(size=6))
    got = need([timed(report(1, [paper_claim(marginal, at_least=1)]))])
    assert got.units is None or got.units > 16


def test_power_grows_with_units_and_is_read_with_the_claims_own_rule():
    estimate = Estimate.geometric_mean([1.3, 1.1, 1.6, 1.2, 1.4])
    values = np.array(estimate.per_unit)
    bound = power.Bound(1.0)
    small, large = (power.part_power(estimate.to_dict(), values, bound, n) for n in (2, 12))
    assert small < power.TARGET_POWER <= large


def test_a_censored_fraction_is_sized_with_its_undecided_units():
    holds = np.array([True] * 6 + [False] * 2)
    clear = censored_fraction(holds, np.zeros(8, bool))
    got = need([timed(report(1, [paper_claim({"gd": clear}, at_least=0.5)]))])
    assert got.units is not None and got.method == clear.method
    half_open = censored_fraction(holds & (np.arange(8) < 2), np.arange(8) >= 2)
    got = need([timed(report(1, [paper_claim({"gd": half_open}, at_least=0.5)]))])
    assert got.units is None  # 6 of 8 undecided: more units never decide


def test_a_thin_pilot_borrows_the_quick_runs_units_and_says_so():
    thin = timed(report(1, [paper_claim(Estimate.mean([1.9, 2.1]), at_least=1)]))
    quick = [report(k, [paper_claim(Estimate.mean([2.0, 2.2, 1.8]), at_least=1)]) for k in (2, 3)]
    got = need([thin], quick)
    assert got.pilot == "1 run(s) + quick" and got.pilot_units == 8


def test_claims_that_are_not_pooled_statistics_say_why_and_others_are_left_out():
    exact = paper_claim(Estimate.exact(0.1), at_most=1)
    own = Claim.check("t", "s", Estimate.exact(0.1), at_most=1, source="theory, eq. 1", quick=True)
    rows = power.claim_need("fixture", [timed(report(1, [exact, own]))], [])
    assert [r.claim for r in rows] == ["p"]  # only the paper's claims
    assert rows[0].units is None and "not a pooled statistic" in rows[0].reason
    own_bound = paper_claim(Estimate.mean([2.0, 2.1, 1.9]), at_most=RunBound(3.0))
    (row,) = power.claim_need("fixture", [timed(report(1, [own_bound]))], [])
    assert row.units is None and "its own tolerance" in row.reason


def test_a_pilot_without_two_finite_units_says_so():
    nan = timed(report(1, [paper_claim(Estimate.mean([2.0, float("nan")]), at_least=1)]))
    got = need([nan])
    assert got.units is None and "NaN unit(s) left out" in got.reason
    assert "fewer than 2 pilot units" in got.reason and not got.reach


def test_the_command_writes_power_json(tmp_path):
    folder = tmp_path / "results" / "book" / "fixture"
    folder.mkdir(parents=True)
    claim = paper_claim(Estimate.mean([2.0, 2.1, 1.9]), at_least=1)
    (folder / "seed-1.json").write_text(json.dumps(timed(report(1, [claim]))))
    assert power.main(["--preset", "book", "--root", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "results" / "book" / "power.json").read_text())
    assert rows[0]["claim"] == "p" and rows[0]["units"] >= 2
    need = power.load_needs(tmp_path, "book")["fixture"]["p"]
    assert need.summary == f"{need.runs} runs ({need.units} units, {need.cost_h:.1f} h)"
    assert power.load_needs(tmp_path, "quick") == {}


def test_an_unreachable_need_says_why():
    need = power.Need("c", "p", "mean, t", "-", 8, 4, None, None, None, False, "more than 256")
    assert need.summary == "out of reach (more than 256)"
    far = replace(need, units=200, runs=50, cost_h=9.0)
    assert far.summary == "50 runs (200 units, 9.0 h): out of reach on this machine"


def test_a_worst_point_is_sized_by_resampling_whole_curves():
    rng = np.random.default_rng(9)
    reference = np.linspace(1.0, 2.0, 8)
    curves = reference * np.exp(0.05 * rng.normal(size=(6, 8)))
    estimate = Estimate.worst_point(curves, reference, log=True)
    got = need([timed(report(1, [paper_claim(estimate, at_most=0.2)]))])
    assert got.method == estimate.method and not got.reason
    assert got.pilot_units == 6 and 3 <= got.units <= 6 and got.reach
    values = np.array(estimate.per_unit)  # [units, points]: a sample draws whole curves
    bound = power.Bound(-np.inf, 0.2)
    small, large = (power.part_power(estimate.to_dict(), values, bound, n) for n in (2, 12))
    assert small < power.TARGET_POWER <= large


def test_a_whole_run_statistic_is_sized_in_runs():
    runs = [
        timed(
            report(
                k,
                [
                    paper_claim(
                        Estimate.bootstrap(np.std, np.arange(40.0) * s, pool_runs="geometric mean"),
                        at_most=100,
                    )
                ],
            )
        )
        for k, s in enumerate((1.0, 1.2, 0.8))
    ]
    got = need(runs)
    assert got.units_per_run == 1 and got.units == got.runs and 2 <= got.runs <= 4
