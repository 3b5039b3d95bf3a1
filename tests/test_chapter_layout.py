"""The house plan's checks on the chapters: parameter help from one source, thin code cells,
and a reader's page (collapsed set-up, numbered figures referenced from the text, glued values)."""

from __future__ import annotations

import ast
import json
import re
import statistics
from pathlib import Path

import pytest

from grokutils.build import parameters_cell
from grokutils.core.params import ParameterError, read_presets

CHAPTERS = sorted((Path(__file__).resolve().parent.parent / "chapters").glob("*.ipynb"))
MEDIAN_LINES, LONG_LINES, LONG_SHARE, MAX_LINES = 8, 10, 0.25, 40


def code_cells(path: Path) -> list[tuple[int, bool]]:
    """``(non-blank lines, is the parameters cell)`` of each code cell of a notebook."""
    cells = json.loads(path.read_text())["cells"]
    return [
        (
            sum(1 for line in "".join(c["source"]).splitlines() if line.strip()),
            "parameters" in c.get("metadata", {}).get("tags", []),
        )
        for c in cells
        if c["cell_type"] == "code"
    ]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_parameters_cell_is_generated_from_the_presets_file(path):
    assert parameters_cell.sync(path, check=True), (
        f"{path.name}: run `make parameters` (the help texts live in chapters/presets/)"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_code_cells_are_thin(path):
    lengths = [n for n, is_parameters in code_cells(path) if not is_parameters]
    long = [n for n in lengths if n > LONG_LINES]
    assert statistics.median(lengths) <= MEDIAN_LINES, f"median cell {statistics.median(lengths)}"
    assert len(long) <= LONG_SHARE * len(lengths), f"{len(long)}/{len(lengths)} cells over 10"
    assert max(lengths) <= MAX_LINES, f"longest code cell {max(lengths)} lines"


def test_cell_source_uses_the_yaml_help_and_seed_line(tmp_path):
    (tmp_path / "toy.yaml").write_text(
        'seed: "offset of every seed"\n'
        "parameters:\n"
        "  width: {type: int, min: 1, help: hidden units N}\n"
        '  lrs: {type: "list[float]", gt: 0, help: learning rates}\n'
        "presets:\n"
        "  quick: {width: 2, lrs: [0.1]}\n  book: {width: 4, lrs: [0.1]}\n"
        "  paper: {width: 8, lrs: [0.1]}\n"
    )
    lines = parameters_cell.cell_source("toy", tmp_path).splitlines()
    assert lines[1] == "seed: int = 0  # offset of every seed"
    assert lines[2:4] == [
        "width: int = None  # hidden units N",
        "lrs: list = None  # learning rates",
    ]
    assert [line.split(":")[0] for line in lines[4:] if not line.startswith("#")] == [
        "device",
        "dry_run",
    ]  # the run parameters every chapter takes, declared once in core


def test_presets_file_rejects_an_unknown_section(tmp_path):
    (tmp_path / "toy.yaml").write_text("parameters: {}\npresets: {}\nextra: 1\n")
    with pytest.raises(ParameterError, match="may have 'seed'"):
        read_presets("toy", tmp_path)


def test_presets_file_rejects_a_help_that_papermill_cannot_parse(tmp_path):
    (tmp_path / "toy.yaml").write_text(
        "parameters:\n  lr: {type: float, gt: 0, help: step size eta = c/N}\n"
        "presets: {quick: {lr: 0.1}, book: {lr: 0.1}, paper: {lr: 0.1}}\n"
    )
    with pytest.raises(ParameterError, match="must not contain '='"):
        read_presets("toy", tmp_path)


# A reader's page: collapsed set-up, numbered and captioned figures referenced from the text,
# glued values in the prose (issue 15, item 4). Static checks on the stored notebooks.

SET_UP_CALLS = ("p = ex.start(globals())",)
COLLAPSED = {"hide-cell", "hide-input"}
FIGURE_NAME = re.compile(r"fig-[a-z0-9]+(-[a-z0-9]+)+")
NUMREF = re.compile(r"\{numref\}`(?:[^`<]*<)?([^`<>]+)>?`")
GLUE = re.compile(r"\{glue(?::[a-z]*)?\}`([^`]+)`")


def cells_of(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def text(cell: dict) -> str:
    return "".join(cell["source"])


def figure_functions(chapter: str) -> set[str]:
    """The functions of ``grokutils/chapters/<slug>/figures.py`` that return the figure they draw
    (``return fig``, or the result of another such function of the module)."""
    package = CHAPTERS[0].parent.parent / "grokutils" / "chapters" / chapter[3:]
    source = (package / "figures.py").read_text()
    returns = {
        node.name: [r.value for r in ast.walk(node) if isinstance(r, ast.Return)]
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef)
    }
    found = {
        name
        for name, values in returns.items()
        if any(isinstance(v, ast.Name) and v.id == "fig" for v in values)
    }
    return found | {
        name
        for name, values in returns.items()
        if any(
            isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in found
            for v in values
        )
    }


def figures_alias(path: Path) -> str:
    """The name under which a chapter imports its figures module."""
    module = f"grokutils.chapters.{path.stem[3:]}.figures"
    for cell in cells_of(path):
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse(text(cell))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    full = (
                        f"{node.module}.{alias.name}"
                        if isinstance(node, ast.ImportFrom)
                        else alias.name
                    )
                    if full == module:
                        return alias.asname or alias.name
    raise AssertionError(f"{path.name} does not import {module}")


def figure_calls(cell: dict, alias: str, functions: set[str]) -> list[str]:
    """Names of the figure functions a code cell calls (``<alias>.<function>(...)``)."""
    return [
        node.func.attr
        for node in ast.walk(ast.parse(text(cell)))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == alias
        and node.func.attr in functions
    ]


def shows_only_its_figure(cell: dict) -> bool:
    """Whether the cell's last statement displays nothing itself (an assignment, ``plt.show()``
    or an expression silenced by ``;``): the figure is then its only output."""
    last = ast.parse(text(cell)).body[-1]
    if not isinstance(last, ast.Expr):
        return True
    call = last.value
    is_show = isinstance(call, ast.Call) and ast.unparse(call.func) == "plt.show"
    return is_show or text(cell).rstrip().endswith(";")


def figures_of(path: Path) -> list[dict]:
    return [
        c["metadata"]["mystnb"]["figure"]
        for c in cells_of(path)
        if "figure" in c.get("metadata", {}).get("mystnb", {})
    ]


def prose(path: Path) -> str:
    return "\n".join(text(c) for c in cells_of(path) if c["cell_type"] == "markdown")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_set_up_cells_are_collapsed(path):
    cells = cells_of(path)
    first_idea = next(i for i, c in enumerate(cells) if i and c["cell_type"] == "markdown")
    set_up = cells[1:first_idea]
    assert set_up and all(c["cell_type"] == "code" for c in set_up)
    joined = "\n".join(text(c) for c in set_up)
    assert any("parameters" in c["metadata"].get("tags", []) for c in set_up)
    assert all(call in joined for call in SET_UP_CALLS), "a set-up step moved past the first idea"
    shown = [text(c)[:40] for c in set_up if not COLLAPSED & set(c["metadata"].get("tags", []))]
    assert not shown, f"set-up cells not collapsed: {shown}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_figure_cell_is_a_numbered_captioned_figure(path):
    functions, alias = figure_functions(path.stem), figures_alias(path)
    assert functions, "no figure functions found"
    for cell in (c for c in cells_of(path) if c["cell_type"] == "code"):
        calls = figure_calls(cell, alias, functions)
        figure = cell["metadata"].get("mystnb", {}).get("figure")
        assert bool(calls) == bool(figure), f"figure metadata vs figure calls: {text(cell)[:60]}"
        if figure:
            assert len(calls) == 1, f"one figure per cell: {calls}"
            assert shows_only_its_figure(cell), f"a second output joins the figure: {calls}"
            assert FIGURE_NAME.fullmatch(figure.get("name", "")), figure.get("name")
            assert len(figure.get("caption", "").strip()) > 40, f"{figure['name']}: no caption"


def test_figure_names_are_unique_across_the_book():
    names = [f["name"] for path in CHAPTERS for f in figures_of(path)]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_figure_is_referenced_from_its_chapter(path):
    names = {f["name"] for f in figures_of(path)}
    referenced = set(NUMREF.findall(prose(path)))
    assert names <= referenced, f"figures no {{numref}} points to: {sorted(names - referenced)}"
    assert referenced <= names, f"references to figures of no cell: {sorted(referenced - names)}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_glued_names_are_claims_of_the_chapter(path):
    """``ClaimReport.glue`` glues ``measured_<id>`` and ``verdict_<id>`` of every claim it holds;
    a glued claim id must be a claim of every archived book run of the chapter."""
    archived = sorted((path.parent.parent / "results" / "book" / path.stem).glob("seed-*.json"))
    assert archived, "no archived book run to compare the glued names with"
    for run in archived:
        ids = {c["id"] for c in json.loads(run.read_text())["claims"]}
        for name in GLUE.findall(prose(path)):
            kind, _, claim = name.partition("_")
            assert kind in ("measured", "verdict"), name
            assert claim in ids, f"{name}: claim {claim} not in {run.name}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_claims_section_states_the_outcome_with_glued_values(path):
    cells = cells_of(path)
    claims = next(
        i for i, c in enumerate(cells) if c["cell_type"] == "code" and "claims.report(" in text(c)
    )
    names = GLUE.findall(text(cells[claims - 1]))
    assert any(n.startswith("verdict_") for n in names), "no glued verdict before the claims"
    assert any(n.startswith("measured_") for n in names), "no glued measurement before the claims"
