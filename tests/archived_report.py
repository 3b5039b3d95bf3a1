"""A chapter's claims JSON as the seed runner archives it, for the tests of pooling and power."""

from __future__ import annotations

import json

from grokutils.core import params
from grokutils.core.report import ClaimReport, Scope

SCOPE = Scope("partial", "Fig. 1", "d = 5", "Fig. 2")
STAMP = {"code": "c1", "chapter": "h1"}


def report(seed, claims, *, unit_seeds=None, stamp=STAMP, finished="2026-12-06T10:00"):
    p = params.load("fixture", "quick", presets_dir="tests/fixture_book/chapters/presets")
    r = ClaimReport(p, scope=SCOPE, unit_seeds=unit_seeds or {"runs": [seed * 100, seed * 100 + 1]})
    r.add(*claims)
    data = json.loads(json.dumps(r.to_dict()))
    data["seed"], data["provenance"] = seed, {**stamp, "finished": finished}
    return data
