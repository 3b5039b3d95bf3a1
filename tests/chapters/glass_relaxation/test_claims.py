"""Chapter 04's claim declarations and figures on tiny but real runs of its experiments."""

from types import SimpleNamespace

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from grokutils.chapters.glass_relaxation import claims as checks
from grokutils.chapters.glass_relaxation import experiments as gx
from grokutils.chapters.glass_relaxation import figures
from grokutils.core.claims import Verdict
from grokutils.core.seeding import seed_everything
from grokutils.methods.modular_data import TASKS

P = SimpleNamespace(
    chapter="04_glass_relaxation",
    preset="quick",
    seed=0,
    p=7,
    lrs=[1e-2] * 3,
    adamw_seeds=2,
    adamw_steps=60,
    control_seeds=1,
    ising_replicas=4,
    ising_steps=3000,
    harmonic_steps=200,
    harmonic_groups=2,
    norm_radius=30.0,
    norm_widths=[8, 16],
    norm_steps=30,
    norm_seeds=2,
    wl1d_walkers=2,
    wl1d_steps=40,
    wl1d_F=3.0,
    wl1d_t_rise=20.0,
    compare_ln_loss=-1.0,
    map_steps=20,
    map_walkers=2,
    map_band=[-2.0, -1.0],
    wand_steps=20,
    wand_seeds=2,
)


@pytest.fixture(scope="module")
def results():
    seed_everything(0)
    p = P
    base = gx.grokking_baseline(
        TASKS, p.lrs, p.adamw_seeds, p.adamw_steps, p=p.p, control_seeds=1, record_every=20
    )
    grok = gx.grokking(base, TASKS)
    run1 = gx.equilibrium_run(p.p, p.wl1d_walkers, p.wl1d_steps, p.wl1d_F, p.wl1d_t_rise, 0)
    points = gx.wand_points(
        [{"dt": 3e-3, "kT": 0.5, "friction": 0.5}], n_seeds=2, n_steps=20, p=7, seed=0
    )
    return dict(
        ising=gx.ising_validation(p.ising_replicas, p.ising_steps, seed=0),
        harmonic=gx.harmonic_validation(p.harmonic_groups, p.harmonic_steps, seed=0),
        grok=grok,
        fixed=gx.FixedNormControl(
            gx.fixed_norm_widths(p.norm_widths, p.norm_radius, 2, p.norm_steps, p=p.p)
        ),
        curve=gx.equilibrium_curve(run1, grok, p.compare_ln_loss),
        maps=gx.band_maps(
            [gx.band_map(**pt) for pt in gx.band_map_points(20, p.map_band, 2, p=7, seed=0)]
        ),
        wand=gx.WandSweep(points, [gx.wand_point(**pt) for pt in points]),
    )


def test_every_claim_is_declared_once_in_the_quick_set_or_out_of_it():
    ids = set(checks.QUICK) | set(checks.NOT_AT_QUICK)
    assert not set(checks.QUICK) & set(checks.NOT_AT_QUICK)
    assert len(checks.QUICK) >= 3 and len(ids) == 12


def test_report_decides_every_claim_in_the_chapter_order(results):
    report = checks.report(P, **results)
    ids = [c.id for c in report.claims]
    assert ids == ["V1", "V2", "V3", "V4", "C1", "C2", "C3", "C5", "C6", "C8", "C11", "C12"]
    assert all(isinstance(c.verdict, Verdict) for c in report.claims)
    c11 = next(c for c in report.claims if c.id == "C11")
    if not results["grok"].grok_step["x+y"] < float("inf"):  # no AdamW reference step
        assert c11.verdict == Verdict.INCONCLUSIVE
    assert report.to_dict()["scope"]["replication"] == "partial"


def test_displayed_value_comes_from_the_deciding_estimate(results):
    report = checks.report(P, **results)
    v4 = next(c for c in report.claims if c.id == "V4")
    assert v4.estimates[""].value == results["harmonic"].temperature.value


@pytest.mark.parametrize(
    "draw",
    [
        lambda r: figures.ising_convergence(r["ising"]),
        lambda r: figures.harmonic_entropy(r["harmonic"]),
        lambda r: figures.accuracy_curves(r["grok"], TASKS),
        lambda r: figures.adamw_paths(r["grok"]),
        lambda r: figures.fixed_norm_curves(r["fixed"], 30.0),
        lambda r: figures.equilibrium_curve(r["curve"]),
        lambda r: figures.band_maps(r["maps"]),
        lambda r: figures.wand_sweep(r["wand"]),
    ],
    ids=["ising", "harmonic", "accuracy", "paths", "fixed_norm", "equilibrium", "maps", "wand"],
)
def test_every_figure_draws_labelled_panels(results, draw):
    fig = draw(results)
    assert all(ax.get_xlabel() for ax in fig.axes if ax.get_label() != "<colorbar>")
    plt.close(fig)
