"""Renewals: every renewal of the next 120 days, by bucket, with what is at stake.

The forecast line says the ARR at stake and the risk-weighted expected retained ARR
(likelihood by health band, config ``[renewals] likelihood``); the rows come in buckets
of 30/60/90/120 days, soonest first. ``enter`` opens the account, ``l`` quick-logs with
the account and ``renewal `` typed (then ``renewed``, ``downgraded mrr N`` or
``churned "reason"``). The data is read in a worker (``Book.renewals``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Header, Static

from bookkeeper_tui.core.renewals import RenewalDesk, RenewalRow
from bookkeeper_tui.screens import commands
from bookkeeper_tui.screens.base import DataScreen
from bookkeeper_tui.widgets.render import days_ago, health_text, money, money_short, safe
from bookkeeper_tui.widgets.vtable import Column, VTable

if TYPE_CHECKING:
    from bookkeeper_tui.store.book import Book

#: The screen shows every bucket: 0..120 days ahead.
WITHIN_DAYS = 120


def read_desk(book: Book, as_of: date) -> RenewalDesk:
    """The desk this screen shows: the next ``WITHIN_DAYS`` days, with the churn reasons
    but not the forecast accuracy (those outcomes stay unread). Remembered by the book
    until it changes; the app may call this ahead while the user pauses."""
    return book.renewals(as_of, WITHIN_DAYS, accuracy=False)


def remembered_desk(book: Book, as_of: date) -> RenewalDesk | None:
    """The desk :func:`read_desk` would give back from memory, or None (never computes)."""
    return book.renewals_remembered(as_of, WITHIN_DAYS, accuracy=False)


#: The account column fits the longest name on the list, within these bounds.
ACCOUNT_WIDTH = (12, 28)


@dataclass(frozen=True)
class Bucket:
    """A bucket's heading row."""

    within: int
    renewals: int
    arr: float
    expected: float


def columns(account_width: int = 20) -> list[Column]:
    return [
        Column("renewal", "renewal", 10),
        Column("in", "in", 5, justify="right"),
        Column("account", "account", account_width),
        Column("arr", "ARR", 9, justify="right"),
        Column("health", "health", 9),
        Column("touch", "last touch", 10),
        Column("risks", "risks", 12, flex=True),
    ]


def _bucket_text(b: Bucket) -> Text:
    lo = {30: 0, 60: 31, 90: 61, 120: 91}.get(b.within, 0)
    title = Text(f"{lo}–{b.within} days", style="bold")
    if b.renewals:
        title.append(
            f"  {b.renewals} renewal{'' if b.renewals == 1 else 's'} · ARR {money(b.arr)} · "
            f"expected {money(b.expected)}",
            style="dim",
        )
    else:
        title.append("  no renewals", style="dim")
    return title


@dataclass
class RenewalsData:
    desk: RenewalDesk
    as_of: date


class RenewalsScreen(DataScreen):
    """The renewal desk."""

    CSS_PATH = "renewals.tcss"
    BINDINGS = commands.bindings(commands.RENEWALS)

    def __init__(self) -> None:
        super().__init__()
        self.data: RenewalsData | None = None
        #: What each table row is: a bucket heading or a renewal.
        self.row_items: list[Bucket | RenewalRow] = []
        self._last_row = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading renewals…", id="renewals-forecast")
        yield VTable(columns(), self._row_cells, self._row_key, id="renewals-table")
        yield Static("", id="renewals-empty")
        yield Static("", id="renewals-reasons")

    def on_mount(self) -> None:
        self.sub_title = "Renewals"
        self._show_remembered()
        # DataMixin.on_mount (subscribe, first load unless shown here) runs after this
        # one: Textual calls every on_mount along the MRO.

    def _show_remembered(self) -> None:
        """A desk the book remembers (it is kept until the book changes) is shown as the
        screen mounts, in its first frame: no worker, no 'Loading…' first."""
        as_of = self.today
        try:
            desk = remembered_desk(self.book, as_of)
        except Exception:  # the first load, in its worker, reports what is wrong
            return
        if desk is not None:
            self._preloaded = True
            self._show_safely(RenewalsData(desk, as_of))

    def load(self) -> RenewalsData:
        as_of = self.today
        return RenewalsData(read_desk(self.book, as_of), as_of)

    # -- rendering ------------------------------------------------------------------------
    @staticmethod
    def _row_key(item: Bucket | RenewalRow) -> str:
        if isinstance(item, Bucket):
            return f"bucket:{item.within}"
        return f"{item.account}:{item.renewal.isoformat()}"

    def _row_cells(self, item: Bucket | RenewalRow) -> Text | list:
        if isinstance(item, Bucket):
            return _bucket_text(item)
        as_of = self.data.as_of if self.data else self.today
        risks = ", ".join(r.label for r in item.risks)
        return [
            item.renewal.strftime("%d %b %y"),
            Text(f"{item.days_left}d", style="bold" if item.days_left <= 30 else ""),
            Text(safe(item.account), style="bold"),
            money_short(item.arr, 9),
            health_text(item.health, item.band),
            days_ago(item.last_touch, as_of),
            Text(safe(risks), style="red" if risks else "dim"),
        ]

    def show(self, data: RenewalsData) -> None:
        self.data = data
        desk = data.desk
        f = desk.forecast
        rows = desk.renewals
        items: list[Bucket | RenewalRow] = []
        for within, count, arr, expected in f.buckets:
            if within is None:
                continue
            items.append(Bucket(within, count, arr, expected))
            items += [r for r in rows if r.bucket == within]
        self.row_items = items
        table = self.query_one("#renewals-table", VTable)
        keep = table.row_key(table.cursor_row) if table.current is not None else None
        longest = max((len(r.account) for r in rows), default=0)
        width = min(max(longest, ACCOUNT_WIDTH[0]), ACCOUNT_WIDTH[1])
        if table.columns[2].width != width:
            table.set_columns(columns(width))
        table.set_rows(items, keep_key=keep)
        stake, kept = f.arr_at_stake, f.expected_retained_arr
        line = Text.assemble(
            (f"Next {desk.within_days} days", "bold"),
            f"   {len(rows)} renewal{'' if len(rows) == 1 else 's'} · ARR at stake ",
            (money(stake), "bold"),
            " · expected retained ",
            (money(kept), "bold green" if stake and kept / stake >= 0.9 else "bold yellow"),
        )
        if stake:
            line.append(f" ({kept / stake * 100:.0f}%)", style="dim")
        line.append("  risk-weighted by health", style="dim")
        self.query_one("#renewals-forecast", Static).update(line)
        reasons = desk.churn_reasons
        foot = self.query_one("#renewals-reasons", Static)
        if reasons:
            shown = " · ".join(f"{safe(c.reason)} {c.count}" for c in reasons[:4])
            foot.update(Text.assemble(("Churn reasons, last 12 months: ", "bold"), shown))
        else:
            foot.update(Text("No churn logged in the last 12 months.", style="dim"))
        empty = self.query_one("#renewals-empty", Static)
        if rows:
            empty.display = False
            table.display = True
            table.focus()
            if isinstance(table.current, Bucket):
                self._step_off_heading(table, table.cursor_row, 1)
        else:
            table.display = False
            empty.display = True
            empty.update(
                f"No renewals in the next {WITHIN_DAYS} days. Renewal dates come from each "
                "account: press [b]b[/b] for the book, open an account and press [b]e[/b] to "
                "set one, or import accounts with a renewal column."
            )

    # -- bucket headings are not cursor stops ---------------------------------------------
    def _nearest(self, row: int, step: int) -> int | None:
        i = row
        while 0 <= i < len(self.row_items):
            if not isinstance(self.row_items[i], Bucket):
                return i
            i += step
        return None

    def _step_off_heading(self, table: VTable, row: int, step: int) -> None:
        target = self._nearest(row, step)
        if target is None:
            target = self._nearest(row, -step)
        if target is not None and target != row:
            self._last_row = target
            table.move_cursor(row=target)
            if target <= 1:
                table.scroll_home(animate=False, immediate=True)

    def on_vtable_highlighted(self, event: VTable.Highlighted) -> None:
        table = event.table
        row = event.index
        if row != table.cursor_row or not 0 <= row < len(self.row_items):
            return
        if isinstance(self.row_items[row], Bucket):
            self._step_off_heading(table, row, -1 if row < self._last_row else 1)
            return
        self._last_row = row

    # -- actions --------------------------------------------------------------------------
    def current(self) -> RenewalRow | None:
        table = self.query_one("#renewals-table", VTable)
        if not table.display:
            return None
        item = table.current
        return None if item is None or isinstance(item, Bucket) else item

    def action_open(self) -> None:
        row = self.current()
        if row is not None:
            self.bk.open_account(row.account)

    def on_vtable_selected(self, event: VTable.Selected) -> None:
        event.stop()
        self.action_open()

    def quick_log_prefill(self) -> str:
        """What the quick log starts with here (the app's `l` asks): the renewal's account."""
        row = self.current()
        return "" if row is None else f"{row.account} renewal "

    def action_log_renewal(self) -> None:
        self.bk.action_quick_log(prefill=self.quick_log_prefill())
