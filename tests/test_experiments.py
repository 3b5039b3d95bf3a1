"""Every chapter declares its experiments once, in experiments.py: the dry run builds from that
registry at every preset, and the notebook calls every declared experiment, in the declared
order, so the two cannot time or run different things."""

from __future__ import annotations

import ast
import importlib
import json

import pipeline
import pytest

from grokutils.core import dry_run, params

CHAPTERS = [path.stem for path in pipeline.toc_chapters(pipeline.ROOT)]


def experiments_of(chapter: str):
    return importlib.import_module(f"grokutils.chapters.{chapter[3:]}.experiments")


def calls_in_notebook(chapter: str) -> list[str]:
    """``ex.<name>(...)`` calls of the notebook's code cells, in order of appearance."""
    cells = json.loads((pipeline.ROOT / "chapters" / f"{chapter}.ipynb").read_text())["cells"]
    names = []
    for cell in (c for c in cells if c["cell_type"] == "code"):
        calls = [
            node
            for node in ast.walk(ast.parse("".join(cell["source"])))
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "ex"
        ]
        names += [n.func.attr for n in sorted(calls, key=lambda n: (n.lineno, n.col_offset))]
    return names


@pytest.mark.parametrize("preset", params.PRESETS)
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_dry_run_builds_from_the_registry_at_every_preset(chapter, preset):
    registry = experiments_of(chapter).EXPERIMENTS
    assert registry.chapter == chapter
    probes = dry_run.probes(params.load(chapter, preset), registry)
    names = [probe.name for probe in probes]
    assert names and len(set(names)) == len(names)
    assert all(probe.sizes and probe.steps >= 1 for probe in probes)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_notebook_calls_every_declared_experiment_in_order(chapter):
    module = experiments_of(chapter)
    declared = [e.key for e in module.EXPERIMENTS]
    called = [name for name in calls_in_notebook(chapter) if name in declared]
    assert called == declared, "each experiment once, in the declared order"
    assert module.start == module.EXPERIMENTS.start
