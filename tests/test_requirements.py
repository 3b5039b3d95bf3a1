"""The lock (requirements.txt) pins every package with its hashes and matches requirements.in."""

from __future__ import annotations

import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def requirements(path: Path) -> list[str]:
    """The requirement entries of a pip requirements file, continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text())
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def pins(entries: list[str]) -> dict[str, str]:
    out = {}
    for entry in entries:
        requirement = Requirement(entry.split(" --hash", 1)[0])
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{entry}: not an exact pin"
        out[canonicalize_name(requirement.name)] = specifier.version
    return out


def test_every_locked_package_is_pinned_with_a_hash():
    entries = requirements(ROOT / "requirements.txt")
    assert len(entries) > 50, "the lock should list the transitive dependencies too"
    for entry in entries:
        assert not entry.startswith("-e"), "an editable requirement cannot be hash-checked"
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), f"no hash: {entry}"
    pins(entries)


def test_the_lock_keeps_every_direct_pin():
    direct = pins(requirements(ROOT / "requirements.in"))
    locked = pins(requirements(ROOT / "requirements.txt"))
    for name, version in direct.items():
        assert name in locked, f"{name} is in requirements.in but not in the lock"
        # a local version label (torch's "+cpu") is the wheel's build, not another release
        assert locked[name].split("+")[0] == version, f"{name}: {version} vs {locked[name]}"
