"""The Book's search and sort as pure core rules (issue 15: moved out of screens/accounts.py).

Table-driven on plain stand-ins for account states, fixed dates, no book and no Textual.
"""

from __future__ import annotations

import math
from datetime import date
from types import SimpleNamespace

import pytest

from bookkeeper_tui.core.search import (
    SORT_BY_KEY,
    SORTS,
    Filters,
    fuzzy_match,
    sort_accounts,
    sort_value,
)

AS_OF = date(2026, 3, 15)


def _state(
    name: str,
    *,
    mrr: float = 100.0,
    score: float | None = 80.0,
    last: date | None = None,
    due: date | None = None,
    snoozed: date | None = None,
    renewal: date | None = None,
    flags: tuple[str, ...] = (),
    churned: bool = False,
) -> SimpleNamespace:
    tp = None
    if due is not None:
        tp = SimpleNamespace(
            due=due, status="snoozed" if snoozed else "open", snoozed_until=snoozed
        )
    return SimpleNamespace(
        account=SimpleNamespace(
            name=name, status="churned" if churned else "active", renewal=renewal
        ),
        mrr=mrr,
        health=SimpleNamespace(score=score),
        last_touch=last,
        next_touchpoint=tp,
        flags=[SimpleNamespace(kind=k) for k in flags],
    )


def _due(tp) -> date:
    return tp.snoozed_until if tp.status == "snoozed" and tp.snoozed_until else tp.due


BOOK = [
    _state("beta", mrr=300, score=60, last=date(2026, 3, 1), renewal=date(2026, 6, 1)),
    _state("Alpha", mrr=900, score=None, last=None, due=date(2026, 3, 20)),
    _state("gamma", mrr=50, score=95, last=date(2026, 3, 14), due=date(2026, 3, 16),
           snoozed=date(2026, 4, 30), flags=("risk", "chance")),
    _state("delta", mrr=5000, score=20, churned=True, flags=("risk",)),
    _state("epsilon", mrr=300, score=70, last=date(2026, 2, 1), due=date(2026, 3, 18),
           renewal=date(2026, 4, 1), flags=("risk", "risk")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("key", "descending", "order"),
    [
        ("name", False, ["Alpha", "beta", "epsilon", "gamma", "delta"]),
        ("name", True, ["gamma", "epsilon", "beta", "Alpha", "delta"]),
        # equal MRRs keep the name order (a stable sort after sorting by name)
        ("mrr", True, ["Alpha", "beta", "epsilon", "gamma", "delta"]),
        # unknown health goes last among the active accounts; churned after everything
        ("health", False, ["beta", "epsilon", "gamma", "Alpha", "delta"]),
        # never touched counts as the stalest
        ("last", True, ["Alpha", "epsilon", "beta", "gamma", "delta"]),
        # a snooze moves the next touchpoint to the snoozed day
        ("next", False, ["epsilon", "Alpha", "gamma", "beta", "delta"]),
        ("renewal", False, ["epsilon", "beta", "Alpha", "gamma", "delta"]),
        # most risks first, then most flags
        ("flags", True, ["epsilon", "gamma", "Alpha", "beta", "delta"]),
        ("no such column", False, ["Alpha", "beta", "epsilon", "gamma", "delta"]),
    ],
)
def test_sort_orders(key, descending, order):
    value = sort_value(key, AS_OF, _due)
    assert [st.account.name for st in sort_accounts(BOOK, value, descending)] == order


def test_sort_values_are_plain():
    st = BOOK[1]
    assert sort_value("last", AS_OF, _due)(st) == math.inf
    assert sort_value("health", AS_OF, _due)(st) is None
    assert sort_value("last", AS_OF, _due)(BOOK[0]) == 14


def test_each_sort_column_starts_in_its_attention_first_direction():
    assert [(s.key, s.descending) for s in SORTS] == [
        ("name", False),
        ("mrr", True),
        ("health", False),
        ("last", True),
        ("next", False),
        ("renewal", False),
    ]
    assert SORT_BY_KEY["flags"].descending is True


@pytest.mark.parametrize(
    ("query", "name", "tags", "found"),
    [
        ("corp", "Acme Corp", "", True),
        ("bl me", "Black Mesa", "", True),
        ("wf", "Wonka Foods", "", True),
        ("acem", "Acme", "", True),
        ("#api", "Rapid Co", "api sso", True),
        ("acme", "Black Mesa", "", False),
        ("#api", "Rapid Api", "", False),
    ],
)
def test_fuzzy_match(query, name, tags, found):
    assert fuzzy_match(query, name, tags) is found


def test_filters_are_active_only_when_they_narrow():
    assert not Filters().active
    assert not Filters(text="   ").active
    assert Filters(band="red").active and Filters(tier="smb").active


def test_the_book_screen_still_exports_them():
    """Moved, not copied: the old import path gives the very same objects."""
    from bookkeeper_tui.core import search
    from bookkeeper_tui.screens import accounts

    for name in ("Matcher", "SearchIndex", "SearchKey", "Filters", "SORTS", "fuzzy_match"):
        assert getattr(accounts, name) is getattr(search, name)


def test_sorting_by_name_and_sorting_held_items_give_the_general_order():
    """The name sort's shortcut and sorting (position, state) items agree with the
    general path: churned last, equal names in their given order, either direction."""
    from types import SimpleNamespace as NS

    from bookkeeper_tui.core.search import sort_accounts, sort_value

    names = ["b", "A", "a", "c", "B", "a", "d"]
    states = [
        NS(account=NS(name=n, status="churned" if i in (2, 6) else "active"), i=i)
        for i, n in enumerate(names)
    ]
    by_name = sort_value("name", date(2026, 1, 1), lambda tp: tp)
    general = lambda st: st.account.name.casefold()  # noqa: E731  (not the shortcut)
    for descending in (False, True):
        want = sort_accounts(states, general, descending)
        assert [s.i for s in want][-2:] == [2, 6]
        assert sort_accounts(states, by_name, descending) == want
        held = [(s.i, s) for s in states]
        got = sort_accounts(held, by_name, descending, lambda it: it[1])
        assert [it[1] for it in got] == want
