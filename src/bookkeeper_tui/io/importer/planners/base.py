"""What every planner shares: the book's accounts and contacts, bulk updates, and the
planner of whole records (matched by external id, else by natural key).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from bookkeeper_tui.io.importer.mapping import _column, _Spec
from bookkeeper_tui.io.importer.parsers import _Row
from bookkeeper_tui.io.importer.results import RowError
from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.models import (
    Account,
    Contact,
    name_key,
)


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
        self._placeholders = itertools.count(-1, -1)

    def get(self, account_id: int, name: str) -> int:
        key = name_key(name)
        cid = self.ids.get((account_id, key))
        if cid is None:
            cid = next(self._placeholders)
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
        real = dict(zip(wanted, ids, strict=True))
        # Later chunks of the file find these contacts as the book's own.
        for placeholder, cid in real.items():
            aid, _, key = self.new.pop(placeholder)
            self.ids[(aid, key)] = cid
        return real


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

    def finish(self) -> None:
        """After the last chunk is written: what is done once for the whole file."""

    def account_of(self, row: _Row, spec: _Spec, f: str = "account") -> int | None:
        ref = row.values.get(f)
        if ref is None:
            return None
        aid = self.refs.account(ref)
        if aid is None:
            row.errors.append(RowError(row.line, _column(spec, f), _no_account(ref)))
        return aid


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
        #: external id -> the line that used it; the book's records matched so far.
        self.seen_ext: dict[str, int] = {}
        self.claimed: set[int] = set()
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
        """Plan one chunk of rows (the file's earlier chunks are remembered)."""
        ext_col = _column(self.spec, "external_id")
        seen_ext = self.seen_ext
        claimed = self.claimed
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
