"""Contacts on the account screen (issue 14 #3): `c` opens a form to change a contact's
role and mark them as left; real keys, checked against the database."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.widgets import Input, Select, Static

from bookkeeper_tui.screens.account import AccountScreen
from bookkeeper_tui.screens.contact_edit import ContactScreen
from tests.conftest import TODAY, settle


def plain(app, selector: str) -> str:
    content = app.screen.query_one(selector, Static).content
    return content.plain if isinstance(content, Text) else str(content)


def contacts(book, name: str) -> dict[str, tuple[str, date | None]]:
    return {c.name: (c.role, c.left_on) for c in book.show(name, TODAY).contacts}


async def open_account(app, pilot, name: str) -> AccountScreen:
    await settle(pilot)
    app.open_account(name)
    await settle(pilot)
    assert isinstance(app.screen, AccountScreen)
    return app.screen


async def choose(pilot, select_id: str, value: str) -> None:
    """Pick *value* in a Select with the keyboard: focus it, open it, arrow to it, enter."""
    select = pilot.app.screen.query_one(f"#{select_id}", Select)
    select.focus()
    await pilot.pause()
    options = [v for _, v in select._options if v is not Select.BLANK]
    here = options.index(select.value)
    await pilot.press("enter")
    await pilot.pause()
    steps = options.index(value) - here
    for _ in range(abs(steps)):
        await pilot.press("down" if steps > 0 else "up")
    await pilot.press("enter")
    await pilot.pause()
    assert select.value == value


async def test_c_marks_the_champion_left_and_plans_a_search(demo_book, make_app):
    demo_book.add_account("Roster Ltd", "enterprise", date(2026, 1, 5), plan_on=TODAY)
    demo_book.set_contact_role("Roster Ltd", "Priya Rao", "champion")
    demo_book.set_contact_role("Roster Ltd", "Dana Scully", "end_user")
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_account(app, pilot, "Roster Ltd")
        side = plain(app, "#account-contacts")
        assert "c: edit a role" in side and "no first value yet" in side
        flags = plain(app, "#account-flags")
        assert "no economic buyer" in flags
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ContactScreen)
        # Dana (listed first) becomes the economic buyer.
        assert app.screen.query_one("#contact", Select).value == "Dana Scully"
        await choose(pilot, "role", "economic_buyer")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert contacts(demo_book, "Roster Ltd")["Dana Scully"] == ("economic_buyer", None)
        assert "no economic buyer" not in plain(app, "#account-flags")
        # Priya leaves: a typo in the date is named, then a good one saves.
        await pilot.press("c")
        await settle(pilot)
        await choose(pilot, "contact", "Priya Rao")
        assert app.screen.query_one("#role", Select).value == "champion"
        app.screen.query_one("#left", Input).focus()
        await pilot.press(*"2026-13-01", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ContactScreen)
        assert "not a real calendar date" in plain(app, "#left-note")
        app.screen.query_one("#left", Input).value = ""
        await pilot.press(*"2026-11-20", "enter")
        await settle(pilot)
        assert app.screen is screen
    assert contacts(demo_book, "Roster Ltd")["Priya Rao"] == ("champion", date(2026, 11, 20))
    d = demo_book.show("Roster Ltd", TODAY)
    search = [t for t in d.touchpoints if t.kind == "champion_search"]
    assert [t.due for t in search] == [date(2026, 12, 1)]  # a week after it was recorded
    assert "champion_left" in [f.code for f in d.flags]


async def test_c_takes_a_departure_back(demo_book, make_app):
    demo_book.add_account("Roster Ltd", "mid-market", date(2026, 1, 5), plan_on=TODAY)
    demo_book.set_contact_role("Roster Ltd", "Priya Rao", "champion", date(2026, 11, 20), TODAY)
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_account(app, pilot, "Roster Ltd")
        assert "single-threaded" in plain(app, "#account-flags") or "no active" in plain(
            app, "#account-flags"
        )
        await pilot.press("c")
        await settle(pilot)
        left = app.screen.query_one("#left", Input)
        assert left.value == "2026-11-20"
        left.value = ""
        left.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
    assert contacts(demo_book, "Roster Ltd")["Priya Rao"] == ("champion", None)
    d = demo_book.show("Roster Ltd", TODAY)
    assert not [t for t in d.touchpoints if t.kind == "champion_search"]


async def test_c_without_contacts_says_how_to_add_one(demo_book, make_app):
    demo_book.add_account("Empty Co", "smb", date(2026, 1, 5), plan_on=TODAY)
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_account(app, pilot, "Empty Co")
        await pilot.press("c")
        await settle(pilot)
        assert app.screen is screen


async def test_quick_log_role_in_the_app(demo_book, make_app):
    demo_book.add_account("Roster Ltd", "enterprise", date(2026, 1, 5), plan_on=TODAY)
    demo_book.set_contact_role("Roster Ltd", "Priya Rao", "end_user")
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press(*"roster call with Priya (champion) kickoff")
        await settle(pilot)
        preview = str(app.screen.query_one("#quick-log-preview", Static).render())
        assert "end user → champion" in preview
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ != "QuickLogScreen"
    assert contacts(demo_book, "Roster Ltd")["Priya Rao"] == ("champion", None)
