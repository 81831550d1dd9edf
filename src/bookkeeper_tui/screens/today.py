"""Today: overdue, due today and due this week, most urgent first.

``enter`` logs the touchpoint (quick log pre-filled; saving completes it), ``s`` snoozes,
``x`` skips with a reason, ``o`` opens the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from bookkeeper_tui.screens.base import DataScreen
from bookkeeper_tui.store.book import TodayRow
from bookkeeper_tui.widgets.render import due_text, health_text, label, safe

#: The interaction a touchpoint is usually done with (what `enter` pre-fills).
INTERACTION_FOR = {
    "welcome": "onboarding",
    "check_in": "call",
    "mini_qbr": "qbr",
    "qbr": "qbr",
    "expansion": "meeting",
    "renewal": "renewal",
    "nps_ask": "call",
    "ces_check": "email",
    "follow_up": "call",
    "resolution_check": "call",
    "referral_ask": "call",
    "intervention": "call",
    "call": "call",
    "meeting": "meeting",
    "email": "email",
    "onboarding": "onboarding",
}

WEEK = 7


@dataclass
class TodayData:
    rows: list[TodayRow]
    as_of: date


class TodayScreen(DataScreen):
    """The opening screen: what to do now."""

    CSS_PATH = "today.tcss"
    BINDINGS = [
        Binding("enter", "log_row", "Log it", id="today.log", priority=True),
        Binding("s", "snooze", "Snooze", id="today.snooze"),
        Binding("x", "skip", "Skip", id="today.skip"),
        Binding("o", "open", "Open account", id="today.open"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[TodayRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading your day…", id="today-summary")
        table: DataTable = DataTable(id="today-table", cursor_type="row", zebra_stripes=True)
        table.add_column("when", key="when", width=12)
        table.add_column("account", key="account")
        table.add_column("touchpoint", key="kind", width=17)
        table.add_column("tier", key="tier", width=10)
        table.add_column("health", key="health", width=9)
        table.add_column("why", key="why")
        yield table
        yield Static("", id="today-empty")
        yield Footer()

    def on_mount(self) -> None:
        # DataMixin.on_mount (subscribe + first load) runs too: Textual calls the
        # handler of every class in the MRO.
        self.sub_title = "Today"

    def load(self) -> TodayData:
        as_of = self.today
        return TodayData(self.book.today(as_of, ahead_days=WEEK), as_of)

    def show(self, data: TodayData) -> None:
        self.rows = data.rows
        table = self.query_one("#today-table", DataTable)
        keep = table.cursor_row
        table.clear()
        for r in data.rows:
            table.add_row(
                due_text(r.days_overdue),
                Text(safe(r.account), style="bold" if r.days_overdue >= 0 else ""),
                label(r.kind),
                r.tier,
                health_text(r.health, r.band),
                Text(safe(r.note), style="dim"),
                key=str(r.touchpoint_id),
            )
        overdue = sum(1 for r in data.rows if r.days_overdue > 0)
        due = sum(1 for r in data.rows if r.days_overdue == 0)
        week = len(data.rows) - overdue - due
        summary = Text.assemble(
            (f"{data.as_of:%A %d %B %Y}", "bold"),
            "   ",
            (f"{overdue} overdue", "bold red" if overdue else "dim"),
            " · ",
            (f"{due} due today", "bold" if due else "dim"),
            " · ",
            (f"{week} later this week", "dim"),
        )
        self.query_one("#today-summary", Static).update(summary)
        empty = self.query_one("#today-empty", Static)
        if data.rows:
            empty.display = False
            table.display = True
            if keep is not None and data.rows:
                table.move_cursor(row=min(keep, len(data.rows) - 1))
            table.focus()
        else:
            table.display = False
            empty.display = True
            empty.update(
                "Nothing due this week. Press [b]b[/b] for the book, [b]l[/b] to log a call, "
                "or [b]k[/b] for your KPIs."
            )

    # -- row actions --------------------------------------------------------------------
    def _current(self) -> TodayRow | None:
        table = self.query_one("#today-table", DataTable)
        if not self.rows or table.cursor_row is None or not table.display:
            return None
        if 0 <= table.cursor_row < len(self.rows):
            return self.rows[table.cursor_row]
        return None

    def action_log_row(self) -> None:
        row = self._current()
        if row is None:
            self.bk.action_quick_log()
            return
        kind = INTERACTION_FOR.get(row.kind, "call")
        self.bk.action_quick_log(prefill=f"{row.account} {kind} ", touchpoint_id=row.touchpoint_id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_log_row()

    def action_open(self) -> None:
        row = self._current()
        if row is not None:
            self.bk.open_account(row.account)

    def action_snooze(self) -> None:
        from bookkeeper_tui.screens.touchpoint_actions import SnoozeScreen

        row = self._current()
        if row is not None:
            self.app.push_screen(SnoozeScreen(row, self.today))

    def action_skip(self) -> None:
        from bookkeeper_tui.screens.touchpoint_actions import SkipScreen

        row = self._current()
        if row is not None:
            self.app.push_screen(SkipScreen(row, self.today))
