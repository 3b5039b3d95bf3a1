"""The book as one PDF (Sphinx's LaTeX builder, xelatex), built at quick from the HTML build's
execution cache and Sphinx state, then read back with pdftotext."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pipeline
import pytest
from conftest import BOOKS

PDF = "grokbook.pdf"  # latex_documents' targetname in _config.yml, as .pdf


@pytest.fixture(scope="session")
def built_pdfs(built_books):
    """Build each book's PDF once, into the --path-output of its HTML build: the chapters are
    rendered from that build's execution cache, never executed again."""
    built = {}

    def build(name: str) -> tuple[Path, Path]:
        if name not in built:
            html = built_books(name)
            output = html.parent.parent  # the HTML build's --path-output
            jupyter_book = Path(sys.executable).parent / "jupyter-book"
            command = [str(jupyter_book), "build", str(BOOKS[name]), "--path-output", str(output)]
            result = subprocess.run(
                [*command, "--builder", "pdflatex", "-W", "-n", "--keep-going"],
                env={**os.environ, "GROKBOOK_PRESET": "quick"},
                capture_output=True,
                text=True,
            )
            log = result.stdout[-4000:] + result.stderr[-4000:]
            built[name] = (html, html.parent / "latex" / PDF, result.returncode, log)
        html, pdf, code, log = built[name]
        assert code == 0, f"strict PDF build of {name} failed:\n{log}"
        return html, pdf

    return build


def pdf_text(pdf: Path) -> str:
    """The PDF's text in one line: whitespace collapsed, typographic apostrophes made plain."""
    pdftotext = shutil.which("pdftotext") or pytest.fail("pdftotext is missing: run `make test`")
    text = subprocess.run(
        [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    return " ".join(text.replace("\u2019", "'").split())


def chapter_title(notebook: Path) -> str:
    """The notebook's ``# `` heading."""
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise AssertionError(f"{notebook.name} has no title")


@pytest.mark.book
@pytest.mark.parametrize("name", ["book"])  # the fixture book is the HTML pipeline's check
def test_the_book_is_one_pdf_with_every_chapter_its_claims_and_the_scorecard(name, built_pdfs):
    html, pdf = built_pdfs(name)
    assert pdf.stat().st_mtime >= (html / "index.html").stat().st_mtime, "stale PDF"
    log = pdf.with_suffix(".log").read_text(errors="replace")
    missing = sorted(set(re.findall(r"Missing character: There is no (\S+)", log)))
    assert not missing, f"glyphs missing from the PDF's fonts: {missing}"
    text = pdf_text(pdf)
    reports = json.loads((html / "claims.json").read_text())
    chapters = pipeline.toc_chapters(BOOKS[name])
    for notebook in chapters:
        title = " ".join(chapter_title(notebook).split())
        assert title in text, f"{notebook.stem}: chapter title {title!r} not in the PDF"
        # the chapter's claims table, as the report's text (LaTeX cannot show its HTML)
        assert re.search(rf"{notebook.stem} at preset quick, seed \d+: \d+ ", text), (
            f"{notebook.stem}: no claims table in the PDF"
        )
    scorecard = text[text.rindex("Built at preset") :]
    total = sum(len(r["claims"]) for r in reports)
    assert scorecard.startswith(f"Built at preset quick: {total} claims in {len(chapters)} ")
    for report in reports:
        # one per claim in the claims table (the narrow summary and scope tables may break it)
        rows = scorecard.count(report["chapter"])
        assert rows >= len(report["claims"]), f"{report['chapter']}: {rows} scorecard rows"
    figures = sum(
        len(
            re.findall(
                r'<img[^>]+src="[^"]*_images/', (html / "chapters" / f"{nb.stem}.html").read_text()
            )
        )
        for nb in chapters
    )
    images = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert figures and sum(line.split()[2] == "image" for line in images) >= figures
