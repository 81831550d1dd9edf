"""The :class:`Book` itself: opening, closing and the read/write sessions; the
commands and queries come from the mixins of the sibling modules."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DatabaseError, OperationalError
from sqlmodel import Session

from bookkeeper_tui.core.kpi_panel import KpiPanel
from bookkeeper_tui.core.renewals import RenewalDesk
from bookkeeper_tui.core.settings import DEFAULT, Config
from bookkeeper_tui.store.book.accounts import AccountsMixin
from bookkeeper_tui.store.book.common import KPI_CACHE_SIZE, RENEWALS_MEMO_SIZE
from bookkeeper_tui.store.book.contacts import ContactsMixin
from bookkeeper_tui.store.book.edit import EditMixin
from bookkeeper_tui.store.book.history import HistoryMixin
from bookkeeper_tui.store.book.kpi import KpiMixin
from bookkeeper_tui.store.book.memo import Memo
from bookkeeper_tui.store.book.outcomes import OutcomesMixin
from bookkeeper_tui.store.book.renewals import RenewalsMixin
from bookkeeper_tui.store.book.sync import SyncMixin
from bookkeeper_tui.store.book.table import TableMixin
from bookkeeper_tui.store.book.views import ViewsMixin
from bookkeeper_tui.store.book.write import WriteMixin
from bookkeeper_tui.store.engine import StoreError, make_engine
from bookkeeper_tui.store.schema import ensure_book_id, ensure_schema


class Book(
    AccountsMixin,
    EditMixin,
    ContactsMixin,
    SyncMixin,
    ViewsMixin,
    HistoryMixin,
    KpiMixin,
    RenewalsMixin,
    OutcomesMixin,
    WriteMixin,
    TableMixin,
):
    """One customer book, on SQLite or any SQLAlchemy backend."""

    def __init__(self, engine, location: str, config: Config = DEFAULT):
        self.engine = engine
        self.location = location
        self.config = config
        self._write_engine = engine.execution_options(immediate=True)
        self._watch = None  # a private SQLite connection for data_version()
        self._watch_lock = threading.Lock()
        #: KPI panels by (as_of, period, owner cut, tier cut), each with the data_version it
        #: was computed at; the owner cut as compared (``core.owners.owner_key``).
        self._kpi_memo: Memo[KpiPanel] = Memo(KPI_CACHE_SIZE)
        #: Renewal desks by (as_of, within, since, owner, accuracy), each with the data
        #: version and config it was computed from (``RenewalsMixin.renewals``).
        self._renewals_memo: Memo[RenewalDesk] = Memo(RENEWALS_MEMO_SIZE)

    @classmethod
    def open(cls, db: str | None = None, config: Config = DEFAULT) -> Book:
        from pathlib import Path

        from bookkeeper_tui.store.engine import fix_hint, preflight

        engine, location = make_engine(db)
        is_file = engine.dialect.name == "sqlite" and location not in ("", ":memory:")
        try:
            if is_file:
                # A file that is not a sound book is refused before anything writes to it.
                preflight(Path(location))
            ensure_schema(engine)
            ensure_book_id(engine)
        except DatabaseError as exc:
            engine.dispose()
            if engine.dialect.name == "postgresql":
                from bookkeeper_tui.store import pg

                raise StoreError(pg.open_error(exc, engine.url)) from None
            if isinstance(exc, OperationalError):
                hint = f"; if it is damaged, {fix_hint(Path(location))}" if is_file else ""
                raise StoreError(
                    f"cannot open the book at {location} ({exc.orig}); "
                    f"check the file's and its folder's permissions{hint}"
                ) from exc
            hint = fix_hint(Path(location)) if is_file else "restore it from a backup"
            raise StoreError(
                f"{location} is not a Bookkeeper book or is damaged ({exc.orig}); "
                f"it was left untouched. Point --db at your book file, or {hint}"
            ) from exc
        except Exception:
            engine.dispose()
            raise
        return cls(engine, location, config)

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
        self.engine.dispose()

    def data_version(self) -> int | None:
        """A number that changes when any other connection commits (SQLite's
        ``data_version``; on PostgreSQL, the change counter every write bumps).

        The open app polls it to show what a script or a second terminal wrote.
        """
        if self.engine.dialect.name == "postgresql":
            from bookkeeper_tui.store import pg

            return pg.changes(self.engine)
        if self.engine.dialect.name != "sqlite":
            return None
        with self._watch_lock:  # one statement at a time on the shared connection
            if self._watch is None:
                import sqlite3

                self._watch = sqlite3.connect(self.location, check_same_thread=False)
            return int(self._watch.execute("PRAGMA data_version").fetchone()[0])

    # -- sessions ---------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One user action = one transaction: committed whole or rolled back whole."""
        with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session
            if self.engine.dialect.name == "postgresql":
                from bookkeeper_tui.store import pg

                pg.bump_changes(session.connection())
