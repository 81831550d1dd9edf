"""Where the book lives and how it is opened.

SQLite by default, in the platformdirs user data dir; ``--db`` or ``BOOKKEEPER_DB``
give a path or an SQLAlchemy URL. SQLite is opened in WAL mode with foreign keys
on, ``synchronous=FULL`` (a saved line survives a power cut) and a busy timeout so
a second writer waits instead of failing. The file is created 0600 in a 0700 dir.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import create_engine

from bookkeeper_tui.store.errors import (
    BookBusyError,
    SchemaVersionError,
    StoreError,
    sqlite_busy,
)
from bookkeeper_tui.store.location import default_db_path, is_url, resolve_db

BUSY_TIMEOUT_MS = 10_000

__all__ = [
    "BookBusyError",
    "SchemaVersionError",
    "StoreError",
    "default_db_path",
    "find_backups",
    "fix_hint",
    "is_url",
    "make_engine",
    "preflight",
    "resolve_db",
]


#: What follows ``<book>-`` in a backup's name: a daily date, a manual backup's time, or a
#: pre-upgrade copy's schema version and time.
BACKUP_SUFFIX = r"(\d{4}-\d{2}-\d{2}|\d{8}-\d{6}(-\d+)?|v\d+-\d{8}-\d{6}(-\d+)?)\.db"


def backup_book_stem(name: str) -> str | None:
    """The book a backup file's name says it is of (``sales-2026-12-04.db`` -> ``sales``)."""
    import re

    m = re.match(rf"^(.+)-{BACKUP_SUFFIX}$", name)
    return m.group(1) if m else None


def find_backups(book: Path) -> list[Path]:
    """This book's backups beside it (``backups/``, ``daily/``, ``pre-upgrade/``), newest first.

    Only files named after the book (``sales-...db`` for ``sales.db``): another book's
    backups in the same folder are never offered for this one.
    """
    found: list[Path] = []
    root = book.parent / "backups"
    for folder in (root, root / "daily", root / "pre-upgrade"):
        try:
            found.extend(
                p for p in folder.iterdir() if backup_book_stem(p.name) == book.stem and p.is_file()
            )
        except OSError:
            continue

    def key(p: Path) -> tuple[float, str]:
        try:
            return (p.stat().st_mtime, p.name)
        except OSError:
            return (0.0, p.name)

    return sorted(found, key=key, reverse=True)


def fix_hint(book: Path) -> str:
    """The exact command that gets the user going again when *book* is damaged."""
    q = shlex.quote(str(book))
    backups = find_backups(book)
    if backups:
        return (
            "restore it from a backup; the newest is restored with: "
            f"bookkeeper restore {shlex.quote(str(backups[0]))} --db {q}"
        )
    return (
        "restore it from a backup with: bookkeeper restore BACKUP --db "
        f"{q} (there is none beside it); or keep it aside and start a fresh book with: "
        f"mv {q} {shlex.quote(str(book) + '.damaged')} && bookkeeper --db {q}"
    )


def _check_writable(path: Path) -> None:
    """An existing book must be writable, and so must its folder (WAL's -wal/-shm files)."""
    if not os.access(path, os.W_OK):
        raise StoreError(
            f"the book {path} is read-only, so nothing could be saved; make it writable "
            f"with: chmod u+w {shlex.quote(str(path))}"
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise StoreError(
            f"the folder {path.parent} is read-only, and the book needs to create "
            f"{path.name}-wal and {path.name}-shm beside it; make the folder writable with: "
            f"chmod u+w {shlex.quote(str(path.parent))} (or copy the book elsewhere and "
            "use --db)"
        )


def preflight(path: Path) -> None:
    """Refuse, untouched, an existing file that is not a sound Bookkeeper book.

    Read-only (``mode=ro``): SQLite's ``quick_check`` and a look for Bookkeeper's
    ``meta`` table, before anything could turn on WAL or create tables in it.
    An empty file is a new book.
    """
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return
    except OSError:
        return
    problem = None
    try:
        con = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the book at {path} ({exc})") from exc
    try:
        con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        row = con.execute("PRAGMA quick_check(1)").fetchone()
        if row is None or row[0] != "ok":
            problem = f"it is damaged ({row[0] if row else 'no answer'})"
        else:
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if tables and "meta" not in tables:
                raise StoreError(
                    f"{path} is an SQLite database of another program, not a Bookkeeper book; "
                    "it was left untouched; point --db at your book file"
                )
    except sqlite3.OperationalError as exc:
        if sqlite_busy(exc):
            return  # another Bookkeeper is writing: the full open waits for it
        problem = f"it cannot be read ({exc})"
    except sqlite3.DatabaseError as exc:
        problem = (
            "it is not a database at all"
            if "not a database" in str(exc)
            else f"it is damaged ({exc})"
        )
    finally:
        con.close()
    if problem:
        problem = " ".join(problem.split())
        raise StoreError(
            f"{path} is not a Bookkeeper book or is damaged: {problem}; it was left "
            f"untouched. If it is your book, {fix_hint(path)}; otherwise point --db at "
            "your book file"
        )


def _translate_error(context) -> None:
    """A full disk or a read-only book ends with a sentence, not a driver traceback."""
    orig = getattr(context, "original_exception", None)
    if not isinstance(orig, sqlite3.Error):
        return
    msg = str(orig)
    if "database or disk is full" in msg:
        raise StoreError(
            "the disk is full: nothing was saved (the last change was rolled back whole); "
            "free some space and try again"
        ) from orig
    if "readonly database" in msg:
        raise StoreError(
            "the book is read-only, so nothing was saved; make the book file and its "
            "folder writable (chmod u+w) and try again"
        ) from orig


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
    if path.exists():
        _check_writable(path)
        return
    # A dangling symlink: create its target (O_EXCL refuses the link itself), still 0600.
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
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
        if url.get_backend_name() == "postgresql":
            from bookkeeper_tui.store import pg

            url = pg.normalize(url)
            try:
                engine = pg.make_engine(url)
            except pg.PgError as exc:
                raise StoreError(str(exc)) from exc
            return engine, url.render_as_string(hide_password=True)
        if url.get_backend_name() != "sqlite":
            raise StoreError(
                f"Bookkeeper keeps a book in an SQLite file or on PostgreSQL, not on "
                f"'{url.get_backend_name()}'; use a file path or a "
                "postgresql+psycopg://user@host/dbname URL"
            )
        path = Path(url.database or "")
    else:
        path = Path(location).expanduser()
    if path.is_dir():
        raise StoreError(
            f"{path} is a folder; give --db the path of a book file, e.g. {path}/book.db"
        )
    if not str(path):
        raise StoreError("the book's path is empty; give --db the path of a book file")
    _prepare_sqlite_file(path)
    # URL.create keeps the path literal: '?', '#' and '%' stay in the file name instead of
    # being read as URL query options (``--db 'q?mode=ro.db'`` is a file of that name).
    engine = create_engine(
        URL.create("sqlite", database=str(path)),
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
    event.listen(engine, "handle_error", _translate_error)
    return engine, str(path)
