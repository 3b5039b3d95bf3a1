"""The book's pipeline, shared by the tests and the Makefile: chapters -> papermill -> book.

Executing a chapter is the expensive step, so ``make test`` runs each chapter at quick once,
through papermill: its output is compared with the chapter's nbval reference and fed to the
book build through Jupyter Book's execution cache (see :func:`seed_execution_cache`).

Command line (from the Makefile)::

    python tests/pipeline.py refs [CHAPTER ...]        # regenerate tests/references/
    python tests/pipeline.py clear-stale-cache _build  # drop cached outputs of an old grokutils
    python tests/pipeline.py seed-cache _build book 0  # render the seed runner's runs
"""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import yaml
from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_BOOK = ROOT / "tests" / "fixture_book"
REFERENCES = {ROOT: ROOT / "tests" / "references", FIXTURE_BOOK: FIXTURE_BOOK / "references"}
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
COMPARED_TAG = "nbval-check-output"
START_CALL = "p = ex.start(globals())"
"""A book chapter's start-up call, right after its parameters cell and its imports."""
KERNEL = "python3"


def is_parameters_cell(cell) -> bool:
    """Whether a notebook cell is the parameters cell (papermill's tag)."""
    return cell.cell_type == "code" and PARAMETERS_TAG in cell.metadata.get("tags", [])


def toc_chapters(book: Path) -> list[Path]:
    """The notebooks a book's ``_toc.yml`` lists, in order (``.ipynb`` files only)."""
    toc = yaml.safe_load((book / "_toc.yml").read_text())
    files = []

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("chapters"))
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [book / f"{f}.ipynb" for f in files if (book / f"{f}.ipynb").is_file()]


def execute(
    notebook: Path, output: Path, preset: str = "quick", **parameters
) -> nbformat.NotebookNode:
    """Run ``notebook`` through papermill (Python API) in its own folder at ``preset``.

    Raises papermill's ``PapermillExecutionError`` when a cell fails, which includes a
    claims report that fails at the quick preset. The output notebook is written either way.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    return papermill.execute_notebook(
        str(notebook),
        str(output),
        parameters={"preset": preset, **parameters},
        cwd=str(notebook.parent),
        kernel_name=KERNEL,
        progress_bar=False,
    )


def outputs_into_source(source: Path, executed: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The source notebook with the outputs of its papermill execution.

    The injected-parameters cell and papermill's cell metadata are left out, so the result
    hashes like the source notebook in Jupyter Book's execution cache.
    """
    nb = nbformat.read(source, as_version=4)
    ran = [c for c in executed.cells if INJECTED_TAG not in c.metadata.get("tags", [])]
    if [c.source for c in ran] != [c.source for c in nb.cells]:
        raise ValueError(f"{source} changed since it was executed")
    count = 0
    for cell, done in zip(nb.cells, ran, strict=True):
        if cell.cell_type == "code":
            count += 1
            cell.outputs, cell.execution_count = done.outputs, count
    return nb


def seed_execution_cache(cache_path: Path, source: Path, executed: nbformat.NotebookNode) -> None:
    """Put a chapter's papermill outputs into a Jupyter Book execution cache.

    The book build then renders them instead of executing the chapter a second time; if the
    chapter changed since, the hash no longer matches and the build executes it anew.
    """
    cache = get_cache(str(cache_path))
    bundle_nb = outputs_into_source(source, executed)
    path = cache_path / "seed" / source.name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(bundle_nb, path)
    cache.cache_notebook_file(str(path), uri=str(source), overwrite=True)


def build_book(book: Path, path_output: Path, preset: str) -> subprocess.CompletedProcess:
    """``jupyter-book build -W -n --keep-going``; the HTML goes to ``path_output/_build/html``."""
    env = {**os.environ, "GROKBOOK_PRESET": preset}
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [str(jupyter_book), "build", str(book), "--path-output", str(path_output)]
    return subprocess.run(
        [*command, "-W", "-n", "--keep-going"], env=env, capture_output=True, text=True
    )


STALE_WITH_INPUTS = (".jupyter_cache", ".doctrees", "jupyter_execute", "html")
"""What a build keeps that depends on grokutils and the presets: the execution cache, and
Sphinx's environment and output, which would otherwise skip every page whose source did not
change."""


def inputs_fingerprint() -> str:
    """What the chapters read besides their own cells: grokutils' source and the presets."""
    from grokutils.core.fingerprint import code_fingerprint

    presets = sorted((ROOT / "chapters" / "presets").glob("*.yaml"))
    text = "".join(f"{path.name}\n{path.read_text()}" for path in presets)
    return code_fingerprint("grokutils") + hashlib.sha256(text.encode()).hexdigest()[:16]


def clear_stale_cache(build: Path) -> None:
    """Empty a build's execution cache and Sphinx state when grokutils or a presets file changed
    since they were filled. Jupyter Book's cache keys on the notebooks' code cells only, not on
    the package they import or the presets they load, and Sphinx re-reads a page only when its
    source changes.
    """
    stamp = build / ".inputs-fingerprint"
    fingerprint = inputs_fingerprint()
    if stamp.is_file() and stamp.read_text() == fingerprint:
        return
    for name in STALE_WITH_INPUTS:
        shutil.rmtree(build / name, ignore_errors=True)
    build.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint)


def seed_cache_from_runs(build: Path, preset: str, seed: int) -> None:
    """Seed a build's execution cache with the seed runner's executions of every chapter
    (``_build/seeds/<preset>/<chapter>/seed-<seed>.ipynb``), so that the book build renders
    them instead of executing the chapters one after the other. A chapter without a run, or
    changed since it ran, is left to the build to execute."""
    for chapter in toc_chapters(ROOT):
        executed = ROOT / "_build" / "seeds" / preset / chapter.stem / f"seed-{seed}.ipynb"
        if not executed.is_file():
            print(f"seed-cache: no run of {chapter.stem}; the build executes it")
            continue
        try:
            seed_execution_cache(build / ".jupyter_cache", chapter, nbformat.read(executed, 4))
        except ValueError as changed:
            print(f"seed-cache: {changed}; the build executes it")


def reference_path(book: Path, chapter: Path) -> Path:
    return REFERENCES[book] / chapter.name


def make_reference(book: Path, chapter: Path, executed: nbformat.NotebookNode) -> Path:
    """Keep an executed chapter as its nbval reference: outputs of the compared cells only."""
    nb = copy.deepcopy(executed)
    for cell in nb.cells:
        if INJECTED_TAG in cell.metadata.get("tags", []):
            cell.id = INJECTED_TAG  # papermill draws a random id; a fixed one keeps diffs clean
        if cell.cell_type == "code" and COMPARED_TAG not in cell.metadata.get("tags", []):
            cell.outputs = []
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nb.metadata.pop("papermill", None)
    path = reference_path(book, chapter)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def code_sources(nb: nbformat.NotebookNode) -> list[str]:
    """Code cells of a notebook, without papermill's injected-parameters cell."""
    return [
        c.source
        for c in nb.cells
        if c.cell_type == "code" and INJECTED_TAG not in c.metadata.get("tags", [])
    ]


def regenerate_references(work: Path, only: list[str] | None = None) -> None:
    """Regenerate the nbval references of every chapter, or of the chapters named in ``only``
    (notebook stems, e.g. ``03_guess_and_check``)."""
    for book in REFERENCES:
        for chapter in toc_chapters(book):
            if only and chapter.stem not in only:
                continue
            executed = execute(chapter, work / chapter.name)
            print(f"reference: {make_reference(book, chapter, executed).relative_to(ROOT)}")


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["refs", *only]:
            regenerate_references(ROOT / "_build" / "refs", only)
        case ["clear-stale-cache", build]:
            clear_stale_cache(Path(build))
        case ["seed-cache", build, preset, seed]:
            seed_cache_from_runs(Path(build), preset, int(seed))
        case _:
            sys.exit(__doc__)
