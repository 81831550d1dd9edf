"""Checking a book and restoring it from a backup (``bookkeeper check`` / ``restore``).

``check`` reads the book file read-only (never writes to it): SQLite's
``integrity_check``, ``foreign_key_check`` and the schema version. ``restore`` puts a
backup in the book's place, carefully:

1. the backup is verified first (opened read-only, ``integrity_check``, a Bookkeeper
   schema not newer than this code's); a damaged or newer backup is refused;
2. the current book is kept aside as ``book.db.before-restore-<timestamp>`` (0600),
   with its ``-wal`` when it is damaged (a sound book is checkpointed first, so its
   last saved lines are in the copy);
3. the backup is copied to a temporary file in the book's folder and renamed over
   the book (``os.replace``: the book is the old one or the new one, never half).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bookkeeper_tui.store.backup import book_identity, copy_book, read_connection
from bookkeeper_tui.store.engine import backup_book_stem, find_backups, fix_hint
from bookkeeper_tui.store.version import (
    SCHEMA_VERSION,
    missing_tables,
    missing_tables_problem,
    parse_version,
)

__all__ = ["CheckResult", "RestoreResult", "check", "find_backups", "fix_hint", "restore"]


@dataclass
class CheckResult:
    path: Path
    problems: list[str] = field(default_factory=list)
    backups: list[Path] = field(default_factory=list)
    version: int | None = None
    #: The book (or its folder) cannot be written, e.g. on a read-only mount: it was read
    #: as an immutable file, and moving it aside is no advice to give.
    read_only: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def is_read_only(path: Path) -> bool:
    """Nothing can write the book at *path*: the file, or its folder (where SQLite makes the
    -wal and -shm files), is not writable (a read-only mount says so even to root)."""
    return not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK | os.X_OK)


def _read_only_connection(path: Path) -> sqlite3.Connection:
    """A connection to a book nobody can write (``immutable=1``: SQLite then needs no -shm
    file, which it could not create there)."""
    from urllib.parse import quote

    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True)


def inspect_file(path: Path, read_only: bool = False) -> tuple[list[str], int | None]:
    """Problems found in the SQLite file at *path* (read-only) and its schema version.

    *read_only*: the book cannot be written (see :func:`is_read_only`); when the ordinary
    read-only open fails, it is read as an immutable file instead.
    """
    problems: list[str] = []
    version: int | None = None
    try:
        con = read_connection(path)
        if read_only:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        if not read_only:
            return [f"cannot open it ({exc})"], None
        try:
            con = _read_only_connection(path)
        except sqlite3.Error as exc2:
            return [f"cannot open it ({exc2})"], None
    try:
        rows = [r[0] for r in con.execute("PRAGMA integrity_check").fetchall()]
        if rows != ["ok"]:
            lines = [" ".join(line.split()) for r in rows for line in str(r).splitlines()]
            lines = [line for line in lines if line and not line.startswith("***")]
            problems.extend(f"damaged: {line}" for line in lines[:10])
            if len(lines) > 10:
                problems.append(f"... and {len(lines) - 10} more problems of the same kind")
            return problems, None
        fk = con.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            problems.append(f"{len(fk)} rows point at rows that do not exist (foreign keys)")
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" not in tables:
            problems.append("it is not a Bookkeeper book (no schema version)")
        else:
            row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                problems.append("the book has no schema version")
            else:
                version, problem = parse_version(row[0])
                if problem:
                    problems.append(problem)
                elif version > SCHEMA_VERSION:
                    problems.append(
                        f"it was written by a newer Bookkeeper (schema {version}, this one "
                        f"knows up to {SCHEMA_VERSION}); upgrade with pip install -U "
                        "bookkeeper-tui"
                    )
                elif missing := missing_tables(version, tables):
                    problems.append(missing_tables_problem(missing))
    except sqlite3.Error as exc:
        problems.append(f"it cannot be read ({exc})")
    finally:
        con.close()
    return problems, version


def check(path: Path) -> CheckResult:
    res = CheckResult(path=path, backups=find_backups(path))
    if not path.is_file():
        res.problems.append(f"there is no book at {path}")
        return res
    res.read_only = is_read_only(path)
    res.problems, res.version = inspect_file(path, read_only=res.read_only)
    return res


@dataclass
class RestoreResult:
    book: Path
    backup: Path
    kept: Path | None
    kept_sidecars: list[Path]


def _private_copy(src: Path, dest: Path) -> None:
    """Copy *src* (a single-file SQLite book) into the new file *dest*, 0600, fsynced."""
    fd = os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
        while chunk := inp.read(1 << 20):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())


def other_book(backup: Path, book: Path) -> str | None:
    """Why *backup* is a backup of another book than *book*, or None when it may be this one's.

    Compares the identities kept in both files' ``meta`` table; when either has none (an
    old or damaged file), the book name in the backup's file name (``sales-...db``).
    """
    mine = book_identity(book) if book.is_file() else None
    theirs = book_identity(backup)
    if mine and theirs:
        return None if mine == theirs else "it holds another book (its book identity differs)"
    named = backup_book_stem(backup.name)
    if named is not None and named != book.stem:
        return f"its name says it is a backup of {named}.db"
    return None


def _stage(backup: Path, tmp: Path) -> None:
    """The backup, as one self-contained file *tmp* beside the book (0600, fsynced; SQLite's
    backup API copies one committed state even when the backup has a -wal of its own). A
    failure leaves no *tmp* behind."""
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    try:
        copy_book(backup, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def restore(
    backup: Path, book: Path, now: datetime | None = None, force: bool = False
) -> RestoreResult:
    """Put *backup* in place of *book* (see the module doc); raise ValueError when refused.

    A backup of another book is refused unless *force*.
    """
    if not backup.is_file():
        raise ValueError(f"there is no backup at {backup}")
    problems, _ = inspect_file(backup)
    if problems:
        raise ValueError(
            f"{backup} is not a sound Bookkeeper backup ({'; '.join(problems[:3])}); "
            "nothing was changed; choose another backup"
        )
    if not force and (why := other_book(backup, book)) is not None:
        raise ValueError(
            f"{backup} is not a backup of the book {book}: {why}; nothing was changed; "
            "choose one of this book's backups (bookkeeper check lists them), or add "
            "--force to put it in place anyway"
        )
    now = now or datetime.now()
    folder = book.parent
    if not folder.is_dir():
        raise ValueError(f"the folder {folder} does not exist; check --db")
    stamp = f"{now:%Y%m%d-%H%M%S}"
    tmp = folder / f".{book.name}.restore.{os.getpid()}.tmp"
    _stage(backup, tmp)
    kept: Path | None = None
    sidecars: list[Path] = []
    try:
        if book.exists():
            sound = book.is_file() and not inspect_file(book)[0]
            if sound:
                # Fold the -wal into the book file so the kept copy is complete.
                with contextlib.suppress(sqlite3.Error):
                    con = sqlite3.connect(book, timeout=10)
                    try:
                        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    finally:
                        con.close()
            kept = folder / f"{book.name}.before-restore-{stamp}"
            n = 1
            while kept.exists():
                n += 1
                kept = folder / f"{book.name}.before-restore-{stamp}-{n}"
            _private_copy(book, kept)
        for suffix in ("-wal", "-shm"):
            side = book.with_name(book.name + suffix)
            if side.exists():
                # -shm is only an index of the -wal: never worth keeping.
                if suffix == "-wal" and kept is not None and side.stat().st_size > 0:
                    dest = kept.with_name(kept.name + suffix)
                    os.replace(side, dest)
                    os.chmod(dest, 0o600)
                    sidecars.append(dest)
                else:
                    side.unlink()
        os.replace(tmp, book)
        os.chmod(book, 0o600)
        with contextlib.suppress(OSError):
            dfd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return RestoreResult(book=book, backup=backup, kept=kept, kept_sidecars=sidecars)
