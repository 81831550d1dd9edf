"""Entering a mode whose screen is new restyles nothing (app/restyle.py) but reads the
screen's CSS file the first time; a theme change still restyles every screen, those of the
other modes included."""

from __future__ import annotations

import dataclasses

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


def _count_reparses_from_now(monkeypatch) -> list[int]:
    """Every reparse of the whole stylesheet (from scratch: every source, Textual's
    widgets' default CSS included) by any stylesheet, from now on."""
    from textual.css.stylesheet import Stylesheet

    calls = [0]
    original = Stylesheet.reparse

    def reparse(self) -> None:
        calls[0] += 1
        original(self)

    monkeypatch.setattr(Stylesheet, "reparse", reparse)
    return calls


async def test_start_up_restyles_nothing_but_reads_todays_css(demo_book, make_app, monkeypatch):
    # Entering the first mode restyles nothing (Textual: a full restyle, ~5-8 ms before
    # Today's first frame); Today's own CSS file is read when its screen is set up.
    reparses = _count_reparses_from_now(monkeypatch)
    app = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert type(app.screen).__name__ == "TodayScreen"
        assert reparses[0] == 1
        assert app._app_mounted  # (Restyle.on_mount ran beside the app's: restyles go through)
        today = app.screen
        summary = today.query_one("#today-summary")
        # today.tcss applies as before: the summary line's margin, the table's height.
        assert summary.styles.margin.top == 1 and summary.region.height == 1
        assert today.query_one("#today-table").region.height > 20


async def test_a_theme_from_the_config_restyles_the_first_screen(demo_book, make_app):
    from bookkeeper_tui.config import DEFAULT

    plain = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with plain.run_test(size=SIZE) as pilot:
        await settle(pilot)
        default_bg = plain.screen.styles.background
    config = dataclasses.replace(DEFAULT, theme="textual-light")
    app = make_app(demo_book, config=config, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "textual-light"
        assert app.screen.styles.background != default_bg
        from textual.color import Color

        expected = Color.parse(app.get_css_variables()["background"])
        assert app.screen.styles.background == expected
