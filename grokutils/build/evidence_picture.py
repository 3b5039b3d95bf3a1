"""The scorecard's evidence picture: every headline of every paper (rows) at the quick, book and
paper scales (columns), each cell filled with its verdict's colour and labelled with the verdict.

The colours are the book's verdict colours (``_static/grokbook.css``, light mode); every cell
carries its verdict as text in white (dark on the pale "not run", and on a verdict that rests on
a stale run: other code than the build's, left uncoloured), and the picture has its own
pale neutral background, so it reads the same on the theme's light and dark pages and without
colour. Drawn with matplotlib's SVG backend (no pyplot, no display), text kept as text.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence

from grokutils.build.evidence import NOT_RUN, SCALES, Cell
from grokutils.build.headlines import Headline
from grokutils.core.claims import Verdict

FILL = {
    Verdict.REPRODUCED.value: "#1a7f37",
    Verdict.NOT_REPRODUCED.value: "#cf222e",
    Verdict.INCONCLUSIVE.value: "#7d4e00",
    Verdict.NOT_CHECKED.value: "#57606a",
    NOT_RUN: "#eaeef2",
}
"""Cell colour per verdict: the CSS classes' light-mode colours; "not run" pale grey."""
LABEL = {Verdict.NOT_CHECKED.value: "not checked"}
BACKGROUND, INK = "#f6f8fa", "#24292f"
ROW_IN, LABEL_IN, CELL_IN = 0.34, 3.6, 1.45

Rows = Sequence[tuple[str, Sequence[Headline], Sequence[Mapping[str, Cell]]]]
"""Per chapter: its name, its headlines and their cells (``{scale: cell}``), in order."""


def evidence_svg(rows: Rows) -> str:
    """The picture of ``rows`` as an SVG document (text, starting ``<svg``)."""
    text = _save(rows, "svg").decode()
    return text[text.index("<svg") :]


def evidence_png(rows: Rows) -> bytes:
    """The picture of ``rows`` as PNG bytes (for a builder that cannot show SVG)."""
    return _save(rows, "png")


def _save(rows: Rows, fmt: str) -> bytes:
    import matplotlib

    out = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "grokbook"}):
        fig = _figure(rows)
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(out, format=fmt, facecolor=BACKGROUND, metadata=metadata, dpi=150)
    return out.getvalue()


def _figure(rows: Rows):
    """The matplotlib figure of ``rows`` (no pyplot: nothing global is touched)."""
    from matplotlib.figure import Figure

    labels = [_row_label(chapter, h) for chapter, hs, _ in rows for h in hs]
    cells = [c for _, _, cs in rows for c in cs]
    fig = Figure(figsize=(LABEL_IN + CELL_IN * len(SCALES), ROW_IN * (len(cells) + 1.2)))
    fig.patch.set_facecolor(BACKGROUND)
    ax = fig.add_axes((0, 0, 1, 1), xlim=(-LABEL_IN / CELL_IN, len(SCALES)))
    ax.set_ylim(len(cells) + 1.2, 0)
    ax.set_axis_off()
    _draw_header(ax)
    for i, (label, cell) in enumerate(zip(labels, cells, strict=True)):
        _draw_row(ax, i + 1, label, cell)
    _draw_chapter_rules(ax, [len(hs) for _, hs, _ in rows])
    return fig


def data_uri(svg: str) -> str:
    """The SVG as a ``data:`` URI for an ``<img>``."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def img_tag(svg: str, alt: str) -> str:
    """An ``<img>`` of the SVG, scaled to the column, with its ``alt`` text."""
    return (
        f'<img class="grokbook-evidence" src="{data_uri(svg)}" alt="{html.escape(alt)}" '
        'style="max-width: 100%; height: auto;">'
    )


def _row_label(chapter: str, headline: Headline) -> str:
    return f"{chapter[:2]}  {headline.short}"


def _draw_header(ax) -> None:
    for j, scale in enumerate(SCALES):
        ax.text(j + 0.5, 0.55, scale, ha="center", va="center", color=INK, weight="bold")
    ax.text(-0.1, 0.55, "headline claim of the paper", ha="right", va="center", color=INK)


def _draw_row(ax, y: float, label: str, cells: Mapping[str, Cell]) -> None:
    ax.text(-0.1, y + 0.5, label, ha="right", va="center", color=INK, fontsize=9)
    for j, scale in enumerate(SCALES):
        verdict, stale = cells[scale].verdict, "stale" in cells[scale].detail
        fill = FILL[NOT_RUN] if stale else FILL.get(verdict, FILL[NOT_RUN])
        ax.add_patch(_box(j, y, fill))
        ink = INK if fill == FILL[NOT_RUN] else "white"
        text = LABEL.get(verdict, verdict) + ("\n(stale run)" if stale else "")
        size = 7 if stale else 8.5
        ax.text(j + 0.5, y + 0.5, text, ha="center", va="center", color=ink, fontsize=size)


def _box(x: float, y: float, fill: str):
    from matplotlib.patches import Rectangle

    edge = "#8c959f" if fill == FILL[NOT_RUN] else "none"  # a pale cell keeps its outline
    return Rectangle((x + 0.04, y + 0.08), 0.92, 0.84, facecolor=fill, edgecolor=edge, lw=0.6)


def _draw_chapter_rules(ax, sizes: Sequence[int]) -> None:
    """A thin line between chapters."""
    y = 1.0
    for size in sizes[:-1]:
        y += size
        ax.axhline(y, color="#8c959f", linewidth=0.8)
