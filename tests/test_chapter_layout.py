"""The house plan's checks on the chapters: parameter help from one source, thin code cells."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from grokutils.book import parameters_cell
from grokutils.book.params import ParameterError, read_presets

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
    assert lines[2:] == [
        "width: int = None  # hidden units N",
        "lrs: list = None  # learning rates",
    ]


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
