"""The Textual app: modes for Today, the Book and KPIs; account and quick-log screens on top.

The app receives its :class:`Book` and :class:`Config` (no globals) and a ``today``
callable, so tests and snapshots run on a fixed date. Screens never touch the database
on the UI thread: they load in thread workers and render the result. After any write,
``app.book_changed`` is published and every live screen reloads what it shows.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from textual import events
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.signal import Signal

from bookkeeper_tui.app.palette import AccountsProvider, app_commands
from bookkeeper_tui.app.restyle import Restyle
from bookkeeper_tui.app.startup import BookOpener, IdleCollector
from bookkeeper_tui.config import DEFAULT, DEFAULT_KPI_PERIOD, Config
from bookkeeper_tui.screens.commands import APP_BOUND, bindings

if TYPE_CHECKING:
    from bookkeeper_tui.store.book import Book
    from bookkeeper_tui.store.rows import TodayRow


#: Seconds between the first screen showing its data and the start of background work.
BACKGROUND_DELAY_S = 0.3
#: Longest wait for an account's data before its screen shows anyway (with "Loading…").
OPEN_WAIT_S = 0.15
#: The same for the KPI panel's first computation.
KPI_WAIT_S = 0.25

#: The KPI panel is computed ahead after this many seconds without a key or click.
WARM_IDLE_S = 2.0


class BookkeeperApp(Restyle):
    """Bookkeeper's terminal app."""

    CSS_PATH = "app.tcss"
    TITLE = "Bookkeeper"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {AccountsProvider}

    # The commands' keys (screens/commands.py; the keys that open another screen are
    # priority bindings, issue 13 #1; while text is being typed they step aside: _typing).
    BINDINGS = bindings(APP_BOUND)

    def __init__(
        self,
        book: Book | None,
        config: Config = DEFAULT,
        today: Callable[[], date] | None = None,
        poll_seconds: float = 3.0,
        daily_backup: bool = True,
        *,
        location: str | None = None,
        first_today: list[TodayRow] | None = None,
    ) -> None:
        """*book* is the open book; or None with *location*, and the app opens it in the
        background after the first screen is up (*first_today* are Today's rows, read at
        launch by :class:`bookkeeper_tui.store.fast.TodayPrefetch`)."""
        super().__init__()
        if book is None and location is None:
            raise ValueError("BookkeeperApp needs a book or its location")
        self._location = location if book is None else book.location
        #: Opens the book in the background (started by ensure_book; a given book is open).
        self._opener = BookOpener(self._open_book, self._open_failed_in_thread)
        if book is not None:
            self.book = book
        #: Set when the first screen has shown its data; background start-up work
        #: (opening the full book, sync, backup) waits for it so it never delays that.
        self.first_paint = threading.Event()
        self._background_started = False
        self._last_input = time.monotonic()
        #: The garbage collector's full work waits for a pause (app/startup.py).
        self.collector = IdleCollector()
        self._warming = False
        #: The account screen, kept composed between visits (opening one is then cheap).
        self._account_screen: Screen | None = None
        self._first_today = first_today
        self.config = config
        self._today = today or date.today
        self._poll_seconds = poll_seconds
        self.daily_backup = daily_backup
        self._data_version: int | None = None
        self.book_changed: Signal[str] = Signal(self, "book_changed")
        #: Touchpoint ids just completed, snoozed or skipped: Today drops them at once,
        #: before the reload that book_changed starts has finished.
        self.touchpoints_closed: Signal[set[int]] = Signal(self, "touchpoints_closed")
        me = " ".join((config.me or "").split())
        #: Who "me" is (config ``me``); None: team mode is off, every view is the whole book.
        self.me: str | None = me or None
        #: Today and the Book show only my accounts (team mode opens so) or the whole
        #: team; one choice for the whole session, flipped by the `mine` key anywhere.
        self.mine_only = self.me is not None
        #: Published with the new ``mine_only`` when the user flips it.
        self.owner_view: Signal[bool] = Signal(self, "owner_view")
        self.set_keymap(config.keys)

    # -- the book, opened in the background when the app started from a prefetch ---------
    @property
    def book(self) -> Book:
        """The open book. Blocks (in a worker; on the UI thread only in the first moments
        after launch) until the background open has finished."""
        if self._opener.book is None:
            self.ensure_book()
            self._opener.done.wait()
            if self._opener.book is None:
                raise self._opener.error or RuntimeError("the book could not be opened")
        return self._opener.book

    @book.setter
    def book(self, book: Book) -> None:
        self._opener.book = book
        self._opener.done.set()

    @property
    def book_open(self) -> bool:
        return self._opener.book is not None

    def ensure_book(self) -> None:
        """Start opening the book in the background, once."""
        if self._opener.book is None:
            self._opener.start()

    def _open_book(self) -> Book:  # in the opener's thread
        from bookkeeper_tui.store.book import Book

        assert self._location is not None
        return Book.open(self._location, self.config)

    def _open_failed_in_thread(self, exc: BaseException) -> None:
        with contextlib.suppress(RuntimeError):  # the app may be gone already
            self.call_from_thread(self._open_failed, exc)

    def _open_failed(self, exc: BaseException) -> None:
        self.exit(return_code=1, message=f"bookkeeper: {exc}")

    def take_first_today(self) -> list[TodayRow] | None:
        """Today's prefetched rows, once (later loads query the book)."""
        rows, self._first_today = self._first_today, None
        return rows

    def first_data_shown(self) -> None:
        """The first screen has its data: start the background work a moment later, so
        that its imports (SQLAlchemy) do not compete with writing that first frame."""
        if not self._background_started:
            self._background_started = True
            self.set_timer(BACKGROUND_DELAY_S, self._start_background)

    def _start_background(self) -> None:
        self.first_paint.set()
        if not self.book_open:
            self.ensure_book()

    def close_book(self) -> None:
        self._opener.close()

    # -- team mode: my accounts or the whole team -----------------------------------------
    @property
    def owner_cut(self) -> str | None:
        """The owner Today and the Book show (``core.owners``), or None for everyone."""
        return self.me if self.mine_only else None

    def toggle_mine(self) -> None:
        """My accounts <-> the whole team, on every screen; without ``me``, say how to set it."""
        if self.me is None:
            from bookkeeper_tui.config import config_path

            self.notify(
                "Team mode is off, so every account is shown. To see only yours, add "
                f'me = "maya" (your name as in the accounts\' owner) to {config_path()} '
                "and restart; see docs/config.md.",
                title="Who are you?",
                timeout=10,
            )
            return
        self.mine_only = not self.mine_only
        self.owner_view.publish(self.mine_only)

    # -- the clock, in one place -------------------------------------------------------
    @property
    def today(self) -> date:
        return self._today()

    # -- modes: Today, Book and KPIs each keep their own screen stack ---------------------
    MODES = {
        "today": lambda: _screen("today", "TodayScreen"),
        "book": lambda: _screen("accounts", "BookScreen"),
        "kpi": lambda: _screen("kpi", "KpiScreen"),
        "renewals": lambda: _screen("renewals", "RenewalsScreen"),
    }
    DEFAULT_MODE = "today"

    def on_mount(self) -> None:
        self.collector.start()
        self.set_interval(0.5, self._on_idle_tick)
        if self.config.theme:
            if self.config.theme in self.available_themes:
                self.theme = self.config.theme
            else:
                self.notify(
                    f"Unknown theme '{self.config.theme}' in config.toml; "
                    f"choose one of: {', '.join(sorted(self.available_themes))}",
                    severity="warning",
                )
        if not self.book_open:
            # Whatever screen comes first, open the book at the latest a moment from now.
            self.set_timer(1.0, self._start_background)
        self.run_worker(self._first_run_check, thread=True, group="startup")
        if self.daily_backup:
            self.run_worker(self._daily_backup, thread=True, group="backup")
        if self._poll_seconds > 0:
            self.set_interval(self._poll_seconds, self._poll_changes)

    def on_unmount(self) -> None:
        self.collector.stop()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(
            event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)
        ):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def _on_idle_tick(self) -> None:
        """While the user pauses: collect garbage, and compute ahead what `k` and `r` open
        (app/ahead.py: remembered until the book changes, so they then open at once)."""
        self.collector.tick(time.monotonic() - self._last_input)
        warm = time.monotonic() - self._last_input >= WARM_IDLE_S
        if warm and not self._warming and self.first_paint.is_set() and self.book_open:
            from bookkeeper_tui.app.ahead import next_job

            job = next_job(self.book, self.today)
            if job is not None:
                self._warming = True
                self.run_worker(partial(self._warm, job), thread=True, group="warm")

    def _warm_kpi_quietly(self) -> None:
        with contextlib.suppress(Exception):  # the screen's own load reports any error
            self.book.kpi(self.today, DEFAULT_KPI_PERIOD)

    def _warm(self, job: Callable[[], object]) -> None:
        try:
            with contextlib.suppress(Exception):  # the screen's own load reports any error
                job()
        finally:
            self._warming = False

    def _daily_backup(self) -> None:
        from pathlib import Path

        from bookkeeper_tui.store.backup import daily_backup
        from bookkeeper_tui.store.location import is_url

        self.first_paint.wait(5.0)
        self._opener.done.wait()
        if not self.book_open:  # the open failed: the app is ending with its message
            return
        if not is_url(self.book.location):
            daily_backup(Path(self.book.location), self.today)

    def _poll_changes(self) -> None:
        if not self.book_open:
            return
        self.run_worker(self._check_changes, thread=True, group="poll", exclusive=True)

    def _check_changes(self) -> None:
        """Show what other processes wrote (a script, a second terminal) within seconds."""
        version = self.book.data_version()
        if version is None:
            return
        if self._data_version is not None and version != self._data_version:
            self.call_from_thread(self.notify_changed, "external")
        self._data_version = version

    def _first_run_check(self) -> None:
        if not self.book_open:
            self.first_paint.wait(5.0)
        try:
            book = self.book
        except BaseException:
            if self._opener.error is not None:
                return  # the app is ending with the open error's message
            raise
        changed = book.sync(self.today)
        self._data_version = book.data_version()  # the baseline for _check_changes
        empty = book.is_empty()
        self.call_from_thread(self._after_sync, empty, changed)

    def _after_sync(self, empty: bool, changed: bool = True) -> None:
        if empty:
            from bookkeeper_tui.screens.welcome import WelcomeScreen

            self.push_screen(WelcomeScreen())
        elif changed:
            self.book_changed.publish("sync")

    def _typing(self) -> bool:
        """True while a text field has the focus, or a screen made for typing (the quick
        log) is up: its letters are text, not commands."""
        from textual.widgets import Input, TextArea

        return isinstance(self.focused, (Input, TextArea)) or getattr(
            self.screen, "TYPING", False
        )

    async def action_quit(self) -> None:
        """`q` quits, except while text is being typed (then it is the letter q)."""
        self._step_aside_for_typing()
        await super().action_quit()

    #: Set once the app has been asked to quit: keys typed right after `q` open nothing.
    exiting = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The key of the view already on screen leaves the footer (the Book's footer has
        room for `? Keys` and `q Quit` again); pressing it still does nothing harmful."""
        return not (action == "goto" and parameters and parameters[0] == self.current_mode)

    def exit(self, *args, **kwargs) -> None:  # type: ignore[override]
        self.exiting = True
        super().exit(*args, **kwargs)

    def _step_aside_for_typing(self) -> None:
        """A priority key's action yields the key to the text field being typed in; once
        the app is quitting, the key does nothing (it would build a screen mid-exit)."""
        if self.exiting or self._typing():
            from textual.actions import SkipAction

            raise SkipAction()

    def _shown(self, mode: str) -> list[Screen]:
        """The screen stack of *mode*; empty if it has not been shown yet."""
        try:
            return self.get_screen_stack(mode)
        except KeyError:
            return []

    def action_goto(self, where: str) -> None:
        """Show Today, the Book, KPIs or Renewals."""
        self._step_aside_for_typing()
        self._last_input = time.monotonic()
        if self.current_mode == where:
            return
        if (
            where == "kpi"
            and self.book_open
            and not self._shown("kpi")
            and not self.book.kpi_is_fresh(self.today, DEFAULT_KPI_PERIOD)
        ):
            # First visit with the panel not remembered: compute it, then build the
            # screen (its load finds it remembered). Building it meanwhile would only
            # slow the computation down; a slow one shows the screen after KPI_WAIT_S.
            def switch() -> None:
                if self.current_mode != where:
                    self.switch_mode(where)

            ahead: Future[None] = Future()

            def compute() -> None:
                self._warm_kpi_quietly()
                ahead.set_result(None)

            self.run_worker(compute, thread=True, group="kpi-ahead", exit_on_error=False)
            self._show_when_ready(ahead, switch, KPI_WAIT_S)
            return
        self.switch_mode(where)

    def action_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def action_help(self) -> None:
        self._step_aside_for_typing()
        from bookkeeper_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_quick_log(
        self,
        prefill: str = "",
        touchpoint_id: int | None = None,
        kind: str | None = None,
        band: str | None = None,
    ) -> None:
        """The quick log; from a touchpoint (*kind*, on an account in *band*) it shows the
        touchpoint's talk track and checklist with the band play (core/content.py)."""
        self._step_aside_for_typing()
        from bookkeeper_tui.screens.quick_log import QuickLogScreen

        if isinstance(self.screen, QuickLogScreen):
            return
        if not prefill and touchpoint_id is None:
            # The screen may start the line (Renewals: "ACCOUNT renewal ").
            start = getattr(self.screen, "quick_log_prefill", None)
            prefill = start() if callable(start) else ""
        self.push_screen(
            QuickLogScreen(prefill=prefill, touchpoint_id=touchpoint_id, kind=kind, band=band)
        )

    def open_account(self, name: str) -> None:
        from bookkeeper_tui.screens.account import AccountScreen

        self._last_input = time.monotonic()
        if not self.book_open:
            self.push_screen(AccountScreen(name))
            return
        # Load first, then show the screen complete in one frame: a skeleton painted
        # while the data loads only slows the load down. A slow load shows the screen
        # (with "Loading…") after OPEN_WAIT_S.
        screen = self._account_screen
        if screen is not None and not any(screen in self._shown(m) for m in self.MODES):
            screen.prepare(name, self.book, self.today, self._opener.submit)  # reuse it
        else:
            screen = AccountScreen(name, self.book, self.today, self._opener.submit)
            if self._account_screen is None:
                self._account_screen = screen
                self.install_screen(screen, name="account")
        if screen.loading is None:
            self.push_screen(screen)
        else:
            self._show_when_ready(screen.loading, lambda: self.push_screen(screen), OPEN_WAIT_S)

    def _show_when_ready(self, ready: Future, show: Callable[[], object], wait_s: float) -> None:
        """Call *show* once, on the UI thread: when *ready* is done, or after *wait_s*
        (a slow load then shows its screen with "Loading…")."""
        shown = False
        ui_thread = threading.get_ident()

        def once() -> None:
            nonlocal shown
            if not shown:
                shown = True
                show()

        def done(_future: object) -> None:
            if threading.get_ident() == ui_thread:  # it was done already: instant
                once()
                return
            with contextlib.suppress(RuntimeError):  # the app is gone
                self.call_from_thread(once)

        self.set_timer(wait_s, once)
        ready.add_done_callback(done)

    def notify_changed(self, what: str = "write") -> None:
        """Tell every live screen the book changed (after a save, a snooze, an import)."""
        self.book_changed.publish(what)

    # -- command palette ----------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from app_commands(self)
        yield from super().get_system_commands(screen)

    def action_toggle_mine(self) -> None:
        self.toggle_mine()

    def action_import(self) -> None:
        from bookkeeper_tui.screens.import_screen import ImportScreen

        self.push_screen(ImportScreen())

    def action_add_account(self) -> None:
        from bookkeeper_tui.screens.add_account import AddAccountScreen

        self.push_screen(AddAccountScreen())


def _screen(module: str, name: str) -> Screen:
    """Import a screen when it is first shown: start-up loads only Today."""
    import importlib

    return getattr(importlib.import_module(f"bookkeeper_tui.screens.{module}"), name)()


def run_app(book: Book, config: Config) -> None:
    BookkeeperApp(book, config).run()


def run_prefetched(location: str, config: Config, first_today: list[TodayRow]) -> int:
    """Run the app on Today's prefetched rows; the book opens in the background."""
    app = BookkeeperApp(None, config, location=location, first_today=first_today)
    try:
        app.run()
    finally:
        app.close_book()
    return app.return_code or 0
