"""The package's layout holds: dependencies point down (chapters → methods → core), no chapter
imports another, no code a kernel runs imports the build tooling, each chapter's code other
than core and methods lives in its own package, a notebook imports from at most three modules,
and a chapter's claims are declared in functions that fit on a screen."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from grokutils.core.fingerprint import PACKAGE_DIR, chapter_package, modules_imported_by

ROOT = PACKAGE_DIR.parent
LAYERS = {"core": {"core"}, "methods": {"core", "methods"}, "build": {"core", "methods", "build"}}


def layer_of(name: str) -> str:
    """``grokutils.chapters.<slug>.x`` → ``chapters.<slug>``; ``grokutils.core.x`` → ``core``."""
    parts = name.split(".")[1:]
    return ".".join(parts[:2]) if parts[0] == "chapters" else parts[0]


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE_DIR.rglob("*.py") if p.parent != PACKAGE_DIR)


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(PACKAGE_DIR).as_posix())
def test_imports_point_down_and_never_into_another_chapter(path):
    own = layer_of("grokutils." + ".".join(path.relative_to(PACKAGE_DIR).with_suffix("").parts))
    allowed = LAYERS.get(own, {"core", "methods", own})
    wrong = {m for m in modules_imported_by(path) if layer_of(m) not in allowed}
    assert not wrong, f"{own} may import from {sorted(allowed)} only: imports {sorted(wrong)}"


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("*.ipynb")), ids=lambda p: p.stem)
def test_a_notebook_imports_core_methods_and_its_own_chapter_package_only(path, tmp_path):
    cells = json.loads(path.read_text())["cells"]
    source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    scratch = tmp_path / f"{path.stem}.py"  # modules_imported_by reads a file
    scratch.write_text(source)
    imported = modules_imported_by(scratch)
    own = layer_of(chapter_package(path.stem) + ".x")
    assert {layer_of(m) for m in imported} <= {"core", "methods", own}, sorted(imported)


def grokutils_modules_imported(path: Path) -> set[str]:
    """The grokutils modules a notebook's code cells import from (``from pkg import mod``
    counts ``pkg.mod`` when it is a module, else ``pkg``)."""
    cells = json.loads(path.read_text())["cells"]
    tree = ast.parse("\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("grokutils")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("grokutils"):
            for alias in node.names:
                sub = ROOT.joinpath(*node.module.split("."), f"{alias.name}.py")
                found.add(f"{node.module}.{alias.name}" if sub.is_file() else node.module)
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("*.ipynb")), ids=lambda p: p.stem)
def test_a_notebook_imports_from_at_most_three_grokutils_modules(path):
    imported = grokutils_modules_imported(path)
    assert 1 <= len(imported) <= 3, sorted(imported)


def test_no_chapter_keeps_a_second_copy_of_its_experiments():
    assert not sorted(PACKAGE_DIR.rglob("plan.py")), "the dry run reads experiments.py's registry"
    assert not (PACKAGE_DIR / "plans").exists()


MAX_CLAIMS_FUNCTION_LINES = 60


@pytest.mark.parametrize(
    "path", sorted(PACKAGE_DIR.glob("chapters/*/claims.py")), ids=lambda p: p.parent.name
)
def test_claims_functions_fit_on_a_screen(path):
    tree = ast.parse(path.read_text())
    long = {
        node.name: node.end_lineno - node.lineno + 1
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_CLAIMS_FUNCTION_LINES
    }
    assert not long, f"functions over {MAX_CLAIMS_FUNCTION_LINES} lines: {long}"


def test_every_chapter_has_one_package_with_its_experiments_claims_and_figures():
    notebooks = sorted((ROOT / "chapters").glob("*.ipynb"))
    packages = {chapter_package(p.stem) for p in notebooks}
    assert packages == {
        f"grokutils.chapters.{d.name}"
        for d in (PACKAGE_DIR / "chapters").iterdir()
        if (d / "__init__.py").is_file()
    }
    for package in packages:
        folder = PACKAGE_DIR.joinpath(*package.split(".")[1:])
        assert {"experiments.py", "claims.py", "figures.py"} <= {p.name for p in folder.iterdir()}
