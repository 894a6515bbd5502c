"""The baton over time, drawn: one row a holder, one bar a hold, month ticks under them.

Two bars overlap during an exchange (the new holder has grabbed, the old has not yet let go);
a temporary holder's bar is hatched. Plain SVG text, every label escaped, so it can be
inlined in HTML (and so in the PDF) without a script or a font of its own.

    >>> from datetime import UTC, datetime
    >>> from stafet.documents.model import HoldView
    >>> hold = HoldView("anne@jobcenter", "1 Mar", "now", False, "", False,
    ...                 datetime(2026, 3, 1, tzinfo=UTC), None)
    >>> svg = draw([hold], datetime(2026, 6, 1, tzinfo=UTC), "en")
    >>> svg.startswith("<svg") and "anne@jobcenter" in svg
    True
"""

from __future__ import annotations

from datetime import datetime, timedelta

from markupsafe import escape

from stafet.documents.model import HoldView
from stafet.domain.calendar import MONTHS, Lang
from stafet.domain.values import COPENHAGEN

WIDTH = 640  # px in the viewBox; the SVG scales to the text width
LABEL = 200  # the holders' names on the left
ROW = 18
TOP = 6
AXIS = 34
PALETTE = ["#1f5f8b", "#c0632b", "#3f7f3f", "#7b4f9d", "#a8343b", "#2f7f7f", "#8a6d1f",
           "#4d5d6d"]


def _months(start: datetime, end: datetime) -> list[datetime]:
    """The first of each month from ``start`` to ``end`` (Copenhagen time)."""
    local = start.astimezone(COPENHAGEN)
    month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    out = []
    while month <= end:
        if month >= start:
            out.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return out


def draw(holds: list[HoldView], now: datetime, lang: Lang, width: int = WIDTH,
         label: str | None = None) -> str:
    """An SVG of the holds from the first to ``now`` (or the last hold's end); ``label``:
    its text for screen readers (``aria-label``). Each holder's row is one
    ``<g class="band">``."""
    if not holds:
        return ""
    start = min(h.start for h in holds)
    end = max([now, *[h.end for h in holds if h.end is not None]])
    if end <= start:
        end = start + timedelta(days=1)
    span = (end - start).total_seconds()
    plot = width - LABEL - 8

    def x(moment: datetime) -> float:
        return LABEL + plot * (moment - start).total_seconds() / span

    rows = list(dict.fromkeys(h.holder for h in holds))
    orgs = list(dict.fromkeys(r.rsplit("@", 1)[-1].rstrip(")") for r in rows))
    height = TOP + ROW * len(rows) + AXIS
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'class="timeline" role="img" font-family="DejaVu Sans, sans-serif" '
             f'font-size="9"' + (f' aria-label="{escape(label)}"' if label else "") + '>',
             '<defs><pattern id="hatch" width="5" height="5" patternUnits="userSpaceOnUse" '
             'patternTransform="rotate(45)"><rect width="5" height="5" fill="#ffffff"/>'
             '<line x1="0" y1="0" x2="0" y2="5" stroke="#888" stroke-width="3"/></pattern></defs>']
    months = _months(start, end)
    step = max(1, len(months) // 12)  # at most about a dozen labels
    bottom = TOP + ROW * len(rows)
    for n, month in enumerate(months):
        mx = x(month)
        parts.append(f'<line x1="{mx:.1f}" y1="{TOP}" x2="{mx:.1f}" y2="{bottom + 3}" '
                     f'stroke="#d0d0d0" stroke-width="0.6"/>')
        if n % step == 0 and mx < width - 36:
            label = MONTHS[lang][month.month - 1].rstrip(".")
            parts.append(f'<text x="{mx + 2:.1f}" y="{bottom + 12}" fill="#444">'
                         f'{escape(label)}</text>')
            if month.month == 1 or n == 0:
                parts.append(f'<text x="{mx + 2:.1f}" y="{bottom + 23}" fill="#222" '
                             f'font-weight="bold">{month.year}</text>')
    parts.append(f'<line x1="{LABEL}" y1="{bottom}" x2="{width - 8}" y2="{bottom}" '
                 f'stroke="#666" stroke-width="0.8"/>')
    for i, holder in enumerate(rows):
        y = TOP + ROW * i
        colour = PALETTE[orgs.index(holder.rsplit("@", 1)[-1].rstrip(")")) % len(PALETTE)]
        name = holder if len(holder) <= 38 else holder[:37] + "…"
        parts.append(f'<g class="band" data-holder="{escape(holder)}">')
        parts.append(f'<text x="{LABEL - 6}" y="{y + ROW / 2 + 3:.1f}" text-anchor="end" '
                     f'fill="#222"><title>{escape(holder)}</title>{escape(name)}</text>')
        for h in (h for h in holds if h.holder == holder):
            x0, x1 = x(h.start), x(h.end or end)
            fill = "url(#hatch)" if h.temporary else colour
            parts.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 4):.1f}" '
                         f'height="{ROW - 6}" rx="2" fill="{fill}" stroke="{colour}" '
                         f'stroke-width="0.8"/>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
