"""Team mode in the terminal app, driven with real keys on the demo book (owners maya, luis
and sam) with config `me = "maya"`: my accounts by default on Today and the Book, `m` for
the whole team on every screen, KPI cuts by owner and tier, and the start-up shortcut."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rich.text import Text
from textual.widgets import Static

from bookkeeper_tui.config import DEFAULT
from bookkeeper_tui.core.owners import owner_matches
from bookkeeper_tui.screens.kpi import fmt_nps, fmt_pct
from bookkeeper_tui.store.fast import TODAY_AHEAD_DAYS, read_today
from tests.conftest import TODAY, settle
from tests.test_app_kpi import plain

WEEK = TODAY_AHEAD_DAYS
MAYA = replace(DEFAULT, me="Maya ")  # any case and spacing: the owner column says "maya"


def ids(rows) -> list[int]:
    return [r.touchpoint_id for r in rows]


def text(app, selector: str) -> str:
    """What a Static shows, without its styles or markup."""
    content = app.screen.query_one(selector, Static).content
    if isinstance(content, str):
        return Text.from_markup(content).plain
    return content.plain


def book_names(app) -> set[str]:
    return {st.account.name for st in app.screen.shown}


async def test_today_and_the_book_open_on_my_accounts_and_m_flips_the_whole_app(
    demo_book, make_app
):
    mine = demo_book.today(TODAY, WEEK, owner="maya")
    every = demo_book.today(TODAY, WEEK)
    assert mine and len(mine) < len(every)
    app = make_app(demo_book, config=MAYA)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert type(app.screen).__name__ == "TodayScreen"
        assert ids(app.screen.rows) == ids(mine)
        assert all(r.owner == "maya" for r in app.screen.rows)
        view = text(app, "#today-view")
        assert view.startswith(f"My accounts (Maya) · {len(mine)} of {len(every)} touchpoints")
        assert "m whole team" in view

        await pilot.press("m")
        await settle(pilot)
        assert ids(app.screen.rows) == ids(every)
        assert text(app, "#today-view").startswith(f"Whole team · {len(every)} touchpoints")

        # The choice carries to the Book: the whole team there too.
        await pilot.press("b")
        await settle(pilot)
        assert type(app.screen).__name__ == "BookScreen"
        assert len(app.screen.shown) == 40
        assert text(app, "#book-status").startswith("Whole team · 40 accounts")

        # ... and back to my accounts, which Today then shows too.
        await pilot.press("m")
        await settle(pilot)
        maya_accounts = {st.account.name for st in demo_book.accounts(TODAY, owner="maya")}
        assert book_names(app) == maya_accounts
        status = text(app, "#book-status")
        assert status.startswith(f"My accounts (Maya) · {len(maya_accounts)} of 40 accounts")
        await pilot.press("t")
        await settle(pilot)
        assert ids(app.screen.rows) == ids(mine)


async def test_the_book_opens_on_my_accounts_and_filters_within_them(demo_book, make_app):
    app = make_app(demo_book, config=MAYA)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        maya = demo_book.accounts(TODAY, owner="maya")
        assert book_names(app) == {st.account.name for st in maya}
        assert all(st.account.owner == "maya" for st in app.screen.shown)
        # The tier groups count my accounts only.
        tiers = {st.account.tier for st in maya}
        for group in (item for item in app.screen.row_items if hasattr(item, "title")):
            assert group.tier in tiers
        await pilot.press("R")  # red, among my accounts
        await settle(pilot)
        red = {st.account.name for st in maya if st.health.band == "red"}
        assert book_names(app) == red
        assert f"{len(red)} of {len(maya)} accounts" in text(app, "#book-status")


async def test_without_me_the_key_says_how_to_turn_team_mode_on(demo_book, make_app, monkeypatch):
    app = make_app(demo_book)
    said: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(app, "notify", lambda message, **kw: said.append(message))
        before = ids(app.screen.rows)
        assert before == ids(demo_book.today(TODAY, WEEK))
        assert not app.screen.query_one("#today-view", Static).display
        await pilot.press("m")
        await settle(pilot)
        assert ids(app.screen.rows) == before  # nothing changed
        assert len(said) == 1
        assert 'me = "maya"' in said[0] and "docs/config.md" in said[0]
        await pilot.press("b")
        await settle(pilot)
        assert len(app.screen.shown) == 40
        assert not text(app, "#book-status").startswith(("My", "Whole"))


@pytest.mark.parametrize("me", [None, "maya"])
async def test_help_lists_the_team_keys_in_team_mode_only(demo_book, make_app, me):
    app = make_app(demo_book, config=replace(DEFAULT, me=me))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        described = {(section, what) for section, _, what in app.screen.entries}
        team = {("Today", "Mine/Team"), ("Book", "Mine/Team")}
        assert (team <= described) is (me is not None)
        assert not (team & described) or me is not None
        # The KPI cuts are for everyone: a solo book has tiers (and owners) too.
        assert {("KPIs", "Owner"), ("KPIs", "Tier")} <= described


async def test_the_mine_key_is_remappable(demo_book, make_app):
    config = replace(MAYA, keys={**MAYA.keys, "mine": "u"})
    app = make_app(demo_book, config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert ids(app.screen.rows) == ids(demo_book.today(TODAY, WEEK, owner="maya"))
        assert "u whole team" in text(app, "#today-view")
        await pilot.press("m")  # no longer the key
        await settle(pilot)
        assert app.mine_only
        await pilot.press("u")
        await settle(pilot)
        assert not app.mine_only
        assert ids(app.screen.rows) == ids(demo_book.today(TODAY, WEEK))


async def test_when_i_own_nothing_the_screens_say_so_and_how_to_fix_it(demo_book, make_app):
    with demo_book.write() as s:
        from sqlalchemy import update

        from bookkeeper_tui.store.models import Account

        s.execute(
            update(Account).where(Account.name.in_(["Initech", "Globex Ltd"])).values(owner=None)
        )
    app = make_app(demo_book, config=replace(DEFAULT, me="zoe"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.rows == []
        empty = " ".join(text(app, "#today-empty").split())
        assert "You (zoe) own none of the 40 accounts" in empty
        assert "2 have no owner" in empty and "owners: luis, maya, sam" in empty
        assert "Press m for the whole team" in empty and "press e to set its owner" in empty
        assert "import accounts" in empty
        await pilot.press("b")
        await settle(pilot)
        empty = " ".join(text(app, "#book-empty").split())
        assert "You (zoe) own none of the 40 accounts" in empty and "2 have no owner" in empty
        await pilot.press("m")
        await settle(pilot)
        assert len(app.screen.shown) == 40


async def test_the_fast_start_shows_my_rows_on_the_very_first_frame(demo_book):
    """The start-up shortcut's rows are filtered before they are drawn: the team list never
    flashes and then shrinks."""
    from bookkeeper_tui.app import BookkeeperApp

    demo_book.sync(TODAY)
    rows = read_today(demo_book.location, TODAY, WEEK)
    mine = demo_book.today(TODAY, WEEK, owner="maya")
    assert rows and read_today(demo_book.location, TODAY, WEEK, owner="MAYA") == mine
    app = BookkeeperApp(
        None,
        MAYA,
        location=demo_book.location,
        first_today=rows,
        today=lambda: TODAY,
        poll_seconds=0,
        daily_backup=False,
    )
    seen: list[list[int]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        original = screen._show_rows

        def spy(shown):
            seen.append(ids(shown))
            original(shown)

        screen._show_rows = spy  # every later draw
        await pilot.pause()
        assert not app.book_open  # drawn from the prefetch, before the book opened
        assert ids(screen.rows) == ids(mine)
        for _ in range(100):
            await pilot.pause(0.05)
            if app.book_open:
                break
        await settle(pilot)
        app.notify_changed()  # a reload through the full book
        await settle(pilot)
        assert ids(app.screen.rows) == ids(mine)
        assert seen and all(s == ids(mine) for s in seen)
        assert all(owner_matches(r.owner, "maya") for r in app.screen.rows)
    app.close_book()


async def test_kpi_cut_keys_show_the_numbers_of_that_cut(demo_book, make_app):
    app = make_app(demo_book, config=MAYA)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        screen = app.screen
        # The panel opens on the whole team (company numbers), whatever Today shows.
        assert screen.kpi == demo_book.kpi(TODAY, "12m")
        assert "Cut:" not in text(app, "#kpi-status")
        steps = [
            ("o", "Maya", None),  # me first
            ("o", "luis", None),
            ("T", "luis", "enterprise"),
            ("T", "luis", "mid-market"),
            ("o", "sam", "mid-market"),
            ("o", "", "mid-market"),  # no owner
            ("o", None, "mid-market"),  # back to the whole team
            ("T", None, "smb"),
            ("T", None, None),
        ]
        for key, owner, tier in steps:
            await pilot.press(key)
            await settle(pilot)
            assert (screen.owner, screen.tier) == (owner, tier), key
            expected = demo_book.kpi(TODAY, "12m", owner=owner, tier=tier)
            assert screen.kpi == expected
            # The cards show that cut's numbers.
            if expected.nrr is not None:
                assert plain(app, "#kpi-nrr").startswith(fmt_pct(expected.nrr))
            if expected.nps is not None:
                assert plain(app, "#kpi-nps").startswith(fmt_nps(expected.nps))
            assert f"{expected.cohort_size} paying accounts" in text(app, "#kpi-status")
            status = text(app, "#kpi-status")
            if owner is None and tier is None:
                assert "Cut:" not in status and screen.sub_title == "KPIs · last 12 months"
            else:
                label = "no owner" if owner == "" else f"owner {owner}"
                assert status.startswith("Cut: ")
                assert (owner is None or label in status) and (
                    tier is None or f"tier {tier}" in status
                )
                assert screen.sub_title.startswith("KPIs · last 12 months · ")
        # A period change keeps the cut.
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("9")
        await settle(pilot)
        assert screen.kpi == demo_book.kpi(TODAY, "90d", owner="maya")


async def test_taking_an_account_shows_it_in_my_views(demo_book, make_app):
    app = make_app(demo_book, config=replace(DEFAULT, me="zoe"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert app.screen.shown == []
        # Someone sets Initech's owner (the account screen's `e`, another terminal, ...).
        _, version = demo_book.account_for_edit("Initech")
        demo_book.update_account("Initech", {"owner": " Zoe"}, version, as_of=TODAY)
        app.notify_changed()
        await settle(pilot)
        assert book_names(app) == {"Initech"}
        assert text(app, "#book-status").startswith("My accounts (zoe) · 1 of 40 accounts")
        await pilot.press("t")
        await settle(pilot)
        assert {r.account for r in app.screen.rows} == {"Initech"}


async def test_m_typed_in_the_book_filter_is_text_not_the_team_key(demo_book, make_app):
    app = make_app(demo_book, config=MAYA)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("slash", "m", "o")
        await settle(pilot)
        assert app.screen.filters.text == "mo"
        assert app.mine_only
        assert all(st.account.owner == "maya" for st in app.screen.shown)
