"""The Book's table: its data, its rows and cells, the status line and the empty message.

:class:`BookCells` is mixed into :class:`~bookkeeper_tui.screens.accounts.BookScreen`:
everything here only reads the loaded :class:`BookData` (no database); the screen owns
the filters, the cursor and the keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Input, Static

from bookkeeper_tui.core.owners import distinct_owners, owner_key
from bookkeeper_tui.core.search import (
    SORT_BY_KEY,
    Filters,
    Matcher,
    SearchIndex,
    SearchKey,
    sort_accounts,
    sort_value,
)
from bookkeeper_tui.core.vocab import TIERS
from bookkeeper_tui.screens import team
from bookkeeper_tui.store.book.table import (  # noqa: F401  (the trend's window, re-exported)
    TREND_DAYS,
    TREND_MAX_AGE_DAYS,
    BookEntry,
)
from bookkeeper_tui.store.state import AccountState, effective_due
from bookkeeper_tui.widgets.render import (
    days_ago,
    health_text,
    label,
    money,
    money_short,
    safe,
)
from bookkeeper_tui.widgets.vtable import Column, VTable

BAND_STYLE = {"green": "bold green", "yellow": "bold yellow", "red": "bold red"}

#: Short flag names for a table cell (the account screen shows the full sentence).
FLAG_SHORT = {
    "churn_language": "churn words",
    "triple_signal": "triple signal",
    "champion_left": "champion left",
    "single_threaded": "1 contact",
    "no_economic_buyer": "no buyer",
    "renewal_risk": "renewal risk",
    "nps_gap": "NPS gap",
    "referral_opportunity": "referral",
    "expansion_opportunity": "expansion",
}


#: Column key -> (title, width); narrow terminals get terser cells in tighter columns.
WIDE: dict[str, tuple[str, int | None]] = {
    "name": ("account", 24),
    "mrr": ("MRR", 8),
    "health": ("health", 8),
    "last": ("touched", 8),
    "next": ("next", 18),
    "renewal": ("renews", 6),
    "flags": ("flags", None),
}
NARROW: dict[str, tuple[str, int | None]] = {
    "name": ("account", 18),
    "mrr": ("MRR", 7),
    "health": ("health", 8),
    "last": ("touch", 5),
    "next": ("next", 15),
    "renewal": ("renews", 6),
    "flags": ("flags", 5),
}
NARROW_BELOW = 100


#: A row of the Book: an account's state or, while the first screenful is on screen and
#: the rest is computed, the plain entry of an account whose state is still to come.
Row = AccountState | BookEntry

#: From this many accounts on, the Book shows its first screenful (every account listed,
#: the states of those on screen) before the whole book's states are computed.
FIRST_SCREEN_FROM = 1_000
#: At least this many accounts get their state in the first screenful (the terminal's
#: height when it is taller).
FIRST_SCREEN_ROWS = 24


@dataclass
class BookData:
    states: list[Row]
    #: account id -> health score about TREND_DAYS ago
    baseline: dict[int, float]
    as_of: date
    #: True while only the first screenful has states (the other rows are BookEntry).
    partial: bool = False
    #: The filter's index over ``states``: built in the worker, not on keystrokes (for
    #: a first screenful, when the filter is first used: the whole book's comes soon).
    _index: SearchIndex | None = field(init=False, default=None, repr=False)
    #: (position in ``states``, state, band, tier) as plain values: the filter reads
    #: these 10,000 times a keystroke, and ORM attributes are slow to read.
    plain: list[tuple[int, Row, str | None, str]] = field(init=False)
    #: owner cut (``core.owners.owner_key``) -> positions in ``states`` of its accounts.
    owned: dict[str, frozenset[int]] = field(init=False)
    #: (sort key, descending) -> each tier's ``plain`` tuples in that order (filled by the
    #: Book screen: in its worker for the order shown, on demand for another).
    orders: dict[tuple[str, bool], dict[str, list[tuple[int, Row, str | None, str]]]] = field(
        init=False, default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        if not self.partial:
            self._index = self._search_index()
        # One pass over the accounts (read once each); the owner's key once per owner as
        # spelled (a book has a few), not once per account.
        plain: list[tuple[int, Row, str | None, str]] = []
        by_owner: dict[str | None, list[int]] = {}
        for i, st in enumerate(self.states):
            acc = st.account
            plain.append((i, st, None if isinstance(st, BookEntry) else st.health.band, acc.tier))
            by_owner.setdefault(acc.owner, []).append(i)
        self.plain = plain
        owned: dict[str, list[int]] = {}
        for owner, positions in by_owner.items():
            owned.setdefault(owner_key(owner), []).extend(positions)
        self.owned = {k: frozenset(v) for k, v in owned.items()}

    @property
    def index(self) -> SearchIndex:
        if self._index is None:
            self._index = self._search_index()
        return self._index

    def matches(self, text: str) -> frozenset[int] | None:
        """Positions in ``states`` the filter *text* finds; None for every account (an
        empty filter does not build the index)."""
        return self.index.matches(text) if Matcher(text).q else None

    def _search_index(self) -> SearchIndex:
        return SearchIndex([SearchKey.of(st.account.name, st.account.tags) for st in self.states])

    def of(self, owner: str | None) -> frozenset[int] | None:
        """Positions of *owner*'s accounts; None for everyone."""
        return None if owner is None else self.owned.get(owner_key(owner), frozenset())


def first_screenful(entries: list[BookEntry], owner: str | None, rows: int) -> list[int]:
    """The ids of the first *rows* accounts the Book lists with its filters as a new
    screen has them: tier by tier, each by name with churned accounts last (``_ordered``),
    only *owner*'s accounts in team mode (``BookData.of``)."""
    by_name = sort_value("name", date.min, effective_due)
    key = None if owner is None else owner_key(owner)
    by_tier: dict[str, list[BookEntry]] = {}
    for e in entries:
        if key is None or owner_key(e.account.owner) == key:
            by_tier.setdefault(e.account.tier, []).append(e)
    ids: list[int] = []
    for tier in [*TIERS, *sorted(set(by_tier) - set(TIERS))]:
        ids += [e.account.id for e in sort_accounts(by_tier.get(tier, []), by_name, False)]
        if len(ids) >= rows:
            break
    return ids[:rows]


@dataclass(frozen=True)
class Group:
    """A tier's heading row: its title (with counts) and the MRR of the rows shown."""

    tier: str
    title: str
    mrr: float


class BookCells:
    """How the Book's rows look (mixed into BookScreen, whose state it reads)."""

    narrow: bool
    data: BookData | None
    filters: Filters
    shown: list[Row]
    _cell_cache: dict[int, list[Text | str]]

    def _columns(self) -> list[Column]:
        return [
            Column(
                key,
                title,
                width or len(title),
                flex=width is None,
                justify="right" if key in ("mrr", "renewal") else "left",
            )
            for key, (title, width) in (NARROW if self.narrow else WIDE).items()
        ]

    def _width(self, column: str) -> int:
        return (NARROW if self.narrow else WIDE)[column][1] or 8

    def _render_item(self, item: Group | Row) -> list[Text | str]:
        if isinstance(item, Group):
            accent = self.app.theme_variables.get("accent", "cyan")
            return [
                Text(item.title, style=f"bold {accent}"),
                Text(money_short(item.mrr, self._width("mrr")), style=f"bold {accent}"),
                *([""] * 5),
            ]
        assert self.data is not None
        aid = item.account.id or 0
        cells = self._cell_cache.get(aid)
        if cells is None:
            if isinstance(item, BookEntry):
                cells = self._cell_cache[aid] = self._pending_cells(item)
            else:
                cells = self._cell_cache[aid] = self._cells(item, self.data)
        return cells

    def _pending_cells(self, entry: BookEntry) -> list[Text | str]:
        """A row whose state is still being computed: its name and MRR, then dots."""
        dim = "dim" if entry.account.status == "churned" else ""
        return [
            Text(safe(entry.account.name), style=dim),
            Text(money(entry.mrr), style=dim, justify="right"),
            *(Text("…", style="dim") for _ in range(5)),
        ]

    def _group_title(self, tier: str, shown: int, total: int) -> str:
        """'ENTERPRISE · 9 accounts', or shorter forms when the column is too narrow."""
        width = (NARROW if self.narrow else WIDE)["name"][1] or 24
        count = f"{shown} of {total}" if shown != total else str(total)
        noun = "account" if total == 1 else "accounts"
        for title in (f"{tier.upper()} · {count} {noun}", f"{tier.upper()} · {count}"):
            if len(title) <= width:
                return title
        short = f"{shown}/{total}" if shown != total else str(total)
        return f"{tier.upper()} · {short}"

    def _cells(self, st: AccountState, data: BookData) -> list[Text | str]:
        acc = st.account
        as_of = data.as_of
        churned = acc.status == "churned"
        dim = "dim" if churned else ""
        name = Text(safe(acc.name), style="dim" if churned else "bold" if st.overdue else "")
        if churned:
            return [
                name,
                Text(money(st.mrr), style="dim", justify="right"),
                Text("churned", style="dim italic"),
                Text(self._touched(st.last_touch, as_of), style="dim"),
                Text("–", style="dim"),
                Text("–", style="dim", justify="right"),
                Text("", style=dim),
            ]
        base = data.baseline.get(acc.id) if acc.id is not None else None
        trend = None if base is None or st.health.score is None else st.health.score - base
        cadence = self.bk.config.health.cadence_days.get(acc.tier)
        stale = st.last_touch is None or (
            cadence is not None and (as_of - st.last_touch).days > cadence
        )
        return [
            name,
            Text(money(st.mrr), justify="right"),
            health_text(st.health.score, st.health.band, trend),
            Text(self._touched(st.last_touch, as_of), style="yellow" if stale else ""),
            self._next_text(st, as_of),
            self._renewal_text(st, as_of),
            self._flags_text(st),
        ]

    def _next_text(self, st: AccountState, as_of: date) -> Text:
        tp = st.next_touchpoint
        if tp is None:
            return Text("none planned", style="dim")
        n = (effective_due(tp) - as_of).days
        out = Text(label(tp.kind))
        out.append(" ")
        if n < 0:
            out.append(f"{-n}d late", style="bold red")
        elif n == 0:
            out.append("today", style="bold")
        else:
            out.append(f"{n}d", style="dim")
        return out

    def _renewal_text(self, st: AccountState, as_of: date) -> Text:
        renewal = st.account.renewal
        if renewal is None:
            return Text("–", style="dim", justify="right")
        n = (renewal - as_of).days
        if n < 0:
            return Text(f"{-n}d ago", style="dim", justify="right")
        risk_days = self.bk.config.signals.renewal_risk_days
        style = ""
        if n <= risk_days:
            style = "bold" if st.health.band == "green" else "bold red"
        return Text(f"{n}d", style=style, justify="right")

    def _touched(self, day: date | None, as_of: date) -> str:
        text = days_ago(day, as_of)
        return text.removesuffix(" ago") if self.narrow else text

    def _flags_text(self, st: AccountState) -> Text:
        out = Text()
        if self.narrow:  # counts only: "!2" risks, "+1" opportunities
            risks = sum(1 for f in st.flags if f.kind == "risk")
            chances = len(st.flags) - risks
            if risks:
                out.append(f"!{risks}", style="bold red")
            if chances:
                out.append(" " if risks else "")
                out.append(f"+{chances}", style="green")
            return out
        risks = [f for f in st.flags if f.kind == "risk"]
        others = [f for f in st.flags if f.kind != "risk"]
        for i, f in enumerate(risks + others):
            if i:
                out.append(" · ", style="dim")
            short = FLAG_SHORT.get(f.code, f.label.split(" in ")[0])
            out.append(safe(short), style="red" if f.kind == "risk" else "green")
        return out

    def _update_status(self) -> None:
        data = self.data
        if data is None:
            return
        f = self.filters
        parts: list[Text] = []
        if f.band:
            parts.append(Text(f.band, style=BAND_STYLE[f.band]))
        if f.tier:
            parts.append(Text(f.tier, style="bold"))
        if f.text.strip():
            parts.append(Text(f'"{safe(f.text.strip())}"', style="bold"))
        spec = SORT_BY_KEY[f.sort]
        parts.append(Text(f"sorted by {spec.title} {'↓' if f.descending else '↑'}", style="dim"))
        mine = data.of(self.bk.owner_cut)
        total = len(data.states) if mine is None else len(mine)
        shown = len(self.shown)
        noun = "account" if total == 1 else "accounts"
        me = self.bk.me
        if me is None or f.active:
            parts.append(
                Text(f"{shown} of {total} {noun}" if shown != total else f"{total} {noun}")
            )
        if data.partial:
            parts.append(Text("health and flags loading…", style="dim"))
        status = Text(" · ", style="dim").join(parts)
        if me is not None:  # team mode: which view, first; the count is the view's
            key = team.key_display(self, "mine", "m")
            head, hint = team.view_parts(
                me, mine is not None, total, len(data.states), "account", key
            )
            status = Text.assemble(head, (" · ", "dim"), status, "   ", hint)
        self.query_one("#book-status", Static).update(status)

    def _update_empty(self, table: VTable) -> None:
        empty = self.query_one("#book-empty", Static)
        assert self.data is not None
        if self.shown:
            empty.display = False
            table.display = True
            if not self.query_one("#book-filter", Input).has_focus:
                table.focus()
            return
        table.display = False
        empty.display = True
        me = self.bk.me
        mine = self.data.of(self.bk.owner_cut)
        if self.data.states and mine is not None and not mine:
            key = team.key_display(self, "mine", "m")
            unowned = len(self.data.owned.get("", ()))
            edit = self._key("account.edit", "e")
            owners = distinct_owners(st.account.owner for st in self.data.states)
            empty.update(
                team.none_owned(me or "", len(self.data.states), unowned, key, edit, owners)
            )
            return
        if not self.data.states:
            empty.update(
                f"Your book is empty. Press [b]{self._key('book.add', 'n')}[/b] to add an "
                "account, or load the demo book with [b]bookkeeper demo[/b] in a shell."
            )
            return
        f = self.filters
        what: list[str] = []
        how: list[Text] = []
        if f.text.strip():
            what.append(f'"{safe(f.text.strip())}"')
            how.append(Text.assemble(("escape", "bold"), " in the filter to clear the text"))
        if f.band:
            what.append(f"band {f.band}")
            key = self._key(f"book.{f.band}", f.band[0].upper())
            how.append(Text.assemble((key, "bold"), " again to show every band"))
        if f.tier:
            what.append(f"tier {f.tier}")
            key = self._key("book.tier", "T")
            how.append(Text.assemble((key, "bold"), " to cycle back to all tiers"))
        message = Text(f"No account matches {' · '.join(what)}. Press ")
        message.append_text(Text("; ").join(how))
        message.append(".")
        empty.update(message)

    def _key(self, binding_id: str, default: str) -> str:
        key = self.bk.config.keys.get(binding_id, default).split(",")[0]
        return self.app.get_key_display(Binding(key, ""))


def _item_key(item: Group | Row) -> str:
    return f"t:{item.tier}" if isinstance(item, Group) else f"a:{item.account.id}"


def _line_key(item: Group | Row) -> object:
    return item if isinstance(item, Group) else item.account.id  # a Group: its counts too
