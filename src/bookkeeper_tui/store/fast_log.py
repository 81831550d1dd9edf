"""``bookkeeper log`` on an SQLite book with the standard ``sqlite3`` module alone.

Opening the book the full way imports SQLAlchemy and SQLModel (0.4-0.5 s), most of the
command's time. The common line (an account, a kind, a summary, tags, ``@DATE``,
``next KIND DATE``) only adds an interaction, completes the touchpoint it fulfils, plans
its ``next`` touchpoint and refreshes the account's health, so that is done here, in one
``BEGIN IMMEDIATE`` transaction, with the same rules as :meth:`Book.record`
(``store.log_result.line_match``, ``core.health``, ``core.loop``) and the same rows.

The shortcut is taken only when its answer is exactly what the full path would give:
a sound file (SQLite's ``quick_check``) at this code's schema version, already brought
up to the command's day (``synced_on``), with no accounts waiting to be re-planned and
today's daily backup made; a line that parses, names its account exactly or by a unique
prefix, and has none of ``with``, scores, ``mrr``, a renewal outcome, ``#first-value``
or ``--check`` items; an active account already started. Anything else returns ``None``
before writing and the command takes the full path, with its clear errors.

``Book.record`` writes a plain line the same way on an open SQLite book (the quick log in
the app, the command's full path): :func:`record_pooled`, on a connection of the book's
own pool, where the book is already open and brought up to its day.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from bookkeeper_tui.core.content import dump_ticked
from bookkeeper_tui.core.names import name_key
from bookkeeper_tui.core.quicklog import QuickLog, QuickLogError, parse_quicklog
from bookkeeper_tui.core.settings import Config
from bookkeeper_tui.core.signals import churn_spans
from bookkeeper_tui.store.errors import BookError, sqlite_busy
from bookkeeper_tui.store.fast_health import _health, _insert_touchpoint, _stamp
from bookkeeper_tui.store.location import is_url
from bookkeeper_tui.store.log_result import (
    FIRST_VALUE_TAG,
    LogResult,
    line_match,
    referral_match,
)
from bookkeeper_tui.store.version import SCHEMA_VERSION

#: As store.engine (not imported: it imports SQLAlchemy).
BUSY_TIMEOUT_MS = 10_000
#: store.backup's daily backups: <folder of the book>/backups/daily/<book>-YYYY-MM-DD.db
DAILY_BACKUP_DIR = ("backups", "daily")


class _Tp(NamedTuple):
    id: int
    kind: str
    due: date


def daily_backup_path(book: Path, today: date) -> Path:
    """Where store.backup.daily_backup keeps *today*'s backup of *book*."""
    return book.parent.joinpath(*DAILY_BACKUP_DIR) / f"{book.stem}-{today.isoformat()}.db"


def log_fast(
    location: str,
    line: str,
    today: date,
    config: Config,
    *,
    yes: bool = False,
    checklist: Sequence[str] = (),
    now: datetime | None = None,
) -> LogResult | None:
    """Record *line* as ``Book.record`` would, or None (nothing written) when the full
    path must (see the module doc). *yes* is the command's ``--yes``: a close spelling
    of a name is left to the full path either way (it asks, or logs with ``--yes``)."""
    if checklist or is_url(location):
        return None
    path = Path(location).expanduser()
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return None
    except OSError:
        return None
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK | os.X_OK):
        return None  # the full path says how to make it writable
    if not daily_backup_path(path, date.today()).exists():
        return None  # the full path makes it first
    try:
        con = sqlite3.connect(
            f"file:{quote(str(path.resolve()))}?mode=rw",
            uri=True,
            isolation_level=None,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
    except sqlite3.Error:
        return None
    try:
        return _log(con, line, today, config, now)
    except sqlite3.OperationalError as exc:
        if sqlite_busy(exc):
            raise  # another writer held the book past the wait: the command says so
        return None
    except sqlite3.Error:
        return None  # rolled back whole (below); the full path gives the clear error
    finally:
        if con.in_transaction:
            con.execute("ROLLBACK")
        con.close()


def _sqlite_pragmas(con: sqlite3.Connection, _record: object) -> None:
    """store.engine's connection settings: foreign keys on, WAL, synchronous=FULL."""
    con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = FULL")


def _log(
    con: sqlite3.Connection, line: str, today: date, config: Config, now: datetime | None
) -> LogResult | None:
    con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    row = con.execute("PRAGMA quick_check(1)").fetchone()
    if row is None or row[0] != "ok":
        return None
    if not con.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone():
        return None
    _sqlite_pragmas(con, None)
    con.execute("BEGIN IMMEDIATE")
    meta = dict(
        con.execute(
            "SELECT key, value FROM meta "
            "WHERE key IN ('schema_version', 'synced_on', 'stale_accounts', 'book_id')"
        )
    )
    if (
        meta.get("schema_version") != str(SCHEMA_VERSION)
        or "stale_accounts" in meta
        or "book_id" not in meta
        or meta.get("synced_on") != today.isoformat()
    ):
        return None  # an upgrade, a re-plan, a new day to plan: the full path
    names = [r[0] for r in con.execute("SELECT name FROM account ORDER BY name")]
    try:
        q = parse_quicklog(line, names, today)
    except QuickLogError:
        return None  # the full path says what to fix, with the same words
    if q.account_match == "fuzzy":
        return None  # the full path asks (or logs with --yes)
    result = record_plain(con, q, today, config, now)
    if result is None:
        return None
    con.execute("COMMIT")
    return result


def record_pooled(
    connect: Callable[[], Any],
    q: QuickLog,
    today: date,
    config: Config,
    now: datetime | None = None,
    touchpoint_id: int | None = None,
    ticked: Sequence[str] = (),
) -> LogResult | None:
    """:func:`record_plain` in a ``BEGIN IMMEDIATE`` transaction of its own, on a
    connection of the open book's pool (*connect*: the engine's ``raw_connection``, whose
    ``driver_connection`` is the sqlite3 connection with the book's settings): how
    ``Book.record`` writes a plain line on SQLite. None, nothing written, for any other
    line (the ORM path records it).

    A busy book's error is raised as it is (the command line and the app say the book
    was busy); any other database error rolls back and returns None, so that the ORM
    path gives its usual sentence (a full disk, a read-only book).
    """
    raw = connect()
    try:
        con = raw.driver_connection
        try:
            con.execute("BEGIN IMMEDIATE")
            res = record_plain(con, q, today, config, now, touchpoint_id, ticked)
            con.execute("COMMIT" if res is not None else "ROLLBACK")
            return res
        except sqlite3.OperationalError as exc:
            _rollback(con)
            if sqlite_busy(exc):
                raise
            return None
        except sqlite3.Error:
            _rollback(con)
            return None
        except BaseException:
            _rollback(con)
            raise
    finally:
        raw.close()


def _rollback(con: sqlite3.Connection) -> None:
    if con.in_transaction:
        con.execute("ROLLBACK")


def record_plain(
    con: sqlite3.Connection,
    q: QuickLog,
    today: date,
    config: Config,
    now: datetime | None = None,
    touchpoint_id: int | None = None,
    ticked: Sequence[str] = (),
) -> LogResult | None:
    """:meth:`Book.record` of a plain line, inside the write transaction the caller has
    begun on *con* (``BEGIN IMMEDIATE``) and commits: the same rows, the same result.

    A plain line has none of ``with``, scores, ``mrr``, a renewal outcome or
    ``#first-value``, on an active account already started on the line's day; for any
    other line this returns None before writing anything. *touchpoint_id* (logging from
    a Today row) completes that touchpoint, or raises BookError when it is no longer
    open (the caller rolls back); *ticked*: the checklist items, as ``clean_ticked``
    left them.
    """
    if (
        q.contact is not None
        or q.scores
        or q.mrr is not None
        or q.outcome is not None
        or FIRST_VALUE_TAG in q.tags
    ):
        return None
    acc = con.execute(  # through the name_key index, as Book.record finds it
        "SELECT id, name, status, start, tier FROM account WHERE name_key = ? AND name = ?",
        (name_key(q.account), q.account),
    ).fetchall()
    as_of = max(today, q.when)
    if len(acc) != 1 or acc[0][2] == "churned" or date.fromisoformat(acc[0][3]) > as_of:
        return None
    return _write(con, q, acc[0], as_of, config, now, touchpoint_id, list(ticked))


def _write(
    con: sqlite3.Connection,
    q: QuickLog,
    acc: tuple,
    as_of: date,
    config: Config,
    now: datetime | None,
    touchpoint_id: int | None,
    ticked: list[str],
) -> LogResult:
    """Book.record's writes for a plain line (inside the caller's transaction)."""
    aid, name, _status, start, tier = acc
    at = None if q.dated else _stamp(now or datetime.now(UTC))
    cur = con.execute(
        "INSERT INTO interaction (account_id, contact_id, kind, day, at, summary, notes, "
        "sentiment, tags, external_id, created_at, checklist) "
        "VALUES (?, NULL, ?, ?, ?, ?, '', NULL, ?, NULL, ?, ?)",
        (
            aid,
            q.kind,
            q.when.isoformat(),
            at,
            q.summary,
            " ".join(q.tags),
            _stamp(datetime.now(UTC)),
            dump_ticked(ticked),
        ),
    )
    it_id = cur.lastrowid
    open_tps = [
        _Tp(i, k, date.fromisoformat(d))
        for i, k, d in con.execute(
            "SELECT id, kind, due FROM touchpoint WHERE account_id = ? "
            "AND status IN ('open', 'snoozed') ORDER BY due, id",
            (aid,),
        )
    ]
    completed, done_ids = _completions(con, q, it_id, open_tps, config, touchpoint_id)
    nxt = None
    if q.next is not None:
        _insert_touchpoint(con, aid, q.next.kind, q.next.due, "manual", None, q.summary[:200])
        nxt = (q.next.kind, q.next.due)
    snap, prev_band, created = _health(con, aid, tier, date.fromisoformat(start), as_of, config)
    terms = list(dict.fromkeys(t for _, _, t in churn_spans(q.summary, config.churn_words)))
    return LogResult(
        account=name,
        interaction_id=it_id,
        kind=q.kind,
        day=q.when,
        summary=q.summary,
        contact=None,
        contact_created=False,
        scores=[],
        mrr_before=None,
        mrr_after=None,
        completed=completed,
        created=created,
        next=nxt,
        tags=list(q.tags),
        churn_terms=terms,
        health=snap[0] if snap else None,
        band=snap[1] if snap else None,
        previous_band=prev_band,
        checklist=ticked,
        extra={"completed_ids": sorted(done_ids)},
    )


def _completions(
    con: sqlite3.Connection,
    q: QuickLog,
    it_id: int,
    open_tps: list[_Tp],
    config: Config,
    touchpoint_id: int | None,
) -> tuple[list[tuple[str, date]], set[int]]:
    """Book._line_completes for a line without scores: complete the touchpoint it was
    logged from, else what it fulfils (and a referral ask it says it made); what was
    completed, and their ids."""
    completed: list[tuple[str, date]] = []
    done_ids: set[int] = set()

    def done(tp: _Tp) -> None:
        con.execute(
            "UPDATE touchpoint SET status = 'done', completed_on = ?, interaction_id = ?, "
            "snoozed_until = NULL WHERE id = ?",
            (q.when.isoformat(), it_id, tp.id),
        )
        completed.append((tp.kind, tp.due))
        done_ids.add(tp.id)

    if touchpoint_id is not None:
        target = next((t for t in open_tps if t.id == touchpoint_id), None)
        if target is None:
            raise BookError("that touchpoint is no longer open; refresh and try again")
        done(target)
        return completed, done_ids
    match = line_match(q, open_tps, config.loop, config.churn_words)
    if match is not None:
        done(match)
    ref = referral_match(q, open_tps, done_ids)
    if ref is not None:
        done(ref)
    return completed, done_ids
