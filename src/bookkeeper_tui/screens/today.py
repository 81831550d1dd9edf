"""Today: overdue, due today and due this week, most urgent first.

``enter`` logs the touchpoint (quick log pre-filled, with the touchpoint's talk track and
checklist; saving completes it), ``s`` snoozes,
``x`` skips with a reason, ``o`` opens the account. In team mode (config ``me``) it lists
my accounts' touchpoints and ``m`` flips to the whole team: every row is loaded (each
knows its owner) and filtered here, so flipping is instant and the rows prefetched at
launch are filtered by the same rule as every later load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import Header, Static

from bookkeeper_tui.core.owners import owned_by, owner_matches
from bookkeeper_tui.screens import commands, team
from bookkeeper_tui.screens.base import DataScreen
from bookkeeper_tui.store.fast import TODAY_AHEAD_DAYS
from bookkeeper_tui.widgets.render import due_text, health_text, label, safe
from bookkeeper_tui.widgets.vtable import Column, VTable

if TYPE_CHECKING:
    from bookkeeper_tui.store.book import Owners
    from bookkeeper_tui.store.rows import TodayRow

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

WEEK = TODAY_AHEAD_DAYS

#: The account column fits the longest name on the list, within these bounds.
ACCOUNT_WIDTH = (12, 32)


def columns(account_width: int = 20) -> list[Column]:
    return [
        Column("when", "when", 12),
        Column("account", "account", account_width),
        Column("kind", "touchpoint", 17),
        Column("tier", "tier", 10),
        Column("health", "health", 9),
        Column("why", "why", 10, flex=True),
    ]


def render_row(r: TodayRow) -> list:
    return [
        due_text(r.days_overdue),
        Text(safe(r.account), style="bold" if r.days_overdue >= 0 else ""),
        label(r.kind),
        r.tier,
        health_text(r.health, r.band),
        Text(safe(r.note), style="dim"),
    ]


def row_key(r: TodayRow) -> str:
    return str(r.touchpoint_id)


@dataclass
class TodayData:
    rows: list[TodayRow]
    as_of: date


@dataclass(frozen=True)
class Tally:
    """What the summary line and the account column's width need from the rows shown,
    kept so that dropping a logged row updates them without a pass over thousands."""

    longest: int  # the longest account name
    at_longest: int  # how many rows have a name that long
    overdue: int
    due: int
    total: int

    @classmethod
    def of(cls, rows: list[TodayRow]) -> Tally:
        longest = max((len(r.account) for r in rows), default=0)
        return cls(
            longest,
            sum(1 for r in rows if len(r.account) == longest),
            sum(1 for r in rows if r.days_overdue > 0),
            sum(1 for r in rows if r.days_overdue == 0),
            len(rows),
        )

    def without(self, dropped: list[TodayRow], rows: list[TodayRow]) -> Tally:
        """The tally of *rows*: the rows tallied here less *dropped*."""
        at_longest = self.at_longest - sum(1 for r in dropped if len(r.account) == self.longest)
        if at_longest <= 0 and rows:
            return Tally.of(rows)  # the longest name went: look for the next longest
        return Tally(
            self.longest if rows else 0,
            at_longest if rows else 0,
            self.overdue - sum(1 for r in dropped if r.days_overdue > 0),
            self.due - sum(1 for r in dropped if r.days_overdue == 0),
            len(rows),
        )


class TodayScreen(team.TeamKeys, DataScreen):
    """The opening screen: what to do now."""

    CSS_PATH = "today.tcss"
    BINDINGS = commands.bindings(commands.TODAY)

    def __init__(self) -> None:
        super().__init__()
        #: The rows shown (team mode: only my accounts' unless the whole team is chosen).
        self.rows: list[TodayRow] = []
        #: Every row loaded, whoever owns the account.
        self.all_rows: list[TodayRow] = []
        self.as_of: date | None = None
        #: Accounts per owner when I own none (for the empty state), loaded on demand.
        self._owners: Owners | None = None
        #: The tally of self.rows.
        self._tally = Tally.of([])

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading your day…", id="today-summary")
        yield Static("", id="today-view")
        yield VTable(columns(), render_row, row_key, id="today-table")
        yield Static("", id="today-empty")

    def on_mount(self) -> None:
        # DataMixin.on_mount (subscribe + first load) runs too: Textual calls the
        # handler of every class in the MRO.
        self.sub_title = "Today"
        # At once, inside the publisher's call (the save landing): the dialog then closes
        # onto a Today without the row, not one whole redraw of Today later.
        self.bk.touchpoints_closed.subscribe(self, self.forget, immediate=True)
        self.bk.owner_view.subscribe(self, self._owner_view_changed)
        self.query_one("#today-view", Static).display = self.bk.me is not None
        rows = self.bk.take_first_today()  # read at launch, before the book was open
        if rows is not None:
            self._preloaded = True  # no worker round trip for the first screen
            self.show(TodayData(rows, self.today))
            self.shown_once()

    def on_unmount(self) -> None:
        self.bk.touchpoints_closed.unsubscribe(self)
        self.bk.owner_view.unsubscribe(self)

    def load(self) -> TodayData:
        as_of = self.today
        return TodayData(self.book.today(as_of, ahead_days=WEEK), as_of)

    def show(self, data: TodayData) -> None:
        self.as_of = data.as_of
        self.all_rows = data.rows
        self._owners = None
        self._show_rows(self._mine(data.rows))
        self.call_after_refresh(self.bk.first_data_shown)

    # -- team mode ----------------------------------------------------------------------
    def _mine(self, rows: list[TodayRow]) -> list[TodayRow]:
        """The rows of the chosen view: every row, or only my accounts'."""
        who = self.bk.owner_cut
        if who is None:
            return rows
        keep = owned_by(who)
        return [r for r in rows if keep(r.owner)]

    def _owner_view_changed(self, _mine: bool) -> None:
        if self.as_of is not None:
            self._show_rows(self._mine(self.all_rows))

    def _show_view(self) -> None:
        me = self.bk.me
        if me is None:
            return
        key = team.key_display(self, "mine", "m")
        line = team.view_line(
            me, self.bk.mine_only, len(self.rows), len(self.all_rows), "touchpoint", key
        )
        self.query_one("#today-view", Static).update(line)

    @work(thread=True, exclusive=True, group="owners", exit_on_error=False)
    def _load_owners(self) -> None:
        self.app.call_from_thread(self._owners_loaded, self.book.owners())

    def _owners_loaded(self, owners: Owners) -> None:
        self._owners = owners
        if not self.rows:
            self._show_empty()

    def _show_empty(self) -> None:
        empty = self.query_one("#today-empty", Static)
        me = self.bk.me
        if me is None or not self.bk.mine_only:
            empty.update(
                "Nothing due this week. Press [b]b[/b] for the book, [b]l[/b] to log a call, "
                "or [b]k[/b] for your KPIs."
            )
            return
        key = team.key_display(self, "mine", "m")
        owners = self._owners
        if owners is None:  # do I own any account at all? Ask the book, then say.
            empty.update(
                f"Nothing due this week for your accounts. Press [b]{key}[/b] for the team."
            )
            self._load_owners()
            return
        names, unowned, total = owners
        if not any(owner_matches(name, me) for name in names):
            edit = team.key_display(self, "account.edit", "e")
            empty.update(team.none_owned(me, total, unowned, key, edit, names))
            return
        others = len(self.all_rows)
        empty.update(
            "Nothing due this week for your accounts. "
            + (
                f"The team has {others} touchpoint{'' if others == 1 else 's'} due: "
                f"press [b]{key}[/b] to see them."
                if others
                else "Nothing is due for the team either."
            )
        )

    def _show_rows(
        self, rows: list[TodayRow], fewer: bool = False, tally: Tally | None = None
    ) -> None:
        """Show *rows*; *fewer*: they are the rows shown, some dropped (lines drawn for
        the rest are reused); *tally*: theirs when the caller knows it."""
        shown = self.rows
        self.rows = rows
        self._tally = tally = tally if tally is not None else Tally.of(rows)
        self._show_view()
        table = self.query_one("#today-table", VTable)
        keep = table.row_key(table.cursor_row) if table.current is not None else None
        if fewer and keep is not None and _same_start(shown, rows, table.cursor_row):
            # Nothing above the cursor was dropped: it stays where it is (on the next row
            # if its own was dropped) without looking its key up among thousands of rows.
            keep = None
        width = min(max(tally.longest, ACCOUNT_WIDTH[0]), ACCOUNT_WIDTH[1])
        if table.columns[1].width != width:
            table.set_columns(columns(width))
        table.set_rows(rows, keep_key=keep, same_data=fewer)
        data = TodayData(rows, self.as_of)
        overdue, due = tally.overdue, tally.due
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
            table.focus()
        else:
            table.display = False
            empty.display = True
            self._show_empty()

    # -- row actions --------------------------------------------------------------------
    def _current(self) -> TodayRow | None:
        table = self.query_one("#today-table", VTable)
        if not table.display:
            return None
        return table.current

    def forget(self, touchpoint_ids: set[int]) -> None:
        """Drop touchpoints that were just completed, snoozed or skipped at once (the reload
        that follows the save brings whatever else changed)."""
        rows = self.all_rows
        at = [i for i, r in enumerate(rows) if r.touchpoint_id in touchpoint_ids]
        if not at:
            return
        # The rows between the dropped ones, copied by slices (one pass over the rows,
        # the one above; the summary and the column width follow from the dropped rows).
        kept: list[TodayRow] = []
        start = 0
        for i in at:
            kept += rows[start:i]
            start = i + 1
        kept += rows[start:]
        self.all_rows = kept
        gone = self._mine([rows[i] for i in at])
        shown = self._mine(kept)
        self._show_rows(shown, fewer=True, tally=self._tally.without(gone, shown))

    def action_log_row(self) -> None:
        row = self._current()
        if row is None:
            self.bk.action_quick_log()
            return
        kind = INTERACTION_FOR.get(row.kind, "call")
        self.bk.action_quick_log(
            prefill=f"{row.account} {kind} ",
            touchpoint_id=row.touchpoint_id,
            kind=row.kind,
            band=row.band,
        )

    def on_vtable_selected(self, event: VTable.Selected) -> None:
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


def _same_start(before: list[TodayRow], after: list[TodayRow], n: int) -> bool:
    """Whether the first *n* rows are the same rows before and after."""
    return (
        len(before) >= n
        and len(after) >= n
        and all(a is b for a, b in zip(before[:n], after[:n], strict=True))
    )
