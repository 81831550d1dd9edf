"""The Book screen and the add-account form, driven with real keys.

Each test checks what the user sees (table rows, status bar, messages under fields) and,
for the form, what the database holds afterwards.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import event
from textual.widgets import Input, Select, Static

from bookkeeper_tui.screens.accounts import BookScreen, fuzzy_match
from bookkeeper_tui.screens.add_account import AddAccountScreen
from bookkeeper_tui.widgets.vtable import VTable
from tests.conftest import TODAY, settle

SIZE = (120, 40)


def table_of(app) -> VTable:
    return app.screen.query_one("#book-table", VTable)


def account_rows(app) -> list[str]:
    """The account names in table order (group headers left out)."""
    screen = app.screen
    assert isinstance(screen, BookScreen)
    table = table_of(app)
    names = []
    for i in range(table.row_count):
        key = table.row_key(i)
        if key.startswith("a:"):
            names.append(table.get_row_at(i)[0].plain)
    return names


def header_rows(app) -> list[str]:
    table = table_of(app)
    out = []
    for i in range(table.row_count):
        key = table.row_key(i)
        if key.startswith("t:"):
            out.append(table.get_row_at(i)[0].plain)
    return out


def groups(app) -> dict[str, list[str]]:
    """Account names under each group header, in table order."""
    table = table_of(app)
    out: dict[str, list[str]] = {}
    current: list[str] = []
    for i in range(table.row_count):
        key = table.row_key(i)
        if key.startswith("t:"):
            current = out.setdefault(key[2:], [])
        else:
            current.append(table.get_row_at(i)[0].plain)
    return out


def cursor_name(app) -> str | None:
    st = app.screen.current()
    return None if st is None else st.account.name


def status(app) -> str:
    return str(app.screen.query_one("#book-status", Static).render())


def note(app, key: str) -> str:
    widget = app.screen.query_one(f"#{key}-note", Static)
    return str(widget.render()) if widget.display else ""


def assert_churned_last(app, states) -> None:
    for tier, names in groups(app).items():
        churned = [
            st.account.name
            for st in states
            if st.account.tier == tier and st.account.status == "churned"
        ]
        if churned:
            assert sorted(names[-len(churned) :]) == sorted(churned), tier


class Queries:
    """Counts the SQL statements a block of UI work sends to the book."""

    def __init__(self, book) -> None:
        self.book = book
        self.statements: list[str] = []

    def _hook(self, conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.statements.append(statement)

    def __enter__(self) -> Queries:
        event.listen(self.book.engine, "before_cursor_execute", self._hook)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.book.engine, "before_cursor_execute", self._hook)


async def open_book(pilot) -> None:
    await settle(pilot)
    await pilot.press("b")
    await settle(pilot)
    assert isinstance(pilot.app.screen, BookScreen)


# -- the table ---------------------------------------------------------------------------
async def test_book_groups_all_accounts_by_tier(demo_book, make_app):
    states = demo_book.accounts(TODAY)
    counts = Counter(st.account.tier for st in states)
    app = make_app(demo_book)
    async with app.run_test(size=SIZE) as pilot:
        await open_book(pilot)
        table = table_of(app)
        assert table.row_count == len(states) + 3
        assert sorted(account_rows(app)) == sorted(st.account.name for st in states)
        headers = header_rows(app)
        assert [h.split(" · ")[0] for h in headers] == ["ENTERPRISE", "MID-MARKET", "SMB"]
        for head, tier in zip(headers, ("enterprise", "mid-market", "smb"), strict=True):
            assert f"{counts[tier]} accounts" in head
        # The group's MRR sits in the MRR column of its header row.
        ent_mrr = sum(st.mrr for st in states if st.account.tier == "enterprise")
        assert table.get_cell("t:enterprise", "mrr").plain == f"{ent_mrr:,.0f}"
        # Churned accounts are last in their group, marked as churned.
        assert any(st.account.status == "churned" for st in states)
        assert_churned_last(app, states)
        for st in states:
            if st.account.status == "churned":
                assert table.get_cell(f"a:{st.account.id}", "health").plain == "churned"
        assert "40 accounts" in status(app)
        assert "sorted by name ↑" in status(app)
        # The cursor starts on the first account, not on a group header.
        assert cursor_name(app) == states[0].account.name


async def test_cursor_steps_over_group_headers_and_enter_opens(demo_book, make_app, monkeypatch):
    app = make_app(demo_book)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_account", opened.append)
    async with app.run_test(size=SIZE) as pilot:
        await open_book(pilot)
        enterprise, mid = groups(app)["enterprise"], groups(app)["mid-market"]
        assert len(enterprise) >= 2 and mid
        await pilot.press("down")
        assert cursor_name(app) == enterprise[1]
        await pilot.press("enter")
        assert opened == [enterprise[1]]
        # Down from the last enterprise account lands on the first mid-market one.
        for _ in range(len(enterprise) - 2):
            await pilot.press("down")
        assert cursor_name(app) == enterprise[-1]
        await pilot.press("down")
        assert cursor_name(app) == mid[0]
        await pilot.press("up")
        assert cursor_name(app) == enterprise[-1]
        await pilot.press("ctrl+home", "up")  # the top row is a header: not a stop
        assert cursor_name(app) == enterprise[0]
        await pilot.press("enter")
        assert opened == [enterprise[1], enterprise[0]]


async def test_health_shows_trend_arrows_from_one_grouped_query(demo_book, make_app):
    with Queries(demo_book) as q:
        baseline = demo_book.health_trend(TODAY)
    assert len(q.statements) == 1
    assert "health_snapshot" in q.statements[0]
    states = {st.account.id: st for st in demo_book.accounts(TODAY)}
    active = [aid for aid, st in states.items() if st.account.status == "active"]
    assert baseline and set(baseline) <= set(active)
    app = make_app(demo_book)
    async with app.run_test(size=SIZE) as pilot:
        await open_book(pilot)
        table = table_of(app)
        for aid, before in baseline.items():
            cell = table.get_cell(f"a:{aid}", "health").plain
            delta = states[aid].health.score - before
            arrow = "↑" if delta >= 3 else "↓" if delta <= -3 else "→"
            assert cell.endswith(arrow), (states[aid].account.name, cell, delta)


# -- filtering ------------------------------------------------------------------------
async def test_slash_filters_as_you_type_without_querying(demo_book, make_app):
    smb = sum(1 for st in demo_book.accounts(TODAY) if st.account.tier == "smb")
    app = make_app(demo_book)
    async with app.run_test(size=SIZE) as pilot:
        await open_book(pilot)
        box = app.screen.query_one("#book-filter", Input)
        assert not box.display
        with Queries(demo_book) as q:
            await pilot.press("slash")
            assert box.display and box.has_focus
            await pilot.press(*"acme")
            await pilot.pause()
            assert account_rows(app) == ["Acme Corp"]
            assert header_rows(app) == [f"SMB · 1 of {smb} accounts"]  # fits: 22 chars
            assert '"acme"' in status(app) and "1 of 40 accounts" in status(app)
            # A slip of the finger still finds it; tags match too.
            await pilot.press("backspace", "backspace", "e", "m")
            assert account_rows(app) == ["Acme Corp"]
        assert q.statements == []  # filtering works on the loaded list
        await pilot.press("escape")
        assert not box.display and box.value == ""
        assert len(account_rows(app)) == 40
        assert table_of(app).has_focus


async def test_filter_matches_tags_and_says_when_nothing_matches(demo_book, make_app):
    tagged = sorted(
        st.account.name for st in demo_book.accounts(TODAY) if "pilot" in st.account.tags.split()
    )
    app = make_app(demo_book)
    async with app.run_test(size=SIZE) as pilot:
        await open_book(pilot)
        await pilot.press("slash", *"#pilot")
        assert sorted(account_rows(app)) == tagged
        await pilot.press("enter")  # back to the table, the filter stays
        assert table_of(app).has_focus and len(account_rows(app)) == len(tagged)
        await pilot.press("slash", "ctrl+u", *"zzzz")
        empty = app.screen.query_one("#book-empty", Static)
        assert empty.display and not table_of(app).display
        assert 'No account matches "zzzz"' in str(empty.render())
        assert "escape" in str(empty.render())
        await pilot.press("enter", "escape")  # escape on the table clears a visible filter
        assert len(account_rows(app)) == 40 and not empty.display


def test_fuzzy_match_is_forgiving_but_not_vague():
    assert fuzzy_match("acme", "Acme Corp")
    assert fuzzy_match("ACME  corp", "Acme Corp")
    assert fuzzy_match("acem", "Acme Corp")  # a slip
    assert fuzzy_match("bl me", "Black Mesa")  # word prefixes
    assert fuzzy_match("wf", "Wonka Foods")  # initials
    assert fuzzy_match("api", "Globex", tags="sso api")
    assert fuzzy_match("#ap", "Globex", tags="api")
    assert not fuzzy_match("acme", "Black Mesa")  # a scattered subsequence is noise
    assert not fuzzy_match("#api", "Rapid Api Co", tags="")
    assert fuzzy_match("", "anything")


async def test_band_keys_toggle_and_match_the_book(demo_book, make_app):
    red = sorted(st.account.name for st in demo_book.accounts(TODAY, band="red"))
    yellow = sorted(st.account.name for st in demo_book.accounts(TODAY, band="yellow"))
    app = make_app(demo_book)
    async with app.run_test(size=SIZE) as pilot:
        await open_book(pilot)
        await pilot.press("R")
        assert sorted(account_rows(app)) == red
        assert status(app).startswith("red · ") and f"{len(red)} of 40" in status(app)
        await pilot.press("Y")  # another band replaces it
        assert sorted(account_rows(app)) == yellow
        await pilot.press("Y")  # the same band again clears it
        assert len(account_rows(app)) == 40
        await pilot.press("R", "T")  # red enterprise accounts
        expected = sorted(
            st.account.name for st in demo_book.accounts(TODAY, tier="enterprise", band="red")
        )
        assert sorted(account_rows(app)) == expected
        assert status(app).startswith("red · enterprise · ")


async def test_tier_key_cycles_through_the_tiers(demo_book, make_app):
    states = demo_book.accounts(TODAY)
    app = make_app(demo_book)
    async with app.run_test(size=SIZE) as pilot:
        await open_book(pilot)
        for tier in ("enterprise", "mid-market", "smb"):
            await pilot.press("T")
            want = sorted(st.account.name for st in states if st.account.tier == tier)
            assert sorted(account_rows(app)) == want
            assert [h.split(" · ")[0] for h in header_rows(app)] == [tier.upper()]
            assert f" · {tier} · " in f" · {status(app)}"
        await pilot.press("T")
        assert len(account_rows(app)) == 40 and len(header_rows(app)) == 3


async def test_sort_keys_and_header_click(demo_book, make_app):
    states = demo_book.accounts(TODAY)
    enterprise = [st for st in states if st.account.tier == "enterprise"]
    active = [st for st in enterprise if st.account.status == "active"]
    by_mrr = sorted(active, key=lambda st: st.mrr)
    app = make_app(demo_book)
    async with app.run_test(size=SIZE) as pilot:
        await open_book(pilot)
        assert account_rows(app)[0] == enterprise[0].account.name
        await pilot.press("s")
        assert "sorted by MRR ↓" in status(app)
        assert account_rows(app)[0] == by_mrr[-1].account.name
        await pilot.press("S")
        assert "sorted by MRR ↑" in status(app)
        assert account_rows(app)[0] == by_mrr[0].account.name
        await pilot.press("s")  # health, worst first
        assert "sorted by health ↑" in status(app)
        worst = min(active, key=lambda st: st.health.score)
        assert account_rows(app)[0] == worst.account.name
        # Clicking a header sorts by that column; clicking it again reverses.
        table = table_of(app)
        await pilot.click(table, offset=(2, 0))
        assert "sorted by name ↑" in status(app)
        assert account_rows(app)[0] == enterprise[0].account.name
        await pilot.click(table, offset=(2, 0))
        assert "sorted by name ↓" in status(app)
        assert account_rows(app)[0] == active[-1].account.name
        # Churned accounts stay last in their group whatever the order.
        assert_churned_last(app, states)


async def test_cursor_stays_on_the_account_after_a_reload(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=SIZE) as pilot:
        await open_book(pilot)
        await pilot.press("down", "down", "down")
        name = cursor_name(app)
        await pilot.press("s")  # re-ordering keeps it too
        assert cursor_name(app) == name
        app.notify_changed()
        await settle(pilot)
        assert cursor_name(app) == name


# -- adding an account ------------------------------------------------------------------
async def open_form(pilot) -> AddAccountScreen:
    await open_book(pilot)
    await pilot.press("n")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AddAccountScreen)
    assert screen.query_one("#name", Input).has_focus
    assert screen.query_one("#start", Input).value == TODAY.isoformat()
    return screen


async def test_add_account_saves_and_shows_it(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        await pilot.press(*"Zeta", "space", *"Labs", "tab")
        screen.query_one("#tier", Select).value = "mid-market"
        screen.query_one("#renewal", Input).value = "2027-11-24"
        screen.query_one("#mrr", Input).focus()
        await pilot.press(*"1,500")
        screen.query_one("#owner", Input).focus()
        await pilot.press(*"maya", "enter")  # enter on the last field saves
        await settle(pilot)
        assert isinstance(app.screen, BookScreen)
        assert "Zeta Labs" in demo_book.account_names()
        st = next(s for s in demo_book.accounts(TODAY) if s.account.name == "Zeta Labs")
        assert (st.account.tier, st.mrr, st.account.owner) == ("mid-market", 1500.0, "maya")
        assert st.account.renewal.isoformat() == "2027-11-24"
        assert st.next_touchpoint is not None  # the playbook was synced for it
        assert "Zeta Labs" in account_rows(app)
        assert cursor_name(app) == "Zeta Labs"
        assert "41 accounts" in status(app)


async def test_add_account_with_ctrl_s_and_tier_from_mrr(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=SIZE) as pilot:
        await open_book(pilot)
        await pilot.press("R")  # this filter would hide the new account: it is dropped
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AddAccountScreen)
        await pilot.press(*"Omega")
        screen.query_one("#mrr", Input).value = "5000"
        await pilot.pause()
        assert "enterprise" in note(app, "tier")  # 60,000 ARR suggests enterprise
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BookScreen)
        st = next(s for s in demo_book.accounts(TODAY) if s.account.name == "Omega")
        assert st.account.tier == "enterprise"
        assert cursor_name(app) == "Omega"
        assert not status(app).startswith("red")


async def test_duplicate_name_is_shown_and_nothing_saved(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        await pilot.press(*"acme", "space", "space", *"CORP")
        assert "already exists" in note(app, "name")  # said while typing
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert demo_book.account_names().count("Acme Corp") == 1
        assert len(demo_book.account_names()) == 40


async def test_name_taken_meanwhile_is_refused_by_the_book(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        # Someone else adds it after the form loaded the names: only the book can tell.
        demo_book.add_account("Late Arrival", None, TODAY)
        await pilot.press(*"late", "space", *"arrival", "ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert "already exists" in note(app, "name")
        assert not screen.query_one("#save").disabled
        assert len(demo_book.account_names()) == 41


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("start", "2026-13-45", "YYYY-MM-DD"),
        ("start", "", "start date is required"),
        ("renewal", "next year", "YYYY-MM-DD"),
        ("renewal", "2026-01-01", "before the start date"),
        ("mrr", "lots", "not a number"),
        ("mrr", "-5", "cannot be negative"),
    ],
)
async def test_invalid_field_is_explained_and_nothing_saved(
    demo_book, make_app, field, value, message
):
    app = make_app(demo_book)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        await pilot.press(*"Newco")
        box = screen.query_one(f"#{field}", Input)
        box.value = value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert message in note(app, field)
        assert box.has_focus  # the cursor goes to what needs fixing
        assert "Newco" not in demo_book.account_names()
        # Fixing it clears the message as you type.
        box.value = {"start": "2026-11-24", "renewal": "2027-06-01", "mrr": "10"}[field]
        await pilot.pause()
        assert note(app, field) == ""


async def test_empty_name_and_escape_cancels(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "name is required" in note(app, "name")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BookScreen)
        assert len(demo_book.account_names()) == 40
        assert screen not in app.screen_stack


async def test_empty_book_says_how_to_start(book, make_app):
    app = make_app(book)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.switch_mode("book")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BookScreen)
        empty = screen.query_one("#book-empty", Static)
        assert empty.display and not screen.query_one("#book-table", VTable).display
        text = str(empty.render())
        assert "empty" in text and "n" in text and "bookkeeper demo" in text


async def test_keys_typed_right_after_slash_reach_the_filter(demo_book, make_app):
    """A fast typist's `/acme` arrives before the filter has focus; none of it is lost."""
    from textual import events

    app = make_app(demo_book)
    async with app.run_test(size=SIZE) as pilot:
        await open_book(pilot)
        for ch in "/acme":
            app.post_message(events.Key("slash" if ch == "/" else ch, ch))
        await settle(pilot)
        assert app.screen.query_one("#book-filter", Input).value == "acme"
        assert account_rows(app) == ["Acme Corp"]


def test_the_book_wide_filter_index_answers_like_the_matcher(demo_book):
    """SearchIndex (the fast path) finds exactly what Matcher finds, account by account."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from bookkeeper_tui.screens.accounts import Matcher, SearchIndex, SearchKey

    names = [*demo_book.account_names(), "Black Mesa", "Wonka Foods", "Rapid Api Co"]
    tags = ["sso api", "", "enterprise #beta", "api", "", "vip"]
    keys = [SearchKey.of(n, tags[i % len(tags)]) for i, n in enumerate(names)]
    index = SearchIndex(keys)

    def check(query: str) -> None:
        m = Matcher(query)
        expected = {i for i, k in enumerate(keys) if m(k)}
        got = index.matches(query)
        assert (set(range(len(keys))) if got is None else set(got)) == expected, query

    for query in [
        "",
        "a",
        "ac",
        "acme",
        "acem",
        "ACME  corp",
        "bl me",
        "wf",
        "api",
        "#ap",
        "#api",
        "#a b",
        "corp",
        "x",
        "gmbh",
        "ltd",
        "in",
        "health",
        "helth",
        "q z",
    ]:
        check(query)
        check(query)  # the cached answer too

    alphabet = st.sampled_from([*list("acemlotrbhgw #"), " "])

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet, max_size=8))
    def fuzz(query: str) -> None:
        check(query)

    fuzz()
