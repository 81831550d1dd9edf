"""Entering a mode whose screen is new restyles nothing (app/restyle.py) but reads the
screen's CSS file the first time; a theme change still restyles every screen, those of the
other modes included."""

from __future__ import annotations

from tests.conftest import settle

SIZE = (120, 40)


def _count_reparses(app) -> list[int]:
    calls = [0]
    stylesheet = app.stylesheet
    original = stylesheet.reparse

    def reparse() -> None:
        calls[0] += 1
        original()

    stylesheet.reparse = reparse
    return calls


async def test_a_new_mode_screen_is_shown_without_reparsing_the_stylesheet(demo_book, make_app):
    app = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        calls = _count_reparses(app)
        for key, name in (("b", "BookScreen"), ("k", "KpiScreen"), ("t", "TodayScreen")):
            before = calls[0]
            await pilot.press(key)
            await settle(pilot)
            assert type(app.screen).__name__ == name
            # At most the screen's own CSS file, read the first time (Textual: 3 before).
            assert calls[0] - before <= (0 if name == "TodayScreen" else 1), name
        # A mode dropped and entered again (the benchmark's fresh Book) is new again.
        await app.remove_mode("book")
        app.add_mode("book", type(app).MODES["book"])
        before = calls[0]
        await pilot.press("b")
        await settle(pilot)
        assert type(app.screen).__name__ == "BookScreen"
        assert calls[0] == before


async def test_a_theme_change_restyles_the_screens_of_the_other_modes_too(demo_book, make_app):
    app = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        book = app.screen
        before = book.styles.background
        await pilot.press("t")
        await settle(pilot)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await settle(pilot)
        await pilot.press("b")  # its screen was drawn with the old theme
        await settle(pilot)
        assert app.screen is book
        after = book.styles.background
        assert after != before
        # ... and equals what a new Book screen gets with the new theme.
        await pilot.press("t")
        await settle(pilot)
        await app.remove_mode("book")
        app.add_mode("book", type(app).MODES["book"])
        await pilot.press("b")
        await settle(pilot)
        assert app.screen is not book
        assert app.screen.styles.background == after
