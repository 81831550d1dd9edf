"""Consistent copies of the book while it may be in use (``bookkeeper backup``).

Copying ``book.db`` with ``cp`` while the app writes can catch a half-written page or
miss what still sits in ``book.db-wal``. SQLite's online backup API copies the book
from a read transaction instead: in WAL mode that read sees one committed state and
never blocks the writers, so the copy is exactly the book as of one commit, every
transaction in it whole. The copy is a single self-contained file (journal mode
DELETE, no ``-wal`` beside it), created 0600 in a 0700 folder like the book itself.

``daily_backup`` is the automatic one taken at start-up: at most one a day, the
newest seven kept, and it never stops the user working when it fails.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from bookkeeper_tui.store.engine import BUSY_TIMEOUT_MS, StoreError, is_url, resolve_db
from bookkeeper_tui.store.errors import BookError

log = logging.getLogger(__name__)

BACKUP_DIR = "backups"
DAILY_DIR = "daily"


def _daily_name(stem: str) -> re.Pattern[str]:
    """``<stem>-YYYY-MM-DD.db``: the daily backups of the book ``<stem>.db``, and no other's."""
    return re.compile(rf"^{re.escape(stem)}-(\d{{4}}-\d{{2}}-\d{{2}})\.db$")


def _daily_tmp(stem: str) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(stem)}-\d{{4}}-\d{{2}}-\d{{2}}\.db\.\d+\.tmp$")


#: A temporary copy this old was left by a crash, not by a backup still running.
_STALE_TMP_SECONDS = 3600


@dataclass(frozen=True)
class BackupResult:
    source: Path
    path: Path
    size: int


def book_file(db: str | None) -> Path:
    """The SQLite file of the book that ``--db``/``BOOKKEEPER_DB``/the default name.

    A server database (PostgreSQL) has no file to copy: that is refused with the tool
    that does the job.
    """
    location = resolve_db(db)
    if is_url(location):
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(location)
        except ArgumentError:
            raise BookError(f"'{location}' is not a database URL; check --db") from None
        if url.get_backend_name() != "sqlite":
            raise BookError(
                f"the book is in a {url.get_backend_name()} database, and backup, check and "
                "restore work on a book file; back a server book up with the database's own "
                "tool (for PostgreSQL: pg_dump -Fc DBNAME > book.dump), or take a verified "
                "copy into a file with: bookkeeper migrate-to book-copy.db"
            )
        if not url.database or url.database == ":memory:":
            raise BookError("an in-memory book has no file to back up; give --db a book file")
        return Path(url.database).expanduser()
    return Path(location).expanduser()


def _mkdir_private(folder: Path) -> None:
    """Create *folder* (and missing parents); the folder itself 0700. Existing ones are kept."""
    if folder.is_dir():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        if not folder.is_dir():
            raise
    else:
        os.chmod(folder, 0o700)  # whatever the umask


def _create_private(path: Path) -> None:
    """Create *path* empty, 0600; refuse when it exists (no race with another writer)."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def read_connection(source: Path) -> sqlite3.Connection:
    """A fresh read-only connection to the book file (never creates it)."""
    uri = f"file:{quote(str(source.resolve()))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def book_identity(path: Path) -> str | None:
    """The identity (``meta.book_id``) of the book or backup at *path*; None when it has none
    or cannot be read (an old or damaged file)."""
    try:
        conn = read_connection(path)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'book_id'").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return str(row[0]) if row and row[0] else None


def copy_book(source: Path, dest: Path) -> int:
    """Copy the book at *source* into the new, empty file *dest* with SQLite's backup API.

    One backup step (``pages=-1``) copies every page from one read transaction, so
    the copy is the book as of one commit even while others write. Returns its size.
    """
    src = read_connection(source)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst, pages=-1)
            # One self-contained file: no -wal beside it to lose when it is copied.
            dst.execute("PRAGMA journal_mode = DELETE")
            row = dst.execute("PRAGMA quick_check").fetchone()
            if row is None or row[0] != "ok":
                raise sqlite3.DatabaseError(f"the copy failed its check ({row[0] if row else '?'})")
        finally:
            dst.close()
    finally:
        src.close()
    return dest.stat().st_size


def _default_name(now: datetime, book_stem: str = "book") -> str:
    return f"{book_stem}-{now:%Y%m%d-%H%M%S}.db"


def _create_free(folder: Path, now: datetime, book_stem: str = "book") -> Path:
    """Create ``<book>-YYYYMMDD-HHMMSS.db`` in *folder* (``-2``, ``-3``... if that one exists)."""
    stem = _default_name(now, book_stem).removesuffix(".db")
    for n in range(1, 1000):
        path = folder / (f"{stem}.db" if n == 1 else f"{stem}-{n}.db")
        try:
            _create_private(path)
        except FileExistsError:
            continue
        return path
    raise BookError(f"{folder} already has too many backups named {stem}; give another folder")


def backup(db: str | None, dest: str | None = None, now: datetime | None = None) -> BackupResult:
    """Back up the book named by *db* to *dest* (a new file or an existing folder).

    Without *dest*: ``<folder of the book>/backups/<book>-YYYYMMDD-HHMMSS.db`` (``<book>``
    the book file's name without ``.db``, e.g. ``sales-20261204-093000.db``). Bad input
    (server database, no book, a destination that exists) raises :class:`BookError`; a
    failure while copying raises :class:`StoreError`. A half-made copy is removed.
    """
    source = book_file(db)
    if not source.is_file():
        raise BookError(
            f"there is no book at {source} to back up; check --db or BOOKKEEPER_DB"
            if not source.is_dir()
            else f"{source} is a folder; give --db the path of a book file"
        )
    now = now or datetime.now()
    if dest is None:
        folder = source.parent / BACKUP_DIR
        target = None
    else:
        given = Path(dest).expanduser()
        if given.is_dir() or dest.endswith(("/", os.sep)):
            folder, target = given, None
        else:
            folder, target = given.parent, given
    if target is not None and (target.exists() or target.is_symlink()):
        raise BookError(
            f"{target} already exists and a backup never overwrites a file; "
            "give another name or a folder"
        )
    try:
        _mkdir_private(folder)
    except OSError as exc:
        raise BookError(
            f"cannot create the folder {folder} for the backup ({exc.strerror}); "
            "give another place, e.g. bookkeeper backup ~/book-backup.db"
        ) from None
    try:
        if target is None:
            target = _create_free(folder, now, source.stem)
        else:
            _create_private(target)
    except FileExistsError:
        raise BookError(
            f"{target} already exists and a backup never overwrites a file; "
            "give another name or a folder"
        ) from None
    except OSError as exc:
        raise BookError(
            f"cannot create the backup {target} ({exc.strerror}); "
            "check the folder's permissions or give another place"
        ) from None
    try:
        size = copy_book(source, target)
    except (sqlite3.Error, OSError) as exc:
        _remove_quietly(target)
        raise StoreError(
            f"the backup of {source} failed ({exc}); nothing was written to {target}"
        ) from exc
    except BaseException:
        _remove_quietly(target)
        raise
    return BackupResult(source=source, path=target, size=size)


def _remove_quietly(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-journal"), path.with_name(path.name + "-wal")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:  # pragma: no cover - best effort
            log.warning("could not remove %s: %s", p, exc)


def daily_backup(book_path: Path, today: date, keep: int = 7) -> Path | None:
    """Today's automatic backup, ``<folder of the book>/backups/daily/<book>-YYYY-MM-DD.db``.

    Named after the book file (``sales.db`` -> ``sales-2026-12-04.db``), so two books in
    one folder each keep their own backups and their own rotation. At most one a day:
    when today's exists this is a single ``stat``. After a new one,
    the folder is pruned to the newest *keep* daily backups (other files are left
    alone). Never raises: a failure is logged and gives None, because a failed
    automatic backup must not stop anyone working.
    """
    try:
        book_path = Path(book_path)
        folder = book_path.parent / BACKUP_DIR / DAILY_DIR
        target = folder / f"{book_path.stem}-{today.isoformat()}.db"
        if target.exists():
            return target
        if not book_path.is_file():
            log.info("no book at %s yet; no daily backup", book_path)
            return None
        _mkdir_private(folder.parent)
        _mkdir_private(folder)
        # Copy under a temporary name and rename: a crash never leaves a half-copy
        # under today's name (which would then stand as today's backup).
        tmp = folder / f".{target.name}.{os.getpid()}.tmp"
        _remove_quietly(tmp)
        _create_private(tmp)
        try:
            copy_book(book_path, tmp)
            os.replace(tmp, target)
        except BaseException:
            _remove_quietly(tmp)
            raise
        prune_daily(folder, keep, book_path.stem)
        return target
    except Exception as exc:
        log.warning("the daily backup of %s failed: %s", book_path, exc)
        return None


def prune_daily(folder: Path, keep: int = 7, stem: str = "book") -> list[Path]:
    """Remove all but the newest *keep* (at least one) daily backups of the book *stem*.

    Other books' backups in the same folder are left alone. Gives the removed paths.
    """
    name, tmp = _daily_name(stem), _daily_tmp(stem)
    dated = sorted(
        (m.group(1), p)
        for p in folder.iterdir()
        if (m := name.match(p.name)) is not None and p.is_file()
    )
    removed = []
    cutoff = time.time() - _STALE_TMP_SECONDS
    for p in folder.iterdir():
        if tmp.match(p.name) and p.stat().st_mtime < cutoff:
            _remove_quietly(p)
    for _, p in dated[: max(0, len(dated) - max(1, keep))]:
        try:
            p.unlink()
            removed.append(p)
        except OSError as exc:
            log.warning("could not remove the old backup %s: %s", p, exc)
    return removed


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover


PRE_UPGRADE_DIR = "pre-upgrade"


def pre_upgrade_backup(book_path: Path, version: int, now: datetime | None = None) -> Path:
    """The copy taken before a schema upgrade: ``backups/pre-upgrade/<book>-v<N>-<time>.db``.

    *version* is the book's schema version before the upgrade. Copied under a temporary
    name and renamed, so a crash never leaves a half-copy that looks like a backup. Unlike
    the daily backup this one raises on failure: the caller must not upgrade without it.
    """
    import threading

    book_path = Path(book_path)
    folder = book_path.parent / BACKUP_DIR / PRE_UPGRADE_DIR
    _mkdir_private(folder.parent)
    _mkdir_private(folder)
    stamp = f"{(now or datetime.now()):%Y%m%d-%H%M%S}"
    # Unique per process and thread: two openers of the same old book each copy it.
    stem = book_path.stem
    tmp = folder / f".{stem}-v{version}-{stamp}.db.{os.getpid()}-{threading.get_ident()}.tmp"
    _remove_quietly(tmp)
    _create_private(tmp)
    try:
        copy_book(book_path, tmp)
        for n in range(1, 1000):
            target = folder / f"{stem}-v{version}-{stamp}{'' if n == 1 else f'-{n}'}.db"
            try:
                _create_private(target)  # claims the name: never replaces a backup
            except FileExistsError:
                continue
            os.replace(tmp, target)
            return target
        raise BookError(f"{folder} already has too many backups named {stem}-v{version}-{stamp}")
    finally:
        _remove_quietly(tmp)
