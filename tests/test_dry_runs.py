"""Every chapter's paper preset builds, runs a few steps of each experiment and projects its
cost (``-p dry_run true``), so a shape, memory or parameter error at paper size fails here; and
a chapter's numbers at quick are the same with ``-p device auto`` as with ``cpu`` on this CPU."""

from __future__ import annotations

import importlib
import json

import pipeline
import pytest
import torch

from grokutils.core import dry_run, params

CHAPTERS = pipeline.toc_chapters(pipeline.ROOT)
START_CALL = "p = ex.start(globals())"
PRESET = {"02_linear_grokking": "book"}
"""Chapter 02's paper dry run takes about ten minutes here (its one-layer experiments cost
eigendecompositions at d_in up to 4000, which no few-step probe can cut): CI dry-runs its book
preset; ``make projections`` archives its paper projection."""


def experiments_of(chapter: str):
    return importlib.import_module(f"grokutils.chapters.{chapter[3:]}.experiments").EXPERIMENTS


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda nb: nb.stem)
def test_paper_preset_dry_run_projects_every_experiment(notebook, tmp_path, monkeypatch):
    monkeypatch.setenv("GROKBOOK_CLAIMS_DIR", str(tmp_path))
    preset = PRESET.get(notebook.stem, "paper")
    executed = pipeline.execute(
        notebook, pipeline.ROOT / "_build/dry_runs" / notebook.name, preset=preset, dry_run=True
    )
    report = json.loads((tmp_path / f"{notebook.stem}.dry_run.json").read_text())
    p = params.load(notebook.stem, preset)
    expected = [probe.name for probe in dry_run.probes(p, experiments_of(notebook.stem))]
    assert [e["name"] for e in report["experiments"]] == expected and expected
    assert all(e["projected_s"] > 0 and e["peak_rss_mib"] > 0 for e in report["experiments"])
    assert report["provenance"]["preset"] == preset
    assert not (tmp_path / f"{notebook.stem}.json").exists(), "a dry run saves no claims"
    code = [c for c in executed.cells if c.cell_type == "code"]
    at = next(i for i, c in enumerate(code) if START_CALL in c.source)
    printed = "".join(o.get("text", "") for o in code[at].outputs)
    assert "Projected wall time" in printed and "claims not checked: dry run" in printed
    assert all(not c.outputs for c in code[at + 1 :]), "cells after the dry run must be skipped"


@pytest.mark.notebook
@pytest.mark.skipif(torch.cuda.is_available(), reason="auto is CUDA on this machine")
def test_device_auto_gives_the_cpu_numbers(tmp_path, monkeypatch, chapter_runs):
    notebook = pipeline.ROOT / "chapters/05_ergodic_stability.ipynb"
    assert params.load(notebook.stem, "quick").device == "cpu"
    chapter_runs.get("book", notebook)  # the suite's own run at quick: device cpu
    cpu = json.loads(chapter_runs.claims("book", notebook).read_text())
    monkeypatch.setenv("GROKBOOK_CLAIMS_DIR", str(tmp_path))
    pipeline.execute(notebook, tmp_path / "auto.ipynb", device="auto")
    auto = json.loads((tmp_path / f"{notebook.stem}.json").read_text())
    assert auto["provenance"]["device"] == cpu["provenance"]["device"] == "cpu"
    assert auto["claims"] == cpu["claims"]
