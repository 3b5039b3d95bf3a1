"""Chapter parameters: three presets per chapter, overrides, and validation before any compute.

Each chapter has ``chapters/presets/<chapter>.yaml`` with two sections::

    parameters:            # the schema: every parameter a chapter accepts
      d_in: {type: int, min: 2, help: input dimension}
      lambdas: {type: "list[float]", gt: 0, contains: [0.9], help: d_in / N_tr values}
      backend: {type: str, choices: [serial, processes, dask], help: sweep backend}
    presets:               # quick (CI), book (the rendered book), paper (paper scale)
      quick: {d_in: 200, lambdas: [0.5, 0.9], backend: serial}
      book: {...}
      paper: {...}

An optional top-level ``seed: "..."`` says what the seed means in the chapter. Every preset
sets every parameter. The run parameters every chapter takes (:data:`RUN_PARAMETERS`: ``device``,
``dry_run``, and with a top-level ``sweeps: true`` the sweep ``backend`` and its ``scheduler``)
are declared here once, with their values per preset (:data:`RUN_PRESETS`); a presets file may
set their value in a preset, never declare them. A notebook's ``parameters`` cell declares
``preset``, ``seed`` and one override per parameter (default ``None`` = the preset's value);
the next cell resolves them with :func:`from_notebook` (through
:func:`grokutils.core.startup.start`), which rejects an unknown preset, an unknown
parameter name (papermill only warns about those), a wrong type or an out-of-range value
with a :class:`ParameterError` naming the parameter and what is allowed. A list parameter
may name values it must ``contain``: the ones a chapter's claims are about. A float is
finite unless its spec says ``allow_inf: true`` (NaN is never allowed); a list whose entries are
independent units says ``unique: true`` and rejects a repeated entry.
"""

from __future__ import annotations

import math
import os
import time
import types
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from grokutils.core.device import resolve as resolve_device
from grokutils.core.seeding import MAX_OFFSET

PRESETS = ("quick", "book", "paper")
PRESET_ENV = "GROKBOOK_PRESET"
"""Environment variable that sets the default preset of a whole build (``make test``: quick)."""
DEFAULT_PRESET = "book"
REPO_ROOT = Path(__file__).resolve().parents[2]
SCALAR_TYPES = {"int": int, "float": float, "bool": bool, "str": str}
LIST_TYPES = {f"list[{name}]": name for name in SCALAR_TYPES}
SPEC_KEYS = {
    *("type", "help", "min", "max", "gt", "lt", "choices", "nullable", "min_len", "contains"),
    *("allow_inf", "unique"),
}
SECTIONS = {"parameters", "presets", "seed", "sweeps"}
"""Sections of a presets file: ``seed`` (optional) is the help text of the ``seed`` parameter;
``sweeps: true`` (optional) says the chapter fans sweeps out and takes the sweep parameters."""
RUN_PARAMETERS = {
    "backend": {
        "type": "str",
        "choices": ["serial", "processes", "dask"],
        "help": "sweep backend: serial, processes (one per core) or dask",
    },
    "scheduler": {
        "type": "str",
        "nullable": True,
        "help": "Dask scheduler address (backend dask; None starts a local cluster)",
    },
    "device": {
        "type": "str",
        "choices": ["auto", "cpu", "cuda"],
        "help": "where tensors live: cpu, cuda, or auto (CUDA when present); quick and book are "
        "the CPU references",
    },
    "dry_run": {
        "type": "bool",
        "help": "time a few steps of every experiment at this preset's sizes, print the "
        "projected wall time and peak memory, and skip the rest",
    },
}
"""The parameters of how a chapter runs rather than what it computes, declared for every chapter
here; ``backend`` and ``scheduler`` (:data:`SWEEP_PARAMETERS`) only for chapters with sweeps."""
SWEEP_PARAMETERS = ("backend", "scheduler")
RUN_PRESETS = {
    "quick": {"backend": "serial", "scheduler": None, "device": "cpu", "dry_run": False},
    "book": {"backend": "serial", "scheduler": None, "device": "cpu", "dry_run": False},
    "paper": {"backend": "serial", "scheduler": None, "device": "auto", "dry_run": False},
}
"""The run parameters' values per preset, unless a chapter's preset sets its own."""
# Names IPython puts in a kernel's namespace before any cell runs.
_KERNEL_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


class ParameterError(ValueError):
    """A parameter (or preset) that is not allowed; the message names it and what is allowed."""


@dataclass(frozen=True)
class Params:
    """Resolved parameters of one chapter run. Attribute access: ``p.d_in``.

    ``overrides`` are the values that differ from the preset's; ``presets_file`` the file they
    came from; ``started`` the wall-clock time (``time.time()``) at which they were resolved,
    the start of the run's provenance stamp.
    """

    chapter: str
    preset: str
    seed: int
    values: Mapping[str, Any] = field(default_factory=dict)
    overrides: Mapping[str, Any] = field(default_factory=dict, compare=False)
    presets_file: Path | None = field(default=None, compare=False)
    started: float = field(default_factory=time.time, compare=False)

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "values")
        if name in values:
            return values[name]
        raise AttributeError(f"{self.chapter} has no parameter {name!r}; it has {sorted(values)}")

    def with_values(self, **changes: Any) -> Params:
        """The same run with some values changed (a dry run's cut to a few steps); each name
        must be a parameter of the chapter."""
        if unknown := sorted(set(changes) - set(self.values)):
            known = sorted(self.values)
            raise AttributeError(f"{self.chapter} has no parameter {unknown}; it has {known}")
        return replace(self, values={**self.values, **changes})

    def as_dict(self) -> dict[str, Any]:
        """Every value, ``preset`` and ``seed`` included (a stable key for caches)."""
        return {"preset": self.preset, "seed": self.seed, **self.values}

    def __repr__(self) -> str:
        lines = [f"{self.chapter} at preset {self.preset!r}, seed {self.seed}"]
        lines += [f"  {name} = {value!r}" for name, value in self.values.items()]
        return "\n".join(lines)


def presets_path(chapter: str, presets_dir: str | Path | None = None) -> Path:
    """The presets file of ``chapter``.

    Looked up in ``presets_dir`` if given, else in ``./presets`` (a chapter's folder, where
    papermill, Jupyter Book and the tests run it), ``../chapters/presets`` (a book's folder
    of reference notebooks) and the repository's ``chapters/presets``.
    """
    name = f"{chapter}.yaml"
    if presets_dir is not None:
        candidates = [Path(presets_dir) / name]
    else:
        cwd = Path.cwd()
        candidates = [
            cwd / "presets" / name,
            cwd.parent / "chapters" / "presets" / name,
            REPO_ROOT / "chapters" / "presets" / name,
        ]
    for path in candidates:
        if path.is_file():
            return path
    tried = ", ".join(str(p) for p in candidates)
    raise FileNotFoundError(f"no presets file for chapter {chapter!r}; looked in {tried}")


def read_presets(chapter: str, presets_dir: str | Path | None = None) -> tuple[dict, dict]:
    """Read and check a presets file; return ``(schema, presets)``, the run parameters the
    chapter takes (:data:`RUN_PARAMETERS`) last."""
    path = presets_path(chapter, presets_dir)
    content = yaml.safe_load(path.read_text())
    if not isinstance(content, dict) or not {"parameters", "presets"} <= set(content) <= SECTIONS:
        raise ParameterError(
            f"{path}: needs the sections 'parameters' and 'presets' (and may have 'seed', 'sweeps')"
        )
    schema, presets = content["parameters"] or {}, content["presets"] or {}
    for name, spec in schema.items():
        _check_spec(path, name, spec)
    if declared := sorted(set(schema) & set(RUN_PARAMETERS)):
        raise ParameterError(
            f"{path}: {declared} are run parameters, declared once for every chapter in "
            "grokutils.core.params.RUN_PARAMETERS; set their values in a preset only"
        )
    run = [n for n in RUN_PARAMETERS if content.get("sweeps") or n not in SWEEP_PARAMETERS]
    schema |= {name: RUN_PARAMETERS[name] for name in run}
    if set(presets) != set(PRESETS):
        raise ParameterError(
            f"{path}: presets must be exactly {list(PRESETS)}, got {list(presets)}"
        )
    for preset, values in presets.items():
        values = {n: RUN_PRESETS[preset][n] for n in run} | (values or {})
        missing, unknown = set(schema) - set(values), set(values) - set(schema)
        if missing or unknown:
            raise ParameterError(
                f"{path}: preset {preset!r} must set every parameter once; "
                f"missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        presets[preset] = {name: _validate(name, values[name], schema[name]) for name in schema}
    return schema, presets


def seed_help(chapter: str, presets_dir: str | Path | None = None) -> str:
    """What ``seed`` means in ``chapter`` (its presets file's ``seed:`` line)."""
    content = yaml.safe_load(presets_path(chapter, presets_dir).read_text())
    return content.get("seed") or "seeds every random draw"


def load(
    chapter: str,
    preset: str | None = None,
    seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    *,
    presets_dir: str | Path | None = None,
) -> Params:
    """Resolve a chapter's parameters: the preset's values, then the non-``None`` overrides.

    ``preset=None`` takes ``$GROKBOOK_PRESET``, else ``"book"``. ``device`` is resolved here,
    once: ``auto`` becomes ``cuda`` or ``cpu``. Raises :class:`ParameterError` for an unknown
    preset, an unknown parameter name, a wrong type, an out-of-range value or a device this
    machine lacks, before anything is computed.
    """
    preset = resolve_preset(preset)
    seed = _validate("seed", seed, {"type": "int", "min": 0, "max": MAX_OFFSET})
    schema, presets = read_presets(chapter, presets_dir)
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = sorted(set(overrides) - set(schema))
    if unknown:
        allowed = ", ".join(["preset", "seed", *schema])
        raise ParameterError(
            f"unknown parameter {', '.join(map(repr, unknown))} for chapter {chapter!r}; "
            f"allowed: {allowed}"
        )
    values = dict(presets[preset])
    values.update({k: _validate(k, v, schema[k]) for k, v in overrides.items()})
    changed = {k: values[k] for k in overrides if values[k] != presets[preset][k]}
    if "device" in values:
        values["device"] = _resolved_device(values["device"])
    return Params(
        chapter=chapter,
        preset=preset,
        seed=seed,
        values=values,
        overrides=changed,
        presets_file=presets_path(chapter, presets_dir),
    )


def from_notebook(
    chapter: str, namespace: Mapping[str, Any], *, presets_dir: str | Path | None = None
) -> Params:
    """Resolve parameters from a notebook's globals, right after its ``parameters`` cell.

    Every user-defined variable in ``namespace`` (the parameters cell's and those papermill
    injected) must be ``preset``, ``seed`` or a parameter of the chapter, so that a typo such
    as ``-p d_inn 500`` fails instead of being ignored.
    """
    names = {
        k: v
        for k, v in namespace.items()
        if not k.startswith("_")
        and k not in _KERNEL_NAMES
        and not isinstance(v, types.ModuleType | types.FunctionType | type)
    }
    preset = names.pop("preset", None)
    seed = names.pop("seed", 0)
    return load(chapter, preset, seed, names, presets_dir=presets_dir)


def resolve_preset(preset: str | None) -> str:
    """The preset to run: ``preset`` if given, else ``$GROKBOOK_PRESET``, else ``"book"``."""
    source = "preset"
    if preset is None:
        preset = os.environ.get(PRESET_ENV) or DEFAULT_PRESET
        source = f"preset (from ${PRESET_ENV})"
    if preset not in PRESETS:
        raise ParameterError(f"{source} must be one of {', '.join(PRESETS)}; got {preset!r}")
    return preset


def _resolved_device(device: str) -> str:
    try:
        return resolve_device(device)
    except ValueError as error:
        raise ParameterError(str(error)) from None


def _check_spec(path: Path, name: str, spec: Any) -> None:
    if not isinstance(spec, dict) or "type" not in spec or "help" not in spec:
        raise ParameterError(f"{path}: parameter {name!r} needs a 'type' and a 'help'")
    if spec["type"] not in SCALAR_TYPES and spec["type"] not in LIST_TYPES:
        allowed = ", ".join([*SCALAR_TYPES, *LIST_TYPES])
        raise ParameterError(f"{path}: parameter {name!r} has type {spec['type']!r}; use {allowed}")
    if "=" in str(spec["help"]):
        raise ParameterError(
            f"{path}: the help of {name!r} must not contain '=' (papermill skips a parameters-cell "
            f"line with two '='); write 'is' or '≥'. Got {spec['help']!r}"
        )
    if extra := set(spec) - SPEC_KEYS:
        raise ParameterError(f"{path}: parameter {name!r} has unknown keys {sorted(extra)}")
    if "contains" in spec and spec["type"] not in LIST_TYPES:
        raise ParameterError(f"{path}: parameter {name!r}: 'contains' needs a list type")


def _validate(name: str, value: Any, spec: Mapping[str, Any]) -> Any:
    """Check ``value`` against ``spec``; return it normalised (ints to floats, tuples to lists)."""
    if value is None:
        if spec.get("nullable"):
            return None
        raise ParameterError(f"{name} must not be None ({_describe(spec)})")
    kind = spec["type"]
    if kind in LIST_TYPES:
        if not isinstance(value, list | tuple):
            raise ParameterError(
                f"{name} must be a list ({_describe(spec)}); got {value!r}. "
                "papermill passes lists with -y, e.g. -y '{" + name + ": [1, 2]}'"
            )
        if len(value) < spec.get("min_len", 1):
            raise ParameterError(f"{name} needs at least {spec.get('min_len', 1)} item(s)")
        item_spec = {**spec, "type": LIST_TYPES[kind]}
        items = [_validate(f"{name}[{i}]", item, item_spec) for i, item in enumerate(value)]
        if spec.get("unique") and (repeated := sorted({x for x in items if items.count(x) > 1})):
            raise ParameterError(
                f"{name} must not repeat an entry (each is an independent unit); {value!r} "
                f"repeats {repeated}"
            )
        if missing := [x for x in spec.get("contains", []) if x not in items]:
            raise ParameterError(
                f"{name} must contain {spec['contains']} (the chapter's claims are about these "
                f"values); {missing} missing from {value!r}"
            )
        return items
    value = _check_type(name, value, kind, spec)
    if kind == "float" and math.isnan(value):
        raise ParameterError(f"{name} must be a number ({_describe(spec)}); got {value!r}")
    if kind == "float" and math.isinf(value) and not spec.get("allow_inf"):
        raise ParameterError(f"{name} must be finite ({_describe(spec)}); got {value!r}")
    if "choices" in spec and value not in spec["choices"]:
        raise ParameterError(
            f"{name} must be one of {', '.join(map(str, spec['choices']))}; got {value!r}"
        )
    bounds = [("min", ">=", float.__ge__), ("max", "<=", float.__le__)]
    bounds += [("gt", ">", float.__gt__), ("lt", "<", float.__lt__)]
    for key, symbol, holds in bounds:
        if key in spec and not holds(float(value), float(spec[key])):
            raise ParameterError(
                f"{name} must be {symbol} {spec[key]} ({_describe(spec)}); got {value!r}"
            )
    return value


def _check_type(name: str, value: Any, kind: str, spec: Mapping[str, Any]) -> Any:
    expected = SCALAR_TYPES[kind]
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind == "bool" and isinstance(value, str):
        # papermill's -p passes `true` and `false` as text
        if value.lower() not in ("true", "false"):
            raise ParameterError(f"{name} must be True or False; got the string {value!r}")
        return value.lower() == "true"
    if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
        raise ParameterError(
            f"{name} must be {kind} ({_describe(spec)}); got {type(value).__name__} {value!r}"
        )
    return value


def _describe(spec: Mapping[str, Any]) -> str:
    parts = [spec["type"]]
    for key, symbol in (("min", ">="), ("max", "<="), ("gt", ">"), ("lt", "<")):
        if key in spec:
            parts.append(f"{symbol} {spec[key]}")
    if "choices" in spec:
        parts.append("one of " + ", ".join(map(str, spec["choices"])))
    if "contains" in spec:
        parts.append(f"containing {spec['contains']}")
    if spec.get("nullable"):
        parts.append("or None")
    return " ".join(parts) + (f": {spec['help']}" if spec.get("help") else "")
