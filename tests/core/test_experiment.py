"""An experiment is declared once: the notebook's call and the dry run's call are the same
function, so a size changed in one place is seen by both."""

from __future__ import annotations

import pytest
import sweep_functions

from grokutils.core import dry_run
from grokutils.core.experiment import Registry
from grokutils.core.params import Params

VALUES = {"width": 8, "steps": 400, "widths": [2, 4, 16], "sweep_steps": 90}
RUN = {"backend": "serial", "scheduler": None, "device": "cpu", "dry_run": False}


def chapter() -> tuple[Registry, list]:
    """A chapter of three experiments (one needs another, one is a sweep); ``calls`` logs what
    each call received."""
    experiments, calls = Registry("fixture"), []

    @experiments.add("training", sizes=lambda p: f"width {p.width}", steps="steps", unit=20)
    def training(p):
        calls.append(("training", p.width, p.steps))
        return p.steps

    @experiments.add("summary", sizes=lambda p: "closed form", needs=("training",))
    def summary(p, trained):
        calls.append(("summary", trained))
        return trained + 1

    experiments.sweep(
        "width_sweep",
        "width sweep",
        points=lambda p: [{"width": w, "steps": p.sweep_steps} for w in p.widths],
        point=sweep_functions.record_point,
        sizes=lambda p: f"widths {p.widths}",
        steps="steps",
        slowest="width",
    )
    return experiments, calls


def params(**changes) -> Params:
    return Params("fixture", "quick", 0, {**VALUES, **RUN, **changes})


def test_the_notebook_calls_the_declared_function_with_the_presets_sizes(tmp_path, monkeypatch):
    monkeypatch.setenv("GROKBOOK_CACHE_DIR", str(tmp_path))
    experiments, calls = chapter()
    p = params()
    assert experiments["summary"](p, experiments["training"](p)) == 401
    assert calls == [("training", 8, 400), ("summary", 400)]
    assert experiments["width_sweep"](p)[-1] == {"width": 16, "steps": 90}
    assert [e.key for e in experiments] == ["training", "summary", "width_sweep"]


def test_the_dry_run_calls_the_same_functions_cut_to_a_few_steps():
    experiments, calls = chapter()
    probes = dry_run.probes(params(width=32), experiments)
    training, summary, sweep = probes
    assert (training.steps, training.sizes) == (400 // 20, "width 32")
    assert training.scales and not summary.scales
    assert training.run(3) == 60 and calls[-1] == ("training", 32, 60)  # width: the preset's
    assert summary.run(1) == 61 and calls[-1] == ("summary", 60)  # fed the cut training run
    assert (sweep.repeats, sweep.steps) == (3, 90)
    assert sweep.run(5) == [{"width": 16, "steps": 5}]  # the slowest point, cut to 5 steps


def test_a_size_changed_in_one_place_is_seen_by_both():
    experiments, calls = chapter()
    p = params(width=64, widths=[2, 128])
    experiments["training"](p)
    dry_run.probes(p, experiments)[0].run(2)
    assert [c[1] for c in calls] == [64, 64]
    assert dry_run.probes(p, experiments)[2].run(1) == [{"width": 128, "steps": 1}]


def test_declarations_are_checked():
    experiments, _ = chapter()
    with pytest.raises(ValueError, match="declared twice"):
        experiments.add("training 2", sizes=str)(_named("training"))
    with pytest.raises(ValueError, match="two experiments are named"):
        experiments.add("training", sizes=str)(_named("other"))
    with pytest.raises(ValueError, match="not declared before it"):
        experiments.add("late", sizes=str, needs=("later",))(_named("late"))
    with pytest.raises(ValueError, match="both at and count"):
        experiments.add("half", sizes=str, at=lambda p, k: p)(_named("half"))


def test_params_with_values_changes_only_known_parameters():
    p = params()
    assert p.with_values(steps=7).steps == 7 and p.steps == 400
    with pytest.raises(AttributeError, match="no parameter"):
        p.with_values(stepz=7)


def _named(name):
    def fn(p):
        return None

    fn.__name__ = name
    return fn
