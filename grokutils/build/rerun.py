"""The command that reruns a chapter's report, as the README documents it (``cd chapters`` and
papermill at the report's preset, seed and overrides)."""

from __future__ import annotations

import ast
import json
import shlex
from collections.abc import Mapping


def rerun_command(report: Mapping) -> str:
    """The shell command that reruns the run of ``report`` (a claims JSON): its chapter at its
    preset and seed, with the overrides its provenance stamp records (scalars as ``-p``, the
    rest as one ``-y`` of YAML)."""
    stamp = report.get("provenance") or {}
    seed = report.get("seed", stamp.get("seed", 0))
    words = ["papermill", f"{report['chapter']}.ipynb", "out.ipynb"]
    words += ["-p", "preset", str(report["preset"]), "-p", "seed", str(seed)]
    scalars, others = _overrides(stamp.get("overrides") or "")
    for name, value in scalars.items():
        words += ["-p", name, shlex.quote(str(value))]
    if others:
        words += ["-y", shlex.quote(json.dumps(others, ensure_ascii=False))]
    return "cd chapters && " + " ".join(words)


def _overrides(text: str) -> tuple[dict, dict]:
    """The stamp's ``"name=value; ..."`` (values as ``repr``), split into scalars (a string,
    number or bool, for ``-p``) and the rest (for ``-y``)."""
    scalars, others = {}, {}
    for item in filter(None, (part.strip() for part in text.split("; "))):
        name, _, raw = item.partition("=")
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            value = raw
        if isinstance(value, str | int | float | bool):
            scalars[name] = value
        else:
            others[name] = list(value) if isinstance(value, tuple) else value
    return scalars, others
