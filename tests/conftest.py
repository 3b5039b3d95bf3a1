"""Shared fixtures: plain tests plot with Agg; chapters are executed once per session."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pipeline
import pytest

matplotlib.use("Agg")
BUILD = pipeline.ROOT / "_build"
BOOKS = {"book": pipeline.ROOT, "fixture": pipeline.FIXTURE_BOOK}


def chapters() -> list[tuple[str, Path]]:
    """(book name, notebook) for every chapter of every book's table of contents."""
    return [(name, nb) for name, book in BOOKS.items() for nb in pipeline.toc_chapters(book)]


def chapter_id(value) -> str:
    return f"{value[0]}:{value[1].stem}" if isinstance(value, tuple) else str(value)


@pytest.fixture(scope="session", autouse=True)
def _test_environment(tmp_path_factory):
    """Claims JSON into a temporary folder, sweeps cached in one, quick preset by default."""
    os.environ["GROKBOOK_CLAIMS_DIR"] = str(tmp_path_factory.mktemp("claims"))
    os.environ["GROKBOOK_CACHE_DIR"] = str(tmp_path_factory.mktemp("sweep-cache"))
    os.environ.setdefault("GROKBOOK_PRESET", "quick")


class ChapterRuns:
    """Each chapter executed through papermill at quick at most once per session."""

    def __init__(self):
        self._done: dict[Path, object] = {}

    def output(self, book: str, notebook: Path) -> Path:
        return BUILD / "quick" / "executed" / book / notebook.name

    def get(self, book: str, notebook: Path):
        if notebook not in self._done:
            try:
                self._done[notebook] = pipeline.execute(notebook, self.output(book, notebook))
            except Exception as error:  # kept, so every test that needs this run reports it
                self._done[notebook] = error
        result = self._done[notebook]
        if isinstance(result, Exception):
            raise result
        return result


@pytest.fixture(scope="session")
def chapter_runs() -> ChapterRuns:
    return ChapterRuns()
