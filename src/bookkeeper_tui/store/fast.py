"""Today's list read straight from the SQLite file while the app is still starting.

Opening the book the full way imports SQLAlchemy and SQLModel (about 0.3-0.45 s), more
than Textual itself. The first screen only needs one query, so ``bookkeeper`` starts a
:class:`TodayPrefetch` thread at launch: it opens the file read-only with the standard
``sqlite3`` module and runs the same Today query as :meth:`Book.today`
(:func:`bookkeeper_tui.store.queries.fetch_today`), while the main thread imports the app.
The full book is opened in the background once Today is on screen. A PostgreSQL book
(team mode) is read the same way with psycopg alone, in one read-only snapshot.

The shortcut is taken only when its answer is exactly what the full path would show: the
book is at this code's schema version, was already brought up to today (``synced_on``),
has no accounts waiting to be re-planned after an import, and has accounts. Anything
else (a new day, a fresh or empty book, an older or newer schema, a damaged file, another
kind of URL) returns ``None`` and the caller opens the book the full way, with its clear
errors.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from bookkeeper_tui.store.location import CONNECT_TIMEOUT_S, is_url
from bookkeeper_tui.store.version import SCHEMA_VERSION

if TYPE_CHECKING:
    from bookkeeper_tui.store.queries import Run
    from bookkeeper_tui.store.rows import TodayRow

#: Today lists what is due up to a week ahead.
TODAY_AHEAD_DAYS = 7


def read_today(
    location: str,
    as_of: date,
    ahead_days: int,
    owner: str | None = None,
    *,
    exact_day: bool = False,
) -> list[TodayRow] | None:
    """Today's rows when the file can answer alone (see the module doc), else None.

    *exact_day*: only when the book was synced for *as_of* itself, not a later day (the
    command line's `today --as-of`, whose full path would sync to exactly that day).
    *owner* filters as :meth:`Book.today` does. The app prefetches every row (each
    carries its owner) and Today filters them with the same rule as rows it loads
    later, so "my accounts" are on the very first frame and never shrink after it.
    """
    if is_url(location):
        return _read_today_server(location, as_of, ahead_days, owner, exact_day)
    path = Path(location).expanduser()
    if not path.is_file():
        return None
    con = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=1.0)
    try:
        con.execute("BEGIN")  # one snapshot for the checks and the rows
        return _answer(
            lambda sql, params: con.execute(sql, params), as_of, ahead_days, owner, exact_day
        )
    finally:
        con.close()


def _answer(
    run: Run, as_of: date, ahead_days: int, owner: str | None, exact_day: bool = False
) -> list[TodayRow] | None:
    """The checks of the module doc, then Today's rows, through *run* (one snapshot)."""
    from bookkeeper_tui.store.queries import fetch_today

    meta = dict(
        run(
            "SELECT key, value FROM meta "
            "WHERE key IN ('schema_version', 'synced_on', 'stale_accounts')",
            {},
        )
    )
    if meta.get("schema_version") != str(SCHEMA_VERSION) or "stale_accounts" in meta:
        return None
    synced = meta.get("synced_on")
    if synced is None or synced < as_of.isoformat():
        return None
    if exact_day and synced != as_of.isoformat():
        return None
    if not list(run("SELECT 1 FROM account LIMIT 1", {})):
        return None
    return fetch_today(run, as_of, ahead_days, owner)


#: The drivers' names for a PostgreSQL book (store.pg.normalize maps them to psycopg).
SERVER_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def server_conninfo(location: str) -> str | None:
    """A libpq URI for a PostgreSQL book's URL (psycopg reads it as is); None otherwise."""
    scheme, sep, rest = location.partition("://")
    if not sep or scheme.lower() not in SERVER_SCHEMES:
        return None
    return "postgresql://" + rest


def _pyformat(sql: str) -> str:
    """``:name`` placeholders (store.queries) as psycopg's ``%(name)s``."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql.replace("%", "%%"))


def _read_today_server(
    location: str, as_of: date, ahead_days: int, owner: str | None, exact_day: bool = False
) -> list[TodayRow] | None:
    """:func:`read_today` on a PostgreSQL book, with psycopg alone (no SQLAlchemy): one
    read-only snapshot for the checks and the rows, the same query and rules."""
    conninfo = server_conninfo(location)
    if conninfo is None:
        return None
    import psycopg

    with psycopg.connect(
        conninfo, connect_timeout=CONNECT_TIMEOUT_S, application_name="bookkeeper"
    ) as con:
        con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        con.read_only = True
        with con.transaction():
            return _answer(
                lambda sql, params: con.execute(_pyformat(sql), params).fetchall(),
                as_of,
                ahead_days,
                owner,
                exact_day,
            )


class TodayPrefetch:
    """:func:`read_today` in a thread; ``result()`` waits for it (None on any error)."""

    def __init__(self, location: str, as_of: date, ahead_days: int) -> None:
        self.location = location
        self.as_of = as_of
        self.ahead_days = ahead_days
        self.rows: list[TodayRow] | None = None
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="today-prefetch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.rows = read_today(self.location, self.as_of, self.ahead_days)
        except Exception as exc:  # sqlite3.Error, a damaged file...: take the full path
            self.error = exc
            self.rows = None

    def result(self, timeout: float | None = None) -> list[TodayRow] | None:
        self._thread.join(timeout)
        return None if self._thread.is_alive() else self.rows
