"""The strict book build at quick (rendering the papermill runs, not re-executing them), its
scorecard, and one chapter opened in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import matplotlib.image
import pipeline
import pytest
from conftest import BOOKS

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--virtual-time-budget=10000",
    "--window-size=1280,1600",
]


def test_a_grokutils_or_presets_change_clears_the_execution_cache_and_the_sphinx_state(tmp_path):
    build = tmp_path / "_build"
    pipeline.clear_stale_cache(build)  # first build: stamp written
    for name in (*pipeline.STALE_WITH_INPUTS, "keep"):
        (build / name).mkdir()
    pipeline.clear_stale_cache(build)  # same grokutils: nothing removed
    assert all((build / name).is_dir() for name in pipeline.STALE_WITH_INPUTS)
    (build / ".inputs-fingerprint").write_text("an older grokutils or presets file")
    pipeline.clear_stale_cache(build)
    assert not any((build / name).exists() for name in pipeline.STALE_WITH_INPUTS)
    assert (build / "keep").is_dir()


@pytest.mark.book
@pytest.mark.parametrize("name", BOOKS)
def test_book_builds_strictly_with_a_scorecard_of_every_claim(name, built_books):
    html = built_books(name)
    assert (html / "index.html").is_file()
    reports = json.loads((html / "claims.json").read_text())
    chapters = pipeline.toc_chapters(BOOKS[name])
    assert sorted(r["chapter"] for r in reports) == sorted(nb.stem for nb in chapters)
    scorecard = (html / "scorecard.html").read_text()
    rows = scorecard.count('class="verdict-')
    assert rows == sum(len(r["claims"]) for r in reports)
    for column in ("reference", "source", "95 % interval", "archived", "replication"):
        assert f"<p>{column}</p>" in scorecard, f"the scorecard has no {column!r} column"
    assert "Provenance of this build: commit" in scorecard
    for report in reports:
        assert report["provenance"]["preset"] == "quick" and report["scope"]["covers"]
    for notebook in chapters:
        page = (html / "chapters" / f"{notebook.stem}.html").read_text()
        assert "grokbook-claims-table" in page, f"{notebook.stem}: no claims table in the page"
        assert 'class="grokbook-provenance"' in page, f"{notebook.stem}: no provenance line"
        assert "injected-parameters" not in page and "TqdmWarning" not in page
        assert not re.search(r"\d+it/s|cell_output stderr", page), "stderr leaked into the page"


def render(page: Path, *mode: str) -> subprocess.CompletedProcess:
    chromium = shutil.which("chromium") or pytest.fail("chromium is missing: run `make test`")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *mode, page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )


@pytest.mark.book
@pytest.mark.parametrize("name", BOOKS)
def test_a_chapter_renders_in_chromium_with_figure_and_math(name, built_books, tmp_path):
    chapters = pipeline.toc_chapters(BOOKS[name])
    if not chapters:
        pytest.skip(f"the {name} has no chapter yet; the fixture book covers the browser check")
    page = built_books(name) / "chapters" / f"{chapters[0].stem}.html"
    dom = render(page, "--dump-dom").stdout
    assert "<mjx-container" in dom, "MathJax did not typeset the page's math"
    assert re.search(r'<img[^>]+src="[^"]*_images/[^"]+\.png"', dom), "no figure in the page"
    shot = tmp_path / "page.png"
    render(page, f"--screenshot={shot}")
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (1600, 1280)
    assert (pixels.min(axis=2) < 0.9).mean() > 0.02, "the screenshot is (nearly) blank"
    assert pixels.std() > 0.05
