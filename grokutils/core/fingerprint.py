"""Which code a run depends on, as a fingerprint: core, and every grokutils module the run's
code imports, followed transitively through its ``import`` statements.

A chapter's run depends on core (its kernel imports the start-up, the claims and the
provenance), its own package ``grokutils.chapters.<slug>`` and the methods that package imports;
nothing else. So editing chapter 04 leaves chapter 01's archived runs current, and editing the
build tooling (``grokutils.build``, which no kernel imports) leaves every run current. A sweep's
cache is keyed the same way, by the code its function imports.
"""

from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
"""The folder of the ``grokutils`` package."""
CORE = "grokutils.core"


def chapter_package(chapter: str) -> str:
    """The package of a chapter notebook's own code: ``"01_lazy_to_rich"`` →
    ``"grokutils.chapters.lazy_to_rich"``; a chapter without one (the test book's fixture) runs
    core only."""
    slug = chapter.split("_", 1)[1] if chapter[:2].isdigit() else chapter
    package = f"grokutils.chapters.{slug}"
    return package if _path_of(package) is not None else CORE


@lru_cache
def code_fingerprint(module: str, file: str | None = None) -> str:
    """SHA-256 (16 hex digits) of the :func:`code_files` of ``module`` (and ``file``). Cached
    per process: the code does not change during a run."""
    digest = hashlib.sha256()
    for path in code_files(module, file):
        digest.update(path.relative_to(path.parents[1]).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def code_files(module: str, file: str | None = None) -> list[Path]:
    """Core's files and those of every grokutils module that ``module`` imports, transitively
    (a package stands for all of its modules), sorted. ``file``: the source of a module outside
    grokutils (a test's sweep function), followed the same way."""
    roots = [Path(file)] if file else []
    if module.startswith("grokutils"):
        roots.append(_path_of(module))
    return sorted(_import_closure([*_files_of(_path_of(CORE)), *roots]))


def modules_imported_by(path: Path) -> set[str]:
    """The grokutils modules (dotted names) that the source file ``path`` imports; ``from
    grokutils.a import b`` names ``grokutils.a.b`` when that is a module, else ``grokutils.a``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("grokutils")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("grokutils"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                names.add(submodule if _path_of(submodule) is not None else node.module)
    return names


def _import_closure(roots: list[Path]) -> set[Path]:
    seen: set[Path] = set()
    stack = [f for root in roots for f in _files_of(root)]
    while stack:
        path = stack.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in modules_imported_by(path):
            stack.extend(_files_of(_path_of(name)))
    return seen


def _path_of(module: str) -> Path | None:
    """The file (module) or folder (package) of a dotted grokutils name; None if there is none."""
    base = PACKAGE_DIR.joinpath(*module.split(".")[1:])
    if base.is_dir():
        return base
    return base.with_suffix(".py") if base.with_suffix(".py").is_file() else None


def _files_of(path: Path | None) -> list[Path]:
    if path is None:
        return []
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]
