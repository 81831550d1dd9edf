"""``bookkeeper migrate-to URL``: copy a whole book to another database, verified.

SQLite to PostgreSQL when a founder's book becomes the team's, and back (PostgreSQL to
an SQLite file) for a personal copy. The source is only read. The copy is made in one
transaction on the target, so a failure leaves the target as empty as it was (a new
SQLite file is deleted). Success is reported only after the copy was checked:

* the same number of rows in every table;
* the same rows: a digest of every value of every table (datetimes compared in UTC;
  U+0000, which PostgreSQL text cannot hold, compared as the U+FFFD it is stored as);
* the same KPI panel (12 months and 90 days), computed by each database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from bookkeeper_tui.store import models
from bookkeeper_tui.store.engine import StoreError, is_url, make_engine
from bookkeeper_tui.store.location import resolve_db
from bookkeeper_tui.store.schema import SCHEMA_VERSION, current_version

BATCH = 5_000
#: Book-keeping rows of one database that are not part of the book.
LOCAL_META = ("changes",)


class MigrateError(ValueError):
    """The target cannot take the book (bad usage): the message says what to do."""


@dataclass
class Migration:
    source: str
    target: str
    counts: dict[str, int] = field(default_factory=dict)
    kpi_periods: tuple[str, ...] = ()
    seconds: float = 0.0


def _tables():
    return SQLModel.metadata.sorted_tables  # parents before children


def _rows(conn: Connection, table):
    query = select(table)
    if table.name == "meta":
        query = query.where(table.c.key.not_in(LOCAL_META))
    pk = list(table.primary_key.columns)
    return conn.execution_options(yield_per=BATCH).execute(query.order_by(*pk))


def _for_target(value):
    """Timestamps are stored in UTC (a naive one read from an SQLite file is UTC)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def _norm(value) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return "dt:" + value.isoformat()
    if isinstance(value, date):
        return "d:" + value.isoformat()
    if isinstance(value, str):
        return "s:" + value.replace("\x00", "\ufffd")
    if isinstance(value, float):
        return "f:" + repr(value)
    if isinstance(value, bool):
        return "b:" + str(value)
    return f"{type(value).__name__}:{value!r}"


def _row_bytes(row) -> bytes:
    return "\x1f".join(_norm(v) for v in row).encode("utf-8", "surrogatepass") + b"\x1e"


def digest(conn: Connection) -> tuple[dict[str, int], dict[str, str]]:
    """Row counts and a digest of every value, table by table."""
    counts: dict[str, int] = {}
    digests: dict[str, str] = {}
    for table in _tables():
        h = hashlib.sha256()
        n = 0
        for row in _rows(conn, table):
            n += 1
            h.update(_row_bytes(row))
        counts[table.name] = n
        digests[table.name] = h.hexdigest()
    return counts, digests


def _check_source(engine: Engine, where: str) -> None:
    with engine.connect() as conn:
        version = current_version(conn)
    if version is None:
        raise MigrateError(f"there is no book at {where} to copy; check --db")
    if version != SCHEMA_VERSION:
        raise MigrateError(
            f"the book at {where} is at schema {version} and this Bookkeeper writes schema "
            f"{SCHEMA_VERSION}; open it once (e.g. bookkeeper today --db ...) to upgrade it, "
            "then copy it"
        )


def _check_target_empty(engine: Engine, where: str) -> None:
    from sqlalchemy import inspect

    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        if not tables:
            return
        if "meta" in tables and "account" in tables:
            n = conn.execute(select(func.count()).select_from(models.Account.__table__)).scalar()
            raise MigrateError(
                f"{where} already holds a Bookkeeper book ({n} accounts); migrate-to copies "
                "into an empty database only, so nothing was changed. Create an empty one "
                "(e.g. createdb NAME) or give another file"
            )
        raise MigrateError(
            f"{where} is not empty (tables: {', '.join(sorted(tables)[:5])}); migrate-to "
            "copies into an empty database only, so nothing was changed"
        )


def migrate(
    source_db: str | None,
    target_db: str,
    *,
    as_of: date | None = None,
    progress: Callable[[str, int], None] | None = None,
    stage: Callable[[str], None] | None = None,
) -> Migration:
    """Copy the book at *source_db* into the empty database *target_db* and verify it."""
    import time

    t0 = time.perf_counter()
    source_loc = resolve_db(source_db)
    target_db, new_file = _file_target(target_db)
    src_engine, src_where = make_engine(source_loc)
    try:
        _checked(_check_source, src_engine, src_where)
        tgt_engine, tgt_where = make_engine(target_db)
    except BaseException:
        src_engine.dispose()
        if new_file is not None:
            new_file.unlink(missing_ok=True)
        raise
    wrote = False
    try:
        if src_where == tgt_where:  # (a file target must be new: refused above)
            raise MigrateError("the target is the book itself; give another database")
        _checked(_check_target_empty, tgt_engine, tgt_where)
        result = Migration(source=src_where, target=tgt_where)
        wrote = True  # from here on, a failure removes what the copy created
        src_digest = _copy(src_engine, tgt_engine, tgt_where, result, progress)
        if tgt_engine.dialect.name == "postgresql":
            from bookkeeper_tui.store.pg import analyze

            analyze(tgt_engine)  # plan the first queries on the new tables well
        # Verify: the same rows, and the same KPIs computed by each database.
        if stage:
            stage("checking every row of the copy")
        _verify_rows(tgt_engine, tgt_where, result.counts, src_digest)
        if stage:
            stage("comparing the KPI panels")
        result.kpi_periods = _verify_kpis(
            src_engine, src_where, tgt_engine, tgt_where, as_of or date.today()
        )
        result.seconds = time.perf_counter() - t0
        return result
    except BaseException:
        # Only what this copy created is removed: a new file, or the tables it made in
        # a database that was empty (a target holding a book is refused before).
        _undo(tgt_engine, new_file, wrote)
        raise
    finally:
        src_engine.dispose()
        tgt_engine.dispose()


def _file_target(target_db: str) -> tuple[str, Path | None]:
    """A file target must be a new book file: its path, and the file this copy will create
    (None for a URL, or an existing empty file)."""
    if is_url(target_db):
        return target_db, None
    path = Path(target_db).expanduser()
    if path.exists() and path.is_file() and path.stat().st_size > 0:
        raise MigrateError(
            f"{path} already exists; migrate-to writes a new book file only, so nothing "
            "was changed. Give a new path"
        )
    return str(path), None if path.exists() else path


def _copy(
    src_engine: Engine,
    tgt_engine: Engine,
    tgt_where: str,
    result: Migration,
    progress: Callable[[str, int], None] | None,
) -> dict[str, str]:
    """Every table's rows into the target, in one transaction; the row counts go into
    *result* and the source's digests are returned (taken as its rows stream by: the source
    is read once)."""
    src_digest: dict[str, str] = {}
    dialect = tgt_engine.dialect.name
    try:
        with src_engine.connect() as src, tgt_engine.begin() as tgt:
            SQLModel.metadata.create_all(tgt)
            for table in _tables():
                h = hashlib.sha256()
                n = 0
                for part in _rows(src, table).partitions():
                    batch = []
                    for r in part:
                        h.update(_row_bytes(r))
                        batch.append({k: _for_target(v) for k, v in r._mapping.items()})
                    tgt.execute(insert(table), batch)
                    n += len(batch)
                    if progress:
                        progress(table.name, n)
                result.counts[table.name] = n
                src_digest[table.name] = h.hexdigest()
            if dialect == "postgresql":
                from bookkeeper_tui.store.pg import reset_sequences

                reset_sequences(tgt)
            src.rollback()
    except (StoreError, MigrateError):
        raise
    except Exception as exc:
        raise StoreError(
            f"copying the book to {tgt_where} failed ({_first_line(exc)}); nothing was "
            "kept there and the book was left as it was"
        ) from exc
    return src_digest


def _verify_rows(
    tgt_engine: Engine, tgt_where: str, src_counts: dict[str, int], src_digest: dict[str, str]
) -> None:
    """The copy holds the same rows as the source (counts and digests, table by table)."""
    with tgt_engine.connect() as tgt:
        tgt_counts, tgt_digest = digest(tgt)
    if src_counts != tgt_counts or src_digest != tgt_digest:
        bad = [
            t
            for t in src_counts
            if (src_counts[t], src_digest[t]) != (tgt_counts.get(t), tgt_digest.get(t))
        ]
        raise StoreError(
            f"the copy at {tgt_where} does not match the book ({', '.join(bad)} differ); "
            "it was removed and the book was left as it was"
        )


def _verify_kpis(
    src_engine: Engine, src_where: str, tgt_engine: Engine, tgt_where: str, day: date
) -> tuple[str, ...]:
    """Each database computes the same KPI panels on *day*; the periods compared."""
    from bookkeeper_tui.config import load_config
    from bookkeeper_tui.store.book import Book

    config = load_config()
    src_book = Book(src_engine, src_where, config)
    tgt_book = Book(tgt_engine, tgt_where, config)
    periods = ("12m", "90d")
    for period in periods:
        if src_book.kpi(day, period, fresh=True) != tgt_book.kpi(day, period, fresh=True):
            raise StoreError(
                f"the copy at {tgt_where} gives other KPIs ({period}) than the book; it "
                "was removed and the book was left as it was"
            )
    return periods


def _undo(engine: Engine, new_file: Path | None, wrote: bool) -> None:
    """Leave the target as empty as it was before the copy."""
    engine.dispose()
    if new_file is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(new_file) + suffix).unlink(missing_ok=True)
        return
    if not wrote:
        return
    try:
        with engine.begin() as conn:
            SQLModel.metadata.drop_all(conn)
    except Exception:  # pragma: no cover - the server went away: nothing more to do
        pass


def _checked(check: Callable[[Engine, str], None], engine: Engine, where: str) -> None:
    """Run a look at a database; a failure to connect is one sentence (StoreError)."""
    try:
        check(engine, where)
    except (StoreError, MigrateError):
        raise
    except Exception as exc:
        raise StoreError(_open_problem(exc, engine, where)) from None


def _open_problem(exc: BaseException, engine: Engine, where: str) -> str:
    if engine.dialect.name == "postgresql":
        from bookkeeper_tui.store.pg import open_error

        return open_error(exc, engine.url)
    return f"cannot open {where} ({_first_line(exc)})"


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__
