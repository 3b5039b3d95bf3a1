"""Pooled verdicts: the same statistic and rule on the union of the runs' units."""

from __future__ import annotations

import json

import numpy as np
from archived_report import report

from grokutils.build import pooling
from grokutils.core.claims import Claim, RunBound
from grokutils.core.estimates import Estimate
from grokutils.methods.censored_fraction import censored_fraction


def mean_claim(values, **kwargs):
    estimate, bounds = Estimate.mean(values), kwargs.pop("bounds", {"at_least": 1.0})
    return Claim.check("m", "s", estimate, **bounds, source="prototype", quick=True, **kwargs)


def test_a_mean_is_pooled_over_the_units_of_every_run():
    a, b = [1.2, 0.9, 1.5], [1.3, 1.4, 1.1]
    runs = [report(1, [mean_claim(a)]), report(2, [mean_claim(b)])]
    assert all(r["claims"][0]["verdict"] == "inconclusive" for r in runs)  # 3 seeds each
    pooled = pooling.pool_chapter(runs)["m"]
    both = Estimate.mean(a + b)
    assert both.low > 1.0  # six seeds decide what three could not
    assert pooled["verdict"] == "reproduced" and pooled["n_units"] == 6 and pooled["runs"] == 2
    assert np.isclose(pooled["estimate"], both.value) and np.isclose(pooled["low"], both.low)


def test_an_undecided_pooled_claim_says_which_bound_its_interval_holds():
    runs = [report(1, [mean_claim([0.8, 1.3, 1.1])]), report(2, [mean_claim([0.7, 1.4, 1.0])])]
    pooled = pooling.pool_chapter(runs)["m"]
    assert pooled["verdict"] == "inconclusive" and pooled["low"] < 1.0 < pooled["high"]
    interval = f"[{pooled['low']:.4g}, {pooled['high']:.4g}]"
    assert pooled["reason"] == f"undecided: the estimate {interval} holds its bound 1"


def test_fractions_and_parts_pool_part_by_part():
    def claim(holds):
        parts = {"linear": Estimate.fraction(holds), "tanh": Estimate.fraction(holds)}
        return Claim.check("f", "s", parts, at_least=0.5, source="prototype", quick=True)

    runs = [report(k, [claim([True] * 4)]) for k in (1, 2)]
    assert all(r["claims"][0]["verdict"] == "inconclusive" for r in runs)  # 4/4: [0.40, 1]
    pooled = pooling.pool_chapter(runs)["f"]
    assert pooled["verdict"] == "reproduced" and pooled["parts"]["tanh"]["n_units"] == 8


def test_censored_fractions_pool_and_an_undecided_unit_never_decides():
    def claim(holds, undecided):
        parts = {"gd": censored_fraction(np.array(holds), np.array(undecided))}
        return Claim.check("c", "s", parts, at_least=0.5, source="prototype", quick=True)

    fails, open_ = [False] * 4, [False, False, True, True]
    runs = [report(k, [claim(fails, open_)]) for k in (1, 2, 3)]
    pooled = pooling.pool_chapter(runs)["c"]
    # 6 of 12 undecided: were they failing, 0 of 12 would refute the claim
    assert pooled["verdict"] == "inconclusive" and pooled["parts"]["gd"]["n_units"] == 12
    runs = [report(k, [claim(fails, [False] * 4)]) for k in (1, 2, 3)]
    assert pooling.pool_chapter(runs)["c"]["verdict"] == "not reproduced"


def test_what_cannot_be_pooled_says_why():
    boot = Estimate.bootstrap(np.median, np.arange(5.0))
    claim = Claim.check("b", "s", boot, at_most=9, source="prototype", quick=True)
    runs = [report(k, [claim]) for k in (1, 2)]
    assert pooling.pool_chapter(runs)["b"] == {
        "verdict": "inconclusive",
        "pooled": False,
        "tolerance_from": "ours",
        "n_units": 0,
        "runs": 2,
        "source": "prototype",
        "reason": "bootstrap is not a statistic of the units alone; every run's own verdict",
    }
    exact = Claim.check("e", "s", Estimate.exact(0.1), at_most=1, source="theory", quick=True)
    both = [report(k, [exact]) for k in (1, 2)]
    assert pooling.pool_chapter(both)["e"]["verdict"] == "reproduced"  # every run says so
    other = Claim.check("e", "s", Estimate.exact(2.0), at_most=1, source="theory", quick=True)
    split = [report(1, [exact]), report(2, [other])]
    assert pooling.pool_chapter(split)["e"]["verdict"] == "inconclusive"
    diagnosed = mean_claim([1.2, 1.3], inconclusive_because="sampler not converged")
    runs = [report(1, [diagnosed]), report(2, [mean_claim([1.2, 1.3])])]
    assert "diagnostic" in pooling.pool_chapter(runs)["m"]["reason"]
    own = [
        report(k, [mean_claim([2.0, 2.1], bounds={"at_most": RunBound(3.0 * k)})]) for k in (1, 2)
    ]
    assert pooling.pool_chapter(own)["m"]["reason"].startswith("each run computes its own")
    shared = [report(k, [mean_claim([1.2, 1.3])], unit_seeds={"runs": [7, k]}) for k in (1, 2)]
    assert pooling.pool_chapter(shared)["m"]["reason"].startswith("the runs share unit seeds")


def test_only_runs_of_the_newest_code_are_pooled():
    old = report(1, [mean_claim([5.0, 6.0])], stamp={"code": "c0", "chapter": "h1"})
    new = [report(k, [mean_claim([1.2, 1.3])], finished="2026-12-07") for k in (2, 3)]
    pooled = pooling.pool_chapter([old, *new])["m"]
    assert pooled["runs"] == 2 and pooled["n_units"] == 4


def test_the_seed_runner_writes_pooled_json(tmp_path):
    folder = tmp_path / "results" / "quick" / "fixture"
    folder.mkdir(parents=True)
    for k in (1, 2):
        text = json.dumps(report(k, [mean_claim([1.2, 1.3, 1.1])]))
        (folder / f"seed-{k}.json").write_text(text)
    assert pooling.main(["--preset", "quick", "--root", str(tmp_path)]) == 0
    path = tmp_path / "results" / "quick" / "pooled.json"
    assert json.loads(path.read_text())["fixture"]["m"]["n_units"] == 6


def test_a_worst_point_pools_the_curves_of_every_run_against_their_reference():
    rng = np.random.default_rng(9)
    reference = np.linspace(1.0, 2.0, 8)
    a, b = (reference * np.exp(0.05 * rng.normal(size=(3, 8))) for _ in range(2))

    def claim(curves, ref=reference):
        estimate = Estimate.worst_point(curves, ref, log=True)
        return Claim.check("w", "s", estimate, at_most=0.2, source="prototype", quick=True)

    runs = [report(1, [claim(a)]), report(2, [claim(b)])]
    assert all(r["claims"][0]["verdict"] == "inconclusive" for r in runs)  # 3 seeds each
    pooled = pooling.pool_chapter(runs)["w"]
    both = Estimate.worst_point(np.vstack([a, b]), reference, log=True)
    assert both.high < 0.2  # six seeds decide what three could not
    assert pooled["verdict"] == "reproduced" and pooled["n_units"] == 6 and pooled["pooled"]
    assert np.isclose(pooled["estimate"], both.value) and np.isclose(pooled["high"], both.high)
    assert set(pooled) == {
        "verdict",
        "pooled",
        "n_units",
        "runs",
        "source",
        "tolerance_from",
        "reason",
    } | {
        "estimate",
        "low",
        "high",
        "method",
    }  # the format of every other pooled claim
    other = [report(1, [claim(a)]), report(2, [claim(b, 1.1 * reference)])]
    refused = pooling.pool_chapter(other)["w"]
    assert not refused["pooled"] and "reference curve" in refused["reason"]


def test_a_claim_not_checked_at_the_preset_stays_so_and_says_where_it_is_checked():
    short = mean_claim([1.2, 1.3, 1.4], inconclusive_because="not converged").unless_budget_bound(
        "book"
    )
    runs = [report(k, [short]) for k in (1, 2)]
    pooled = pooling.pool_chapter(runs)["m"]
    assert pooled["verdict"] == "not checked at this preset" and not pooled["pooled"]
    assert "paper preset" in pooled["reason"] and "not converged" in pooled["reason"]


def test_a_whole_ensemble_bootstrap_pools_one_unit_per_run():
    def claim(scale):
        law = Estimate.bootstrap(np.std, np.arange(8.0) * scale, pool_runs="geometric mean")
        return Claim.check("e", "s", law, at_most=5.0, source="prototype", quick=True)

    runs = [report(k, [claim(s)]) for k, s in enumerate((0.8, 1.0, 1.1, 0.9), start=1)]
    assert all(r["claims"][0]["verdict"] == "inconclusive" for r in runs)  # 8 units: unbounded
    pooled = pooling.pool_chapter(runs)["e"]
    assert pooled["pooled"] and pooled["n_units"] == 4 and pooled["verdict"] == "reproduced"
    assert pooled["method"] == "geometric mean, t on logs"
