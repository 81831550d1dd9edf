"""The Book: every account grouped by tier, filtered and sorted in memory.

The book is loaded once per change (a thread worker: account states plus the health
trend, computed with one grouped query over the snapshots). Typing in the filter, the
band and tier keys and sorting only re-render the loaded list, so they never touch the
database. They stay instant on a book of 10,000: each account's search key is prepared
once per load, each sort order once per load, and the table (:class:`VTable`) renders only
the rows on screen.

Churned accounts stay in their tier group, last and dimmed: they still count towards the
group's size and are what a CSM looks at when asking "who did we lose?".

In team mode (config ``me``) the book opens on my accounts and ``m`` flips to the whole
team (in memory, like the filters); counts and groups are then those of my accounts.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from sqlalchemy import and_, func, select
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Input, Static

from bookkeeper_tui.core.owners import distinct_owners, owner_key
from bookkeeper_tui.core.vocab import TIERS
from bookkeeper_tui.screens import team
from bookkeeper_tui.screens.base import DataScreen
from bookkeeper_tui.store.models import HealthSnapshot
from bookkeeper_tui.store.state import AccountState, effective_due
from bookkeeper_tui.widgets.render import (
    days_ago,
    health_text,
    label,
    money,
    money_short,
    safe,
)
from bookkeeper_tui.widgets.safe_input import SafeInput
from bookkeeper_tui.widgets.vtable import Column, VTable

if TYPE_CHECKING:
    from bookkeeper_tui.store.book import Book

#: The trend arrow compares today's score with the score as it stood this many days ago
#: (the last snapshot on or before that day) ...
TREND_DAYS = 30
#: ... unless that snapshot is older than this: a score from last year is no trend.
TREND_MAX_AGE_DAYS = 60

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


@dataclass(frozen=True)
class SortSpec:
    """A sortable column: its title in the status bar and its natural direction."""

    key: str
    title: str
    descending: bool


#: The order `s` cycles through. Each starts in the direction that puts what needs
#: attention first: biggest MRR, worst health, stalest touch, soonest next and renewal.
SORTS: tuple[SortSpec, ...] = (
    SortSpec("name", "name", False),
    SortSpec("mrr", "MRR", True),
    SortSpec("health", "health", False),
    SortSpec("last", "last touch", True),
    SortSpec("next", "next", False),
    SortSpec("renewal", "renewal", False),
)
#: Sortable by clicking the header only (not in the `s` cycle).
EXTRA_SORTS = {"flags": SortSpec("flags", "flags", True)}
SORT_BY_KEY = {s.key: s for s in SORTS} | EXTRA_SORTS


@dataclass
class BookData:
    states: list[AccountState]
    #: account id -> health score about TREND_DAYS ago
    baseline: dict[int, float]
    as_of: date
    #: The filter's index over ``states`` (built in the worker, not on keystrokes).
    index: SearchIndex = field(init=False)
    #: (position in ``states``, state, band, tier) as plain values: the filter reads
    #: these 10,000 times a keystroke, and ORM attributes are slow to read.
    plain: list[tuple[int, AccountState, str | None, str]] = field(init=False)
    #: owner cut (``core.owners.owner_key``) -> positions in ``states`` of its accounts.
    owned: dict[str, frozenset[int]] = field(init=False)

    def __post_init__(self) -> None:
        self.index = SearchIndex(
            [SearchKey.of(st.account.name, st.account.tags) for st in self.states]
        )
        self.plain = [(i, st, st.health.band, st.account.tier) for i, st in enumerate(self.states)]
        owned: dict[str, set[int]] = {}
        for i, st in enumerate(self.states):
            owned.setdefault(owner_key(st.account.owner), set()).add(i)
        self.owned = {k: frozenset(v) for k, v in owned.items()}

    def of(self, owner: str | None) -> frozenset[int] | None:
        """Positions of *owner*'s accounts; None for everyone."""
        return None if owner is None else self.owned.get(owner_key(owner), frozenset())


@dataclass(frozen=True)
class Group:
    """A tier's heading row: its title (with counts) and the MRR of the rows shown."""

    tier: str
    title: str
    mrr: float


@dataclass
class Filters:
    """What the user narrowed the book to and how it is ordered."""

    text: str = ""
    band: str | None = None
    tier: str | None = None
    sort: str = "name"
    descending: bool = False

    @property
    def active(self) -> bool:
        return bool(self.text.strip() or self.band or self.tier)


@dataclass(frozen=True)
class SearchKey:
    """An account's name and tags, folded once per load for the filter."""

    text: str
    words: tuple[str, ...]
    initials: str
    tags: tuple[str, ...]

    @classmethod
    def of(cls, name: str, tags: str = "") -> SearchKey:
        text = " ".join(name.casefold().split())
        words = tuple(text.split())
        return cls(text, words, "".join(w[0] for w in words), tuple(tags.casefold().split()))


class Matcher:
    """Does a query find an account? Casefolded and forgiving, but not vague.

    Matches a substring of the name ("corp"), word prefixes in order ("bl me" -> Black
    Mesa), initials ("wf" -> Wonka Foods), a one-letter slip in a word ("acem" -> Acme)
    and tags ("#api" or "api"). A bare subsequence is not enough: "acme" would find
    "bl-ack me-sa", which is noise, not help.

    Built once per keystroke and asked once per account: the slip test (difflib) is
    memoised per distinct word, and a book's names share few distinct words.
    """

    def __init__(self, query: str) -> None:
        self.q = " ".join(query.casefold().split())
        self.tag_only = self.q.startswith("#")
        self.q_words = self.q.lstrip("#").split()
        self.needle = self.q.lstrip("#")
        self.single = self.q_words[0] if len(self.q_words) == 1 else None
        self._slips: dict[str, bool] = {}

    @property
    def everything(self) -> bool:
        return not self.q

    def _slip(self, word: str) -> bool:
        got = self._slips.get(word)
        if got is None:
            w = self.single or ""
            got = self._slips[word] = (
                difflib.SequenceMatcher(None, w, word[: len(w) + 1]).ratio() >= 0.75
            )
        return got

    def __call__(self, key: SearchKey) -> bool:
        q = self.q
        if not q:
            return True
        if q in key.text:
            return True
        if self.tag_only or self.single is not None:
            needle = self.needle
            if needle and any(t.startswith(needle) for t in key.tags):
                return True
            if self.tag_only:
                return False
        if self.single is None:
            return len(self.q_words) > 1 and _prefixes_in_order(self.q_words, key.words)
        w = self.single
        if len(w) >= 2 and key.initials.startswith(w):
            return True
        if len(w) >= 4:
            return any(self._slip(word) for word in key.words)
        return False


class SearchIndex:
    """The filter over a whole book, built once per load: :class:`Matcher`'s answers for
    every account at once, at C speed.

    Asking :class:`Matcher` account by account costs ~40 ms per keystroke at 10,000
    accounts. Here the substring and initials tests are one comprehension over plain
    strings, tags and slips go through the distinct words (a book's names share few),
    and word prefixes are checked only for accounts having a word that starts with the
    first one. A test checks the answers equal :class:`Matcher`'s.
    """

    def __init__(self, keys: Sequence[SearchKey]) -> None:
        self.keys = list(keys)
        self.texts = [k.text for k in self.keys]
        self.initials = [k.initials for k in self.keys]
        self.by_word: dict[str, list[int]] = {}
        self.by_tag: dict[str, list[int]] = {}
        for i, k in enumerate(self.keys):
            for w in set(k.words):
                self.by_word.setdefault(w, []).append(i)
            for t in set(k.tags):
                self.by_tag.setdefault(t, []).append(i)
        self._cache: dict[str, frozenset[int] | None] = {}

    def matches(self, query: str) -> frozenset[int] | None:
        """Indexes of the accounts *query* finds; None means every account."""
        m = Matcher(query)
        q = m.q
        if not q:
            return None
        got = self._cache.get(q)
        if got is not None:
            return got
        hits = {i for i, text in enumerate(self.texts) if q in text}
        if m.tag_only or m.single is not None:
            needle = m.needle
            if needle:
                for tag, idx in self.by_tag.items():
                    if tag.startswith(needle):
                        hits.update(idx)
        if not m.tag_only:
            if m.single is None:
                if len(m.q_words) > 1:
                    first = m.q_words[0]
                    candidates = {
                        i for w, idx in self.by_word.items() if w.startswith(first) for i in idx
                    }
                    hits.update(
                        i
                        for i in candidates - hits
                        if _prefixes_in_order(m.q_words, self.keys[i].words)
                    )
            else:
                w = m.single
                if len(w) >= 2:
                    hits.update(i for i, ini in enumerate(self.initials) if ini.startswith(w))
                if len(w) >= 4:
                    for word, idx in self.by_word.items():
                        if m._slip(word):
                            hits.update(idx)
        out = frozenset(hits)
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[q] = out
        return out


def fuzzy_match(query: str, name: str, tags: str = "") -> bool:
    """One account against one query (see :class:`Matcher`)."""
    return Matcher(query)(SearchKey.of(name, tags))


def _prefixes_in_order(q_words: list[str], words: list[str]) -> bool:
    i = 0
    for qw in q_words:
        while i < len(words) and not words[i].startswith(qw):
            i += 1
        if i == len(words):
            return False
        i += 1
    return True


def trend_baseline(book: Book, as_of: date) -> dict[int, float]:
    """Each account's health score ~TREND_DAYS ago, in one grouped query for the book."""
    upto = as_of - timedelta(days=TREND_DAYS)
    since = as_of - timedelta(days=TREND_MAX_AGE_DAYS)
    latest = (
        select(HealthSnapshot.account_id, func.max(HealthSnapshot.day).label("day"))
        .where(HealthSnapshot.day <= upto)
        .where(HealthSnapshot.day >= since)
        .where(HealthSnapshot.score.is_not(None))
        .group_by(HealthSnapshot.account_id)
        .subquery()
    )
    query = select(HealthSnapshot.account_id, HealthSnapshot.score).join(
        latest,
        and_(
            HealthSnapshot.account_id == latest.c.account_id,
            HealthSnapshot.day == latest.c.day,
        ),
    )
    with book.read() as s:
        return {aid: score for aid, score in s.execute(query) if score is not None}


class FilterInput(SafeInput):
    """The `/` filter: escape clears and hides it, down/enter go back to the table."""

    BINDINGS = [
        Binding("escape", "screen.close_filter", "Clear filter", show=True),
        Binding("down", "screen.focus_table", "To the table", show=False),
    ]


class BookScreen(DataScreen):
    """All accounts by tier, with health, touches, renewal and flags."""

    CSS_PATH = "accounts.tcss"
    AUTO_FOCUS = "#book-table"
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    BINDINGS = [
        Binding("enter", "open", "Open", id="book.open", tooltip="Open the account"),
        Binding("slash", "filter", "Filter", id="book.filter", tooltip="Filter by name or tag"),
        Binding("G", "band('green')", "Green", id="book.green", tooltip="Only green accounts"),
        Binding("Y", "band('yellow')", "Yellow", id="book.yellow", tooltip="Only yellow"),
        Binding("R", "band('red')", "Red", id="book.red", tooltip="Only red accounts"),
        Binding("T", "tier", "Tier", id="book.tier", tooltip="Cycle through the tiers"),
        Binding("s", "sort", "Sort", id="book.sort", tooltip="Sort by the next column"),
        Binding(
            "S", "reverse", "Reverse", id="book.reverse", tooltip="Reverse the order", show=False
        ),
        Binding("n", "add", "Add", id="book.add", tooltip="Add an account"),
        Binding(
            "D",
            "delete",
            "Delete",
            id="book.delete",
            show=False,
            tooltip="Delete the selected account (asks first)",
        ),
        team.mine_binding(),
        Binding("escape", "escape", "Clear filter", show=False),
    ]

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
        #: (sort key, descending) -> each tier's accounts in that order, for this data.
        self._orders: dict[tuple[str, bool], dict[str, list[AccountState]]] = {}
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

    def on_mount(self) -> None:
        # DataMixin.on_mount (subscribe + first load) runs on its own: Textual calls the
        # handler of every class in the MRO.
        self.sub_title = "Book"
        self.bk.owner_view.subscribe(self, self._owner_view_changed)
        team.show_team_keys(self)

    def on_unmount(self) -> None:
        self.bk.owner_view.unsubscribe(self)

    def _owner_view_changed(self, _mine: bool) -> None:
        self.render_table()

    def action_toggle_mine(self) -> None:
        self.bk.toggle_mine()

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
        states = self.book.accounts(as_of)
        return BookData(states, trend_baseline(self.book, as_of), as_of)

    def show(self, data: BookData) -> None:
        self.data = data
        self._cell_cache.clear()
        self._orders.clear()
        self.render_table()

    # -- rendering (in memory, no database) ---------------------------------------------
    def _ordered(self) -> dict[str, list[tuple[int, AccountState, str | None, str]]]:
        """Each tier's accounts in the chosen order, sorted once per data and order."""
        assert self.data is not None
        spec = (self.filters.sort, self.filters.descending)
        got = self._orders.get(spec)
        if got is None:
            by_tier: dict[str, list[AccountState]] = {}
            for st in self.data.states:
                by_tier.setdefault(st.account.tier, []).append(st)
            plain = {id(p[1]): p for p in self.data.plain}
            got = self._orders[spec] = {
                t: [plain[id(st)] for st in self._sorted(m)] for t, m in by_tier.items()
            }
        return got

    def _sorted(self, states: list[AccountState]) -> list[AccountState]:
        """Sorted by the chosen column; unknown values and churned accounts go last."""
        assert self.data is not None
        value = self._sort_value(self.data.as_of)
        by_name = sorted(states, key=lambda st: st.account.name.casefold())
        active = [st for st in by_name if st.account.status != "churned"]
        churned = [st for st in by_name if st.account.status == "churned"]
        known = [st for st in active if value(st) is not None]
        unknown = [st for st in active if value(st) is None]
        known.sort(key=value, reverse=self.filters.descending)  # type: ignore[arg-type]
        return known + unknown + churned

    def _sort_value(self, as_of: date) -> Callable[[AccountState], object]:
        key = self.filters.sort

        def value(st: AccountState) -> object:
            if key == "name":
                return st.account.name.casefold()
            if key == "mrr":
                return st.mrr
            if key == "health":
                return st.health.score
            if key == "last":
                return math.inf if st.last_touch is None else (as_of - st.last_touch).days
            if key == "next":
                tp = st.next_touchpoint
                return None if tp is None else effective_due(tp)
            if key == "renewal":
                return st.account.renewal
            if key == "flags":
                risks = sum(1 for f in st.flags if f.kind == "risk")
                return (risks, len(st.flags))
            return st.account.name.casefold()

        return value

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
        hits = data.index.matches(f.text)
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

    def _width(self, column: str) -> int:
        return (NARROW if self.narrow else WIDE)[column][1] or 8

    def _render_item(self, item: Group | AccountState) -> list[Text | str]:
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
            cells = self._cell_cache[aid] = self._cells(item, self.data)
        return cells

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


def _item_key(item: Group | AccountState) -> str:
    return f"t:{item.tier}" if isinstance(item, Group) else f"a:{item.account.id}"


def _line_key(item: Group | AccountState) -> object:
    return item if isinstance(item, Group) else item.account.id  # a Group: its counts too
