"""Search and sort of the Book: what the filter finds and the order of the columns.

Pure (no Textual, no SQL): the Book screen (screens/accounts.py) prepares a
:class:`SearchIndex` once per load and asks it on every keystroke; its sorts use
:func:`sort_value` and :func:`sort_accounts`. Casefolded and forgiving, but not vague
(:class:`Matcher` says how).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any, TypeVar

S = TypeVar("S")


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


@dataclass(frozen=True, slots=True)
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


def sort_value(key: str, as_of: date, due: Callable[[Any], date]) -> Callable[[Any], object]:
    """The value an account's state sorts by in column *key* (a :data:`SORT_BY_KEY` key;
    any other sorts by name). ``None`` is unknown (sorted last by :func:`sort_accounts`);
    *due* is when a touchpoint is due, counting a snooze (``store.state.effective_due``).
    A state is ``store.state.AccountState`` or anything with its attributes."""

    if key not in SORT_BY_KEY or key == "name":
        return _by_name

    def value(st: Any) -> object:
        if key == "mrr":
            return st.mrr
        if key == "health":
            return st.health.score
        if key == "last":
            return math.inf if st.last_touch is None else (as_of - st.last_touch).days
        if key == "next":
            tp = st.next_touchpoint
            return None if tp is None else due(tp)
        if key == "renewal":
            return st.account.renewal
        if key == "flags":
            risks = sum(1 for f in st.flags if f.kind == "risk")
            return (risks, len(st.flags))
        return _by_name(st)

    return value


def _by_name(st: Any) -> object:
    """The name column's value: the name, casefolded."""
    return st.account.name.casefold()


def sort_accounts(
    states: Sequence[S],
    value: Callable[[Any], object],
    descending: bool,
    state: Callable[[S], Any] | None = None,
) -> list[S]:
    """Sorted by *value* (:func:`sort_value`); unknown values and churned accounts go last,
    each by name. With *state*, *states* are items that hold a state (the Book's plain
    tuples): *state* gives it, and the items come back in its order."""
    # Each name casefolded once (10,000 on a new Book screen).
    if state is None:
        by_name = sorted([(st.account.name.casefold(), st, st) for st in states], key=_first)
    else:
        by_name = sorted(
            [(st.account.name.casefold(), st, it) for it in states if (st := state(it)) or True],
            key=_first,
        )
    # One pass, each value read once (it was read three times: the Book sorts 10,000
    # accounts on a new screen); the stable sort on the values keeps the name order
    # among equal ones, as sorting the states by value did.
    known: list[tuple[Any, S]] = []
    unknown: list[S] = []
    churned: list[S] = []
    if value is _by_name:  # the names are the values: sorted already
        for name, st, it in by_name:
            if st.account.status == "churned":
                churned.append(it)
            else:
                known.append((name, it))
        if descending:
            known.sort(key=_first, reverse=True)
        return [it for _v, it in known] + churned
    for _name, st, it in by_name:
        if st.account.status == "churned":
            churned.append(it)
        elif (v := value(st)) is None:
            unknown.append(it)
        else:
            known.append((v, it))
    known.sort(key=_first, reverse=descending)
    return [it for _v, it in known] + unknown + churned


_first = itemgetter(0)
