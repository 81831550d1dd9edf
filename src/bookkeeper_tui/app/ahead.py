"""What the app computes ahead while the user pauses.

The 12-month KPI panel first, then the Renewals screen's desk: the book remembers both
until it changes (any commit, by this process or another), so `k` and `r` then open at
once. One job at a time, each in a thread worker; an error is left for the screen's own
load to report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from bookkeeper_tui.config import DEFAULT_KPI_PERIOD

if TYPE_CHECKING:
    from bookkeeper_tui.store.book import Book


def next_job(book: Book, today: date) -> Callable[[], object] | None:
    """The next thing worth computing ahead, or None when all is remembered (or the book
    cannot answer: a damaged or vanished book, which the screens will report)."""
    try:
        if not book.kpi_is_fresh(today, DEFAULT_KPI_PERIOD):
            return partial(book.kpi, today, DEFAULT_KPI_PERIOD)
        from bookkeeper_tui.screens import renewals

        if renewals.remembered_desk(book, today) is None:
            return partial(renewals.read_desk, book, today)
    except Exception:
        return None
    return None
