"""Loading one account for its screen: ``Book.show`` plus the health history, started
before the screen is shown (so opening an account feels instant): in the app's serving
thread (``app/startup.BookOpener.submit``), which starts it at once, where a Textual worker
would start it a loop turn later."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from bookkeeper_tui.core.account_view import AccountView
from bookkeeper_tui.store.book import Book, BookError, HealthPoint

#: Runs work at once off the UI thread, its result in a future (``BookOpener.submit``).
Submit = Callable[[Callable[[], "AccountData"]], "Future[AccountData]"]


def load_account(book: Book, name: str, as_of: date) -> AccountData:
    """``Book.show`` plus the health history, or why there is no such account."""
    try:
        detail = book.show(name, as_of)
    except BookError as exc:
        return AccountData(error=exc.message)
    history = book.health_history(detail.name, as_of)
    return AccountData(detail=detail, health_history=history)


def start_loading(submit: Submit, book: Book, name: str, as_of: date) -> Future[AccountData]:
    """:func:`load_account`, started at once by *submit*; its future."""
    return submit(partial(load_account, book, name, as_of))


@dataclass
class AccountData:
    """What the screen shows: ``Book.show`` plus the health history (or why there is none)."""

    detail: AccountView | None = None
    error: str | None = None
    health_history: list[HealthPoint] = field(default_factory=list)
