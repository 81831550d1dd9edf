"""Render a monthly review (core/review/) as Markdown or as one self-contained HTML file.

The HTML has inline CSS and inline SVG charts (NRR/GRR trend, MRR waterfall, health mix):
no script, no external font or image, so it opens offline and can be mailed as it is.
Every string that comes from the book (account names, reasons, contacts) is escaped:
``html.escape`` in HTML, pipes and line breaks in Markdown table cells. The output depends
only on the review, never on the clock, so the same book and month give the same file.

The rendering lives in three modules: io/review_sections.py (the numbers' forms and the
tables both formats show), io/review_md.py (Markdown) and io/review_html.py (HTML and its
SVG charts); every name is importable from here as before.
"""

from __future__ import annotations

from bookkeeper_tui.io.review_html import (
    COLOURS,
    health_chart,
    to_html,
    trend_chart,
    waterfall_chart,
)
from bookkeeper_tui.io.review_md import md_cell, to_markdown
from bookkeeper_tui.io.review_sections import (
    Section,
    money,
    num,
    pct,
    sections,
    signed,
    title,
)

__all__ = [
    "COLOURS",
    "Section",
    "health_chart",
    "md_cell",
    "money",
    "num",
    "pct",
    "sections",
    "signed",
    "title",
    "to_html",
    "to_markdown",
    "trend_chart",
    "waterfall_chart",
]
