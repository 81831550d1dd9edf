"""Where the book lives and how it is opened.

SQLite by default, in the platformdirs user data dir; ``--db`` or ``BOOKKEEPER_DB``
give a path or an SQLAlchemy URL. SQLite is opened in WAL mode with foreign keys
on, ``synchronous=FULL`` (a saved line survives a power cut) and a busy timeout so
a second writer waits instead of failing. The file is created 0600 in a 0700 dir.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import create_engine

from bookkeeper_tui.store.location import default_db_path, is_url, resolve_db

BUSY_TIMEOUT_MS = 10_000

__all__ = ["StoreError", "default_db_path", "is_url", "make_engine", "resolve_db"]


class StoreError(RuntimeError):
    """The book cannot be opened or written; the message says why and what to do."""


def _prepare_sqlite_file(path: Path) -> None:
    """Create the directory 0700 and the file 0600 before SQLite touches them."""
    parent = path.parent
    if not parent.exists():
        try:
            parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder {parent} for the book ({exc.strerror}); "
                "choose another place with --db PATH"
            ) from exc
    if not path.exists():
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
        except FileExistsError:
            pass
        except OSError as exc:
            raise StoreError(
                f"cannot create the book {path} ({exc.strerror}); "
                "check the folder's permissions or choose another place with --db PATH"
            ) from exc


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = FULL")
    cur.close()


def _sqlite_begin(conn) -> None:
    # A write transaction takes the write lock up front (BEGIN IMMEDIATE), so two
    # writers queue on the busy timeout instead of one failing half-way with
    # "database is locked"; reads stay deferred and never wait in WAL mode.
    if conn.get_execution_options().get("immediate"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(db: str | None) -> tuple[Engine, str]:
    """An engine for the book at *db* (path or URL) and a printable location."""
    location = resolve_db(db)
    if is_url(location):
        try:
            url = make_url(location)
        except ArgumentError as exc:
            raise StoreError(f"'{location}' is not a database URL ({exc})") from exc
        if url.get_backend_name() != "sqlite":
            engine = create_engine(url, pool_pre_ping=True)
            return engine, url.render_as_string(hide_password=True)
        path = Path(url.database or "")
    else:
        path = Path(location).expanduser()
    if path.is_dir():
        raise StoreError(
            f"{path} is a folder; give --db the path of a book file, e.g. {path}/book.db"
        )
    _prepare_sqlite_file(path)
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={
            "timeout": BUSY_TIMEOUT_MS / 1000,
            "isolation_level": None,
            # The TUI reads and writes from worker threads; the pool hands a
            # connection to one thread at a time.
            "check_same_thread": False,
        },
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine, str(path)
