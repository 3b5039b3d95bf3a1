"""Every chapter in a table of contents runs through papermill at quick with its claims holding,
documents its parameters, has valid presets, and refuses a bad preset before any compute."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pipeline
import pytest
from conftest import chapter_id, chapters

from grokutils.core import params

CHAPTERS = chapters()
BOOK_CHAPTERS = [c for c in CHAPTERS if c[0] == "book"]
ANNOTATIONS = {"int": "int", "float": "float", "bool": "bool", "str": "str"}


def schema_of(notebook: Path) -> dict:
    schema, _ = params.read_presets(notebook.stem, notebook.parent / "presets")
    return schema


@pytest.mark.notebook
@pytest.mark.parametrize("chapter", CHAPTERS, ids=chapter_id)
def test_chapter_runs_at_quick_and_its_claims_hold(chapter, chapter_runs):
    book, notebook = chapter
    chapter_runs.get(book, notebook)  # a failing claim expected at quick raises in the notebook
    path = chapter_runs.claims(book, notebook)
    assert path.is_file(), f"{notebook.name} saved no claims report named after the chapter"
    report = json.loads(path.read_text())
    assert report["preset"] == "quick" and report["claims"], report
    failed = [
        c["id"] for c in report["claims"] if c["expected_at_quick"] and c["verdict"] != "reproduced"
    ]
    assert not failed, f"claims expected to hold at quick failed: {failed}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=chapter_id)
def test_parameters_cell_documents_every_parameter(chapter):
    _, notebook = chapter
    schema = schema_of(notebook)
    found = papermill.inspect_notebook(str(notebook))
    assert set(found) == {"preset", "seed", *schema}, "parameters cell and presets file disagree"
    for name, info in found.items():
        assert info["help"].strip(), f"{name} has no help comment"
        if name in schema:
            kind = schema[name]["type"]
            assert info["inferred_type_name"] == ANNOTATIONS.get(kind, "list"), name
            assert info["default"] == "None", f"{name} must default to None (the preset's value)"
    help_text = subprocess.run(
        [Path(sys.executable).parent / "papermill", "--help-notebook", notebook],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert all(name in help_text for name in found)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=chapter_id)
def test_presets_file_has_three_valid_presets(chapter):
    _, notebook = chapter
    for preset in params.PRESETS:
        p = params.load(notebook.stem, preset, presets_dir=notebook.parent / "presets")
        assert p.preset == preset


def parameter_error_before_any_compute(notebook: Path, parameters: dict, tmp_path) -> str:
    """Run ``notebook`` with ``parameters``; check that it stopped with a ``ParameterError`` in
    its start-up cell (parameters, injected parameters, start-up: nothing after it ran) and
    return the error's message."""
    with pytest.raises(papermill.PapermillExecutionError) as error:
        papermill.execute_notebook(
            str(notebook),
            str(tmp_path / "out.ipynb"),
            parameters=parameters,
            cwd=str(notebook.parent),
            progress_bar=False,
        )
    assert error.value.ename == "ParameterError"
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    code = [c for c in out.cells if c.cell_type == "code"]
    assert all(c.execution_count is None for c in code[3:])
    return error.value.evalue


def start_up_cells(notebook: Path) -> tuple[str, str]:
    """The source of the notebook's parameters cell and of the code cell right after it, which
    must hold the start-up call (``p = ex.start(globals())``) after the chapter's imports."""
    code = [c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
    (at,) = [i for i, c in enumerate(code) if pipeline.is_parameters_cell(c)]
    parameters, start_up = code[at].source, code[at + 1].source
    statements = [ast.unparse(s) for s in ast.parse(start_up).body]
    assert pipeline.START_CALL in statements, f"{notebook.name}: no start-up call after parameters"
    before = statements[: statements.index(pipeline.START_CALL)]
    assert all(s.startswith(("import ", "from ")) for s in before), f"{notebook.name}: {before}"
    return parameters, start_up


@pytest.mark.parametrize("chapter", BOOK_CHAPTERS, ids=chapter_id)
def test_bad_preset_fails_before_any_compute(chapter):
    """The notebook's own parameters and start-up cells, run in this process with the preset a
    papermill user would inject; that papermill then stops at that cell with nothing after it
    run is the kernel test below (the same start-up cell in every chapter of the book)."""
    parameters, start_up = start_up_cells(chapter[1])
    namespace: dict = {}
    exec(parameters, namespace)
    namespace["preset"] = "papr"
    with pytest.raises(params.ParameterError) as error:
        exec(start_up, namespace)
    assert "preset must be one of quick, book, paper; got 'papr'" in str(error.value)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=chapter_id)
def test_chapter_is_committed_without_outputs(chapter):
    _, notebook = chapter
    nb = nbformat.read(notebook, as_version=4)
    with_outputs = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and c.outputs and "keep_output" not in c.metadata.get("tags", [])
    ]
    assert not with_outputs, f"cells {with_outputs} carry outputs: strip them (nbstripout)"


def test_a_repeated_seed_of_chapter_01_stops_before_any_compute(tmp_path):
    """Through papermill: the kernel stops at the start-up cell and runs no later cell."""
    notebook = next(n for _, n in CHAPTERS if n.stem == "01_lazy_to_rich")
    parameters = {"preset": "quick", "seeds": [1, 1, 2]}
    message = parameter_error_before_any_compute(notebook, parameters, tmp_path)
    assert "seeds must not repeat an entry" in message and "repeats [1]" in message
