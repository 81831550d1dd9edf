"""Export every kind of the book as CSV or JSON, in the importer's own vocabulary.

The columns are exactly the field names of :mod:`bookkeeper_tui.io.fields`, and the
values are written the way the importer reads them (ISO dates, ``true``/``false``,
blank for nothing, the account named by its external id when it has one), so an export
re-imports with no ``--map``. A CSV text cell a spreadsheet would run as a formula
(``=HYPERLINK(...)``) is written with a ``'`` in front unless ``raw``; the importer drops
it again. MRR is history, not an account field: the ``subscriptions``
export carries it, with one synthetic row per manual MRR level for accounts that have
no subscriptions, so that importing it reproduces every account's MRR on every day
(docs/export.md).

Rows are read and written one at a time (``iter_rows``/``write_export``) so a large
book is never held as one string; ``export_rows`` gives the same rows as a list for
callers that want them all (the TUI).
"""

from __future__ import annotations

import csv
import heapq
import json
import math
from collections.abc import Iterator
from contextlib import closing
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from bookkeeper_tui.core.text import json_escaped, neutralise_formula
from bookkeeper_tui.io.fields import KINDS, field_names
from bookkeeper_tui.store.book import BookError
from bookkeeper_tui.store.models import (
    Account,
    Contact,
    Interaction,
    MrrLevel,
    Score,
    Subscription,
    Ticket,
    UsageEvent,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from bookkeeper_tui.store.book import Book

#: What ``bookkeeper export`` accepts: every importable kind, plus the calendar.
EXPORT_KINDS: tuple[str, ...] = (*KINDS, "ics")
FORMATS = ("csv", "json")

#: Rows fetched from the database at a time while streaming.
_BATCH = 1000


def _check_kind(kind: str) -> None:
    if kind not in _ROWS:
        raise BookError(f"cannot export '{kind}'; export one of {', '.join(EXPORT_KINDS)}")


def account_key(external_id: str | None, name: str) -> str:
    """How an export names an account: what the importer matches first."""
    return external_id if external_id else name


def synthetic_subscription_id(key: str, day: date) -> str:
    """The external id of the subscription row that stands for a manual MRR level."""
    return f"mrr:{key}:{day.isoformat()}"


def iter_rows(book: Book, kind: str) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """The header and a lazy iterator of rows of *kind*, in a deterministic order.

    Values are plain Python (``date``, ``bool``, ``float``, ``str``, ``None``); the
    writers format them. The iterator holds a read session until it is exhausted or
    closed.
    """
    _check_kind(kind)
    return field_names(kind), _ROWS[kind](book)


def export_rows(book: Book, kind: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The header and every row of *kind* (see :func:`iter_rows`)."""
    header, rows = iter_rows(book, kind)
    with closing(rows):  # type: ignore[arg-type]
        return header, list(rows)


def write_export(book: Book, kind: str, fmt: str, out: TextIO, raw: bool = False) -> int:
    """Write *kind* to *out* as ``csv`` or ``json`` (``ics`` for the calendar); the row count.

    A CSV's text cells that a spreadsheet would run as formulas are neutralised (a ``'``
    in front) unless *raw*; JSON and the calendar are not spreadsheets, *raw* is moot."""
    if kind == "ics":
        from bookkeeper_tui.io.calendar import write_ics

        return write_ics(book, out)
    if fmt not in FORMATS:
        raise BookError(f"unknown format '{fmt}'; use csv or json")
    header, rows = iter_rows(book, kind)
    with closing(rows):  # type: ignore[arg-type]
        if fmt == "csv":
            return write_csv(header, rows, out, raw=raw)
        return write_json(header, rows, out)


# -- formatting -------------------------------------------------------------------------
def _number(value: float | int) -> int | float:
    """Whole numbers without ``.0`` (1500, not 1500.0); others as the shortest exact float."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def csv_value(value: Any, raw: bool = False) -> str:
    """One cell: ISO dates, ``true``/``false``, blank for None, exact numbers, and text
    that a spreadsheet would run as a formula (``=`` ``+`` ``-`` ``@`` ...) with a ``'`` in
    front unless *raw* (core/text.py; the importer drops it again). Only text is
    neutralised: a negative number is a number."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return repr(_number(value))
    return str(value) if raw else neutralise_formula(str(value))


def json_value(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, float) and not isinstance(value, bool):
        return _number(value)
    return value


def write_csv(
    header: list[str], rows: Iterator[dict[str, Any]], out: TextIO, raw: bool = False
) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow([csv_value(row.get(name), raw) for name in header])
        n += 1
    return n


def write_json(header: list[str], rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    """A JSON list of objects, one per line, written as the rows come."""
    n = 0
    for row in rows:
        out.write("[\n  " if n == 0 else ",\n  ")
        obj = {name: json_value(row.get(name)) for name in header}
        out.write(json_escaped(json.dumps(obj, ensure_ascii=False)))
        n += 1
    out.write("\n]\n" if n else "[]\n")
    return n


# -- the kinds ----------------------------------------------------------------------------
def _stream(session: Session, query) -> Iterator[Any]:
    yield from session.execute(query.execution_options(yield_per=_BATCH))


def _contact_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Contact.id, Contact.name)).all())


def _accounts(book: Book) -> Iterator[dict[str, Any]]:
    with book.read() as s:
        for (a,) in _stream(s, select(Account).order_by(Account.name_key, Account.id)):
            yield {
                "name": a.name,
                "external_id": a.external_id,
                "tier": a.tier if a.tier_manual else None,  # blank: follows ARR again on import
                "start": a.start,
                "renewal": a.renewal,
                "owner": a.owner,
                "industry": a.industry,
                # MRR is history: the subscriptions export carries it.
                "mrr": None,
                "tags": a.tags or None,
                "source": a.source,
            }


def _contacts(book: Book) -> Iterator[dict[str, Any]]:
    with book.read() as s:
        q = (
            select(Contact, Account.external_id, Account.name)
            .join(Account, Account.id == Contact.account_id)
            .order_by(Account.name_key, Account.id, Contact.name_key, Contact.id)
        )
        for c, ext, name in _stream(s, q):
            yield {
                "account": account_key(ext, name),
                "name": c.name,
                "email": c.email,
                "role": c.role,
            }


def _subscriptions(book: Book) -> Iterator[dict[str, Any]]:
    """Real subscriptions, and manual MRR levels as subscriptions for accounts without any.

    A level applies from its date until the next level's date, which is exactly a
    subscription with that start and end: importing these rows makes the MRR on every
    day the same as it is in this book.
    """
    with book.read() as s:
        real = (
            select(
                Account.name_key,
                Account.id,
                Account.external_id,
                Account.name,
                Subscription.start,
                Subscription.id,
                Subscription.end,
                Subscription.mrr,
                Subscription.trial,
                Subscription.external_id,
            )
            .join(Account, Account.id == Subscription.account_id)
            .order_by(Account.name_key, Account.id, Subscription.start, Subscription.id)
        )
        has_subs = select(Subscription.id).where(Subscription.account_id == Account.id).exists()
        levels = (
            select(
                Account.name_key,
                Account.id,
                Account.external_id,
                Account.name,
                MrrLevel.effective,
                MrrLevel.id,
                MrrLevel.mrr,
            )
            .join(Account, Account.id == MrrLevel.account_id)
            .where(~has_subs)
            .order_by(Account.name_key, Account.id, MrrLevel.effective)
        )

        def real_rows() -> Iterator[tuple[tuple, dict[str, Any]]]:
            for nk, aid, ext, name, start, sid, end, mrr, trial, sext in _stream(s, real):
                yield (
                    (nk, aid, start, sid),
                    {
                        "account": account_key(ext, name),
                        "start": start,
                        "mrr": mrr,
                        "end": end,
                        "external_id": sext,
                        "trial": bool(trial),
                    },
                )

        def level_rows() -> Iterator[tuple[tuple, dict[str, Any]]]:
            pending: tuple | None = None
            for row in _stream(s, levels):
                if pending is not None:
                    same = pending[1] == row[1]
                    yield _level_row(pending, row[4] if same else None)
                pending = row
            if pending is not None:
                yield _level_row(pending, None)

        for _, row in heapq.merge(real_rows(), level_rows(), key=lambda item: item[0]):
            yield row


def _level_row(level: tuple, end: date | None) -> tuple[tuple, dict[str, Any]]:
    nk, aid, ext, name, effective, lid, mrr = level
    key = account_key(ext, name)
    return (
        (nk, aid, effective, lid),
        {
            "account": key,
            "start": effective,
            "mrr": mrr,
            "end": end,
            "external_id": synthetic_subscription_id(key, effective),
            "trial": False,
        },
    )


def _interactions(book: Book) -> Iterator[dict[str, Any]]:
    with book.read() as s:
        people = _contact_names(s)
        q = (
            select(Interaction, Account.external_id, Account.name)
            .join(Account, Account.id == Interaction.account_id)
            .order_by(Account.name_key, Account.id, Interaction.day, Interaction.id)
        )
        for it, ext, name in _stream(s, q):
            yield {
                "account": account_key(ext, name),
                "date": it.day,
                "kind": it.kind,
                "summary": it.summary,
                "notes": it.notes,
                "contact": people.get(it.contact_id) if it.contact_id is not None else None,
                "external_id": it.external_id,
            }


#: A ticket's CSAT is stored twice: on the ticket and as a csat score the importer derives
#: from it (external id ``ticket:<ticket id>``, or ``ticket#<row id>`` for a ticket without
#: one). The tickets export carries it; exporting the copy too would duplicate it on
#: re-import (a ``ticket#`` row id is not the same in another book).
_from_ticket = and_(
    Score.kind == "csat",
    Score.external_id.is_not(None),  # NULL would make the whole test NULL, not false
    or_(Score.external_id.like("ticket:%"), Score.external_id.like("ticket#%")),
)


def _scores(book: Book) -> Iterator[dict[str, Any]]:
    with book.read() as s:
        people = _contact_names(s)
        q = (
            select(Score, Account.external_id, Account.name)
            .join(Account, Account.id == Score.account_id)
            .where(~_from_ticket)
            .order_by(Account.name_key, Account.id, Score.day, Score.id)
        )
        for sc, ext, name in _stream(s, q):
            yield {
                "account": account_key(ext, name),
                "date": sc.day,
                "kind": sc.kind,
                "value": sc.value,
                "contact": people.get(sc.contact_id) if sc.contact_id is not None else None,
                "external_id": sc.external_id,
            }


def _tickets(book: Book) -> Iterator[dict[str, Any]]:
    with book.read() as s:
        q = (
            select(Ticket, Account.external_id, Account.name)
            .join(Account, Account.id == Ticket.account_id)
            .order_by(Account.name_key, Account.id, Ticket.opened, Ticket.id)
        )
        for t, ext, name in _stream(s, q):
            yield {
                "account": account_key(ext, name),
                "opened": t.opened,
                "closed": t.closed,
                "priority": t.priority,
                "csat": t.csat,
                "external_id": t.external_id,
            }


def _usage(book: Book) -> Iterator[dict[str, Any]]:
    with book.read() as s:
        sub = aliased(Subscription)
        q = (
            select(UsageEvent, Account.external_id, Account.name, sub.external_id)
            .join(Account, Account.id == UsageEvent.account_id)
            .join(sub, sub.id == UsageEvent.subscription_id, isouter=True)
            .order_by(Account.name_key, Account.id, UsageEvent.day, UsageEvent.id)
        )
        for u, ext, name, sub_ext in _stream(s, q):
            yield {
                "account": account_key(ext, name),
                "subscription": sub_ext,
                "date": u.day,
                "count": u.count,
                "external_id": u.external_id,
            }


_ROWS = {
    "accounts": _accounts,
    "contacts": _contacts,
    "subscriptions": _subscriptions,
    "interactions": _interactions,
    "scores": _scores,
    "tickets": _tickets,
    "usage": _usage,
}
