"""The store's errors, in a module of their own: the engine, the PostgreSQL layer, the
backups and the book all raise them, and none of those has to import another for them
(no import cycle, issue 15)."""

from __future__ import annotations


class StoreError(RuntimeError):
    """The book cannot be opened or written; the message says why and what to do."""


class SchemaVersionError(StoreError):
    """The book's stored schema version is not a version at all (negative, zero, absurd,
    not a number): the command line says so with exit 2 (issue 13 #8)."""


class BookBusyError(StoreError):
    """Another writer held the book past the wait (PostgreSQL's lock timeout or a
    deadlock): nothing was saved; the command line exits 2 as for SQLite's busy book."""


class BookError(ValueError):
    """Bad input: one sentence naming what was wrong and how to fix it."""

    def __init__(self, message: str, start: int | None = None, end: int | None = None):
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end


class ConflictError(BookError):
    """Someone saved the account since it was read: *stored* and *version* are what they saved."""

    def __init__(self, message: str, stored: dict, version: int):
        super().__init__(message)
        self.stored = stored
        self.version = version


def sqlite_busy(exc: BaseException) -> bool:
    """Is *exc* SQLite's "database is locked" / "busy" (another writer held the book
    past the busy wait), rather than a real failure?"""
    return "locked" in str(exc) or "busy" in str(exc)
