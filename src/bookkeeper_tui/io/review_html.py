"""A monthly review (core/review/) as one self-contained HTML file.

Inline CSS and inline SVG charts (NRR/GRR trend, MRR waterfall, health mix): no script, no
external font or image, so it opens offline and can be mailed as it is. Every string from
the book is ``html.escape``d.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from bookkeeper_tui.core.review import Review
from bookkeeper_tui.io.review_sections import sections, signed, title

COLOURS = {
    "green": "#2e7d32",
    "yellow": "#f9a825",
    "red": "#c62828",
    "unknown": "#9e9e9e",
    "nrr": "#1565c0",
    "grr": "#6a1b9a",
    "up": "#2e7d32",
    "down": "#c62828",
    "total": "#455a64",
}


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:960px;margin:2em auto;
padding:0 1em;color:#212121;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em;
border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
.sub{color:#616161}.note{background:#fff8e1;padding:.5em 1em;border-left:4px solid #f9a825}
svg{display:block;margin:.5em 0;max-width:100%;height:auto}
svg text{font-size:11px;fill:#424242}
"""


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _is_number(cell: str) -> bool:
    stripped = cell.replace(",", "").replace("%", "").replace("+", "").replace("−", "")
    stripped = stripped.replace(".", "").replace("/", "").replace("-", "").strip()
    return bool(stripped) and stripped.isdigit()


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    parts = ["<table>", "<tr>" + "".join(f"<th>{_esc(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = "".join(
            f'<td class="n">{_esc(c)}</td>' if _is_number(c) else f"<td>{_esc(c)}</td>" for c in row
        )
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</table>")
    return "\n".join(parts)


def _f(value: float) -> str:
    """A coordinate: two decimals at most, so the file is the same on every machine."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def trend_chart(review: Review, width: int = 640, height: int = 220) -> str:
    """NRR and GRR by month, as two lines (a gap where a month has no value)."""
    left, right, top, bottom = 48, 90, 12, 28
    pw, ph = width - left - right, height - top - bottom
    pad = 16  # the first and last month's labels stay inside the plot
    values = [v for r in review.trend for v in (r.nrr, r.grr) if v is not None]
    lo = min([0.8, *values])
    hi = max([1.2, *values])
    n = len(review.trend)

    def x(i: int) -> float:
        inner = pw - 2 * pad
        return left + pad + (inner * i / (n - 1) if n > 1 else inner / 2)

    def y(v: float) -> float:
        return top + ph * (hi - v) / (hi - lo)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="NRR and GRR by month">',
        f"<title>NRR and GRR by month, {_esc(review.trend[0].month)} to "
        f"{_esc(review.trend[-1].month)}</title>",
    ]
    for tick in (lo, 1.0, hi):
        parts.append(
            f'<line x1="{left}" y1="{_f(y(tick))}" x2="{left + pw}" y2="{_f(y(tick))}" '
            f'stroke="#e0e0e0"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{_f(y(tick) + 4)}" text-anchor="end">{tick * 100:.0f}%</text>'
        )
    for i, r in enumerate(review.trend):
        parts.append(
            f'<text x="{_f(x(i))}" y="{height - 8}" text-anchor="middle">{_esc(r.month[2:])}</text>'
        )
    for key, label in (("nrr", "NRR"), ("grr", "GRR")):
        segment: list[str] = []
        runs: list[list[str]] = []
        for i, r in enumerate(review.trend):
            v = getattr(r, key)
            if v is None:
                if segment:
                    runs.append(segment)
                segment = []
                continue
            segment.append(f"{_f(x(i))},{_f(y(v))}")
            parts.append(f'<circle cx="{_f(x(i))}" cy="{_f(y(v))}" r="2.5" fill="{COLOURS[key]}"/>')
        if segment:
            runs.append(segment)
        for run in runs:
            if len(run) > 1:
                parts.append(
                    f'<polyline fill="none" stroke="{COLOURS[key]}" stroke-width="2" '
                    f'points="{" ".join(run)}"/>'
                )
        ly = top + (10 if key == "nrr" else 28)
        parts.append(
            f'<rect x="{left + pw + 12}" y="{ly - 8}" width="10" height="10" '
            f'fill="{COLOURS[key]}"/><text x="{left + pw + 26}" y="{ly}">{label}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def waterfall_chart(review: Review, width: int = 640, height: int = 240) -> str:
    """Starting MRR, each movement as a floating bar, ending MRR."""
    w = review.waterfall
    left, right, top, bottom = 12, 12, 22, 28
    pw, ph = width - left - right, height - top - bottom
    bars: list[tuple[str, float, float, str]] = [("start", 0.0, w.starting, COLOURS["total"])]
    level = w.starting
    for label, amount in w.steps:
        colour = (
            COLOURS["unknown"]
            if round(amount) == 0
            else COLOURS["up"]
            if amount > 0
            else COLOURS["down"]
        )
        bars.append((label, level, level + amount, colour))
        level += amount
    bars.append(("end", 0.0, w.ending, COLOURS["total"]))
    hi = max([1.0, *(max(a, b) for _, a, b, _ in bars)])
    lo = min([0.0, *(min(a, b) for _, a, b, _ in bars)])
    slot = pw / len(bars)

    def y(v: float) -> float:
        return top + ph * (hi - v) / (hi - lo)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="MRR waterfall">',
        f"<title>MRR waterfall {_esc(review.month)}</title>",
        f'<line x1="{left}" y1="{_f(y(0))}" x2="{left + pw}" y2="{_f(y(0))}" stroke="#9e9e9e"/>',
    ]
    for i, (label, a, b, colour) in enumerate(bars):
        x0 = left + slot * i + slot * 0.15
        top_y, bottom_y = y(max(a, b)), y(min(a, b))
        parts.append(
            f'<rect x="{_f(x0)}" y="{_f(top_y)}" width="{_f(slot * 0.7)}" '
            f'height="{_f(max(bottom_y - top_y, 0.5))}" fill="{colour}"/>'
        )
        amount = b - a
        shown = f"{b:,.0f}" if label in ("start", "end") else signed(amount)
        parts.append(
            f'<text x="{_f(x0 + slot * 0.35)}" y="{_f(top_y - 3)}" text-anchor="middle">'
            f"{_esc(shown)}</text>"
        )
        parts.append(
            f'<text x="{_f(x0 + slot * 0.35)}" y="{height - 8}" text-anchor="middle">'
            f"{_esc(label)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def health_chart(review: Review, width: int = 640, height: int = 220) -> str:
    """Band counts at each month end as stacked bars (green at the bottom)."""
    left, right, top, bottom = 40, 90, 12, 28
    pw, ph = width - left - right, height - top - bottom
    hi = max([1, *(h.total for h in review.health)])
    slot = pw / max(len(review.health), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Health mix by month">',
        "<title>Health mix at each month end</title>",
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{hi}</text>',
        f'<text x="{left - 4}" y="{top + ph + 4}" text-anchor="end">0</text>',
    ]
    for i, h in enumerate(review.health):
        x0 = left + slot * i + slot * 0.15
        base = top + ph
        for band in ("green", "yellow", "red", "unknown"):
            count = getattr(h, band)
            if not count:
                continue
            tall = ph * count / hi
            base -= tall
            parts.append(
                f'<rect x="{_f(x0)}" y="{_f(base)}" width="{_f(slot * 0.7)}" '
                f'height="{_f(tall)}" fill="{COLOURS[band]}"><title>{_esc(h.month)} '
                f"{band}: {count}</title></rect>"
            )
        parts.append(
            f'<text x="{_f(x0 + slot * 0.35)}" y="{height - 8}" text-anchor="middle">'
            f"{_esc(h.month[2:])}</text>"
        )
    for k, band in enumerate(("green", "yellow", "red", "unknown")):
        ly = top + 10 + 18 * k
        parts.append(
            f'<rect x="{left + pw + 12}" y="{ly - 8}" width="10" height="10" '
            f'fill="{COLOURS[band]}"/><text x="{left + pw + 26}" y="{ly}">{band}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def to_html(review: Review) -> str:
    charts = {
        "trend": trend_chart(review),
        "waterfall": waterfall_chart(review),
        "health": health_chart(review),
    }
    head = _esc(title(review))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{head}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{head}</h1>",
        f'<p class="sub">{_esc(review.start.isoformat())} (start) to '
        f"{_esc(review.end.isoformat())} (end) · {review.customers} customers at month end · "
        f"{review.accounts} accounts in the book</p>",
    ]
    for note in review.notes:
        parts.append(f'<p class="note">{_esc(note)}</p>')
    for section_id, heading, header, rows in sections(review):
        parts.append(f'<section id="{section_id}">')
        parts.append(f"<h2>{_esc(heading)}</h2>")
        if section_id in charts:
            parts.append(charts[section_id])
        parts.append(_table(header, rows) if rows else "<p>None.</p>")
        parts.append("</section>")
    parts.append(
        '<p class="sub">Generated by Bookkeeper from the book alone: the same book and month '
        "give the same review.</p>"
    )
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
