"""Loading one account for its screen: ``Book.show`` plus the health history, in a thread
(started while the screen is composed, so opening an account feels instant)."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date

from bookkeeper_tui.core.account_view import AccountView
from bookkeeper_tui.store.book import Book, BookError, HealthPoint


def load_account(book: Book, name: str, as_of: date) -> AccountData:
    """``Book.show`` plus the health history, or why there is no such account."""
    try:
        detail = book.show(name, as_of)
    except BookError as exc:
        return AccountData(error=exc.message)
    history = book.health_history(detail.name, as_of)
    return AccountData(detail=detail, health_history=history)


def start_loading(book: Book, name: str, as_of: date) -> Future[AccountData]:
    """:func:`load_account` in a thread; its future."""
    future: Future[AccountData] = Future()
    threading.Thread(target=_fill, args=(future, book, name, as_of), daemon=True).start()
    return future


def _fill(future: Future, book: Book, name: str, as_of: date) -> None:
    try:
        future.set_result(load_account(book, name, as_of))
    except BaseException as exc:  # shown by the screen's load like any load error
        future.set_exception(exc)


@dataclass
class AccountData:
    """What the screen shows: ``Book.show`` plus the health history (or why there is none)."""

    detail: AccountView | None = None
    error: str | None = None
    health_history: list[HealthPoint] = field(default_factory=list)
