"""Editing an account: two people, one account. The later save never silently overwrites
a change it never saw: it raises ConflictError (the book) or asks (the form)."""

from __future__ import annotations

from datetime import date

import pytest
from textual.widgets import Button, Input, Select, Static

from bookkeeper_tui.store.book import Book, BookError, ConflictError
from tests.conftest import TODAY, settle

pytestmark = pytest.mark.both_backends


@pytest.fixture
def two(db):
    """Two people on the same book (a file, or a PostgreSQL database): two Book objects,
    two connections."""
    a = Book.open(db)
    a.add_account("Acme Corp", "mid-market", date(2025, 1, 1), mrr=2000, owner="maya")
    b = Book.open(db)
    yield a, b
    a.close()
    b.close()


def stored(book: Book, name: str = "Acme Corp") -> dict:
    return book.account_for_edit(name)[0]


def test_read_then_save_bumps_the_version(two):
    a, _ = two
    values, version = a.account_for_edit("acme corp")
    assert values["name"] == "Acme Corp" and values["owner"] == "maya"
    new = a.update_account(
        "Acme Corp",
        {
            "owner": "  jo  ",
            "renewal": "2027-01-01",
            "tags": "#Beta vip beta",
            "tier": "enterprise",
        },
        version,
    )
    assert new == version + 1
    values, version2 = a.account_for_edit("Acme Corp")
    assert version2 == new
    assert values["owner"] == "jo"
    assert values["renewal"] == date(2027, 1, 1)
    assert values["tags"] == ("beta", "vip")
    assert values["tier"] == "enterprise" and values["current_tier"] == "enterprise"
    # Back to following ARR: 2000/mo = 24k ARR.
    a.update_account("Acme Corp", {"tier": None, "renewal": ""}, version2, as_of=TODAY)
    values, _ = a.account_for_edit("Acme Corp")
    assert values["tier"] is None and values["renewal"] is None
    assert values["current_tier"] == "mid-market"


def test_later_save_of_a_stale_read_raises_conflict_with_their_values(two):
    a, b = two
    _, va = a.account_for_edit("Acme Corp")
    _, vb = b.account_for_edit("Acme Corp")
    assert va == vb
    new_a = a.update_account("Acme Corp", {"owner": "alice"}, va)
    with pytest.raises(ConflictError) as err:
        b.update_account("Acme Corp", {"owner": "bob"}, vb)
    assert err.value.stored["owner"] == "alice"
    assert err.value.version == new_a
    assert "changed by someone else" in err.value.message
    assert stored(a)["owner"] == "alice"  # nothing of B's was written
    # B chooses to overwrite, knowingly: the retry with the new version succeeds.
    assert b.update_account("Acme Corp", {"owner": "bob"}, err.value.version) == new_a + 1
    assert stored(a)["owner"] == "bob"


def test_a_quick_log_mrr_change_also_conflicts(two):
    a, b = two
    _, version = b.account_for_edit("Acme Corp")
    a.log("acme call mrr 3000", TODAY)
    with pytest.raises(ConflictError):
        b.update_account("Acme Corp", {"tags": "vip"}, version)
    assert stored(a)["tags"] == ()


def test_a_plain_note_does_not_conflict(two):
    """Only changes to the account itself bump the version (a call note is not one)."""
    a, b = two
    _, version = b.account_for_edit("Acme Corp")
    a.log("acme call talked about the roadmap", TODAY)
    b.update_account("Acme Corp", {"tags": "vip"}, version)
    assert stored(a)["tags"] == ("vip",)


@pytest.mark.parametrize(
    ("changes", "names"),
    [
        ({"tier": "platinum"}, "tier"),
        ({"tier": 3}, "tier"),
        ({"renewal": "next week"}, "renewal date"),
        ({"renewal": "2024-01-01"}, "before the start date"),
        ({"renewal": 20270101}, "renewal date"),
        ({"owner": "x" * 101}, "owner"),
        ({"owner": 5}, "owner"),
        ({"industry": "y" * 101}, "industry"),
        ({"tags": 7}, "tags"),
        ({"name": "Other"}, "'name' cannot be edited"),
        ({"mrr": 5}, "'mrr' cannot be edited"),
    ],
)
def test_bad_values_are_refused_naming_the_field(two, changes, names):
    a, _ = two
    before, version = a.account_for_edit("Acme Corp")
    with pytest.raises(BookError) as err:
        a.update_account("Acme Corp", {"owner": "changed", **changes}, version)
    assert not isinstance(err.value, ConflictError)
    assert names in err.value.message
    assert a.account_for_edit("Acme Corp") == (before, version)  # nothing partial written


def test_nothing_changed_keeps_the_version(two):
    a, _ = two
    values, version = a.account_for_edit("Acme Corp")
    assert a.update_account("Acme Corp", {"owner": values["owner"]}, version) == version


# -- the form, driven with real keys -----------------------------------------------------
async def open_form(app, pilot, name: str = "Acme Corp"):
    from bookkeeper_tui.screens.account import AccountScreen
    from bookkeeper_tui.screens.edit_account import EditAccountScreen

    await settle(pilot)
    app.open_account(name)
    await settle(pilot)
    assert isinstance(app.screen, AccountScreen)
    await pilot.press("e")
    await settle(pilot)
    assert isinstance(app.screen, EditAccountScreen)
    return app.screen


async def retype(pilot, app, selector: str, text: str) -> None:
    field = app.screen.query_one(selector, Input)
    field.focus()
    await pilot.pause()
    await pilot.press("end", *["backspace"] * len(field.value), *text)
    await pilot.pause()


async def test_edit_form_saves_with_keys(two, make_app):
    a, _ = two
    app = make_app(a, poll_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(app, pilot)
        assert screen.query_one("#owner", Input).value == "maya"
        await retype(pilot, app, "#owner", "kim")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert stored(a)["owner"] == "kim"
        header = app.screen.query_one("#account-header", Static).content
        assert "owner kim" in str(getattr(header, "plain", header))


async def test_conflict_is_asked_and_overwrite_needs_a_choice(two, make_app):
    a, b = two
    app = make_app(a, poll_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(app, pilot)
        # Someone else saves while the form is open.
        _, v = b.account_for_edit("Acme Corp")
        b.update_account("Acme Corp", {"owner": "theirs", "tags": "urgent"}, v)
        await retype(pilot, app, "#owner", "mine")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen  # still open, asking
        conflict = screen.query_one("#conflict")
        assert conflict.display
        text = screen.query_one("#conflict-table", Static).content.plain
        assert ("Owner", "theirs", "mine") in screen.differences
        assert ("Tags", "#urgent", "–") in screen.differences
        assert "theirs" in text and "mine" in text and "#urgent" in text
        assert stored(b)["owner"] == "theirs"  # not overwritten silently
        # Escape keeps editing; saving again still asks.
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and not conflict.display
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert conflict.display and stored(b)["owner"] == "theirs"
        # The user picks "Overwrite theirs" with the keyboard.
        screen.query_one("#overwrite", Button).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert stored(b)["owner"] == "mine"
        assert stored(b)["tags"] == ()  # the form's value (theirs was shown first)
        assert app.screen is not screen


async def test_conflict_take_theirs_reloads_the_form(two, make_app):
    a, b = two
    app = make_app(a, poll_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(app, pilot)
        _, v = b.account_for_edit("Acme Corp")
        b.update_account("Acme Corp", {"owner": "theirs", "tier": "enterprise"}, v)
        await retype(pilot, app, "#owner", "mine")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.query_one("#conflict").display
        assert app.focused is screen.query_one("#take", Button)
        await pilot.press("enter")
        await settle(pilot)
        assert not screen.query_one("#conflict").display
        assert screen.query_one("#owner", Input).value == "theirs"
        assert screen.query_one("#tier", Select).value == "enterprise"
        assert stored(b)["owner"] == "theirs"
        # Now up to date: a further save goes through without asking.
        await retype(pilot, app, "#industry", "retail")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not screen
        assert stored(b)["industry"] == "retail" and stored(b)["owner"] == "theirs"


async def test_book_change_while_editing_does_not_refresh_the_version(two, make_app):
    """An external change reloads the screens, but never the open form's version."""
    a, b = two
    app = make_app(a, poll_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(app, pilot)
        _, v = b.account_for_edit("Acme Corp")
        b.update_account("Acme Corp", {"owner": "theirs"}, v)
        app.notify_changed("external")
        await settle(pilot)
        await retype(pilot, app, "#owner", "mine")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.query_one("#conflict").display
        assert stored(b)["owner"] == "theirs"


async def test_invalid_field_is_shown_and_nothing_saved(two, make_app):
    a, _ = two
    app = make_app(a, poll_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_form(app, pilot)
        before = a.account_for_edit("Acme Corp")
        await retype(pilot, app, "#renewal", "2020-01-01")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        note = str(screen.query_one("#renewal-note", Static).content)
        assert "before the start date" in note
        assert a.account_for_edit("Acme Corp") == before
