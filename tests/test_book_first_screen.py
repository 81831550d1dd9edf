"""Issue 16: the Book opens on its first screenful.

On a big book the screen lists every account at once (``Book.book_entries``: plain rows,
one query) with the state of the accounts on screen, and the whole book's states follow
in the same worker. What the first screenful shows of an account is what the whole load
shows; the rows still loading say so and the status line says the rest is coming.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from textual.widgets import Static

from bookkeeper_tui.core.vocab import TIERS
from bookkeeper_tui.screens import accounts as accounts_screen
from bookkeeper_tui.screens.accounts import BookScreen
from bookkeeper_tui.screens.book_table import BookData, first_screenful
from bookkeeper_tui.store.book.table import BookEntry, EntryAccount
from bookkeeper_tui.widgets.vtable import VTable
from tests.conftest import TODAY, settle

DAYS = [TODAY, TODAY - timedelta(days=45), TODAY + timedelta(days=20)]


@pytest.mark.parametrize("as_of", DAYS)
def test_book_entries_are_the_accounts_as_the_states_have_them(demo_book, as_of):
    states = {st.account.id: st for st in demo_book.accounts(as_of)}
    entries = demo_book.book_entries(as_of)
    assert sorted(e.account.id for e in entries) == sorted(states)
    for e in entries:
        st = states[e.account.id]
        acc = st.account
        want = (acc.id, acc.name, acc.tier, acc.status, acc.owner, acc.tags, acc.renewal)
        assert e.account == EntryAccount(*want)
        assert e.mrr == st.mrr, acc.name
    assert any(e.mrr for e in entries) and any(e.account.status == "churned" for e in entries)


@pytest.mark.both_backends
def test_book_entries_read_the_renewal_as_a_date_on_either_backend(book):
    """The renewal is read as stored (no SQLAlchemy date parsing) and made a date here."""
    book.add_account("Renews", "smb", TODAY - timedelta(days=400), TODAY + timedelta(days=9))
    book.add_account("Open ended", "smb", TODAY - timedelta(days=40))
    got = {e.account.name: e.account.renewal for e in book.book_entries(TODAY)}
    assert got == {"Renews": TODAY + timedelta(days=9), "Open ended": None}


def test_health_trend_of_some_accounts_is_the_books_cut(demo_book):
    whole = demo_book.health_trend(TODAY)
    assert whole
    some = [*sorted(whole)[::3], 10**6]
    assert demo_book.health_trend(TODAY, some) == {k: v for k, v in whole.items() if k in some}


def test_first_screenful_is_the_top_of_the_list_a_new_screen_shows(demo_book):
    entries = demo_book.book_entries(TODAY)
    rank = {t: i for i, t in enumerate(TIERS)}

    def order(e: BookEntry):
        return (rank[e.account.tier], e.account.status == "churned", e.account.name.casefold())

    want = [e.account.id for e in sorted(entries, key=order)]
    assert first_screenful(entries, None, 7) == want[:7]
    assert first_screenful(entries, None, 10_000) == want
    owner = next(e.account.owner for e in entries if e.account.owner)
    mine = [i for i in want if next(e for e in entries if e.account.id == i).account.owner == owner]
    assert first_screenful(entries, owner.upper(), 3) == mine[:3]


def cells(table: VTable, aid: int) -> list[str]:
    index = table.index_of(f"a:{aid}")
    assert index is not None
    return [c.plain for c in table.get_row_at(index)]


async def test_a_big_book_shows_its_first_screenful_before_the_rest(
    demo_book, make_app, monkeypatch
):
    monkeypatch.setattr(accounts_screen, "FIRST_SCREEN_FROM", 1)  # the demo book is "big"
    monkeypatch.setattr(accounts_screen, "FIRST_SCREEN_ROWS", 5)
    release = threading.Event()
    whole_book = demo_book.accounts

    def held(*args, **kwargs):
        assert release.wait(30)
        return whole_book(*args, **kwargs)

    monkeypatch.setattr(demo_book, "accounts", held)
    app = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=(120, 12)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        for _ in range(400):
            await pilot.pause(0.01)
            screen = app.screen
            if isinstance(screen, BookScreen) and screen.data is not None:
                break
        screen = app.screen
        assert isinstance(screen, BookScreen)
        data = screen.data
        assert isinstance(data, BookData) and data.partial
        table = screen.query_one("#book-table", VTable)
        everyone = demo_book.book_entries(TODAY)
        assert sum(1 for i in range(table.row_count) if table.row_key(i).startswith("a:")) == len(
            everyone
        )
        first = first_screenful(everyone, None, 12)
        loaded = [st.account.id for st in data.states if not isinstance(st, BookEntry)]
        assert sorted(loaded) == sorted(first)
        early = {aid: cells(table, aid) for aid in first}
        waiting = [e.account.id for e in everyone if e.account.id not in first]
        assert waiting
        for aid in waiting:
            assert cells(table, aid)[2:] == ["…"] * 5
        text = str(screen.query_one("#book-status", Static).render())
        assert "loading" in text and f"{len(everyone)} accounts" in text

        release.set()
        await settle(pilot)
        assert not screen.data.partial
        assert "loading" not in str(screen.query_one("#book-status", Static).render())
        for aid, row in early.items():
            assert cells(table, aid) == row  # the first screenful showed the final cells
        for aid in waiting:
            assert "…" not in cells(table, aid)[2:]


async def test_a_small_book_loads_in_one_go(demo_book, make_app, monkeypatch):
    shown: list[bool] = []
    original = BookScreen.show

    def show(self, data):
        shown.append(data.partial)
        original(self, data)

    monkeypatch.setattr(BookScreen, "show", show)
    app = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
    assert shown == [False]
