"""The book: the query and command API the CLI and the TUI share.

Every user action is one transaction (``Book.write``): either all of it is stored
or nothing is. Bad input raises :class:`BookError` with one sentence naming the
wrong part and how to fix it; callers turn it into exit code 2 or an inline error.

The package splits :class:`Book` by concern; each module holds one mixin:
``accounts`` (add, delete, find, list), ``edit`` (the edit form), ``contacts``
(contact roles, departures),
``sync`` (planning, renewal roll, health snapshots), ``write`` (the quick log),
``outcomes`` (renewal outcomes), ``kpi`` (KPI queries), ``renewals`` (the board),
``views`` (account view and brief), ``history`` (an account's health over time),
``table`` (the Book screen's list); ``core`` puts them together and ``common`` holds the
constants, value types and helpers they share. Every name is importable from
``bookkeeper_tui.store.book`` as before.
"""

from bookkeeper_tui.store.book.common import (
    _ACCOUNT_ROWS,
    COMPLETE_AHEAD_DAYS,
    COMPLETE_SAME_KIND_AHEAD_DAYS,
    EDITABLE_FIELDS,
    FIRST_VALUE_TAG,
    KPI_CACHE_SIZE,
    OUTCOME_WINDOW_DAYS,
    PLAYBOOK_LOOKBACK_DAYS,
    RENEWAL_LOG_DAYS,
    AccountRows,
    KpiKey,
    LogResult,
    Owners,
    _check_bounds,
    _explain,
    _movement,
    _r,
    int_type,
    parse_iso,
    parse_tier,
    rows_said,
)
from bookkeeper_tui.store.book.core import Book
from bookkeeper_tui.store.book.history import HealthPoint
from bookkeeper_tui.store.book.sync import REPLAN_BATCH
from bookkeeper_tui.store.errors import BookError, ConflictError
from bookkeeper_tui.store.rows import TodayRow

__all__ = [
    "COMPLETE_AHEAD_DAYS",
    "COMPLETE_SAME_KIND_AHEAD_DAYS",
    "EDITABLE_FIELDS",
    "FIRST_VALUE_TAG",
    "KPI_CACHE_SIZE",
    "OUTCOME_WINDOW_DAYS",
    "PLAYBOOK_LOOKBACK_DAYS",
    "RENEWAL_LOG_DAYS",
    "REPLAN_BATCH",
    "_ACCOUNT_ROWS",
    "AccountRows",
    "Book",
    "BookError",
    "ConflictError",
    "HealthPoint",
    "KpiKey",
    "LogResult",
    "Owners",
    "TodayRow",
    "_check_bounds",
    "_explain",
    "_movement",
    "_r",
    "int_type",
    "parse_iso",
    "parse_tier",
    "rows_said",
]
