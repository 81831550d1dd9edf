"""Cells to values: one parser per field of every kind, and a file's rows parsed with them.

A cell that cannot be used raises :class:`Bad`; its message is the reason the user sees.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from bookkeeper_tui.core.bounds import MAX_MRR, MAX_YEAR, MIN_YEAR
from bookkeeper_tui.core.text import unneutralise_formula
from bookkeeper_tui.core.vocab import (
    INTERACTION_KINDS,
    ROLES,
    SCORE_KINDS,
    TIER_ALIASES,
    TIERS,
)
from bookkeeper_tui.io.fields import KINDS, normalise_header
from bookkeeper_tui.io.importer.results import RowError

if TYPE_CHECKING:
    from bookkeeper_tui.io.importer.mapping import _Spec


# -- cell values ------------------------------------------------------------------------
class Bad(ValueError):
    """A cell that cannot be used; the message is the reason shown to the user."""


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
_DAY_MONTH = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[T ].*)?$")


def parse_date(text: str) -> date:
    """ISO dates, and ``YYYY-MM-DD HH:MM:SS`` (the time is dropped); nothing is guessed."""
    iso = text
    if not (len(text) == 10 and text[4] == "-" and text[7] == "-"):
        m = _DATETIME.match(text)
        if m is None:
            dm = _DAY_MONTH.match(text)
            if dm is not None:
                a, b = int(dm.group(1)), int(dm.group(2))
                if a <= 12 and b <= 12 and a != b:
                    raise Bad(
                        f"'{text}' is ambiguous (day/month or month/day?); "
                        "write dates as YYYY-MM-DD"
                    )
                raise Bad(f"'{text}' is not an ISO date; write dates as YYYY-MM-DD")
            raise Bad(f"'{text}' is not a date; write it as YYYY-MM-DD")
        iso = m.group(1)
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        if _DATE.match(iso):
            raise Bad(f"'{text}' is not a real day of the calendar; check it") from None
        raise Bad(f"'{text}' is not a date; write it as YYYY-MM-DD") from None
    # The book's own range (core.bounds): an import never stores a date `add` would refuse.
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise Bad(f"'{text}' is out of range (years {MIN_YEAR}-{MAX_YEAR}); check the year")
    return day


_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f"})


def parse_bool(text: str) -> bool:
    v = text.casefold()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise Bad(f"'{text}' is not true or false; write True/False, yes/no or 1/0")


def parse_number(text: str) -> float:
    t = text.lstrip("$€£").strip()
    if "," in t:
        raise Bad(
            f"'{text}' has a comma; write numbers without thousands separators and with a "
            "dot for decimals, e.g. 1500.50"
        )
    try:
        value = float(t)
    except ValueError:
        raise Bad(f"'{text}' is not a number") from None
    if not math.isfinite(value):
        raise Bad(f"'{text}' is not a number")
    return value


def parse_amount(text: str) -> float:
    value = parse_number(text)
    if value < 0:
        raise Bad(f"'{text}' is negative; amounts are zero or more (0 for a churned account)")
    if value >= MAX_MRR:
        raise Bad(
            f"'{text}' is out of range; an amount must be below {MAX_MRR:,.0f}, check the digits"
        )
    return value


def parse_count(text: str) -> float:
    value = parse_number(text)
    if value < 0:
        raise Bad(f"'{text}' is negative; a usage count is zero or more")
    return value


def _text(limit: int | None, collapse: bool = False) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = " ".join(text.split()) if collapse else text
        if limit is not None and len(value) > limit:
            raise Bad(f"is {len(value)} characters long; the limit is {limit}")
        return value

    return parse


def parse_tier(text: str) -> str:
    tier = TIER_ALIASES.get(text.casefold())
    if tier is None:
        raise Bad(f"unknown tier '{text}'; use one of {', '.join(TIERS)} (or leave it blank)")
    return tier


def parse_role(text: str) -> str:
    from bookkeeper_tui.core.relationships import parse_role as role_alias

    role = normalise_header(text)
    if role not in ROLES:
        # The quick log's short forms too: buyer, eb, user, end user, champ (issue 14 #3).
        role = role_alias(text) or ""
    if role not in ROLES:
        raise Bad(f"unknown role '{text}'; use one of {', '.join(ROLES)}")
    return role


def parse_interaction_kind(text: str) -> str:
    kind = text.casefold()
    if kind not in INTERACTION_KINDS:
        raise Bad(f"unknown interaction kind '{text}'; use one of {', '.join(INTERACTION_KINDS)}")
    return kind


def parse_score_kind(text: str) -> str:
    kind = text.casefold()
    if kind not in SCORE_KINDS:
        raise Bad(f"unknown score kind '{text}'; use one of {', '.join(SCORE_KINDS)}")
    return kind


def parse_tags(text: str) -> str:
    tags = [t.lstrip("#").casefold() for t in text.replace(",", " ").split()]
    return " ".join(dict.fromkeys(t for t in tags if t))


def parse_source(text: str) -> str:
    value = " ".join(text.split()).casefold()
    if len(value) > 50:
        raise Bad(f"is {len(value)} characters long; the limit is 50")
    return value


def parse_priority(text: str) -> str:
    value = " ".join(text.split()).casefold()
    if len(value) > 20:
        raise Bad(f"is {len(value)} characters long; the limit is 20")
    return value


_name = _text(200, collapse=True)
_ref = _text(200, collapse=True)
_ext = _text(100)

#: How each field's cells are read (every field of io/fields.py has one).
PARSERS: dict[str, dict[str, Callable[[str], Any]]] = {
    "accounts": {
        "name": _name,
        "external_id": _ext,
        "tier": parse_tier,
        "start": parse_date,
        "renewal": parse_date,
        "owner": _text(100, collapse=True),
        "industry": _text(100, collapse=True),
        "mrr": parse_amount,
        "tags": parse_tags,
        "source": parse_source,
    },
    "contacts": {
        "account": _ref,
        "name": _name,
        "email": _text(200),
        "role": parse_role,
    },
    "subscriptions": {
        "account": _ref,
        "start": parse_date,
        "mrr": parse_amount,
        "end": parse_date,
        "external_id": _ext,
        "trial": parse_bool,
    },
    "interactions": {
        "account": _ref,
        "date": parse_date,
        "kind": parse_interaction_kind,
        "summary": _text(None),
        "notes": _text(None),
        "contact": _name,
        "external_id": _ext,
    },
    "scores": {
        "account": _ref,
        "date": parse_date,
        "kind": parse_score_kind,
        "value": parse_number,
        "contact": _name,
        "external_id": _ext,
    },
    "tickets": {
        "account": _ref,
        "opened": parse_date,
        "closed": parse_date,
        "priority": parse_priority,
        "csat": parse_number,
        "external_id": _ext,
    },
    "usage": {
        "account": _ref,
        "subscription": _ext,
        "date": parse_date,
        "count": parse_count,
        "external_id": _ext,
    },
}

_CACHED = frozenset({parse_date, parse_bool, parse_tier, parse_role, parse_priority})


def _cached(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """Memoise a parser for one import (dates repeat a lot); failures are cached too."""
    ok: dict[str, Any] = {}
    bad: dict[str, str] = {}

    def run(text: str) -> Any:
        try:
            return ok[text]
        except KeyError:
            pass
        if text in bad:
            raise Bad(bad[text])
        try:
            value = ok[text] = parse(text)
        except Bad as exc:
            bad[text] = str(exc)
            raise
        return value

    return run


# -- rows ---------------------------------------------------------------------------------
class _Row:
    __slots__ = ("action", "cells", "errors", "line", "target", "values", "want")

    def __init__(self, line: int, cells: list[str]):
        self.line = line
        self.cells = cells
        self.values: dict[str, Any] = {}
        self.errors: list[RowError] = []
        #: "create" / "update" / "unchanged" once planned.
        self.action: str | None = None
        self.target: int | None = None
        self.want: dict[str, Any] = {}


def _row_parser(header: list[str], spec: _Spec) -> Callable[[int, list[str]], _Row]:
    """A function parsing one record (line, cells) of a file with *header* into a row."""
    kind = spec.kind
    required = {f.name for f in KINDS[kind] if f.required}
    plan = []
    for f, idx in spec.columns.items():
        parser = PARSERS[kind][f]
        if parser in _CACHED:
            parser = _cached(parser)
        plan.append((f, idx, header[idx] or f"column {idx + 1}", parser, f in required))
    constants = spec.constants
    width = len(header)

    def parse(line: int, cells: list[str]) -> _Row:
        row = _Row(line, cells)
        values = row.values
        ncells = len(cells)
        for f, idx, column, parser, req in plan:
            raw = cells[idx].strip() if idx < ncells else ""
            if not raw:
                values[f] = None
                if req:
                    row.errors.append(RowError(line, column, f"empty, but {f} is required"))
                continue
            if raw[0] == "'":  # '=x: a formula neutralised by an export (ours or another's)
                raw = unneutralise_formula(raw)
            try:
                values[f] = parser(raw)
            except Bad as exc:
                reason = str(exc)
                if reason.startswith("is "):
                    reason = f"'{raw[:40]}' {reason}"
                row.errors.append(RowError(line, column, reason))
        if constants:
            values.update(constants)
        if ncells > width and any(c.strip() for c in cells[width:]):
            row.errors.append(
                RowError(
                    line,
                    None,
                    f"has {ncells} cells but the header has {width}; "
                    "quote cells that contain the delimiter",
                )
            )
        return row

    return parse
