"""Verdict colours are readable in the theme's light and dark modes (WCAG AA contrast)."""

from __future__ import annotations

import re
from pathlib import Path

import pydata_sphinx_theme
import pytest

from grokutils.core.claims import Verdict
from grokutils.core.report import verdict_css

ROOT = Path(__file__).resolve().parents[2]
OURS = (ROOT / "_static" / "grokbook.css").read_text()
THEME = next(Path(pydata_sphinx_theme.__file__).parent.rglob("pydata-sphinx-theme.css")).read_text()
AA = 4.5  # WCAG 2 level AA for normal text
# where a verdict sits: the page, and the claim tables' two zebra rows
BACKGROUNDS = ("background", "surface", "on-background")


def luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb`` (or ``#rgb``)."""
    h = hex_colour.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def theme_colour(mode: str, name: str) -> str:
    block = re.search(rf"html\[data-theme={mode}\]\{{([^}}]*)\}}", THEME).group(1)
    return re.search(rf"--pst-color-{name}:(#[0-9a-fA-F]+)", block).group(1)


def verdict_colour(mode: str, css_class: str) -> str:
    prefix = r'html\[data-theme="dark"\] ' if mode == "dark" else r"(?<!\] )"
    rule = re.search(rf"{prefix}\.{css_class} \{{[^}}]*color: (#[0-9a-fA-F]+)", OURS)
    assert rule, f"no {mode}-mode colour for .{css_class} in _static/grokbook.css"
    return rule.group(1)


def test_contrast_of_known_colours():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("verdict", list(Verdict), ids=lambda v: v.value)
def test_every_verdict_is_readable_on_every_background(mode, verdict):
    colour = verdict_colour(mode, verdict_css(verdict.value))
    for name in BACKGROUNDS:
        background = theme_colour(mode, name)
        ratio = contrast(colour, background)
        assert ratio >= AA, f"{verdict.value} {colour} on {mode} {name} {background}: {ratio:.2f}"
