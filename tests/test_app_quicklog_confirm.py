"""Quick log in the app: a close spelling of an account asks before saving (issue 12 p. 4)."""

from __future__ import annotations

from sqlalchemy import select
from textual.widgets import Static

from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.models import Account, Interaction
from tests.conftest import settle


def notes(book: Book, summary: str) -> list[str]:
    """The accounts that have an interaction with this summary."""
    with book.read() as s:
        return list(
            s.execute(
                select(Account.name)
                .join(Interaction, Interaction.account_id == Account.id)
                .where(Interaction.summary == summary)
            ).scalars()
        )


async def test_close_spelling_asks_and_ctrl_y_confirms(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press(*"glbex call left voicemail")
        await settle(pilot)
        error = str(app.screen.query_one("#quick-log-error", Static).render())
        preview = str(app.screen.query_one("#quick-log-preview", Static).render())
        assert "did you mean Globex Ltd?" in error
        assert "Globex Ltd" in preview
        await pilot.press("enter")  # enter alone must not save to a guessed account
        await settle(pilot)
        assert app.screen.__class__.__name__ == "QuickLogScreen"
        assert notes(demo_book, "left voicemail") == []
        error = str(app.screen.query_one("#quick-log-error", Static).render())
        assert "did you mean Globex Ltd?" in error and "Nothing was saved" in error
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert app.screen.__class__.__name__ != "QuickLogScreen"
        assert notes(demo_book, "left voicemail") == ["Globex Ltd"]


async def test_prefix_saves_on_enter_without_asking(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press(*"globex call left voicemail")
        await settle(pilot)
        assert "did you mean" not in str(app.screen.query_one("#quick-log-error", Static).render())
        await pilot.press("enter")
        await settle(pilot)
        assert notes(demo_book, "left voicemail") == ["Globex Ltd"]


async def test_ctrl_y_does_nothing_on_an_exact_or_broken_line(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press(*"nosuchco call left voicemail")
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "QuickLogScreen"
        assert notes(demo_book, "left voicemail") == []


async def test_enter_saves_the_line_the_preview_parsed_without_parsing_it_again(
    demo_book, make_app, monkeypatch
):
    from bookkeeper_tui.screens import quick_log

    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press(*"globex call parsed once")
        await settle(pilot)
        parsed = []
        real = quick_log.parse_quicklog

        def counting(line, names, today):
            parsed.append(line)
            return real(line, names, today)

        monkeypatch.setattr(quick_log, "parse_quicklog", counting)
        await pilot.press("enter")
        await settle(pilot)
        assert notes(demo_book, "parsed once") == ["Globex Ltd"]
        assert parsed == []
