"""The licence and citation files: a valid CITATION.cff that agrees with the package and the
licences it names.

The Citation File Format 1.2.0 schema in ``tests/data/`` is the one shipped with cffconvert 2.0.0
(``cffconvert/schemas/1.2.0/schema.json``, from citation-file-format/citation-file-format,
CC-BY-4.0); cffconvert itself pins ``jsonschema<4``, which the Jupyter stack cannot share.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = Path(__file__).parent / "data" / "citation-file-format-1.2.0.schema.json"


def citation() -> dict:
    # CFF is YAML; dates stay text so that the JSON schema sees what a CFF parser sees
    text = (ROOT / "CITATION.cff").read_text()
    return yaml.load(text, Loader=yaml.BaseLoader)


def test_citation_file_is_valid_cff_1_2_0():
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        citation()
    )


def test_citation_matches_the_package_and_the_licences():
    cff = citation()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert cff["version"] == project["version"]
    assert cff["license"] == ["MIT", "CC-BY-4.0"]
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert "Attribution 4.0 International" in (ROOT / "LICENSE-TEXT").read_text()


def test_an_invalid_citation_is_caught():
    schema = json.loads(SCHEMA.read_text())
    broken = {**citation(), "license": "not-a-licence"}
    validator = jsonschema.Draft7Validator(schema)
    assert list(validator.iter_errors(broken)), "the schema check must be able to fail"
