"""Bar charts as inline SVG, drawn on the server: no JavaScript, no chart library, no third-party asset.

A chart is a pure function of its bars, so a test reads what a browser would draw. It is made to
be read by everyone: the SVG is an image (``role="img"``) named by its ``<title>`` and described by
its ``<desc>``, which lists every value in words, so a screen reader gets the figures, not the
shapes; every value is also written as text beside its bar; the bars are the stylesheet's dark
blue on white (about 8:1, well above the 3:1 that non-text contrast asks) and the text is the
page's ink. Horizontal bars with their label above them fit a 360 px phone with long Chinese
labels. A hidden or empty figure draws no bar, only its words ("fewer than 5 cases").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 320  # the viewBox's width; the page scales it to the column
BAR_SPACE = 236  # the longest bar; the value's text follows it
ROW = 42
TOP = 4
INK, MUTED, BAR, TRACK = "#1b1b1b", "#4a4a4a", "#0b5394", "#e4e8ef"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (``None``: no bar) and the words that say the value."""

    label: str
    value: float | None
    says: str


def bar_chart(
    chart_id: str, title: str, description: str, bars: Sequence[Bar], scale: float = 100.0
) -> Markup:
    """An SVG bar chart of ``bars`` against ``scale`` (100 for percentages); ``chart_id`` must be
    unique on the page (it names the title and the description)."""
    if scale <= 0:
        raise ValueError("the scale must be positive")
    height = TOP + ROW * max(len(bars), 1)
    said = "; ".join(f"{bar.label}: {bar.says}" for bar in bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)} {escape(said)}</desc>',
    ]
    for index, bar in enumerate(bars):
        top = TOP + index * ROW
        parts.append(f'<text x="0" y="{top + 13}" font-size="13" fill="{INK}">{escape(bar.label)}</text>')
        parts.append(f'<rect x="0" y="{top + 19}" width="{BAR_SPACE}" height="14" fill="{TRACK}"/>')
        if bar.value is None:
            parts.append(_text(6, top + 31, bar.says, MUTED))
            continue
        length = round(BAR_SPACE * min(max(bar.value, 0.0), scale) / scale, 1)
        parts.append(f'<rect class="bar" x="0" y="{top + 19}" width="{length}" height="14" fill="{BAR}"/>')
        parts.append(_text(BAR_SPACE + 6, top + 31, bar.says, INK))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every word and id above went through escape()


def _text(x: float, y: float, words: str, colour: str) -> str:
    return f'<text x="{x}" y="{y}" font-size="12" fill="{colour}">{escape(words)}</text>'
