"""The CSV importer: map columns to fields, validate every row, write in one transaction.

The API the command line (``bookkeeper import``) and the TUI's import screen share:

* :func:`preview` reads a file and proposes a column mapping (no database needed).
* :func:`import_file` validates every row, then writes all of them or none of them
  (``skip_invalid`` writes the valid rows and a rejects file), and reports how many
  records were created, updated and left unchanged.

How it stays fast (RavenStack's 25,000 usage rows in well under a second): the file is
read and split once, every cell is parsed in plain Python (dates through a cache), the
book's records are preloaded into dictionaries once (external ids, natural keys), and
the writes are a few bulk ``INSERT`` / ``UPDATE`` executemany statements inside one
``book.write()`` transaction. No ORM object is built per row.

Matching (what makes re-importing a file a no-op): a row with an external id matches the
record with that id, else a record without an external id by its natural key; a row
without one matches by natural key. Natural keys, per kind:

======================  ==========================================================
accounts                the name (case- and space-insensitive ``name_key``)
contacts                (account, name)
subscriptions           (account, start, mrr)
interactions            (account, date, kind, summary)
scores                  (account, date, kind, contact)
tickets                 (account, opened, priority)
usage                   (account, subscription, date)
======================  ==========================================================

Several rows may share a natural key (two identical subscriptions are normal): they are
paired with the existing records one to one, identical records first, so importing the
file again still changes nothing.
"""

from __future__ import annotations

import math
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bookkeeper_tui.core.bounds import MAX_MRR, MAX_YEAR, MIN_YEAR
from bookkeeper_tui.core.kpi import mrr_on, period_start
from bookkeeper_tui.core.playbook import playbook_touchpoints
from bookkeeper_tui.core.settings import DEFAULT_KPI_PERIOD
from bookkeeper_tui.core.text import unneutralise_formula
from bookkeeper_tui.core.tiers import suggest_tier
from bookkeeper_tui.core.vocab import (
    INTERACTION_KINDS,
    ROLES,
    SCORE_KINDS,
    SCORE_RANGES,
    TIER_ALIASES,
    TIERS,
)
from bookkeeper_tui.io.csvfile import CsvData, read_csv, write_rejects
from bookkeeper_tui.io.fields import KINDS, field_names, normalise_header
from bookkeeper_tui.store.book import Book, BookError
from bookkeeper_tui.store.models import (
    Account,
    Contact,
    Interaction,
    MrrLevel,
    Score,
    Subscription,
    Ticket,
    UsageEvent,
    name_key,
)

#: Bad rows named in a human report before "and N more".
MAX_REPORTED = 20
#: How often (in rows) the progress callback is called while validating.
PROGRESS_EVERY = 2000

Progress = Callable[[int, int], None]


# -- the public results -----------------------------------------------------------------
@dataclass
class RowError:
    """One problem with one row: the physical line it starts on (header = line 1)."""

    line: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"

    def as_json(self) -> dict:
        return {"line": self.line, "column": self.column, "reason": self.reason}


@dataclass
class Preview:
    """What a file looks like and how its columns would map (the import screen's first step)."""

    columns: list[str]
    #: field -> column (proposed, or as given); None when no column maps to the field.
    mapping: dict[str, str | None]
    #: The first data rows, as read.
    rows: list[list[str]]
    delimiter: str
    encoding_note: str
    #: Required fields with neither a column nor a constant (the import would refuse).
    unmapped_required: list[str]
    #: How many data rows the file holds.
    total_rows: int = 0


@dataclass
class ImportReport:
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    #: Every problem found (not truncated); several per row are possible.
    rejected: list[RowError]
    rejects_path: Path | None
    dry_run: bool
    written: bool
    seconds: float
    #: The part of ``seconds`` spent bringing touchpoints and health up to date afterwards.
    sync_seconds: float = 0.0
    path: Path | None = None
    #: Field -> column used (None: not in the file), and the constants given with --set.
    mapping: dict[str, str | None] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    #: The file's header, as read.
    columns: list[str] = field(default_factory=list)
    #: accounts: playbook touchpoints the created accounts get for the next ``horizon_days``
    #: days from the import day, per kind, and how many of them skip onboarding (existing
    #: customers: onboarding steps before the import day are not planned).
    planned: dict[str, int] = field(default_factory=dict)
    onboarding_skipped: int = 0
    horizon_days: int = 0

    @property
    def unused_columns(self) -> list[str]:
        """Columns of the file that no field reads (ignored by the import)."""
        used = {c for c in self.mapping.values() if c is not None}
        return [c for c in self.columns if c not in used]

    @property
    def rejected_rows(self) -> int:
        return len({e.line for e in self.rejected})

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "file": str(self.path) if self.path else None,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected_rows": self.rejected_rows,
            "rejected": [e.as_json() for e in self.rejected],
            "rejects_path": str(self.rejects_path) if self.rejects_path else None,
            "dry_run": self.dry_run,
            "written": self.written,
            "seconds": round(self.seconds, 3),
            "sync_seconds": round(self.sync_seconds, 3),
            "mapping": self.mapping,
            "constants": self.constants,
            "unused_columns": self.unused_columns,
            "planned": self.planned,
            "onboarding_skipped": self.onboarding_skipped,
        }


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


# -- columns to fields ------------------------------------------------------------------
@dataclass
class _Spec:
    kind: str
    header: list[str]
    #: field -> column index
    columns: dict[str, int]
    #: field -> parsed constant (from --set)
    constants: dict[str, Any]
    raw_constants: dict[str, str]
    unmapped_required: list[str]

    def mapping(self) -> dict[str, str | None]:
        return {
            f: (self.header[self.columns[f]] if f in self.columns else None)
            for f in field_names(self.kind)
        }


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise BookError(f"unknown import kind '{kind}'; use one of {', '.join(KINDS)}")


def _resolve_columns(
    kind: str,
    header: list[str],
    mapping: dict[str, str] | None,
    constants: dict[str, str] | None,
    strict: bool,
) -> _Spec:
    _check_kind(kind)
    names = field_names(kind)
    fields = {f.name: f for f in KINDS[kind]}
    normalised = [normalise_header(h) for h in header]
    shown = ", ".join(h for h in header if h) or "(none)"
    columns: dict[str, int] = {}
    for fname, column in (mapping or {}).items():
        f = normalise_header(fname)
        if f not in fields:
            raise BookError(
                f"--map names an unknown field '{fname}' for {kind}; "
                f"the fields are: {', '.join(names)}"
            )
        idx = next((i for i, h in enumerate(header) if h == column.strip()), None)
        if idx is None:
            target = normalise_header(column)
            idx = next((i for i, h in enumerate(normalised) if h == target and h), None)
        if idx is None:
            raise BookError(
                f"--map {fname}={column}: the file has no column '{column}'; "
                f"its columns are: {shown}"
            )
        columns[f] = idx
    parsed_constants: dict[str, Any] = {}
    raw_constants: dict[str, str] = {}
    for fname, value in (constants or {}).items():
        f = normalise_header(fname)
        if f not in fields:
            raise BookError(
                f"--set names an unknown field '{fname}' for {kind}; "
                f"the fields are: {', '.join(names)}"
            )
        if f in columns:
            raise BookError(f"'{f}' is given both by --map and by --set; keep one of them")
        text = value.strip()
        if not text and fields[f].required:
            raise BookError(f"--set {f}= is blank, but {f} is required; give a value")
        if text:
            try:
                parsed_constants[f] = PARSERS[kind][f](text)
            except Bad as exc:
                raise BookError(f"--set {f}={value}: {exc}") from None
        else:
            parsed_constants[f] = None
        raw_constants[f] = value
    used = set(columns.values())
    # Automatic mapping: a column named like the field first, then the synonyms in order.
    free = [f for f in names if f not in columns and f not in parsed_constants]
    for f in free:
        idx = next((i for i, h in enumerate(normalised) if h == f and i not in used), None)
        if idx is not None:
            columns[f] = idx
            used.add(idx)
    for f in free:
        if f in columns:
            continue
        for synonym in fields[f].synonyms:
            idx = next(
                (i for i, h in enumerate(normalised) if h == synonym and i not in used), None
            )
            if idx is not None:
                columns[f] = idx
                used.add(idx)
                break
    missing = [
        f.name
        for f in KINDS[kind]
        if f.required and f.name not in columns and f.name not in parsed_constants
    ]
    if kind == "usage" and not (
        {"account", "subscription"} & (set(columns) | set(parsed_constants))
    ):
        missing.insert(0, "account")
    if missing and strict:
        f = missing[0]
        looked = ", ".join((f, *fields[f].synonyms))
        extra = " (or subscription)" if kind == "usage" and f == "account" else ""
        raise BookError(
            f"no column for the required field '{f}'{extra} (looked for {looked}); "
            f"add --map {f}=COLUMN or --set {f}=VALUE; the file's columns are: {shown}"
        )
    return _Spec(kind, header, columns, parsed_constants, raw_constants, missing)


def preview(
    path: str | Path,
    kind: str,
    mapping: dict[str, str] | None = None,
    constants: dict[str, str] | None = None,
    rows: int = 10,
) -> Preview:
    """Read *path* and propose how its columns map to *kind*'s fields (nothing is written).

    File-level problems (missing, not UTF-8, empty, a --map naming an unknown field or
    column) raise :class:`BookError`; required fields without a column are listed in
    ``unmapped_required`` instead.
    """
    _check_kind(kind)
    data = read_csv(path)
    spec = _resolve_columns(kind, data.header, mapping, constants, strict=False)
    return Preview(
        columns=list(data.header),
        mapping=spec.mapping(),
        rows=[cells for _, cells in data.rows[:rows]],
        delimiter=data.delimiter,
        encoding_note=data.encoding_note,
        unmapped_required=spec.unmapped_required,
        total_rows=len(data.rows),
    )


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


def _parse_rows(data: CsvData, spec: _Spec, progress: Progress | None) -> list[_Row]:
    kind = spec.kind
    required = {f.name for f in KINDS[kind] if f.required}
    plan = []
    for f, idx in spec.columns.items():
        parser = PARSERS[kind][f]
        if parser in _CACHED:
            parser = _cached(parser)
        plan.append((f, idx, data.header[idx] or f"column {idx + 1}", parser, f in required))
    constants = spec.constants
    width = len(data.header)
    total = len(data.rows)
    out: list[_Row] = []
    for n, (line, cells) in enumerate(data.rows, 1):
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
        out.append(row)
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(n, total)
    return out


# -- planning and writing ---------------------------------------------------------------
class _Refs:
    """The book's accounts by external id and by name key (loaded once)."""

    def __init__(self, session: Session):
        self.by_ext: dict[str, int] = {}
        self.by_key: dict[str, int] = {}
        for aid, ext, key in session.execute(
            select(Account.id, Account.external_id, Account.name_key)
        ):
            if ext:
                self.by_ext[ext] = aid
            self.by_key[key] = aid
        self._cache: dict[str, int | None] = {}

    def account(self, ref: str) -> int | None:
        try:
            return self._cache[ref]
        except KeyError:
            pass
        aid = self.by_ext.get(ref)
        if aid is None:
            aid = self.by_key.get(name_key(ref))
        self._cache[ref] = aid
        return aid


def _no_account(ref: str) -> str:
    return (
        f"no account '{ref}' in the book (looked up by external id, then by name); "
        "import the accounts first or fix the cell"
    )


class _Contacts:
    """Contacts by (account, name key); names not in the book become new contacts."""

    def __init__(self, session: Session):
        self.ids: dict[tuple[int, str], int] = {
            (aid, key): cid
            for cid, aid, key in session.execute(
                select(Contact.id, Contact.account_id, Contact.name_key)
            )
        }
        #: placeholder (negative) -> (account id, name, key)
        self.new: dict[int, tuple[int, str, str]] = {}

    def get(self, account_id: int, name: str) -> int:
        key = name_key(name)
        cid = self.ids.get((account_id, key))
        if cid is None:
            cid = -(len(self.new) + 1)
            self.new[cid] = (account_id, name, key)
            self.ids[(account_id, key)] = cid
        return cid

    def create(self, session: Session, used: set[int]) -> dict[int, int]:
        """Insert the new contacts that written records use; placeholder -> real id."""
        wanted = [cid for cid in self.new if cid in used]
        if not wanted:
            return {}
        t = Contact.__table__
        ids = session.execute(
            insert(t).returning(t.c.id, sort_by_parameter_order=True),
            [
                {
                    "account_id": self.new[c][0],
                    "name": self.new[c][1],
                    "name_key": self.new[c][2],
                    "email": None,
                    "role": "other",
                    "left_on": None,
                }
                for c in wanted
            ],
        ).scalars()
        return dict(zip(wanted, ids, strict=True))


def _bulk_update(session: Session, table, rows: list[dict]) -> None:
    """UPDATE ... WHERE id = :_id as one executemany (every dict has the same keys)."""
    if not rows:
        return
    by_keys: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for r in rows:
        by_keys[tuple(sorted(r))].append(r)
    for group in by_keys.values():
        params = [{("_id" if k == "id" else k): v for k, v in r.items()} for r in group]
        session.execute(update(table).where(table.c.id == bindparam("_id")), params)


class _Planner:
    """Plans every valid row against the book, then writes the plan (unless a dry run)."""

    kind = ""

    def reject(self, row: _Row, field: str, reason: str) -> None:
        """Record why *row* cannot be imported, on the column that feeds *field*."""
        row.errors.append(RowError(row.line, _column(self.spec, field), reason))

    def __init__(self, book: Book, session: Session, today: date):
        self.book = book
        self.session = session
        self.today = today
        self.now = datetime.now(UTC)
        self.refs = _Refs(session)
        self.touched: set[int] = set()

    def plan(self, rows: list[_Row]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def write(self, rows: list[_Row]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def account_of(self, row: _Row, spec: _Spec, f: str = "account") -> int | None:
        ref = row.values.get(f)
        if ref is None:
            return None
        aid = self.refs.account(ref)
        if aid is None:
            row.errors.append(RowError(row.line, _column(spec, f), _no_account(ref)))
        return aid


def _column(spec: _Spec, f: str) -> str | None:
    idx = spec.columns.get(f)
    if idx is None:
        return f"--set {f}" if f in spec.constants else None
    return spec.header[idx] or f"column {idx + 1}"


# --- accounts ---
_ACCOUNT_COLUMNS = (
    "name",
    "name_key",
    "external_id",
    "tier",
    "tier_manual",
    "start",
    "renewal",
    "owner",
    "industry",
    "tags",
    "status",
    "source",
    "version",
)


class _AccountPlanner(_Planner):
    kind = "accounts"

    def __init__(self, book: Book, session: Session, today: date, spec: _Spec):
        super().__init__(book, session, today)
        self.spec = spec
        t = Account.__table__
        self.existing: dict[int, dict] = {
            r["id"]: dict(r)
            for r in session.execute(select(t.c.id, *[t.c[c] for c in _ACCOUNT_COLUMNS])).mappings()
        }
        self.levels: dict[int, list[tuple[date, float, int]]] = defaultdict(list)
        for lid, aid, eff, mrr in session.execute(
            select(MrrLevel.id, MrrLevel.account_id, MrrLevel.effective, MrrLevel.mrr).order_by(
                MrrLevel.account_id, MrrLevel.effective, MrrLevel.id
            )
        ):
            self.levels[aid].append((eff, mrr, lid))
        self.first_sub: dict[int, date] = dict(
            session.execute(
                select(Subscription.account_id, func.min(Subscription.start)).group_by(
                    Subscription.account_id
                )
            ).all()
        )
        #: row -> level change: ("insert", effective, mrr) or ("update", level id, mrr)
        self.level_changes: dict[int, tuple[str, Any, float]] = {}

    def plan(self, rows: list[_Row]) -> None:
        spec = self.spec
        tiers = self.book.config.tiers
        seen_target: dict[Any, int] = {}
        seen_ext: dict[str, int] = {}
        seen_key: dict[str, tuple[int, Any]] = {}
        name_col = _column(spec, "name")
        ext_col = _column(spec, "external_id")
        for row in rows:
            if row.errors:
                continue
            v = row.values
            name = v["name"]
            key = name_key(name)
            ext = v.get("external_id")
            errors = row.errors
            if ext is not None and ext in seen_ext:
                errors.append(
                    RowError(
                        row.line,
                        ext_col,
                        f"external id '{ext}' is already used on line {seen_ext[ext]}",
                    )
                )
                continue
            target = self.refs.by_ext.get(ext) if ext else None
            if target is None:
                cand = self.refs.by_key.get(key)
                if cand is not None:
                    cand_ext = self.existing[cand]["external_id"]
                    if ext and cand_ext and cand_ext != ext:
                        errors.append(
                            RowError(
                                row.line,
                                ext_col,
                                f"the book's account named '{self.existing[cand]['name']}' "
                                f"has external id '{cand_ext}', not '{ext}'; fix the id or "
                                "the name",
                            )
                        )
                        continue
                    target = cand
            else:
                other = self.refs.by_key.get(key)
                if other is not None and other != target:
                    errors.append(
                        RowError(
                            row.line,
                            name_col,
                            f"the name '{name}' belongs to another account in the book "
                            f"(this row's external id '{ext}' is "
                            f"'{self.existing[target]['name']}'); fix the name or the id",
                        )
                    )
                    continue
            ident: Any = target if target is not None else ("new", key)
            if ident in seen_target:
                errors.append(
                    RowError(
                        row.line,
                        name_col,
                        f"the same account as line {seen_target[ident]}; keep one row per account",
                    )
                )
                continue
            claimed = seen_key.get(key)
            if claimed is not None and claimed[1] != ident:
                errors.append(
                    RowError(row.line, name_col, f"the name '{name}' is also on line {claimed[0]}")
                )
                continue
            if target is None:
                self._plan_new(row, key, tiers)
            else:
                self._plan_existing(row, target, key, tiers)
            if row.errors:
                continue
            seen_target[ident] = row.line
            seen_key[key] = (row.line, ident)
            if ext is not None:
                seen_ext[ext] = row.line

    def _check_renewal(self, row: _Row, rec: dict) -> bool:
        if rec["renewal"] is not None and rec["renewal"] < rec["start"]:
            self.reject(
                row,
                "renewal",
                f"the renewal date {rec['renewal']} is before the start date {rec['start']}",
            )
            return False
        return True

    def _plan_new(self, row: _Row, key: str, tiers) -> None:
        v = row.values
        mrr = v.get("mrr")
        tier = v.get("tier")
        rec = {
            "name": v["name"],
            "name_key": key,
            "external_id": v.get("external_id"),
            "tier": tier or suggest_tier((mrr or 0.0) * 12, tiers),
            "tier_manual": tier is not None,
            # No start: an existing customer of unknown age, dated at the start of the
            # default KPI window so it is in the starting cohort, not new MRR.
            "start": v.get("start") or period_start(self.today, DEFAULT_KPI_PERIOD),
            "renewal": v.get("renewal"),
            "owner": v.get("owner"),
            "industry": v.get("industry"),
            "tags": v.get("tags") or "",
            "status": "churned" if mrr == 0 else "active",
            "source": v.get("source"),
            "version": 1,
            "created_at": self.now,
            "updated_at": self.now,
        }
        if not self._check_renewal(row, rec):
            return
        row.action = "create"
        row.want = rec

    def _plan_existing(self, row: _Row, target: int, key: str, tiers) -> None:
        v = row.values
        old = self.existing[target]
        new = dict(old)
        new["name"] = v["name"]
        new["name_key"] = key
        for f in ("external_id", "renewal", "owner", "industry", "tags", "source", "start"):
            if v.get(f) is not None:
                new[f] = v[f]
        first = self.first_sub.get(target)
        if first is not None and new["start"] > first:
            new["start"] = first  # a customer since before the first subscription
        levels = self.levels.get(target, [])
        plain = [(eff, m) for eff, m, _ in levels]
        mrr = v.get("mrr")
        change = None
        # MRR: a level from the start for an account without one; else, when the file's
        # MRR is not the current one, a level from today. Subscriptions own the MRR of
        # accounts that have them, so the column is ignored there.
        if mrr is not None and target not in self.first_sub:
            if not levels:
                change = ("insert", new["start"], mrr)
                plain = [(new["start"], mrr)]
                new["status"] = "churned" if mrr == 0 else "active"
            elif mrr_on(plain, self.today) != mrr:
                eff = max(self.today, new["start"])
                same = next((lid for e, _, lid in levels if e == eff), None)
                change = ("insert", eff, mrr) if same is None else ("update", same, mrr)
                plain = [lv for lv in plain if lv[0] != eff] + [(eff, mrr)]
                if eff >= max(e for e, _ in plain):
                    new["status"] = "churned" if mrr == 0 else "active"
        tier = v.get("tier")
        if tier is not None:
            if tier != old["tier"]:
                new["tier"] = tier
                new["tier_manual"] = True
        elif not old["tier_manual"]:
            new["tier"] = suggest_tier(mrr_on(plain, self.today) * 12, tiers)
        if not self._check_renewal(row, new):
            return
        row.target = target
        if new == old and change is None:
            row.action = "unchanged"
            return
        new["version"] = old["version"] + 1
        new["updated_at"] = self.now
        row.action = "update"
        row.want = new
        if change is not None:
            self.level_changes[id(row)] = change

    def write(self, rows: list[_Row]) -> None:
        s = self.session
        t = Account.__table__
        creates = [r for r in rows if r.action == "create"]
        if creates:
            ids = s.execute(
                insert(t).returning(t.c.id, sort_by_parameter_order=True),
                [r.want for r in creates],
            ).scalars()
            for r, aid in zip(creates, ids, strict=True):
                r.target = aid
        updates = [r for r in rows if r.action == "update"]
        _bulk_update(s, t, [{"id": r.target, **r.want} for r in updates])
        level_rows = [
            {
                "account_id": r.target,
                "effective": r.want["start"],
                "mrr": r.values["mrr"],
                "interaction_id": None,
                "source": "manual",
            }
            for r in creates
            if r.values.get("mrr") is not None
        ]
        level_updates = []
        for r in updates:
            change = self.level_changes.get(id(r))
            if change is None:
                continue
            if change[0] == "insert":
                level_rows.append(
                    {
                        "account_id": r.target,
                        "effective": change[1],
                        "mrr": change[2],
                        "interaction_id": None,
                        "source": "manual",
                    }
                )
            else:
                level_updates.append({"id": change[1], "mrr": change[2]})
        if level_rows:
            s.execute(insert(MrrLevel.__table__), level_rows)
        _bulk_update(s, MrrLevel.__table__, level_updates)
        self.touched.update(r.target for r in creates + updates)
        # Imported customers are planned forward from the import day: nothing overdue.
        self.book.plan_from(s, [r.target for r in creates], self.today)


# --- contacts ---
class _ContactPlanner(_Planner):
    kind = "contacts"

    def __init__(self, book: Book, session: Session, today: date, spec: _Spec):
        super().__init__(book, session, today)
        self.spec = spec
        self.existing: dict[tuple[int, str], dict] = {
            (r["account_id"], r["name_key"]): dict(r)
            for r in session.execute(
                select(
                    Contact.id,
                    Contact.account_id,
                    Contact.name,
                    Contact.name_key,
                    Contact.email,
                    Contact.role,
                )
            ).mappings()
        }

    def plan(self, rows: list[_Row]) -> None:
        seen: dict[tuple[int, str], int] = {}
        for row in rows:
            if row.errors:
                continue
            aid = self.account_of(row, self.spec)
            if aid is None:
                continue
            v = row.values
            key = (aid, name_key(v["name"]))
            if key in seen:
                self.reject(
                    row, "name", f"the same contact as line {seen[key]}; keep one row per contact"
                )
                continue
            seen[key] = row.line
            old = self.existing.get(key)
            if old is None:
                row.action = "create"
                row.want = {
                    "account_id": aid,
                    "name": v["name"],
                    "name_key": key[1],
                    "email": v.get("email"),
                    "role": v.get("role") or "other",
                    "left_on": None,
                }
                continue
            new = dict(old)
            new["name"] = v["name"]
            for f in ("email", "role"):
                if v.get(f) is not None:
                    new[f] = v[f]
            row.target = old["id"]
            if new == old:
                row.action = "unchanged"
            else:
                row.action = "update"
                row.want = new

    def write(self, rows: list[_Row]) -> None:
        creates = [r.want for r in rows if r.action == "create"]
        if creates:
            self.session.execute(insert(Contact.__table__), creates)
        updates = [
            {
                "id": r.target,
                "name": r.want["name"],
                "email": r.want["email"],
                "role": r.want["role"],
            }
            for r in rows
            if r.action == "update"
        ]
        _bulk_update(self.session, Contact.__table__, updates)
        self.touched.update(r.want["account_id"] for r in rows if r.action in ("create", "update"))


# --- records: subscriptions, interactions, scores, tickets, usage ---
class _RecordPlanner(_Planner):
    """Kinds whose rows are whole records, matched by external id, else by natural key.

    A mapped cell that is blank means "no value" (a blank end = still active); a field
    with no column keeps what the book has (and its default for a new record).
    """

    model: Any = None
    columns: tuple[str, ...] = ()
    defaults: dict[str, Any] = {}
    key_fields: tuple[str, ...] = ()
    ext_field = "external_id"

    def __init__(self, book: Book, session: Session, today: date, spec: _Spec):
        super().__init__(book, session, today)
        self.spec = spec
        self.contacts: _Contacts | None = None
        t = self.model.__table__
        self.table = t
        self.existing: dict[int, dict] = {}
        self.by_ext: dict[str, int] = {}
        self.by_nat: dict[tuple, list[int]] = defaultdict(list)
        for r in session.execute(
            select(t.c.id, *[t.c[c] for c in self.columns]).order_by(t.c.id)
        ).mappings():
            rec = dict(r)
            rid = rec.pop("id")
            self.existing[rid] = rec
            ext = rec.get("external_id")
            if ext is not None and self._own_ext(ext):
                self.by_ext[ext] = rid
            self.by_nat[self.key(rec)].append(rid)

    def _own_ext(self, ext: str) -> bool:
        return True

    def key(self, rec: dict) -> tuple:
        d = self.defaults
        return tuple(rec.get(f, d.get(f)) for f in self.key_fields)

    def build(self, row: _Row) -> dict | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def contact_of(self, row: _Row, account_id: int) -> int | None:
        name = row.values.get("contact")
        if name is None:
            return None
        if self.contacts is None:
            self.contacts = _Contacts(self.session)
        return self.contacts.get(account_id, name)

    def plan(self, rows: list[_Row]) -> None:
        ext_col = _column(self.spec, "external_id")
        seen_ext: dict[str, int] = {}
        claimed: set[int] = set()
        pending: list[_Row] = []
        for row in rows:
            if row.errors:
                continue
            want = self.build(row)
            if want is None or row.errors:
                continue
            row.want = want
            ext = want.get("external_id")
            if ext is not None:
                if ext in seen_ext:
                    row.errors.append(
                        RowError(
                            row.line,
                            ext_col,
                            f"external id '{ext}' is already used on line {seen_ext[ext]}; "
                            "ids must be unique",
                        )
                    )
                    continue
                seen_ext[ext] = row.line
                rid = self.by_ext.get(ext)
                if rid is not None:
                    self._decide(row, rid)
                    claimed.add(rid)
                    continue
            pending.append(row)
        if not pending:
            return
        # Natural keys: identical records first, then the rest in order, one to one.
        existing = self.existing
        loose: list[_Row] = []
        for row in pending:
            want = row.want
            has_ext = want.get("external_id") is not None
            match = None
            for rid in self.by_nat.get(self.key(want), ()):
                if rid in claimed:
                    continue
                rec = existing[rid]
                if has_ext and rec.get("external_id") is not None:
                    continue
                if all(rec.get(c) == val for c, val in want.items()):
                    match = rid
                    break
            if match is None:
                loose.append(row)
            else:
                claimed.add(match)
                self._decide(row, match)
        for row in loose:
            want = row.want
            has_ext = want.get("external_id") is not None
            match = None
            for rid in self.by_nat.get(self.key(want), ()):
                if rid in claimed:
                    continue
                if has_ext and existing[rid].get("external_id") is not None:
                    continue
                match = rid
                break
            if match is None:
                row.action = "create"
                row.want = {**self.defaults, **want}
            else:
                claimed.add(match)
                self._decide(row, match)

    def _decide(self, row: _Row, rid: int) -> None:
        rec = self.existing[rid]
        row.target = rid
        want = row.want
        if all(rec.get(c) == val for c, val in want.items()):
            row.action = "unchanged"
            row.want = rec
            return
        row.action = "update"
        if rec.get("account_id") is not None:
            self.touched.add(rec["account_id"])
        row.want = {**rec, **want}

    def _resolve_contacts(self, rows: list[_Row]) -> None:
        if self.contacts is None or not self.contacts.new:
            return
        used = {
            r.want.get("contact_id")
            for r in rows
            if r.action in ("create", "update") and (r.want.get("contact_id") or 0) < 0
        }
        real = self.contacts.create(self.session, used)
        for r in rows:
            cid = r.want.get("contact_id")
            if cid is not None and cid < 0 and r.action in ("create", "update"):
                r.want["contact_id"] = real[cid]

    def write(self, rows: list[_Row]) -> None:
        self._resolve_contacts(rows)
        s = self.session
        t = self.table
        creates = [r for r in rows if r.action == "create"]
        if creates:
            if self.needs_ids:
                ids = s.execute(
                    insert(t).returning(t.c.id, sort_by_parameter_order=True),
                    [r.want for r in creates],
                ).scalars()
                for r, rid in zip(creates, ids, strict=True):
                    r.target = rid
            else:
                s.execute(insert(t), [r.want for r in creates])
        updates = [r for r in rows if r.action == "update"]
        _bulk_update(s, t, [{"id": r.target, **r.want} for r in updates])
        self.touched.update(r.want["account_id"] for r in creates + updates)

    needs_ids = False


class _SubscriptionPlanner(_RecordPlanner):
    kind = "subscriptions"
    model = Subscription
    columns = ("account_id", "external_id", "start", "end", "mrr", "trial")
    defaults = {"external_id": None, "end": None, "trial": False}
    key_fields = ("account_id", "start", "mrr")

    def build(self, row: _Row) -> dict | None:
        aid = self.account_of(row, self.spec)
        if aid is None:
            return None
        v = row.values
        want = {"account_id": aid, "start": v["start"], "mrr": v["mrr"]}
        if "end" in v:
            want["end"] = v["end"]
            if v["end"] is not None and v["end"] < v["start"]:
                self.reject(
                    row,
                    "end",
                    f"the subscription ends ({v['end']}) before it starts ({v['start']})",
                )
                return None
        if "trial" in v:
            want["trial"] = bool(v["trial"])
        if v.get("external_id") is not None:
            want["external_id"] = v["external_id"]
        return want

    def write(self, rows: list[_Row]) -> None:
        super().write(rows)
        if self.touched:
            self.after_subscriptions(self.session, sorted(self.touched))

    def after_subscriptions(self, s: Session, ids: list[int]) -> None:
        """MRR levels from the subscriptions; then start and tier follow them."""
        self.book.rederive_levels(s, ids)
        firsts = dict(
            s.execute(
                select(Subscription.account_id, func.min(Subscription.start))
                .where(Subscription.account_id.in_(ids))
                .group_by(Subscription.account_id)
            ).all()
        )
        levels: dict[int, list[tuple[date, float]]] = defaultdict(list)
        for aid, eff, mrr in s.execute(
            select(MrrLevel.account_id, MrrLevel.effective, MrrLevel.mrr).where(
                MrrLevel.account_id.in_(ids)
            )
        ):
            levels[aid].append((eff, mrr))
        tiers = self.book.config.tiers
        changes = []
        for aid, start, tier, manual, version in s.execute(
            select(
                Account.id, Account.start, Account.tier, Account.tier_manual, Account.version
            ).where(Account.id.in_(ids))
        ):
            new_start = min(start, firsts.get(aid, start))
            new_tier = tier if manual else suggest_tier(mrr_on(levels[aid], self.today) * 12, tiers)
            if new_start != start or new_tier != tier:
                changes.append(
                    {
                        "id": aid,
                        "start": new_start,
                        "tier": new_tier,
                        "version": version + 1,
                        "updated_at": self.now,
                    }
                )
        _bulk_update(s, Account.__table__, changes)


class _InteractionPlanner(_RecordPlanner):
    kind = "interactions"
    model = Interaction
    columns = ("account_id", "contact_id", "kind", "day", "summary", "notes", "external_id")
    defaults = {
        "contact_id": None,
        "kind": "note",
        "summary": "",
        "notes": "",
        "external_id": None,
        "at": None,
        "sentiment": None,
        "tags": "",
    }
    key_fields = ("account_id", "day", "kind", "summary")

    def __init__(self, book: Book, session: Session, today: date, spec: _Spec):
        super().__init__(book, session, today, spec)
        self.defaults = {**self.defaults, "created_at": self.now}

    def build(self, row: _Row) -> dict | None:
        aid = self.account_of(row, self.spec)
        if aid is None:
            return None
        v = row.values
        want: dict[str, Any] = {"account_id": aid, "day": v["date"]}
        if "kind" in v:
            want["kind"] = v["kind"] or "note"
        for f in ("summary", "notes"):
            if f in v:
                want[f] = v[f] or ""
        if "contact" in v:
            want["contact_id"] = self.contact_of(row, aid)
        if v.get("external_id") is not None:
            want["external_id"] = v["external_id"]
        return want


class _ScorePlanner(_RecordPlanner):
    kind = "scores"
    model = Score
    columns = ("account_id", "contact_id", "kind", "value", "day", "external_id")
    defaults = {"contact_id": None, "interaction_id": None, "external_id": None}
    key_fields = ("account_id", "day", "kind", "contact_id")

    def build(self, row: _Row) -> dict | None:
        aid = self.account_of(row, self.spec)
        if aid is None:
            return None
        v = row.values
        kind, value = v["kind"], v["value"]
        low, high = SCORE_RANGES[kind]
        if not low <= value <= high:
            self.reject(row, "value", f"{value:g} is out of range for {kind} ({low:g}-{high:g})")
            return None
        if kind in ("nps", "csat", "ces") and value != int(value):
            self.reject(
                row, "value", f"{value:g} is not a whole number; {kind} answers are whole numbers"
            )
            return None
        want: dict[str, Any] = {"account_id": aid, "day": v["date"], "kind": kind, "value": value}
        if "contact" in v:
            want["contact_id"] = self.contact_of(row, aid)
        if v.get("external_id") is not None:
            want["external_id"] = v["external_id"]
        return want

    needs_ids = True

    def write(self, rows: list[_Row]) -> None:
        super().write(rows)
        # Recent answers fire the closed loop like quick-logged ones (docs/rules.md).
        self.book.fire_score_loop(
            self.session,
            [
                (r.target, r.want["account_id"], r.want["kind"], r.want["value"], r.want["day"])
                for r in rows
                if r.action in ("create", "update")
            ],
            self.today,
        )


class _TicketPlanner(_RecordPlanner):
    kind = "tickets"
    model = Ticket
    columns = ("account_id", "external_id", "opened", "closed", "priority", "csat")
    defaults = {"external_id": None, "closed": None, "priority": None, "csat": None}
    key_fields = ("account_id", "opened", "priority")
    needs_ids = True

    def build(self, row: _Row) -> dict | None:
        aid = self.account_of(row, self.spec)
        if aid is None:
            return None
        v = row.values
        want: dict[str, Any] = {"account_id": aid, "opened": v["opened"]}
        if "closed" in v:
            want["closed"] = v["closed"]
            if v["closed"] is not None and v["closed"] < v["opened"]:
                row.errors.append(
                    RowError(
                        row.line,
                        _column(self.spec, "closed"),
                        f"the ticket is closed ({v['closed']}) before it was opened "
                        f"({v['opened']})",
                    )
                )
                return None
        if "priority" in v:
            want["priority"] = v["priority"]
        if "csat" in v:
            csat = v["csat"]
            if csat is not None and not 1 <= csat <= 5:
                self.reject(row, "csat", f"CSAT {csat:g} is out of range (1-5)")
                return None
            want["csat"] = csat
        if v.get("external_id") is not None:
            want["external_id"] = v["external_id"]
        return want

    def write(self, rows: list[_Row]) -> None:
        super().write(rows)
        self._sync_csat(rows)

    def _sync_csat(self, rows: list[_Row]) -> None:
        """A ticket's CSAT is also a csat score (external id ``ticket:<ticket id>``)."""
        s = self.session
        existing: dict[str, tuple[int, int, float, date]] = {
            ext: (sid, aid, value, day)
            for sid, ext, aid, value, day in s.execute(
                select(Score.id, Score.external_id, Score.account_id, Score.value, Score.day)
                .where(Score.kind == "csat")
                .where(or_(Score.external_id.like("ticket:%"), Score.external_id.like("ticket#%")))
            )
        }
        inserts, updates, deletes = [], [], []
        for r in rows:
            if r.action is None:
                continue
            rec = r.want
            ext = rec.get("external_id")
            sid = f"ticket:{ext}" if ext else f"ticket#{r.target}"
            have = existing.get(sid)
            csat = rec.get("csat")
            if csat is None:
                if have is not None:
                    deletes.append(have[0])
                    self.touched.add(have[1])
                continue
            day = rec.get("closed") or rec["opened"]
            aid = rec["account_id"]
            if have is None:
                inserts.append(
                    {
                        "account_id": aid,
                        "contact_id": None,
                        "interaction_id": None,
                        "kind": "csat",
                        "value": csat,
                        "day": day,
                        "external_id": sid,
                    }
                )
                self.touched.add(aid)
            elif have[1:] != (aid, csat, day):
                updates.append({"id": have[0], "account_id": aid, "value": csat, "day": day})
                self.touched.update((aid, have[1]))
        if inserts:
            s.execute(insert(Score.__table__), inserts)
        _bulk_update(s, Score.__table__, updates)
        # A recent ticket CSAT fires the closed loop like a quick-logged one.
        updated = {u["id"] for u in updates}
        changed = [r["external_id"] for r in inserts] + [
            ext for ext, have in existing.items() if have[0] in updated
        ]
        answers: list = []
        for i in range(0, len(changed), 500):
            answers += s.execute(
                select(Score.id, Score.account_id, Score.kind, Score.value, Score.day)
                .where(Score.kind == "csat")
                .where(Score.external_id.in_(changed[i : i + 500]))
            ).all()
        self.book.fire_score_loop(s, [tuple(r) for r in answers], self.today)
        if deletes:
            s.execute(delete(Score.__table__).where(Score.__table__.c.id.in_(deletes)))


class _UsagePlanner(_RecordPlanner):
    kind = "usage"
    model = UsageEvent
    columns = ("account_id", "subscription_id", "external_id", "day", "count")
    defaults = {"subscription_id": None, "external_id": None, "count": 1.0}
    key_fields = ("account_id", "subscription_id", "day")

    def __init__(self, book: Book, session: Session, today: date, spec: _Spec):
        super().__init__(book, session, today, spec)
        self.subs: dict[str, tuple[int, int]] = {
            ext: (sid, aid)
            for sid, ext, aid in session.execute(
                select(Subscription.id, Subscription.external_id, Subscription.account_id).where(
                    Subscription.external_id.is_not(None)
                )
            )
        }

    def build(self, row: _Row) -> dict | None:
        v = row.values
        aid = self.account_of(row, self.spec)
        if row.errors:
            return None
        want: dict[str, Any] = {"day": v["date"]}
        sub_ref = v.get("subscription")
        if "subscription" in v:
            want["subscription_id"] = None
        if sub_ref is not None:
            found = self.subs.get(sub_ref)
            if found is None:
                row.errors.append(
                    RowError(
                        row.line,
                        _column(self.spec, "subscription"),
                        f"no subscription with external id '{sub_ref}' in the book; "
                        "import the subscriptions first or fix the cell",
                    )
                )
                return None
            sid, sub_aid = found
            if aid is not None and aid != sub_aid:
                self.reject(row, "account", f"subscription '{sub_ref}' belongs to another account")
                return None
            want["subscription_id"] = sid
            aid = sub_aid
        if aid is None:
            row.errors.append(
                RowError(
                    row.line,
                    None,
                    "neither an account nor a subscription is given; fill one of them",
                )
            )
            return None
        want["account_id"] = aid
        if "count" in v:
            want["count"] = 1.0 if v["count"] is None else v["count"]
        if v.get("external_id") is not None:
            want["external_id"] = v["external_id"]
        return want


PLANNERS: dict[str, type[_Planner]] = {
    "accounts": _AccountPlanner,
    "contacts": _ContactPlanner,
    "subscriptions": _SubscriptionPlanner,
    "interactions": _InteractionPlanner,
    "scores": _ScorePlanner,
    "tickets": _TicketPlanner,
    "usage": _UsagePlanner,
}


# -- the import itself ------------------------------------------------------------------
def import_file(
    book: Book,
    kind: str,
    path: str | Path,
    mapping: dict[str, str] | None = None,
    constants: dict[str, str] | None = None,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    today: date,
    progress: Progress | None = None,
    rejects_to: str | Path | None = None,
) -> ImportReport:
    """Import *path* as *kind* into *book* in one transaction.

    Raises :class:`BookError` for a problem with the file as a whole (nothing is written).
    Invalid rows make the whole import write nothing (``written=False``, every problem in
    ``rejected``) unless *skip_invalid*, which writes the valid rows and the rejected ones,
    with their reasons, to ``<file>.rejects.csv`` beside the input (or *rejects_to*).
    *dry_run* plans and reports without writing anything. A successful import marks the
    touched accounts stale: the next ``Book.sync`` (the next view or command) brings their
    touchpoints and health up to date, once for a series of imports.
    """
    t0 = time.perf_counter()
    _check_kind(kind)
    path = Path(path)
    data = read_csv(path)
    spec = _resolve_columns(kind, data.header, mapping, constants, strict=True)
    total = len(data.rows)
    if progress is not None:
        progress(0, total)
    rows = _parse_rows(data, spec, progress)

    def run(session: Session) -> _Planner:
        planner = PLANNERS[kind](book, session, today, spec)
        planner.plan(rows)
        return planner

    def invalid() -> bool:
        return any(r.errors for r in rows)

    written = False
    touched: set[int] = set()
    rejects_path: Path | None = None
    if dry_run:
        with book.read() as s:
            planner = run(s)
    else:
        try:
            with book.write() as s:
                planner = run(s)
                if invalid() and skip_invalid:
                    # Before writing: a rejects file that cannot be written stops the import.
                    rejects_path = write_rejects(
                        data,
                        [
                            (r.line, r.cells, "; ".join(_reason(e) for e in r.errors))
                            for r in rows
                            if r.errors
                        ],
                        Path(rejects_to) if rejects_to is not None else None,
                    )
                if not invalid() or skip_invalid:
                    planner.write([r for r in rows if r.action is not None and not r.errors])
                    touched = planner.touched
                    # Touchpoints and health of these accounts are re-planned by the next
                    # Book.sync (the next view or command), once for a series of imports.
                    book.mark_stale(s, touched)
                    written = True
        except IntegrityError as exc:
            raise BookError(
                f"the import clashes with records already in the book ({exc.orig}); "
                "nothing was written"
            ) from None
        except BaseException:
            if rejects_path is not None:
                rejects_path.unlink(missing_ok=True)
            raise
    if progress is not None:
        progress(total, total)
    for r in rows:  # every row is planned or rejected, never silently dropped
        if r.action is None and not r.errors:  # pragma: no cover - defensive
            r.errors.append(RowError(r.line, None, "could not be matched or created"))
    errors = [e for r in rows for e in r.errors]
    sync_seconds = 0.0  # planning is deferred to the next Book.sync (mark_stale above)
    counts = defaultdict(int)
    for r in rows:
        if r.action is not None and not r.errors:
            counts[r.action] += 1
    planned, onboarding_skipped = (
        _plan_summary(book, rows, today) if kind == "accounts" else ({}, 0)
    )
    return ImportReport(
        kind=kind,
        rows=total,
        created=counts["create"],
        updated=counts["update"],
        unchanged=counts["unchanged"],
        rejected=errors,
        rejects_path=rejects_path,
        dry_run=dry_run,
        written=written,
        seconds=time.perf_counter() - t0,
        sync_seconds=sync_seconds,
        path=path,
        mapping=spec.mapping(),
        constants=spec.raw_constants,
        columns=list(data.header),
        planned=planned,
        onboarding_skipped=onboarding_skipped,
        horizon_days=book.config.playbook.horizon_days,
    )


def _plan_summary(book: Book, rows: list[_Row], today: date) -> tuple[dict[str, int], int]:
    """What the next sync plans for the accounts this import creates (see ``Book.plan_from``).

    Touchpoints due from *today* to ``horizon_days`` ahead, per kind, and how many accounts
    are existing customers: their onboarding (up to the mini-QBR) is over by the import
    day, so none of it is planned.
    """
    pc = book.config.playbook
    window = (today, today + timedelta(days=pc.horizon_days))
    planned: dict[str, int] = defaultdict(int)
    skipped = 0
    for r in rows:
        if r.action != "create" or r.errors or r.want.get("status") != "active":
            continue
        start = r.want["start"]
        for p in playbook_touchpoints(r.want["tier"], start, r.want["renewal"], window, pc):
            planned[p.kind] += 1
        if start + timedelta(days=pc.onboarding.get("mini_qbr", 30)) < today:
            skipped += 1
    return dict(sorted(planned.items())), skipped


def _reason(e: RowError) -> str:
    return f"{e.column}: {e.reason}" if e.column else e.reason


def parse_pairs(items: list[str] | None, option: str, shape: str) -> dict[str, str]:
    """``["a=b", ...]`` -> ``{"a": "b"}`` (the --map / --set arguments)."""
    out: dict[str, str] = {}
    for item in items or []:
        left, sep, right = item.partition("=")
        left = left.strip()
        if not sep or not left:
            raise BookError(f"{option} '{item}' is not {shape}, e.g. {option} {shape}")
        if left in out:
            raise BookError(f"{option} gives '{left}' twice; give each field once")
        out[left] = right
    return out
