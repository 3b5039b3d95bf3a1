"""Presets and parameter validation: every bad input fails before compute, naming the parameter."""

from __future__ import annotations

import pytest
import torch
import yaml

from grokutils.core import params
from grokutils.core.params import ParameterError

SCHEMA = {
    "d_in": {"type": "int", "min": 2, "help": "input dimension"},
    "eta": {"type": "float", "gt": 0, "lt": 1, "help": "learning rate"},
    "lambdas": {"type": "list[float]", "gt": 0, "help": "ratios"},
    "plot": {"type": "bool", "help": "draw figures"},
    "widths": {"type": "list[int]", "min": 1, "contains": [8], "help": "the claims need 8"},
}
QUICK = {
    "d_in": 20,
    "eta": 0.1,
    "lambdas": [0.5],
    "backend": "serial",
    "scheduler": None,
    "plot": True,
    "widths": [8, 16],
}


def write_presets(folder, schema=SCHEMA, **presets):
    presets = {name: dict(QUICK) for name in params.PRESETS} | presets
    content = {"parameters": schema, "presets": presets, "sweeps": True}
    (folder / "demo.yaml").write_text(yaml.safe_dump(content))
    return folder


@pytest.fixture
def folder(tmp_path):
    return write_presets(tmp_path, book={**QUICK, "d_in": 200})


def test_preset_values_then_overrides(folder):
    p = params.load(
        "demo", "quick", seed=3, overrides={"d_in": 50, "eta": None}, presets_dir=folder
    )
    assert (p.preset, p.seed, p.d_in, p.eta, p.lambdas) == ("quick", 3, 50, 0.1, [0.5])
    assert p.as_dict()["d_in"] == 50


def test_int_is_accepted_for_float_and_tuple_for_list(folder):
    p = params.load("demo", "quick", overrides={"lambdas": (1, 2)}, presets_dir=folder)
    assert p.lambdas == [1.0, 2.0] and all(isinstance(x, float) for x in p.lambdas)


def test_default_preset_comes_from_the_environment(folder, monkeypatch):
    monkeypatch.setenv(params.PRESET_ENV, "book")
    assert params.load("demo", presets_dir=folder).d_in == 200
    monkeypatch.delenv(params.PRESET_ENV)
    assert params.load("demo", presets_dir=folder).preset == "book"


@pytest.mark.parametrize(
    ("preset", "overrides", "message"),
    [
        ("papr", {}, "preset must be one of quick, book, paper; got 'papr'"),
        ("quick", {"d_inn": 3}, "unknown parameter 'd_inn'"),
        ("quick", {"d_in": 1}, "d_in must be >= 2"),
        ("quick", {"d_in": 2.5}, "d_in must be int"),
        ("quick", {"d_in": True}, "d_in must be int"),
        ("quick", {"eta": 0.0}, "eta must be > 0"),
        ("quick", {"eta": 1.0}, "eta must be < 1"),
        ("quick", {"eta": "fast"}, "eta must be float"),
        ("quick", {"lambdas": 0.5}, "lambdas must be a list"),
        ("quick", {"lambdas": []}, "lambdas needs at least 1 item"),
        ("quick", {"lambdas": [0.5, -1.0]}, "lambdas[1] must be > 0"),
        (
            "quick",
            {"backend": "spark"},
            "backend must be one of serial, processes, dask; got 'spark'",
        ),
        ("quick", {"plot": "no"}, "plot must be True or False; got the string 'no'"),
        ("quick", {"widths": [4, 16]}, "widths must contain [8]"),
    ],
)
def test_bad_input_names_the_parameter(folder, preset, overrides, message):
    with pytest.raises(ParameterError, match=message.replace("[", r"\[").replace("]", r"\]")):
        params.load("demo", preset, overrides=overrides, presets_dir=folder)


def test_bad_preset_in_environment_names_the_variable(folder, monkeypatch):
    monkeypatch.setenv(params.PRESET_ENV, "fast")
    with pytest.raises(ParameterError, match=r"\$GROKBOOK_PRESET.*got 'fast'"):
        params.load("demo", presets_dir=folder)


def test_negative_seed_is_rejected(folder):
    with pytest.raises(ParameterError, match="seed must be >= 0"):
        params.load("demo", "quick", seed=-1, presets_dir=folder)


def test_nullable_only_where_declared(tmp_path):
    write_presets(tmp_path, quick={**QUICK, "d_in": None})
    with pytest.raises(ParameterError, match="d_in must not be None"):
        params.read_presets("demo", tmp_path)


@pytest.mark.parametrize(
    ("schema", "presets", "message"),
    [
        (SCHEMA, {"quick": {**QUICK, "extra": 1}}, r"unknown \['extra'\]"),
        (SCHEMA, {"quick": {k: v for k, v in QUICK.items() if k != "eta"}}, r"missing \['eta'\]"),
        ({**SCHEMA, "x": {"type": "complex", "help": "?"}}, {}, "has type 'complex'"),
        ({**SCHEMA, "x": {"type": "int"}}, {}, "needs a 'type' and a 'help'"),
        ({**SCHEMA, "x": {"type": "int", "help": "?", "maximum": 3}}, {}, "unknown keys"),
        ({**SCHEMA, "x": {"type": "int", "help": "?", "contains": [1]}}, {}, "needs a list type"),
    ],
)
def test_malformed_presets_file_is_rejected(tmp_path, schema, presets, message):
    write_presets(tmp_path, schema=schema, **presets)
    with pytest.raises(ParameterError, match=message):
        params.read_presets("demo", tmp_path)


def test_presets_file_must_have_all_three_presets(tmp_path):
    (tmp_path / "demo.yaml").write_text(
        yaml.safe_dump({"parameters": SCHEMA, "presets": {"quick": QUICK, "book": QUICK}})
    )
    with pytest.raises(ParameterError, match="presets must be exactly"):
        params.read_presets("demo", tmp_path)


def test_missing_presets_file_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match="no presets file for chapter 'nope'"):
        params.load("nope", "quick", presets_dir=tmp_path)


def test_from_notebook_rejects_a_typo_among_globals(folder):
    import math

    namespace = {"preset": "quick", "seed": 1, "d_in": None, "math": math, "In": [], "_": None}
    assert params.from_notebook("demo", namespace, presets_dir=folder).seed == 1
    with pytest.raises(
        ParameterError,
        match=r"unknown parameter 'etaa'.*allowed: preset, seed, d_in, eta.*, backend",
    ):
        params.from_notebook("demo", {**namespace, "etaa": 0.5}, presets_dir=folder)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_floats_are_rejected_before_compute(tmp_path, value):
    schema = {**SCHEMA, "scale": {"type": "float", "help": "no bounds at all"}}
    write_presets(tmp_path, schema, **{n: {**QUICK, "scale": 1.0} for n in params.PRESETS})
    with pytest.raises(ParameterError, match="scale must be"):
        params.load("demo", "quick", overrides={"scale": value}, presets_dir=tmp_path)
    with pytest.raises(ParameterError, match=r"lambdas\[1\] must be"):
        params.load("demo", "quick", overrides={"lambdas": [0.5, value]}, presets_dir=tmp_path)


def test_inf_is_allowed_where_the_presets_file_says_so(tmp_path):
    schema = {**SCHEMA, "budget": {"type": "float", "allow_inf": True, "help": "inf: no limit"}}
    write_presets(tmp_path, schema, **{n: {**QUICK, "budget": 1.0} for n in params.PRESETS})
    p = params.load("demo", "quick", overrides={"budget": float("inf")}, presets_dir=tmp_path)
    assert p.budget == float("inf") and p.overrides == {"budget": float("inf")}
    with pytest.raises(ParameterError, match="budget must be a number"):
        params.load("demo", "quick", overrides={"budget": float("nan")}, presets_dir=tmp_path)


def test_run_parameters_are_declared_once_in_core_not_in_a_presets_file(tmp_path):
    schema = {**SCHEMA, "device": params.RUN_PARAMETERS["device"]}
    with pytest.raises(ParameterError, match=r"\['device'\] are run parameters, declared once"):
        params.read_presets("demo", write_presets(tmp_path, schema=schema))


def test_a_preset_may_set_a_run_parameter_and_the_device_is_resolved_once(folder):
    write_presets(folder, paper={**QUICK, "backend": "processes"})
    paper = params.load("demo", "paper", presets_dir=folder)
    assert (paper.backend, paper.dry_run) == ("processes", False)
    assert paper.device == ("cuda" if torch.cuda.is_available() else "cpu")  # auto, resolved
    assert params.load("demo", "quick", presets_dir=folder).device == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_a_device_the_machine_lacks_is_a_parameter_error(folder):
    with pytest.raises(ParameterError, match="device 'cuda' needs a CUDA GPU"):
        params.load("demo", "quick", overrides={"device": "cuda"}, presets_dir=folder)


def test_a_list_of_independent_units_rejects_a_repeated_entry(tmp_path):
    schema = {**SCHEMA, "seeds": {"type": "list[int]", "unique": True, "help": "unit indices"}}
    write_presets(
        tmp_path, schema=schema, **{k: {**QUICK, "seeds": [0, 1]} for k in params.PRESETS}
    )
    assert params.load("demo", "quick", presets_dir=tmp_path).seeds == [0, 1]
    with pytest.raises(ParameterError, match=r"seeds must not repeat an entry.*repeats \[1\]"):
        params.load("demo", "quick", overrides={"seeds": [1, 1, 2]}, presets_dir=tmp_path)
