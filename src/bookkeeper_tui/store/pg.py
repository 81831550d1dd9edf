"""A book on PostgreSQL (team mode): what differs from SQLite, in one place.

* **URL.** ``postgresql://`` and ``postgres://`` mean ``postgresql+psycopg://`` (psycopg 3
  is the driver Bookkeeper installs). The password comes from the URL, ``PGPASSWORD`` or
  ``~/.pgpass`` (libpq reads both), and is masked in every message (:func:`mask`).
* **Fail fast.** ``connect_timeout`` is 5 s: an unreachable server, a wrong password or a
  missing database ends in one sentence (:func:`open_error`) within seconds.
* **One writer at a time.** A write transaction first takes a transaction-scoped advisory
  lock (``pg_advisory_xact_lock``), the server-side equivalent of SQLite's ``BEGIN
  IMMEDIATE``: the read-check-write steps of a save (duplicate checks, the account's
  ``version`` for edit conflicts) see every change committed before them, from any
  machine. Saves are a few milliseconds; a writer waits up to 10 s (``lock_timeout``).
* **Change counter.** SQLite's ``PRAGMA data_version`` tells the app that another process
  wrote; on a server, every write transaction bumps ``meta.changes`` in the same
  transaction, so the count moves exactly when a commit lands (:func:`bump_changes`,
  :func:`changes`). The open app polls it to show what a teammate logged, and the KPI
  panel is remembered until it moves.
* **NUL.** PostgreSQL text cannot hold U+0000; it is stored as U+FFFD (the same mark the
  screens draw for control characters) instead of failing the save.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, Engine

from bookkeeper_tui.store.location import CONNECT_TIMEOUT_S

__all__ = ["CONNECT_TIMEOUT_S", "make_engine", "open_error"]
LOCK_TIMEOUT = "10s"
#: The advisory lock every write transaction holds (scoped to the database).
WRITE_LOCK_KEY = 0x626F6F6B  # "book"

DRIVER = "postgresql+psycopg"
WROTE = "bookkeeper_wrote"  # Connection.info: did this transaction change a row?


class PgError(RuntimeError):
    """Raised with a sentence for the user (the caller wraps it in StoreError)."""


def normalize(url: URL) -> URL:
    """``postgresql://`` / ``postgres://`` -> psycopg 3, the driver Bookkeeper ships with."""
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername=DRIVER)
    return url


def mask(message: str, url: URL | None) -> str:
    """*message* with the URL's password (and any ``password=...``) replaced by ``***``."""
    if url is not None and url.password:
        message = message.replace(str(url.password), "***")
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", message, flags=re.IGNORECASE)


def where(url: URL) -> str:
    host = url.host or "the local socket"
    return f"{host}:{url.port}" if url.port else host


def open_error(exc: BaseException, url: URL) -> str:
    """One sentence for a failure to connect or to open the book on the server."""
    orig = getattr(exc, "orig", None) or exc
    raw = " ".join(str(orig).split())
    low = raw.lower()
    server = where(url)
    user = url.username or "(your login name)"
    db = url.database or "(your user name)"
    printable = url.render_as_string(hide_password=True)
    if "password authentication failed" in low:
        return (
            f"the PostgreSQL server at {server} refused the password for user '{user}'; "
            "check the password in the URL, in PGPASSWORD or in ~/.pgpass"
        )
    if "no password supplied" in low or "fe_sendauth" in low:
        return (
            f"the PostgreSQL server at {server} asks a password for user '{user}' and none "
            "was given; put it in PGPASSWORD or ~/.pgpass (or in the URL)"
        )
    if "does not exist" in low and "database" in low:
        host = f" -h {url.host}" if url.host else ""
        port = f" -p {url.port}" if url.port else ""
        return (
            f"the database '{db}' does not exist on the PostgreSQL server at {server}; "
            f"create it with: createdb{host}{port} -U {user} {db}  (then run the command again)"
        )
    if "role" in low and "does not exist" in low:
        return f"the PostgreSQL server at {server} has no user '{user}'; check the URL"
    if "permission denied" in low:
        return (
            f"user '{user}' may not create or change Bookkeeper's tables in database '{db}' "
            f"({mask(raw, url)}); ask the database owner to run: "
            f"GRANT ALL ON SCHEMA public TO {user}"
        )
    if any(
        s in low
        for s in (
            "connection refused",
            "timeout expired",
            "could not translate host name",
            "name or service not known",
            "no route to host",
            "network is unreachable",
            "connection timed out",
            "no such file or directory",
            "server closed the connection",
        )
    ):
        return (
            f"cannot reach the PostgreSQL server at {server} ({mask(raw, url)}); check that "
            f"it is running and that the host and port in {printable} are right"
        )
    return f"cannot open the book at {printable} ({mask(raw, url)})"


def _has_nul(value: Any) -> bool:
    return isinstance(value, str) and "\x00" in value


def _scrubbed(params: Any) -> Any:
    """One statement's parameters with NUL as U+FFFD (the same object when clean)."""
    if isinstance(params, dict):
        if any(map(_has_nul, params.values())):
            return {k: v.replace("\x00", "\ufffd") if _has_nul(v) else v for k, v in params.items()}
    elif isinstance(params, list | tuple) and any(map(_has_nul, params)):
        return type(params)(v.replace("\x00", "\ufffd") if _has_nul(v) else v for v in params)
    return params


def _no_nul(conn, cursor, statement, parameters, context, executemany):
    if executemany and isinstance(parameters, list | tuple):
        parameters = [_scrubbed(p) for p in parameters]
    elif parameters:
        parameters = _scrubbed(parameters)
    return statement, parameters


#: SQLSTATEs that mean "another save held the book": lock_not_available, deadlock_detected.
BUSY_SQLSTATES = frozenset({"55P03", "40P01"})


def _translate_error(context) -> None:
    """A lost server or a long-held lock ends with a sentence, not a driver traceback."""
    from bookkeeper_tui.store.errors import BookBusyError, StoreError

    orig = getattr(context, "original_exception", None)
    if orig is None or context.is_pre_ping:
        return
    low = str(orig).lower()
    url = context.engine.url if context.engine is not None else None
    server = where(url) if url is not None else "the server"
    # 55P03 lock_not_available (our lock_timeout), 40P01 deadlock_detected: both roll the
    # save back whole, and trying again is the answer (the CLI exits 2 as for SQLite).
    state = getattr(orig, "sqlstate", None)
    if state == "40P01" or "deadlock detected" in low:
        raise BookBusyError(
            "the book is busy: a teammate's save and this one waited on each other; "
            "nothing was saved (the change was rolled back whole); try again"
        ) from None
    if state in BUSY_SQLSTATES or "lock timeout" in low:
        raise BookBusyError(
            f"the book is busy: a teammate's save has held it for over {LOCK_TIMEOUT}; "
            "nothing was saved (the change was rolled back whole); try again"
        ) from None
    if context.is_disconnect or "server closed the connection" in low:
        raise StoreError(
            f"lost the connection to the PostgreSQL server at {server}; nothing was half-"
            "saved (the change was rolled back whole); check the server and try again"
        ) from None


def _note_write(conn, cursor, statement, parameters, context, executemany) -> None:
    if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE") and cursor.rowcount:
        conn.info[WROTE] = True


def _begin(conn: Connection) -> None:
    conn.info[WROTE] = False
    if conn.get_execution_options().get("immediate"):
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


def unreachable(location: str, error: BaseException) -> Exception | None:
    """The sentence for a quick read (psycopg alone) that could not reach the server at
    *location*; None when *error* is something else (e.g. a new, empty database, which
    the full open creates). Said at once, rather than waiting the connection timeout a
    second time opening the book the full way."""
    import psycopg
    from sqlalchemy.engine import make_url

    from bookkeeper_tui.store.errors import StoreError

    if not isinstance(error, psycopg.OperationalError):
        return None
    return StoreError(open_error(error, normalize(make_url(location))))


def make_engine(url: URL) -> Engine:
    from sqlmodel import create_engine

    try:
        engine = create_engine(
            url,
            pool_pre_ping=True,
            connect_args={
                "connect_timeout": CONNECT_TIMEOUT_S,
                "application_name": "bookkeeper",
            },
        )
    except ModuleNotFoundError as exc:
        raise PgError(
            f"the database driver '{exc.name}' is not installed; use a "
            f"{DRIVER}://user@host/dbname URL (psycopg 3 comes with Bookkeeper)"
        ) from exc
    event.listen(engine, "begin", _begin)
    event.listen(engine, "handle_error", _translate_error)
    event.listen(engine, "after_cursor_execute", _note_write)
    event.listen(engine, "before_cursor_execute", _no_nul, retval=True)
    return engine


def bump_changes(conn: Connection) -> None:
    """Count one more committed write (inside the write's own transaction); a
    transaction that changed no row leaves the count as it was."""
    if not conn.info.get(WROTE):
        return
    updated = conn.execute(
        text(
            "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) "
            "WHERE key = 'changes'"
        )
    ).rowcount
    if not updated:
        conn.execute(text("INSERT INTO meta (key, value) VALUES ('changes', '1')"))


def changes(engine: Engine) -> int:
    """How many writes the book has seen: moves exactly when a write commits."""
    with engine.connect() as conn:
        value = conn.execute(text("SELECT value FROM meta WHERE key = 'changes'")).scalar()
        conn.rollback()
    return int(value or 0)


def analyze(engine: Engine) -> None:
    """Refresh the planner's statistics after a bulk load (demo, migrate-to).

    Without them, the first queries on freshly loaded tables are planned blind: Today's
    list on the 10,000-account demo took 0.98 s instead of 0.13 s until autovacuum came by.
    """
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def reset_sequences(conn: Connection, tables=None) -> None:
    """After rows were written with explicit ids (demo, migrate-to), the next new row of
    each table (default: the book's current tables) gets the id after the largest one."""
    if tables is None:
        from sqlmodel import SQLModel

        tables = SQLModel.metadata.sorted_tables
    for table in tables:
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
            )
        )
