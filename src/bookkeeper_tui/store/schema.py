"""Schema version and migrations.

A small versioned mechanism rather than Alembic: the app opens the book many times
a day and Alembic's import and revision scan would cost start-up time, while the
needs are simple (forward-only steps, one book at a time, SQLite and PostgreSQL).

* A new book is created from the current models and stamped ``SCHEMA_VERSION``.
* An existing book at version k runs ``MIGRATIONS[k+1..]`` in one transaction each,
  bumping ``meta.schema_version`` inside the same transaction, so an interrupted
  upgrade leaves the book at a consistent earlier version.
* Before the first step runs on an SQLite book file, a consistent copy of it is written
  to ``backups/pre-upgrade/book-v<old version>-<timestamp>.db`` beside the book; when
  the copy fails, nothing is migrated. Errors and the notice after an upgrade say where
  the copy is.
* A book written by a newer version is refused untouched.

A migration is a function of a SQLAlchemy ``Connection``; write it with portable
DDL (``sqlalchemy`` constructs or plain ``ALTER TABLE ... ADD COLUMN``), never drop a
column that holds user data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from bookkeeper_tui.store import models  # noqa: F401  (registers the tables)
from bookkeeper_tui.store.engine import SchemaVersionError, StoreError
from bookkeeper_tui.store.version import (
    SCHEMA_VERSION,
    missing_tables,
    missing_tables_problem,
    parse_version,
)

log = logging.getLogger(__name__)


def _v2_subscriptions_tickets_usage(conn: Connection) -> None:
    """Version 2: subscriptions, tickets and usage events (CSV import); MRR level source.

    Written with its own table definitions, not the current models, so the step stays
    what it was when later versions change the models.
    """
    md = MetaData()
    Table(
        "subscription",
        md,
        Column("id", Integer, primary_key=True),
        Column(
            "account_id",
            Integer,
            ForeignKey("account.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("external_id", String(100), unique=True),
        Column("start", Date, nullable=False),
        Column("end", Date),
        Column("mrr", Float, nullable=False),
        Column("trial", Boolean, nullable=False),
    )
    Table(
        "ticket",
        md,
        Column("id", Integer, primary_key=True),
        Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        Column("external_id", String(100), unique=True),
        Column("opened", Date, nullable=False),
        Column("closed", Date),
        Column("priority", String(20)),
        Column("csat", Float),
        Index("ix_ticket_account_opened", "account_id", "opened"),
    )
    Table(
        "usage_event",
        md,
        Column("id", Integer, primary_key=True),
        Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        Column("subscription_id", Integer, ForeignKey("subscription.id", ondelete="SET NULL")),
        Column("external_id", String(100), unique=True),
        Column("day", Date, nullable=False),
        Column("count", Float, nullable=False),
        Index("ix_usage_account_day", "account_id", "day"),
    )
    Table("account", md, Column("id", Integer, primary_key=True))
    md.create_all(conn, tables=[md.tables[n] for n in ("subscription", "ticket", "usage_event")])
    conn.execute(
        text("ALTER TABLE mrr_level ADD COLUMN source VARCHAR(20) NOT NULL DEFAULT 'manual'")
    )


def _v3_renewals_checklists_value(conn: Connection) -> None:
    """Version 3: renewal terms and outcomes, touchpoint checklists, time-to-value.

    ``account.term_months`` and ``account.first_value``, ``interaction.checklist`` and the
    ``renewal_outcome`` table; written with its own definitions, like version 2.
    """
    conn.execute(text("ALTER TABLE account ADD COLUMN term_months INTEGER"))
    conn.execute(text("ALTER TABLE account ADD COLUMN first_value DATE"))
    conn.execute(text("ALTER TABLE interaction ADD COLUMN checklist VARCHAR NOT NULL DEFAULT ''"))
    md = MetaData()
    Table("account", md, Column("id", Integer, primary_key=True))
    Table("interaction", md, Column("id", Integer, primary_key=True))
    Table(
        "renewal_outcome",
        md,
        Column("id", Integer, primary_key=True),
        Column("account_id", Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        Column("renewal", Date, nullable=False),
        Column("day", Date, nullable=False),
        Column("outcome", String(20), nullable=False),
        Column("mrr_before", Float),
        Column("mrr_after", Float),
        Column("term_months", Integer),
        Column("reason", String, nullable=False),
        Column("interaction_id", Integer, ForeignKey("interaction.id", ondelete="SET NULL")),
        Column("created_at", DateTime, nullable=False),
        Index("ix_renewal_outcome_account_day", "account_id", "day"),
    )
    md.create_all(conn, tables=[md.tables["renewal_outcome"]])


def _v4_kpi_indexes(conn: Connection) -> None:
    """Version 4: indexes for the KPI panel's reads (issue 16), no data change.

    * ``health_snapshot(day, band)``: the % green trend counts a period's snapshots per
      day from the index alone;
    * ``touchpoint(due, status, completed_on)``: the on-time rate counts the touchpoints
      due in the period from the index alone;
    * ``score(kind, account_id, contact_id, day DESC, id DESC, value)``: the NPS answers
      in the order the panel ranks each contact's latest one, so it sorts nothing;
    * ``mrr_level(account_id, effective, mrr)``: the whole revenue history (the KPI
      panel, the Book) read in order from the index alone.

    Written with their own definitions, like the steps before.
    """
    md = MetaData()
    snapshot = Table(
        "health_snapshot",
        md,
        Column("id", Integer, primary_key=True),
        Column("day", Date),
        Column("band", String(10)),
    )
    touchpoint = Table(
        "touchpoint",
        md,
        Column("id", Integer, primary_key=True),
        Column("due", Date),
        Column("status", String(20)),
        Column("completed_on", Date),
    )
    score = Table(
        "score",
        md,
        Column("id", Integer, primary_key=True),
        Column("kind", String(20)),
        Column("account_id", Integer),
        Column("contact_id", Integer),
        Column("day", Date),
        Column("value", Float),
    )
    level = Table(
        "mrr_level",
        md,
        Column("id", Integer, primary_key=True),
        Column("account_id", Integer),
        Column("effective", Date),
        Column("mrr", Float),
    )
    c = score.c
    for index in (
        Index("ix_health_snapshot_day_band", snapshot.c.day, snapshot.c.band),
        Index(
            "ix_touchpoint_due_status_completed",
            touchpoint.c.due,
            touchpoint.c.status,
            touchpoint.c.completed_on,
        ),
        Index(
            "ix_score_kind_contact_latest",
            c.kind,
            c.account_id,
            c.contact_id,
            c.day.desc(),
            c.id.desc(),
            c.value,
        ),
        Index(
            "ix_mrr_level_account_effective_mrr", level.c.account_id, level.c.effective, level.c.mrr
        ),
    ):
        index.create(conn)


#: version -> the step that brings a book from version-1 to version.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    2: _v2_subscriptions_tickets_usage,
    3: _v3_renewals_checklists_value,
    4: _v4_kpi_indexes,
}

#: Kept in store/version.py, which start-up reads without importing SQLAlchemy.
if max(MIGRATIONS) != SCHEMA_VERSION:  # pragma: no cover - a developer's slip
    raise RuntimeError("store/version.py and MIGRATIONS disagree: bump both together")


def current_version(conn: Connection) -> int | None:
    """The book's schema version; None for an empty database."""
    return _version(conn, set(inspect(conn).get_table_names()))


def _version(conn: Connection, tables: set[str]) -> int | None:
    if "meta" not in tables:
        if tables & {"account", "touchpoint"}:
            raise StoreError(
                "this database has tables but no Bookkeeper schema version; "
                "it is not a Bookkeeper book: point --db at a book file"
            )
        return None
    row = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).first()
    if row is None:
        raise StoreError("the book has no schema version; restore it from a backup")
    version, problem = parse_version(row[0])
    if version is None:
        raise SchemaVersionError(f"{problem}: {_RESTORE}")
    return version


#: What to do about a damaged book (the command knows no path here; check lists backups).
_RESTORE = (
    "restore it from its newest backup (bookkeeper check lists them, bookkeeper restore "
    "BACKUP puts one in place)"
)


def _settled_state(conn: Connection) -> tuple[int | None, set[str]]:
    """The book's version and tables, read as one consistent pair.

    On a server each read sees what is committed when it runs: a teammate's upgrade step
    committing between the table read and the version read would pair the old tables
    with the new version, and an intact book would look damaged. A pair that looks
    damaged is therefore read again; only one that stays the same is believed (every
    step changes the tables and the version in one transaction)."""
    tables = set(inspect(conn).get_table_names())
    version = _version(conn, tables)
    for _ in range(len(MIGRATIONS) + 2):
        if version is None or not missing_tables(version, tables):
            break
        again = set(inspect(conn).get_table_names())
        now = _version(conn, again)
        if (now, again) == (version, tables):
            break
        version, tables = now, again
    return version, tables


def _check_tables(conn: Connection, version: int, tables: set[str]) -> None:
    """A book missing one of its tables (e.g. dropped by hand) is refused with a sentence,
    rather than failing later on "no such table" in the middle of a command."""
    missing = missing_tables(version, tables)
    if missing:
        raise StoreError(f"{missing_tables_problem(missing)}: {_RESTORE}")


def _set_version(conn: Connection, version: int) -> None:
    updated = conn.execute(
        text("UPDATE meta SET value = :v WHERE key = 'schema_version'"), {"v": str(version)}
    ).rowcount
    if not updated:
        conn.execute(
            text("INSERT INTO meta (key, value) VALUES ('schema_version', :v)"),
            {"v": str(version)},
        )


def ensure_schema(engine: Engine, target: int = SCHEMA_VERSION) -> int:
    """Create or upgrade the book's schema; return the version it is at."""
    with engine.connect() as conn:
        version, tables = _settled_state(conn)
        if version is not None and version <= target:
            _check_tables(conn, version, tables)
    if version is None:
        # Under the write lock, and only if no other process created it meanwhile: two
        # processes creating the same new book would otherwise fail with "locked".
        with engine.execution_options(immediate=True).begin() as conn:
            now = current_version(conn)
            if now is None:
                SQLModel.metadata.create_all(conn)
                _set_version(conn, target)
        if now is None:
            return target
        return ensure_schema(engine, target)
    if version > target:
        raise StoreError(
            f"this book was written by a newer Bookkeeper (schema {version}, this one "
            f"knows up to {target}); upgrade Bookkeeper with pip install -U bookkeeper-tui"
        )
    if version == target:
        return target
    saved = _backup_before_upgrade(engine, version, target)
    where = f"; a copy of the book from before the upgrade is at {saved}" if saved else ""
    # Each step takes the write lock first (BEGIN IMMEDIATE on SQLite) and re-reads the
    # version: a second process opening the same old book waits, then skips the steps
    # the first one already ran instead of failing on them.
    writer = engine.execution_options(immediate=True)
    ran = False
    for step in range(version + 1, target + 1):
        migrate = MIGRATIONS[step]
        try:
            with writer.begin() as conn:
                if (current_version(conn) or 0) >= step:
                    continue
                migrate(conn)
                _set_version(conn, step)
                ran = True
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(
                f"upgrading the book from schema {step - 1} to {step} failed "
                f"({type(exc).__name__}: {exc}); the book was left at schema {step - 1}"
                f"{where}"
            ) from exc
    if not ran and saved is not None:
        # Another process upgraded the book while this one copied it: its copy may
        # already be at the new version, and the other process kept the real one.
        saved.unlink(missing_ok=True)
    if ran and saved is not None:
        log.warning(
            "upgraded the book from schema %d to %d; a copy from before is at %s",
            version,
            target,
            saved,
        )
    return target


#: The ``meta`` key of the book's identity: a uuid made once, copied into every backup,
#: so ``restore`` can tell a backup of this book from one of another book.
BOOK_ID_KEY = "book_id"


def ensure_book_id(engine: Engine) -> str:
    """The book's identity, created (once, under the write lock) when it has none yet."""
    import uuid

    query = text("SELECT value FROM meta WHERE key = :k")
    with engine.connect() as conn:
        row = conn.execute(query, {"k": BOOK_ID_KEY}).first()
    if row is not None:
        return str(row[0])
    with engine.execution_options(immediate=True).begin() as conn:
        row = conn.execute(query, {"k": BOOK_ID_KEY}).first()
        if row is not None:  # another process made it meanwhile
            return str(row[0])
        book_id = uuid.uuid4().hex
        conn.execute(
            text("INSERT INTO meta (key, value) VALUES (:k, :v)"), {"k": BOOK_ID_KEY, "v": book_id}
        )
    return book_id


def _backup_before_upgrade(engine: Engine, version: int, target: int) -> Path | None:
    """A consistent copy of an SQLite book file before any migration step touches it.

    Written to ``<folder of the book>/backups/pre-upgrade/`` (0600 in a 0700 folder, see
    :func:`bookkeeper_tui.store.backup.pre_upgrade_backup`). No copy, no upgrade: a failure
    raises :class:`StoreError` and leaves the book untouched. A server database or an
    in-memory book has no file to copy (None).
    """
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    from bookkeeper_tui.store.backup import pre_upgrade_backup  # the file copy: lazily

    path = Path(database)
    try:
        return pre_upgrade_backup(path, version)
    except Exception as exc:
        raise StoreError(
            f"the book at {path} needs an upgrade from schema {version} to {target}, but the "
            f"backup taken first failed ({exc}); the book was not changed. Free some disk "
            f"space or check the permissions of {path.parent}, then open it again"
        ) from exc
