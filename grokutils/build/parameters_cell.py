"""A chapter's ``parameters`` cell, generated from its presets file (the one source of help).

The cell declares ``preset``, ``seed`` and one override per parameter, each with the help text
of ``chapters/presets/<chapter>.yaml`` (``seed``'s help is the file's ``seed:`` line; a help
longer than the line continues on ``#`` lines)::

    python -m grokutils.build.parameters_cell            # rewrite every chapter's cell
    python -m grokutils.build.parameters_cell --check    # exit 1 if a cell differs (the tests)
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from grokutils.core.params import REPO_ROOT, read_presets, seed_help

LINE_LENGTH = 100
"""Longer help texts go on ``#`` continuation lines: ``ruff format`` would otherwise wrap the
value in parentheses, and papermill would lose the help text."""
PRESET_LINE = "preset: str = None  # quick | book | paper (None: $GROKBOOK_PRESET, else book)"
CHAPTERS_DIR = REPO_ROOT / "chapters"


def cell_source(chapter: str, presets_dir: str | Path | None = None) -> str:
    """The text of ``chapter``'s parameters cell (every override defaults to ``None``)."""
    schema, _ = read_presets(chapter, presets_dir)
    lines = [PRESET_LINE, *_declaration("seed: int = 0", seed_help(chapter, presets_dir))]
    for name, spec in schema.items():
        kind = "list" if spec["type"].startswith("list[") else spec["type"]
        lines += _declaration(f"{name}: {kind} = None", spec["help"])
    return "\n".join(lines)


def _declaration(code: str, help_text: str) -> list[str]:
    """``code  # help``, the help continued on ``#`` lines past :data:`LINE_LENGTH`."""
    return textwrap.wrap(
        help_text,
        LINE_LENGTH,
        initial_indent=f"{code}  # ",
        subsequent_indent="#   ",
        break_on_hyphens=False,
    )


def parameters_cell(notebook: dict) -> dict:
    """The one cell tagged ``parameters`` of a notebook (as read by ``json``)."""
    cells = [c for c in notebook["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"a chapter needs exactly one cell tagged 'parameters'; got {len(cells)}")
    return cells[0]


def sync(path: Path, *, check: bool) -> bool:
    """Make the parameters cell of the notebook at ``path`` match its presets file (or, with
    ``check``, only compare); return whether it already matched."""
    notebook = json.loads(path.read_text())
    cell = parameters_cell(notebook)
    expected = cell_source(path.stem, path.parent / "presets")
    if "".join(cell["source"]) == expected:
        return True
    if not check:
        cell["source"] = expected.splitlines(keepends=True)
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a change")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: chapters/*.ipynb")
    args = parser.parse_args(argv)
    stale = [p for p in args.notebooks or sorted(CHAPTERS_DIR.glob("*.ipynb"))]
    stale = [p for p in stale if not sync(p, check=args.check)]
    for path in stale:
        verb = "differs from" if args.check else "rewritten from"
        print(f"{path}: parameters cell {verb} its presets file", file=sys.stderr)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
