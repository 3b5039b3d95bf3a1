"""Chapter 01's claim declarations: every claim in the quick set or with its reason, verdicts
decided on the typed measurements, and the claims that a small grid cannot check."""

from __future__ import annotations

import dataclasses
import types

import numpy as np
import pytest

from grokutils.chapters.lazy_to_rich import claims as checks
from grokutils.chapters.lazy_to_rich import experiments as ex
from grokutils.core.claims import Verdict

SEEDS = 6


def _params(**overrides):
    values = dict(
        chapter="01_lazy_to_rich",
        preset="quick",
        seed=0,
        d=20,
        p_train=80,
        width=50,
        steps=1000,
        seeds=list(range(10)),
        sweep_seeds=list(range(SEEDS)),
        trend_seeds=list(range(SEEDS)),
        n2_seeds=list(range(SEEDS)),
        eig_seeds=list(range(SEEDS)),
        mod_seeds=[1],
        eig_p=30,
    )
    return types.SimpleNamespace(**{**values, **overrides})


def _axis(values, rise=1.0, final=0.5, gap=None, change=None):
    k = len(values)
    ramp = np.tile(np.arange(1.0, k + 1), (SEEDS, 1))
    return ex.AxisSweep(
        values=np.asarray(values, dtype=float),
        rise=np.full((SEEDS, k), rise),
        final=np.full((SEEDS, k), final) * ramp,
        final_ratio=np.full((SEEDS, k), final) * ramp,
        gap=ramp if gap is None else gap,
        ratio=ramp + 1,
        weight_change=ramp[:, ::-1] if change is None else change,
        train_time=np.full((SEEDS, k), 10.0),
        budget=1000.0,
    )


def _measures(sweep_alphas=(0.125, 1.0, 4.0, 16.0), p_paper=(25, 250)):
    alpha = np.array([0.125, 0.5, 1.0, 2.0])
    ramp = np.tile(np.arange(1.0, 5), (10, 1))
    headline = ex.Headline(
        alpha=alpha,
        ratio=4 * ramp,
        gap=ramp,
        at_cross=np.full((10, 4), 0.7),
        rise=np.full((10, 4), 1.3),
        train_at_peak=np.full((10, 4), 0.6),
        linear_share=np.full((10, 4), 1.2),
        final=ramp,
        final_ratio=np.full((10, 4), 0.05),
        norm_growth=np.full((10, 4), 3.0),
        weight_change=ramp[:, ::-1],
        feature_alignment=np.full((10, 4), 0.9),
        lin_deviation=np.full(10, 0.01),
        lin_departure=np.full(10, 0.5),
        lin_floor=np.full(10, 0.8),
        train_time=np.full((10, 4), 10.0),
        budget=1000.0,
    )
    ranks = np.array([1, 5, 20, 30, 45])
    final = np.tile([0.01, 0.02, 0.5, 1.5, 2.0], (SEEDS, 1))
    eig = ex.EigenvectorLabels(
        ranks, np.arange(3), final[:, :, None].repeat(3, 2), final[:, :, None]
    )
    return dict(
        recursion_error=1e-14,
        headline=headline,
        alpha_sweep=_axis(sweep_alphas),
        eps_sweep=_axis([0.05, 0.25, 1.0]),
        sample_size=_axis([30, 60, 200]),
        sample_size_paper=_axis(p_paper),
        sigma_sweep=_axis([0.5, 1.0, 2.0]),
        joint_sweep=_axis([0.5, 1.0, 2.0], final=1.0, gap=None),
        phase=ex.PhaseDiagram(
            np.array([0.5, 2.0]),
            np.array([0.05, 0.25]),
            np.tile([[5.0, 2.0], [1.0, 0.0]], (SEEDS, 1, 1)),  # largest at the least lazy α
            np.ones((SEEDS, 2, 2)),
        ),
        mixing=_axis([0.0, 0.5]),
        eigenvector=eig,
        modular=ex.ModularAddition(
            np.array([0.5, 1.0]), np.ones((1, 2)), np.array([[5.0, 10.0]]), np.full((1, 2), 2.0)
        ),
    )


def test_every_claim_is_in_the_quick_set_or_says_why_not():
    report = checks.report(_params(), **_measures())
    ids = [c.id for c in report.claims]
    assert len(ids) == len(set(ids)) == 31
    assert report.quick == ("0", "3a", "3b", "5", "6b", "6c", "9a")
    assert all(c.quick or c.not_at_quick for c in report.claims)


def test_verdicts_follow_the_measurements():
    claims = {c.id: c for c in checks.report(_params(), **_measures()).claims}
    assert claims["0"].verdict == Verdict.REPRODUCED  # 1e-14 ≤ 1e-9
    assert claims["3b"].verdict == Verdict.REPRODUCED  # alignment 0.9 > 0.8 in every seed
    assert claims["6a"].verdict == Verdict.REPRODUCED  # the gap grows with α in every seed
    assert claims["6c"].verdict == Verdict.REPRODUCED  # the weight change falls with α
    assert claims["11a"].verdict == Verdict.REPRODUCED  # both trends with σ
    assert set(claims["11a"].estimates) == {"longer delay", "smaller weight change"}
    assert claims["2b"].verdict == Verdict.REPRODUCED  # 0.6 within [0.55, 0.70]
    assert claims["4a"].verdict == Verdict.REPRODUCED  # 1 % up to the peak, 50 % after it
    assert claims["3e"].verdict == Verdict.NOT_REPRODUCED  # the amount falls with α
    assert claims["17b"].verdict == Verdict.INCONCLUSIVE  # one seed decides no trend
    assert claims["6a"].estimates[""].method == "trend: per-unit slope, t"
    assert claims["12"].tolerance == "λ = 0 ≥ 1.05; λ = 0.5 ≤ 1.01 (ours)"


def test_a_phase_diagram_whose_lazy_corner_never_generalised_is_checked_at_paper_scale():
    measures = _measures()
    phase = measures["phase"]
    lower = np.full(phase.amount.shape, np.nan)
    lower[:, 1, 1] = 1.0  # never crossed 0.1: at least one step of grokking, not zero
    measures["phase"] = dataclasses.replace(phase, censored=lower)
    claim = {c.id: c for c in checks.report(_params(), **measures).claims}["3e"]
    assert claim.verdict == Verdict.NOT_CHECKED and "checked at the paper preset" in claim.note
    at_paper = checks.report(_params(preset="paper"), **measures).claims
    claim = {c.id: c for c in at_paper}["3e"]
    assert claim.verdict == Verdict.INCONCLUSIVE and "never reached test loss 0.1" in claim.note


def test_a_never_crossed_delay_leaves_the_trend_open_on_its_side():
    measures = _measures()
    h = measures["headline"]
    gap = h.gap.copy()
    gap[0, -1] = np.inf  # the laziest α of one seed never generalised: its slope only larger
    measures["headline"] = dataclasses.replace(h, gap=gap, budget=15.0)  # censored at 15 - 10
    claim = {c.id: c for c in checks.report(_params(), **measures).claims}["6a"]
    assert claim.estimates[""].high == np.inf and claim.verdict == Verdict.REPRODUCED


def test_the_same_estimate_gives_the_verdict_and_the_displayed_value():
    claims = {c.id: c for c in checks.report(_params(), **_measures()).claims}
    one = claims["3b"]
    assert one.measured == "0.9" and one.estimates[""].value == pytest.approx(0.9)


def test_claims_a_small_grid_cannot_decide_are_not_checked():
    measures = _measures(sweep_alphas=(0.125, 1.0, 4.0), p_paper=(25, 250))
    claims = {c.id: c for c in checks.report(_params(), **measures).claims}
    assert claims["8"].verdict == Verdict.NOT_CHECKED
    assert claims["10c"].verdict == Verdict.NOT_CHECKED
    assert "no intermediate P" in claims["10c"].note
    claims = {c.id: c for c in checks.report(_params(), **_measures(p_paper=(50, 120, 500))).claims}
    assert claims["10c"].verdict != Verdict.NOT_CHECKED


def test_scope_names_the_preset_sizes():
    scope = checks.scope(_params(preset="book", d=40))
    assert scope.replication == "partial"
    assert "D = 40" in scope.scale and "at preset book" in scope.scale
