"""The provenance stamp names the code, and the seed runner archives runs with it."""

from __future__ import annotations

import shutil

import nbformat
import pytest
import torch
from pipeline import FIXTURE_BOOK

from grokutils.build import archive, seed_runner
from grokutils.core import params, provenance
from grokutils.core.fingerprint import chapter_package, code_files, code_fingerprint


def fixture_copy(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(FIXTURE_BOOK / "chapters", book / "chapters")
    return book


def test_stamp_names_the_code_the_preset_and_the_machine(tmp_path):
    book = fixture_copy(tmp_path)
    p = params.load("fixture", "quick", 3, {"scale": 2.0}, presets_dir=book / "chapters/presets")
    stamp = provenance.stamp(p, wall_time_s=1.25)
    assert stamp["code"] == code_fingerprint("grokutils.core")
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


def test_a_chapter_runs_core_its_package_and_the_methods_it_imports_only():
    assert chapter_package("04_glass_relaxation") == "grokutils.chapters.glass_relaxation"
    assert chapter_package("fixture") == "grokutils.core"
    files = {
        p.relative_to(provenance.REPO_ROOT / "grokutils").as_posix()
        for p in code_files(chapter_package("04_glass_relaxation"))
    }
    assert {"core/claims.py", "chapters/glass_relaxation/wand.py"} <= files
    assert {"methods/wang_landau.py", "methods/modular_data.py"} <= files
    assert "methods/stability.py" not in files  # chapters 05 and 06 use it, 04 does not
    assert not {f for f in files if f.startswith(("build/", "chapters/lazy_to_rich/"))}


def test_the_code_fingerprint_follows_a_file_outside_grokutils(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("from grokutils.methods import hessian\n")
    b.write_text("from grokutils.methods import langevin\n")
    assert code_fingerprint("a", str(a)) != code_fingerprint("b", str(b))
    assert any(p.name == "hessian.py" for p in code_files("a", str(a)))
