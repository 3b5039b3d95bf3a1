"""The provenance stamp names the code, and the seed runner archives runs with it."""

from __future__ import annotations

import shutil

import nbformat
import pytest
import torch
from pipeline import FIXTURE_BOOK

from grokutils.book import archive, params, provenance, seed_runner
from grokutils.book.sweep import source_fingerprint


def fixture_copy(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(FIXTURE_BOOK / "chapters", book / "chapters")
    return book


def test_stamp_names_the_code_the_preset_and_the_machine(tmp_path):
    book = fixture_copy(tmp_path)
    p = params.load("fixture", "quick", 3, {"scale": 2.0}, presets_dir=book / "chapters/presets")
    stamp = provenance.stamp(p, wall_time_s=1.25)
    assert stamp["package"] == provenance.package_fingerprint()
    assert stamp["chapter"] == provenance.chapter_fingerprint("fixture", p.presets_file)
    assert (stamp["preset"], stamp["seed"], stamp["wall_time_s"]) == ("quick", 3, 1.2)
    assert stamp["overrides"] == "scale=2.0"
    assert stamp["device"] == "cpu" and stamp["threads"] >= 1 and stamp["cpu"]
    aten = torch.backends.cpu.get_cpu_capability()
    assert (
        stamp["kernels"].startswith(f"ATen {aten}, MKL_CBWR ") and "OpenBLAS " in stamp["kernels"]
    )


def test_the_stamp_records_a_forced_kernel_dispatch(monkeypatch):
    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")
    assert "MKL_CBWR COMPATIBLE" in provenance.kernel_dispatch()


def test_chapter_fingerprint_changes_with_a_code_cell_or_the_presets(tmp_path):
    book = fixture_copy(tmp_path)
    presets = book / "chapters/presets/fixture.yaml"
    before = provenance.chapter_fingerprint("fixture", presets)
    notebook = book / "chapters/fixture.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[0].source += "\n\nMore prose."  # markdown: same code, same fingerprint
    nbformat.write(nb, notebook)
    assert provenance.chapter_fingerprint("fixture", presets) == before
    nb.cells[-1].source += "\n"
    nbformat.write(nb, notebook)
    after_code = provenance.chapter_fingerprint("fixture", presets)
    assert after_code != before
    presets.write_text(presets.read_text().replace("2000", "2001"))
    assert provenance.chapter_fingerprint("fixture", presets) != after_code


@pytest.mark.notebook
def test_the_seed_runner_archives_every_run_with_its_stamp(tmp_path):
    book = fixture_copy(tmp_path)
    runs = seed_runner.run_all(["fixture"], "quick", [5, 6], jobs=2, root=book)
    assert [r.seed for r in runs] == [5, 6] and all(r.report for r in runs)
    archived = archive.load_archived(book, "quick")["fixture"]
    assert [r["seed"] for r in archived] == [5, 6]
    assert all(r["provenance"]["seed"] == r["seed"] for r in archived)
    assert (book / "_build/seeds/quick/fixture/seed-5.ipynb").is_file()
    table = seed_runner.agreement_markdown("quick", root=book)
    assert "2 runs at seeds 5, 6." in table and "| mean (q) | R | R | 2/2 reproduced" in table


def test_package_fingerprint_leaves_out_the_build_tooling_only(tmp_path, monkeypatch):
    package = tmp_path / "toypkg"
    (package / "book").mkdir(parents=True)
    for name in ("__init__.py", "book/__init__.py", "book/claims.py", "book/scorecard.py"):
        (package / name).write_text("x = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    def fingerprint():
        source_fingerprint.cache_clear()  # cached per process: the code does not change in a run
        return source_fingerprint("toypkg", exclude=provenance.BUILD_TOOLING)

    before = fingerprint()
    (package / "book/scorecard.py").write_text("x = 2\n")  # tooling: no kernel runs it
    assert fingerprint() == before
    (package / "book/claims.py").write_text("x = 2\n")
    assert fingerprint() != before


def test_no_chapter_or_kernel_module_imports_the_build_tooling():
    tooling = {f"grokutils.{path[:-3].replace('/', '.')}" for path in provenance.BUILD_TOOLING}
    names = {name.rsplit(".", 1)[-1] for name in tooling}
    root = provenance.REPO_ROOT
    kernel_code = [
        path
        for path in (root / "grokutils").rglob("*.py")
        if path.relative_to(root / "grokutils").as_posix() not in provenance.BUILD_TOOLING
    ]
    kernel_code += sorted((root / "chapters").glob("*.ipynb"))
    for path in kernel_code:
        text = path.read_text()
        for module, name in zip(sorted(tooling), sorted(names), strict=True):
            assert module not in text and f"import {name}" not in text, f"{path} imports {module}"
