"""The Book: every account grouped by tier, filtered and sorted in memory.

The book is loaded once per change (a thread worker: account states plus the health
trend, computed with one grouped query over the snapshots). A new screen on a book of
``FIRST_SCREEN_FROM`` accounts or more first shows its first screenful: every account
listed (``Book.book_entries``), the states of those on screen; the rows below say they
are loading until the whole book's states replace them, in the same worker. Typing in the
filter, the band and tier keys and sorting only re-render the loaded list, so they never
touch the database. They stay instant on a book of 10,000: each account's search key is prepared
once per load, each sort order once per load, and the table (:class:`VTable`) renders only
the rows on screen.

Churned accounts stay in their tier group, last and dimmed: they still count towards the
group's size and are what a CSM looks at when asking "who did we lose?".

In team mode (config ``me``) the book opens on my accounts and ``m`` flips to the whole
team (in memory, like the filters); counts and groups are then those of my accounts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from operator import itemgetter

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.widgets import Header, Input, Static

from bookkeeper_tui.core.search import (  # noqa: F401  (re-exported: tests import them here)
    EXTRA_SORTS,
    SORT_BY_KEY,
    SORTS,
    Filters,
    Matcher,
    SearchIndex,
    SearchKey,
    SortSpec,
    _prefixes_in_order,
    fuzzy_match,
    sort_accounts,
    sort_value,
)
from bookkeeper_tui.core.vocab import TIERS
from bookkeeper_tui.screens import commands, team
from bookkeeper_tui.screens.base import DataScreen
from bookkeeper_tui.screens.book_table import (  # noqa: F401  (re-exported)
    BAND_STYLE,
    FIRST_SCREEN_FROM,
    FIRST_SCREEN_ROWS,
    FLAG_SHORT,
    NARROW,
    NARROW_BELOW,
    TREND_DAYS,
    TREND_MAX_AGE_DAYS,
    WIDE,
    BookCells,
    BookData,
    BookEntry,
    Group,
    Row,
    _item_key,
    _line_key,
    first_screenful,
)
from bookkeeper_tui.store.state import AccountState, effective_due
from bookkeeper_tui.widgets.safe_input import SafeInput
from bookkeeper_tui.widgets.vtable import VTable

#: How long the worker waits for the first screenful's frame before it computes the rest.
FIRST_PAINT_WAIT_S = 0.5


class FilterInput(SafeInput):
    """The `/` filter: escape clears and hides it, down/enter go back to the table."""

    BINDINGS = commands.bindings(commands.FILTER)


class BookScreen(team.TeamKeys, BookCells, DataScreen):
    """All accounts by tier, with health, touches, renewal and flags."""

    CSS_PATH = "accounts.tcss"
    AUTO_FOCUS = "#book-table"
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    BINDINGS = commands.bindings(commands.BOOK)

    def __init__(self) -> None:
        super().__init__()
        self.data: BookData | None = None
        self.filters = Filters()
        #: What each table row is: a tier heading or an account.
        self.row_items: list[Group | AccountState] = []
        self.shown: list[AccountState] = []
        self._last_row = 0
        self._select_name: str | None = None
        self.narrow = False
        #: Rendered cells per account row, kept until the data or the layout changes.
        self._cell_cache: dict[int, list[Text | str]] = {}
        #: The data the table's lines were drawn from.
        self._drawn: BookData | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the book…", id="book-status")
        yield FilterInput(
            placeholder="filter by name or #tag · escape clears", id="book-filter", compact=True
        )
        yield VTable(
            self._columns(), self._render_item, _item_key, line_key=_line_key, id="book-table"
        )
        yield Static("", id="book-empty")

    def on_mount(self) -> None:
        # DataMixin.on_mount (subscribe + first load) runs on its own: Textual calls the
        # handler of every class in the MRO.
        self.sub_title = "Book"
        self.bk.owner_view.subscribe(self, self._owner_view_changed)

    def on_unmount(self) -> None:
        self.bk.owner_view.unsubscribe(self)
        # A screen frozen by the idle collector (app/startup.py) is kept by its cycles
        # after it is gone: it must not keep the whole book's states with it.
        self.data = self._drawn = None
        self.row_items, self.shown = [], []
        self._cell_cache.clear()

    def _owner_view_changed(self, _mine: bool) -> None:
        self.render_table()

    def on_resize(self, event: events.Resize) -> None:
        """Below NARROW_BELOW columns the table packs tighter so renewal and flags still fit."""
        narrow = event.size.width < NARROW_BELOW
        if narrow != self.narrow:
            self.narrow = narrow
            self._cell_cache.clear()
            self.query_one("#book-table", VTable).set_columns(self._columns())
            self.render_table()

    # -- data ---------------------------------------------------------------------------
    def load(self) -> BookData:
        as_of = self.today
        # Each load is sorted here in the order shown, not on the UI thread when it arrives.
        spec = (self.filters.sort, self.filters.descending)
        if self.data is None:  # a new screen on a big book: a screenful first
            first = self._first_screenful(as_of)
            if first is not None:
                _order_of(first, spec)
                painted = threading.Event()
                self.app.call_from_thread(self._show_first, first, painted)
                # The whole book's states hold the interpreter for a second or more:
                # start them once the screenful is on screen, not while it is drawn.
                painted.wait(FIRST_PAINT_WAIT_S)
        states = self.book.accounts(as_of)
        data = BookData(states, self.book.health_trend(as_of), as_of)
        _order_of(data, spec)
        return data

    def _show_first(self, data: BookData, painted: threading.Event) -> None:
        self._show_safely(data)
        self.call_after_refresh(painted.set)

    def _first_screenful(self, as_of: date) -> BookData | None:
        """Every account listed, with the states of the accounts on screen (the others
        are computed with the whole book's next); None on a book too small to need it."""
        entries = self.book.book_entries(as_of)
        if len(entries) < FIRST_SCREEN_FROM:
            return None
        rows = max(self.app.size.height, FIRST_SCREEN_ROWS)
        ids = first_screenful(entries, self.bk.owner_cut, rows)
        states = self.book.states(as_of, ids)
        rows_of: list[Row] = [states.get(e.account.id, e) for e in entries]
        return BookData(rows_of, self.book.health_trend(as_of, ids), as_of, partial=True)

    def show(self, data: BookData) -> None:
        self.data = data
        self._cell_cache.clear()
        self.render_table()

    # -- rendering (in memory, no database) ---------------------------------------------
    def _ordered(self) -> dict[str, list[tuple[int, Row, str | None, str]]]:
        """Each tier's accounts in the chosen order, sorted once per data and order."""
        assert self.data is not None
        return _order_of(self.data, (self.filters.sort, self.filters.descending))

    def render_table(self) -> None:
        data = self.data
        if data is None:
            return
        table = self.query_one("#book-table", VTable)
        keep = self._account_to_select()
        if keep is not None:
            self._select_name = None  # found: the new account gets the cursor once
        else:
            current = table.current
            keep = None if current is None or isinstance(current, Group) else current
        f = self.filters
        hits = data.matches(f.text)
        band = f.band
        mine = data.of(self.bk.owner_cut)
        ordered = self._ordered()
        items: list[Group | AccountState] = []
        shown: list[AccountState] = []
        tiers = list(TIERS) + sorted(set(ordered) - set(TIERS))
        for tier in tiers:
            if f.tier is not None and tier != f.tier:
                continue
            every = ordered.get(tier, [])
            if mine is not None:  # team mode: my accounts are the book
                every = [p for p in every if p[0] in mine]
            if hits is None and band is None:
                members = [p[1] for p in every]
            else:
                members = [
                    st
                    for i, st, b, _t in every
                    if (band is None or b == band) and (hits is None or i in hits)
                ]
            if not members:
                continue
            title = self._group_title(tier, len(members), len(every))
            items.append(Group(tier, title, sum(st.mrr for st in members)))
            items.extend(members)
            shown.extend(members)
        self.row_items = items
        self.shown = shown
        self._update_status()
        self._update_empty(table)
        target = None
        if keep is not None:
            # The same object while filtering; after a reload, the same account.
            target = next((i for i, it in enumerate(items) if it is keep), None)
            if target is None:
                aid = keep.account.id
                target = next(
                    (
                        i
                        for i, it in enumerate(items)
                        if not isinstance(it, Group) and it.account.id == aid
                    ),
                    None,
                )
        if target is None:
            target = self._nearest_account(min(self._last_row, len(items) - 1), 1)
            if target is None:
                target = self._nearest_account(len(items) - 1, -1)
        self._last_row = target or 0
        # Only the selection changed (a filter, a sort): lines drawn before are reused.
        table.set_rows(items, same_data=self._drawn is data)
        self._drawn = data
        if target is not None:
            table.move_cursor(row=target)
            if target == 1:
                table.scroll_home(animate=False, immediate=True)

    # -- cursor -------------------------------------------------------------------------
    def _account_to_select(self) -> AccountState | None:
        if self._select_name is None or self.data is None:
            return None
        return next((st for st in self.data.states if st.account.name == self._select_name), None)

    def _nearest_account(self, row: int, step: int) -> int | None:
        i = row
        while 0 <= i < len(self.row_items):
            if not isinstance(self.row_items[i], Group):
                return i
            i += step
        return None

    def current(self) -> AccountState | None:
        table = self.query_one("#book-table", VTable)
        if not table.display:
            return None
        item = table.current
        return None if item is None or isinstance(item, Group) else item

    def on_vtable_highlighted(self, event: VTable.Highlighted) -> None:
        """Group headers are not stops: the cursor steps over them."""
        table = event.table
        row = event.index
        if row != table.cursor_row or not 0 <= row < len(self.row_items):
            return
        if isinstance(self.row_items[row], Group):
            step = -1 if row < self._last_row else 1
            target = self._nearest_account(row, step)
            if target is None:
                target = self._nearest_account(row, -step)
            if target is not None and target != row:
                self._last_row = target
                table.move_cursor(row=target)
                if target == 1:
                    table.scroll_home(animate=False, immediate=True)
            return
        self._last_row = row

    # -- actions ------------------------------------------------------------------------
    def action_open(self) -> None:
        st = self.current()
        if st is not None:
            self.bk.open_account(st.account.name)
            return
        table = self.query_one("#book-table", VTable)
        if table.display:
            target = self._nearest_account(table.cursor_row, 1)
            if target is not None:
                table.move_cursor(row=target)

    def action_delete(self) -> None:
        """Ask, then delete the selected account and all its rows (the table reloads)."""
        from bookkeeper_tui.screens.delete_account import DeleteAccountScreen
        from bookkeeper_tui.store.book import BookError

        st = self.current()
        if st is None:
            self.notify("Select an account row to delete.", severity="warning")
            return
        try:
            counts = self.book.account_rows(st.account.name)
        except BookError as exc:
            self.notify(exc.message, severity="warning")
            return
        self.app.push_screen(DeleteAccountScreen(counts))

    def on_vtable_selected(self, event: VTable.Selected) -> None:
        event.stop()
        self.action_open()

    def on_vtable_header_selected(self, event: VTable.HeaderSelected) -> None:
        event.stop()
        key = event.column_key
        if key not in SORT_BY_KEY:
            return
        if self.filters.sort == key:
            self.filters.descending = not self.filters.descending
        else:
            self.filters.sort = key
            self.filters.descending = SORT_BY_KEY[key].descending
        self.render_table()

    def action_filter(self) -> None:
        box = self.query_one("#book-filter", Input)
        box.display = True
        # Focus now, not after a refresh: keys typed right after `/` belong to the filter.
        self.set_focus(box)

    def on_key(self, event: events.Key) -> None:
        """Open the filter here rather than in the app's binding pass: keys typed right
        after `/` are already queued for the table, and they belong in the filter."""
        box = self.query_one("#book-filter", Input)
        if self.focused is box and box.display:
            if event.is_printable and event.character:
                event.stop()
                event.prevent_default()
                box.insert_text_at_cursor(event.character)
            return
        keys = self.bk.config.keys.get("book.filter", "slash").split(",")
        if event.key in {k.strip() for k in keys}:
            event.stop()
            event.prevent_default()
            self.action_filter()

    def action_close_filter(self) -> None:
        box = self.query_one("#book-filter", Input)
        self.filters.text = ""  # before the value: the Changed it posts is then a no-op
        box.value = ""
        box.display = False
        self.render_table()
        # At once, not after a refresh: a key typed right after escape is not the filter's.
        self.set_focus(self.query_one("#book-table", VTable))

    def action_escape(self) -> None:
        """Escape clears a filter still showing; otherwise it means what it means elsewhere."""
        if self.query_one("#book-filter", Input).display:
            self.action_close_filter()
        else:
            self.bk.action_back()

    def action_focus_table(self) -> None:
        table = self.query_one("#book-table", VTable)
        if table.display:
            table.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "book-filter":
            return
        event.stop()
        if event.value == self.filters.text:
            return
        self.filters.text = event.value
        self.render_table()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "book-filter":
            return
        event.stop()
        if not event.value.strip():
            self.action_close_filter()
        else:
            self.action_focus_table()

    def action_band(self, band: str) -> None:
        self.filters.band = None if self.filters.band == band else band
        self.render_table()

    def action_tier(self) -> None:
        cycle: list[str | None] = [None, *TIERS]
        i = cycle.index(self.filters.tier) if self.filters.tier in cycle else 0
        self.filters.tier = cycle[(i + 1) % len(cycle)]
        self.render_table()

    def action_sort(self) -> None:
        keys = [s.key for s in SORTS]
        i = keys.index(self.filters.sort) if self.filters.sort in keys else -1
        spec = SORTS[(i + 1) % len(SORTS)]
        self.filters.sort = spec.key
        self.filters.descending = spec.descending
        self.render_table()

    def action_reverse(self) -> None:
        self.filters.descending = not self.filters.descending
        self.render_table()

    def action_add(self) -> None:
        from bookkeeper_tui.screens.add_account import AddAccountScreen

        self.app.push_screen(AddAccountScreen(), self._added)

    def _added(self, name: str | None) -> None:
        """Put the cursor on the new account, dropping filters that would hide it."""
        if not name:
            return
        self._select_name = name
        if self.filters.active:
            self.filters.text = ""
            self.filters.band = None
            self.filters.tier = None
            box = self.query_one("#book-filter", Input)
            box.value = ""
            box.display = False


def _order_of(
    data: BookData, spec: tuple[str, bool]
) -> dict[str, list[tuple[int, Row, str | None, str]]]:
    """Each tier's accounts of *data* in the order *spec* (sort key, descending), as
    ``data.plain`` tuples: sorted once per data and order, then kept in ``data.orders``."""
    got = data.orders.get(spec)
    if got is None:
        by_tier: dict[str, list[tuple[int, Row, str | None, str]]] = {}
        for p in data.plain:
            by_tier.setdefault(p[3], []).append(p)
        got = data.orders[spec] = {t: _sorted(m, data, spec) for t, m in by_tier.items()}
    return got


def _sorted(
    plain: list[tuple[int, Row, str | None, str]], data: BookData, spec: tuple[str, bool]
) -> list[tuple[int, Row, str | None, str]]:
    """``data.plain`` tuples sorted by the chosen column of their rows; unknown values and
    churned accounts go last."""
    key, descending = spec
    value = sort_value(key, data.as_of, effective_due)
    if data.partial and key not in ("name", "mrr", "renewal"):
        # The rows still loading have no state to sort by: last, until it comes.
        value = _known_only(value)
    return sort_accounts(plain, value, descending, _ROW)


#: The row of a ``BookData.plain`` tuple.
_ROW = itemgetter(1)


def _known_only(value: Callable[[Row], object]) -> Callable[[Row], object]:
    """*value* for rows with a state; None (unknown, sorted last) for those still loading."""
    return lambda st: None if isinstance(st, BookEntry) else value(st)
