"""Loading one account for its screen: ``Book.show`` plus the health history, in a
Textual thread worker of the app (started before the screen is shown, so opening an
account feels instant).

The load runs on the app, not on the screen: it starts before the screen is mounted (the
app shows the screen once the data is in, ``App.open_account``). Its result comes back
in a ``concurrent.futures.Future``, which the app waits on to show the screen and the
screen's own load reads.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from bookkeeper_tui.core.account_view import AccountView
from bookkeeper_tui.store.book import Book, BookError, HealthPoint

if TYPE_CHECKING:
    from textual.app import App


def load_account(book: Book, name: str, as_of: date) -> AccountData:
    """``Book.show`` plus the health history, or why there is no such account."""
    try:
        detail = book.show(name, as_of)
    except BookError as exc:
        return AccountData(error=exc.message)
    history = book.health_history(detail.name, as_of)
    return AccountData(detail=detail, health_history=history)


def start_loading(app: App, book: Book, name: str, as_of: date) -> Future[AccountData]:
    """:func:`load_account` in a thread worker of *app*; its future."""
    future: Future[AccountData] = Future()
    app.run_worker(
        partial(_fill, future, book, name, as_of),
        name="account-load",
        group="account-load",
        thread=True,
        exit_on_error=False,
    )
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
