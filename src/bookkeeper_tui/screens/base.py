"""What every data screen shares: load in a thread worker, render on the UI thread.

A subclass implements ``load()`` (runs in a worker thread, may use ``self.book``; returns
plain data) and ``show(data)`` (runs on the UI thread, updates widgets). The screen
reloads when it mounts and whenever ``app.book_changed`` fires; a screen that is not
visible only marks itself stale and reloads when it is shown again.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from textual import work
from textual.screen import ModalScreen, Screen

if TYPE_CHECKING:
    from bookkeeper_tui.app import BookkeeperApp
    from bookkeeper_tui.store.book import Book


class DataMixin:
    """Load/show plumbing shared by full screens and modal screens."""

    _stale = False
    #: Mount a Footer after the first frame instead of composing one. Composing the
    #: Footer's keys costs 50-70 ms, as much as the rest of a screen: deferring it lets
    #: the data show first (start-up, opening an account, the Book, the KPIs).
    DEFERRED_FOOTER = False
    _footer_planned = False
    #: Set by a screen that showed its first data already (Today from the launch prefetch).
    _preloaded = False

    @property
    def bk(self) -> BookkeeperApp:
        return self.app  # type: ignore[attr-defined, return-value]

    @property
    def book(self) -> Book:
        return self.bk.book

    @property
    def today(self) -> date:
        return self.bk.today

    def on_mount(self) -> None:
        self.bk.book_changed.subscribe(self, self._on_book_changed)  # type: ignore[arg-type]
        if not self._preloaded:
            self.reload()

    def _mount_footer(self) -> None:
        from bookkeeper_tui.widgets.footer import Footer

        if not self.is_mounted or getattr(self.app, "exiting", False):  # type: ignore[attr-defined]
            return  # the app is closing (a key typed right after q): nothing to mount on
        if not self.query(Footer):  # type: ignore[attr-defined]
            footer = Footer()
            self.mount(footer)  # type: ignore[attr-defined]
            # A Footer draws its keys when the screen next announces its bindings: one
            # mounted after the screen's first frame would stay blank until a focus
            # change. Announce them once it is mounted.
            self.call_after_refresh(self.refresh_bindings)  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        # A closed screen must not stay alive through its subscription until the next
        # publish (Signal prunes detached subscribers only then).
        self.bk.book_changed.unsubscribe(self)  # type: ignore[arg-type]

    def on_screen_resume(self) -> None:
        if self._stale:
            self._stale = False
            self.reload()

    def _on_book_changed(self, _what: str) -> None:
        if self.is_current:  # type: ignore[attr-defined]
            self.reload()
        else:
            self._stale = True

    def reload(self) -> None:
        self._load_worker()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load_worker(self) -> None:
        try:
            data = self.load()
        except Exception as exc:  # never a silent "Loading…" forever
            self.app.call_from_thread(self._failed, exc)  # type: ignore[attr-defined]
            return
        self.app.call_from_thread(self._show_safely, data)  # type: ignore[attr-defined]

    def _show_safely(self, data: Any) -> None:
        try:
            self.show(data)
        except Exception as exc:
            self._failed(exc)
        self.shown_once()

    def shown_once(self) -> None:
        """After the first data is on screen: mount the deferred Footer after that frame."""
        if self.DEFERRED_FOOTER and not self._footer_planned:
            self._footer_planned = True
            self.call_after_refresh(self._mount_footer)  # type: ignore[attr-defined]

    def _failed(self, exc: Exception) -> None:
        self.shown_once()
        # The type and the first line only: a database error's full text carries the
        # statement's parameters, and logs never hold a customer's notes.
        first = str(exc).split("\n", 1)[0].split("[SQL:", 1)[0][:200]
        self.app.log.error(f"{type(self).__name__} failed to load: {type(exc).__name__}: {first}")  # type: ignore[attr-defined]
        self.app.notify(  # type: ignore[attr-defined]
            f"Could not show this screen: {type(exc).__name__}: {exc}. Your data is unchanged; "
            "press escape and try again (daily backups are in backups/daily beside the book).",
            severity="error",
            timeout=10,
        )

    def load(self) -> Any:  # runs in a worker thread
        raise NotImplementedError

    def show(self, data: Any) -> None:  # runs on the UI thread
        raise NotImplementedError


class DataScreen(DataMixin, Screen):
    """A full screen showing data from the book."""

    DEFERRED_FOOTER = True


class DataModal(DataMixin, ModalScreen):
    """A modal screen showing data from the book."""
