"""Where the book lives: light enough for start-up (no SQLAlchemy)."""

from __future__ import annotations

import os
from pathlib import Path

#: Seconds to wait for a PostgreSQL server before saying it cannot be reached.
CONNECT_TIMEOUT_S = 5


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("bookkeeper", appauthor=False)) / "book.db"


def resolve_db(db: str | None) -> str:
    """The book's location: ``--db`` first, then ``BOOKKEEPER_DB``, then the default."""
    return db or os.environ.get("BOOKKEEPER_DB") or str(default_db_path())


def is_url(value: str) -> bool:
    return "://" in value
