"""Chapter 03's claim declarations: the quick set, the GD rule of W5/D5 and whole reports."""

from __future__ import annotations

import numpy as np
import pytest

import grokutils.chapters.guess_and_check.claims as checks
import grokutils.chapters.guess_and_check.experiments as gc
from grokutils.chapters.guess_and_check.sampler import Conditioned
from grokutils.core import params
from grokutils.core.claims import Verdict

IDS = [f"W{i}" for i in range(1, 8)] + [f"D{i}" for i in range(1, 8)]


def _gd(gen, train):
    """GD results of one width (or depth) on the data sets: ``[1, S]``."""
    return {"test_loss": np.array([gen], float), "train_loss": np.array([train], float)}


def _w5(gd):
    return checks.gd_claim(
        "W5",
        "GD generalises",
        gd,
        bound=1e-3,
        at_least=0.5,
        reference="good",
        source="paper",
        quick="a test claim",
    )


def test_gd_claims_refute_on_fitted_runs_and_stay_undecided_on_unfitted_ones():
    """A fitted run that generalises badly refutes its data set; an unfitted one leaves it
    undecided (censored: counted neither way), and the claim inconclusive if the undecided data
    sets could change the verdict."""
    fitted_good = {"linear": _gd([1e-5] * 6, [1e-7] * 6)}
    holds, undecided = checks.gd_generalises(fitted_good, bound=1e-3)["linear"]
    assert holds.all() and not undecided.any()
    assert _w5(fitted_good).verdict == Verdict.REPRODUCED

    # two of six data sets still near the saddle at the origin: they cannot say
    one_stuck = {"linear": _gd([1e-5] * 4 + [4e-2] * 2, [1e-7] * 4 + [3e-4] * 2)}
    holds, undecided = checks.gd_generalises(one_stuck, bound=1e-3)["linear"]
    assert holds.tolist() == [True] * 4 + [False] * 2 and undecided.sum() == 2
    claim = _w5(one_stuck)
    assert claim.verdict == Verdict.INCONCLUSIVE and "did not fit" in claim.note

    # GD fits the data and generalises badly on 9 of 10: refuted whatever the tenth says
    interpolates_badly = {"linear": _gd([3e-2] * 9 + [4e-2], [1e-9] * 9 + [3e-2])}
    claim = _w5(interpolates_badly)
    assert claim.verdict == Verdict.NOT_REPRODUCED and "on 1 of 10" in claim.note


def test_a_gd_claim_with_several_activations_fails_if_one_does():
    good, bad = _gd([1e-5] * 6, [1e-8] * 6), _gd([2e-2] * 6, [1e-9] * 6)
    assert _w5({"linear": good, "leaky_relu": bad}).verdict == Verdict.NOT_REPRODUCED
    assert _w5({"linear": good, "tanh": good}).verdict == Verdict.REPRODUCED


QUICK = ("W1", "W2", "D7")


def test_every_claim_is_declared_once_and_the_quick_set_is_w1_w2_d7(clear_run):
    assert [claim.__name__.upper() for claim in checks.CLAIMS] == IDS
    assert clear_run.quick == QUICK
    assert all(c.not_at_quick for c in clear_run.claims if c.id not in QUICK)


def _conditioned(mean, prior, p_accept):
    mean = np.asarray(mean, float)
    one = np.ones_like(mean)
    return Conditioned("ss", 0.1, mean, 0.01 * one, 100 * one, p_accept, one, prior * one, one, 1)


def _sweep(xs, mean, prior, p_accept, activations=checks.ACTIVATIONS):
    """A sweep table with the same ``mean [X, S]`` for every activation."""
    runs = [
        {"ss": _conditioned(m, prior, p)}
        for _ in activations
        for m, p in zip(mean, p_accept, strict=True)
    ]
    return gc.sweep_table(runs, list(activations), key="ss")


def _report(widths, width_mean, preset="quick"):
    p = params.load(
        "03_guess_and_check",
        preset,
        overrides={"widths": widths, "depths": [2, 6, 10]},
        presets_dir="chapters/presets",
    )
    S = 12
    noise = 1 + 0.01 * np.random.default_rng(0).standard_normal((len(widths), S))
    falling = np.geomspace(1e-5, 1e-7, len(widths))[:, None] * np.ones(S)
    width = _sweep(widths, np.asarray(width_mean)[:, None] * noise, 0.3, falling)
    depth_mean = np.array([0.05, 0.02, 0.01])[:, None] * noise[:3]
    depth = _sweep(p.depths, depth_mean, 0.08, np.geomspace(1e-7, 1e-5, 3)[:, None] * np.ones(S))
    limit = _conditioned(np.full(S, 0.011), 0.04, np.full(S, 1e-5))
    fitted = {"test_loss": np.full((2, S), 1e-5), "train_loss": np.full((2, S), 1e-8)}
    gd = dict.fromkeys(checks.ACTIVATIONS, fitted)
    return checks.report(p, width=width, gd_width=gd, depth=depth, gd_depth=gd, limit=limit)


@pytest.fixture(scope="module")
def clear_run():
    return _report([5, 40, 160], [0.12, 0.25, 0.295])


def test_a_clear_run_reproduces_the_quick_set_and_leaves_w4_w6_to_larger_presets(clear_run):
    report = clear_run
    verdicts = {c.id: c.verdict for c in report.claims}
    assert [c.id for c in report.claims] == IDS
    assert {verdicts[k] for k in QUICK} == {Verdict.REPRODUCED}
    assert verdicts["W4"] == verdicts["W6"] == Verdict.NOT_CHECKED
    assert verdicts["W2"] == verdicts["W3"] == verdicts["W5"] == Verdict.REPRODUCED
    report.finish()  # the quick set holds: no ClaimsNotReproduced


@pytest.mark.parametrize("far", [0.306, 0.28])
def test_w4_and_w6_are_decided_once_the_grid_reaches_their_widths(far):
    widths = [5, 20, 160, 640, 2560]
    mean = [0.12, 0.3 * (1 - 3 / 20), 0.3 * (1 - 3 / 160), 0.3 * (1 - 3 / 640), far]
    verdicts = {c.id: c.verdict for c in _report(widths, mean, preset="paper").claims}
    assert verdicts["W4"] == Verdict.REPRODUCED
    assert verdicts["W6"] == (Verdict.NOT_REPRODUCED if far > 0.3 else Verdict.REPRODUCED)
