"""The papers' headline claims: every id they list is a claim of the paper in its chapter."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from grokutils.build.headlines import HEADLINES, headline_verdict, split_by_source

ROOT = Path(__file__).parents[2]
CHAPTERS = ROOT / "grokutils" / "chapters"
R, N, U, X = "reproduced", "not reproduced", "inconclusive", "not checked at this preset"


def claim_sources(path: Path) -> dict[str, set[str]]:
    """``{claim id: the sources it is declared with}`` in a chapter's claims.py: every call
    whose first argument is a string and which passes ``source=`` (itself, or in ``**kwargs``
    built by ``dict(source=...)`` in the same function), the source a string, a name assigned
    in the same function, or either plus a string."""
    found: dict[str, set[str]] = {}
    for function in ast.walk(ast.parse(path.read_text())):
        if not isinstance(function, ast.FunctionDef):
            continue
        names = assignments(function)
        for call in ast.walk(function):
            if not isinstance(call, ast.Call) or not call.args:
                continue
            first = call.args[0]
            source = keyword(call, "source", names)
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and source:
                found.setdefault(first.value, set()).add(resolve(source, names))
    return found


def keyword(call: ast.Call, name: str, names: dict[str, ast.expr]) -> ast.expr | None:
    """The value ``call`` passes as ``name=``, directly or through ``**d`` where the function
    assigned ``d = dict(name=...)``."""
    for k in call.keywords:
        if k.arg == name:
            return k.value
        spread = names.get(k.value.id) if k.arg is None and isinstance(k.value, ast.Name) else None
        if isinstance(spread, ast.Call) and getattr(spread.func, "id", "") == "dict":
            found = next((d.value for d in spread.keywords if d.arg == name), None)
            if found is not None:
                return found
    return None


def assignments(function: ast.FunctionDef) -> dict[str, ast.expr]:
    """The names a function assigns, with their values (tuple unpacking included)."""
    names = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if isinstance(target, ast.Name):
                names[target.id] = value
            elif isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
                for t, v in zip(target.elts, value.elts, strict=True):
                    if isinstance(t, ast.Name):
                        names[t.id] = v
    return names


def resolve(node: ast.expr, names: dict[str, ast.expr]) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.BinOp):
        return resolve(node.left, names)
    if isinstance(node, ast.Name) and node.id in names:
        return resolve(names[node.id], names)
    return "?"


@pytest.mark.parametrize("chapter", sorted(HEADLINES))
def test_every_headline_is_decided_by_existing_claims_of_the_paper(chapter):
    sources = claim_sources(CHAPTERS / chapter.split("_", 1)[1] / "claims.py")
    assert (ROOT / "chapters" / f"{chapter}.ipynb").is_file()
    assert 2 <= len(HEADLINES[chapter]) <= 5
    for headline in HEADLINES[chapter]:
        assert headline.claims and headline.text and headline.where and headline.short
        for claim in headline.claims:
            assert claim in sources, f"{chapter}: no claim {claim!r} in claims.py"
            assert all(s.startswith("paper") for s in sources[claim]), (chapter, claim, sources)


def test_the_source_reader_finds_a_source_by_name_or_sum():
    sources = claim_sources(CHAPTERS / "glass_relaxation" / "claims.py")
    assert sources["C3"] == {
        "paper, Fig. 1a and §4.1"
    }  # source = "..."; Claim.check(source=source)
    assert sources["C11"] == {"paper, Fig. 3 and §5"}  # tuple assignment, source + "..."
    assert sources["V1"] == {"theory, exact DOS by enumeration of the 2¹⁶ states"}
    lazy = claim_sources(CHAPTERS / "lazy_to_rich" / "claims.py")
    assert lazy["0"] == {"theory, the (w̄, M) recursion (spec §2.5; not in the paper)"}
    assert lazy["10c"] == {"paper, Fig. 9"}  # declared twice: not checked at quick, and checked


def test_a_headline_verdict_combines_its_claims():
    assert headline_verdict([R, R]) == R
    assert headline_verdict([R, N, U]) == N
    assert headline_verdict([R, U]) == U
    assert headline_verdict([R, X]) == U  # a claim not checked leaves the headline undecided
    assert headline_verdict([R, None]) == U
    assert headline_verdict([X, None]) == X


def test_claims_split_into_the_papers_and_our_own_machinery():
    claims = [
        {"id": "a", "source": "paper, Fig. 1"},
        {"id": "b", "source": "theory, eq. 3"},
        {"id": "c", "source": "prototype"},
        {"id": "d", "source": "paper, abstract"},
    ]
    paper, own = split_by_source(claims)
    assert [c["id"] for c in paper] == ["a", "d"] and [c["id"] for c in own] == ["b", "c"]


@pytest.mark.parametrize("chapter", sorted(HEADLINES))
def test_every_claim_of_the_paper_decides_some_headline(chapter):
    sources = claim_sources(CHAPTERS / chapter.split("_", 1)[1] / "claims.py")
    of_paper = {c for c, s in sources.items() if all(x.startswith("paper") for x in s)}
    listed = {c for headline in HEADLINES[chapter] for c in headline.claims}
    assert not of_paper - listed, f"{chapter}: claims of the paper in no headline"
