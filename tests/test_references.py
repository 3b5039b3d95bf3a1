"""nbval's reference notebooks must match their chapters, so a baseline cannot go stale silently.

nbval's comparison (lax: the cells tagged ``nbval-check-output``) checks each reference against
the suite's own papermill run of its chapter (``ReplayedReference`` in ``conftest.py``).
``make refs`` regenerates them.
"""

from __future__ import annotations

import nbformat
import pipeline
import pytest
from conftest import BOOKS, chapter_id, chapters

CHAPTERS = chapters()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=chapter_id)
def test_reference_matches_its_chapter(chapter):
    book, notebook = chapter
    path = pipeline.reference_path(BOOKS[book], notebook)
    assert path.is_file(), f"no nbval reference for {notebook.name}: run `make refs`"
    reference = nbformat.read(path, as_version=4)
    assert pipeline.code_sources(reference) == pipeline.code_sources(
        nbformat.read(notebook, as_version=4)
    ), f"{path.name} is stale: its chapter's code changed; run `make refs`"
    injected = [c for c in reference.cells if pipeline.INJECTED_TAG in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'preset = "quick"' in injected[0].source
    compared = [c for c in reference.cells if pipeline.COMPARED_TAG in c.metadata.get("tags", [])]
    assert compared and all(c.outputs for c in compared), "no compared output in the reference"


@pytest.mark.parametrize("book", BOOKS)
def test_no_reference_without_a_chapter(book):
    names = {nb.name for name, nb in CHAPTERS if name == book}
    folder = pipeline.REFERENCES[BOOKS[book]]
    orphans = sorted(p.name for p in folder.glob("*.ipynb") if p.name not in names)
    assert not orphans, f"references without a chapter in _toc.yml: {orphans}"
