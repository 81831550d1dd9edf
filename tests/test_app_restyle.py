"""Entering a mode whose screen is new restyles nothing (app/restyle.py); a theme change
still restyles every screen, those of the other modes included."""

from __future__ import annotations

import inspect
from pathlib import Path

from textual.screen import Screen

from bookkeeper_tui.app.restyle import CSS_PATHS
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
            await pilot.press(key)
            await settle(pilot)
            assert type(app.screen).__name__ == name
        # A mode dropped and entered again (the benchmark's fresh Book) is new again.
        await app.remove_mode("book")
        app.add_mode("book", type(app).MODES["book"])
        await pilot.press("b")
        await settle(pilot)
        assert type(app.screen).__name__ == "BookScreen"
        assert calls[0] == 0


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


def test_every_screen_css_file_is_read_with_the_app_s():
    import bookkeeper_tui.screens as screens_pkg

    listed = {str(Path(p)) for p in CSS_PATHS}
    folder = Path(screens_pkg.__file__).parent
    assert {str(p) for p in folder.glob("*.tcss")} <= listed
    # The screens name theirs as the stylesheet finds them already read.
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules([str(folder)]):
        module = importlib.import_module(f"bookkeeper_tui.screens.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Screen) and isinstance(cls.__dict__.get("CSS_PATH"), str):
                assert str(folder / cls.CSS_PATH) in listed, cls.__name__
