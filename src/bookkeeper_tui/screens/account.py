"""One account: who they are, how healthy and why, who we talk to, and what happened.

The left column explains the health score (each component, its value and weight, what is
missing, what moved since the last snapshot), the flags, the contacts and the open
touchpoints. The right side shows health and NPS over time and the timeline, newest first,
with churn language highlighted. The timeline is a single ``VTable`` (rows, not widgets,
rendered only as they scroll into view),
so an account with thousands of entries opens as fast as one with ten; the highlighted row's
full text is shown under it. ``enter`` logs a call for this account, ``escape`` goes back.

This module holds the screen, its keys and actions; ``account_data`` loads the account,
``account_panels`` writes the header and the left column, ``account_timeline`` the trends
and the timeline.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Header, Sparkline, Static

from bookkeeper_tui.screens import commands
from bookkeeper_tui.screens.account_data import (
    AccountData,
    Submit,
    load_account,
    start_loading,
)
from bookkeeper_tui.screens.account_panels import (
    COMPONENT_LABEL,
    AccountPanelsMixin,
    nps_gap_line,
    value_line,
)
from bookkeeper_tui.screens.account_timeline import (
    CHURN_STYLE,
    MIN_TEXT_WIDTH,
    MOVEMENT_STYLE,
    TimelineMixin,
    _entry_key,
    entry_kind,
    entry_text,
    plural,
    score_text,
)
from bookkeeper_tui.screens.base import DataScreen
from bookkeeper_tui.store.book import Book, BookError
from bookkeeper_tui.widgets.render import safe
from bookkeeper_tui.widgets.vtable import VTable

#: The names this module held before it was split (issue 15 #2), still importable here.
__all__ = [
    "CHURN_STYLE",
    "COMPONENT_LABEL",
    "MOVEMENT_STYLE",
    "AccountData",
    "AccountScreen",
    "entry_kind",
    "entry_text",
    "load_account",
    "nps_gap_line",
    "plural",
    "score_text",
    "start_loading",
    "value_line",
]


class AccountScreen(AccountPanelsMixin, TimelineMixin, DataScreen):
    """Everything about one account on one screen."""

    CSS_PATH = "account.tcss"
    BINDINGS = commands.bindings(commands.ACCOUNT)

    def __init__(
        self,
        name: str,
        book: Book | None = None,
        as_of: date | None = None,
        submit: Submit | None = None,
    ) -> None:
        """With *book*, *as_of* and *submit*, the account starts loading at once, off the
        UI thread, while the screen is composed and mounted (opening feels instant)."""
        super().__init__()
        self.account_name = name
        self._early: Future[AccountData] | None = None
        if book is not None and as_of is not None and submit is not None:
            self._early = start_loading(submit, book, name, as_of)
        self.data: AccountData | None = None
        self._timeline_shape: tuple[bool, int] | None = None

    @property
    def loading(self) -> Future[AccountData] | None:
        """The load started at creation, if it has not been taken yet."""
        return self._early

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the account…", id="account-header")
        yield Static("", id="account-error")
        with Horizontal(id="account-body"):
            with VerticalScroll(id="account-side"):
                yield Static("Health", classes="section-title")
                yield Static("", id="account-health")
                yield Static("Flags", classes="section-title")
                yield Static("", id="account-flags")
                yield Static("Contacts", classes="section-title")
                yield Static("", id="account-contacts")
                yield Static("Open touchpoints", classes="section-title")
                yield Static("", id="account-touchpoints")
            with Vertical(id="account-main"):
                with Horizontal(id="account-trends"):
                    with Vertical(classes="account-trend"):
                        yield Static("Health over time", classes="trend-title")
                        yield Sparkline([], id="account-health-spark")
                        yield Static("", id="account-health-caption", classes="trend-caption")
                    with Vertical(classes="account-trend"):
                        yield Static("NPS over time", classes="trend-title")
                        yield Sparkline([], id="account-nps-spark")
                        yield Static("", id="account-nps-caption", classes="trend-caption")
                yield Static("", id="account-nps-gap")
                yield VTable(
                    self._timeline_columns(False, MIN_TEXT_WIDTH),
                    self._timeline_row,
                    _entry_key,
                    id="account-timeline",
                )
                yield Static("", id="account-entry")

    def on_mount(self) -> None:
        self._fit(self.app.size.width, self.app.size.height)
        self.sub_title = safe(self.account_name)
        self.query_one("#account-error").display = False
        self.query_one("#account-body").display = False
        early = self._early
        if early is not None and early.done():  # loaded while the previous screen showed
            self._early = None
            self._preloaded = True
            self._show_safely(early.result())
        # DataMixin.on_mount (subscribe, first load) runs after this one: Textual calls
        # every on_mount along the MRO, so calling super() here would run it twice.

    # -- reuse: the app keeps one account screen and shows each account in it ----------
    def prepare(self, name: str, book: Book, as_of: date, submit: Submit) -> None:
        """Show *name* next (this screen is off screen): start loading it now and clear
        what the previous account left, so it can never show under the new name."""
        self.account_name = name
        self.data = None
        self._stale = False
        self._early = start_loading(submit, book, name, as_of)
        self.sub_title = safe(name)
        self.query_one("#account-header", Static).update("Loading the account…")
        self.query_one("#account-error").display = False
        self.query_one("#account-body").display = False
        table = self.query_one("#account-timeline", VTable)
        table.set_rows([])
        table.move_cursor(0)

    def on_screen_resume(self) -> None:
        # Runs before DataMixin.on_screen_resume (Textual calls each class's handler).
        early = self._early
        if early is None:
            return
        self._stale = False
        if early.done():
            self._early = None
            self._show_safely(early.result())
        else:
            self.reload()  # load() waits for the load already under way

    # -- data -------------------------------------------------------------------------
    def load(self) -> AccountData:
        early, self._early = self._early, None
        if early is not None:  # started when the screen was created, while it composed
            return early.result()
        return load_account(self.book, self.account_name, self.today)

    def show(self, data: AccountData) -> None:
        self.data = data
        body = self.query_one("#account-body")
        error = self.query_one("#account-error", Static)
        if data.detail is None:
            body.display = False
            error.display = True
            self.query_one("#account-header", Static).update(
                Text(f"No account '{safe(self.account_name)}'", style="bold red")
            )
            error.update(
                Text.assemble(
                    (safe(data.error or "that account does not exist"), "bold"),
                    "\n\nPress escape to go back, or ctrl+p and type a name to find an account.",
                )
            )
            return
        d = data.detail
        self.account_name = d.name
        self.sub_title = safe(d.name)
        error.display = False
        body.display = True
        self.query_one("#account-header", Static).update(self._header(d))
        self.query_one("#account-health", Static).update(self._health(d))
        self.query_one("#account-flags", Static).update(self._flags(d))
        self.query_one("#account-contacts", Static).update(self._contacts(d))
        self.query_one("#account-touchpoints", Static).update(self._touchpoints(d))
        self._show_trends(d, data.health_history)
        gap = nps_gap_line(d.nps)
        gap_widget = self.query_one("#account-nps-gap", Static)
        gap_widget.display = gap is not None
        gap_widget.update(gap or "")
        self._show_timeline(d.timeline)

    # -- layout and the timeline's events (the panels: account_panels, account_timeline) -
    def on_resize(self) -> None:
        self._fit(self.size.width, self.size.height)
        data = self.data
        if (
            data is not None
            and data.detail is not None
            and self._timeline_layout() != self._timeline_shape
        ):
            self._show_timeline(data.detail.timeline)

    def on_vtable_highlighted(self, event: VTable.Highlighted) -> None:
        event.stop()
        self._show_entry(event.index)

    def on_vtable_selected(self, event: VTable.Selected) -> None:
        event.stop()
        self.action_log()

    # -- actions ------------------------------------------------------------------------
    def action_log(self) -> None:
        """Quick log pre-filled with this account's name."""
        if self.data is not None and self.data.detail is None:
            self.notify("There is no such account to log for.", severity="warning")
            return
        self.bk.action_quick_log(prefill=f"{self.account_name} ")

    def action_edit(self) -> None:
        """The edit form for this account (tier, renewal, owner, industry, tags)."""
        from bookkeeper_tui.screens.edit_account import EditAccountScreen

        if self.data is None or self.data.detail is None:
            self.notify("There is no such account to edit.", severity="warning")
            return
        if not isinstance(self.app.screen, EditAccountScreen):
            self.app.push_screen(EditAccountScreen(self.data.detail.name))

    def action_contacts(self) -> None:
        """Edit a contact's role and departure in a small form (screens/contact_edit)."""
        from bookkeeper_tui.screens.contact_edit import ContactScreen

        if self.data is None or self.data.detail is None:
            self.notify("There is no such account.", severity="warning")
            return
        if isinstance(self.app.screen, ContactScreen):
            return
        d = self.data.detail
        if not d.contacts:
            self.notify(
                "No contacts yet: log a call 'with Name (champion)' to add one.",
                severity="warning",
            )
            return
        self.app.push_screen(ContactScreen(d.name, d.contacts, self.today))

    def action_delete(self) -> None:
        """Ask, then delete this account and all its rows; back to the previous screen."""
        from bookkeeper_tui.screens.delete_account import DeleteAccountScreen

        if self.data is None or self.data.detail is None:
            self.notify("There is no such account to delete.", severity="warning")
            return
        if isinstance(self.app.screen, DeleteAccountScreen):
            return
        try:
            counts = self.book.account_rows(self.data.detail.name)
        except BookError as exc:
            self.notify(exc.message, severity="warning")
            return

        def closed(deleted: bool | None) -> None:
            if deleted and self.app.screen is self:
                self.app.pop_screen()

        self.app.push_screen(DeleteAccountScreen(counts), closed)
