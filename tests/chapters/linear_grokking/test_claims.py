"""Chapter 02's claim declarations: the quick set, whole reports on tiny runs, and claim 15c's
parts (one per λ, the verdict unchanged)."""

from __future__ import annotations

import numpy as np
import pytest
from linear_grokking_tiny import TINY, synthetic_two_layer

import grokutils.chapters.linear_grokking.claims as checks
import grokutils.chapters.linear_grokking.experiments as ex
from grokutils.core import params
from grokutils.core.claims import Verdict


@pytest.fixture(scope="module")
def results():
    p = params.load("02_linear_grokking", "quick", 0, TINY, presets_dir="chapters/presets")
    seeds, steps = np.array(ex.seeds_of(p)["one_layer"]), ex.logged_steps()
    sweep = ex.lambda_sweep(p, seeds, steps)
    fig5, probe = synthetic_two_layer(p)
    return p, {
        "machinery": ex.machinery(seeds, eta=p.eta),
        "sweep": sweep,
        "dout": ex.output_dimension(p, seeds, steps),
        "wd": ex.weight_decay(p, sweep, seeds),
        "phase": ex.phase_diagrams(p.phase_points, eps=p.eps, eta=p.eta),
        "init": ex.init_scale(p, seeds),
        "noise": ex.label_noise(p, seeds, steps),
        "fig5": fig5,
        "probe": probe,
    }


def test_every_claim_is_in_the_quick_set_or_says_why_not(results):
    p, r = results
    report = checks.report(p, **r)
    ids = [c.id for c in report.claims]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(checks.QUICK) | set(checks.NOT_AT_QUICK)
    assert not set(checks.QUICK) & set(checks.NOT_AT_QUICK)


def test_exact_claims_of_the_theory_are_reproduced_even_on_tiny_runs(results):
    p, r = results
    claims = {c.id: c for c in checks.report(p, **r).claims}
    for cid in ("1", "2", "3", "10a", "10b", "12", "13c", "13d", "14a", "14b", "14e", "14f"):
        assert claims[cid].verdict == Verdict.REPRODUCED, cid
    for cid in ("10c", "14g", "15b", "15d"):  # red by design: the errata
        assert claims[cid].verdict == Verdict.NOT_REPRODUCED, cid


def test_claim_15c_shows_one_part_per_lambda_and_decides_on_the_same_parts(results):
    p, r = results
    (claim,) = [c for c in checks.phase_claims(p, r["phase"]) if c.id == "15c"]
    lams = r["phase"][("d_out", "λ")].y
    assert list(claim.estimates) == [f"λ = {lam:.3g}" for lam in lams]
    assert claim.measured.count("λ =") == len(lams)
    assert claim.verdict == Verdict.REPRODUCED

    plane = r["phase"][("d_out", "λ")]
    delay = plane.delay.copy()
    delay[plane.x >= 1500, 1] = 5.0  # one λ with a delay above d_out = 1500
    bad = {**r["phase"], ("d_out", "λ"): ex.PhasePlane(plane.x, plane.y, delay)}
    (claim,) = [c for c in checks.phase_claims(p, bad) if c.id == "15c"]
    assert claim.verdict == Verdict.NOT_REPRODUCED
    assert claim.estimates[f"λ = {lams[1]:.3g}"].value == (plane.x >= 1500).sum()
    assert claim.estimates[f"λ = {lams[0]:.3g}"].value == 0


def test_two_layer_claims_read_the_interpolated_crossings(results):
    p, r = results
    claims = {c.id: c for c in checks.two_layer_claims(p, r["fig5"], r["probe"])}
    # the synthetic accuracy reaches 0.95 at step 380, the "theory"
    assert claims["17a"].estimates["t*_gen"].value == pytest.approx(1.0)
    assert claims["18a"].estimates["d_h = 5"].value == pytest.approx(1.0)
