"""SVG snapshots of every screen on the fixed demo book (seed 7, 2026-11-24), at 80x24 and 120x40.

Deterministic: the clock is fixed, the book is built from a seed, the cursor does not
blink, and no snapshot is taken while a notification is on screen. When a screen
changes on purpose, review the diff (`pytest --snapshot-report`) before accepting it
with `pytest tests/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from tests.conftest import settle

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
ROOT = Path(__file__).resolve().parent.parent
IMPORT_DIR = ROOT / "tests" / "fixtures" / "import"
IMPORT_CSV = IMPORT_DIR / "companies.csv"


async def _steady(pilot) -> None:
    await settle(pilot)
    for inp in pilot.app.screen.query(Input):
        inp.cursor_blink = False
    await settle(pilot)


def _flow(name: str):
    """Keys and actions that bring the app to the screen called *name*."""

    async def today(pilot):
        await _steady(pilot)

    async def book(pilot):
        await settle(pilot)
        await pilot.press("b")
        await _steady(pilot)

    async def book_red(pilot):
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("R")
        await _steady(pilot)

    async def account(pilot):
        await settle(pilot)
        pilot.app.open_account("Initech")
        await _steady(pilot)

    async def kpi(pilot):
        await settle(pilot)
        await pilot.press("k")
        await _steady(pilot)

    async def quick_log(pilot):
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press(*'globex renewal with Priya mrr 19000 nps 9 "renewing" next qbr +3m')
        await _steady(pilot)

    async def quick_log_checklist(pilot):
        # Today's first touchpoint, logged: its talk track, checklist and band play.
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("tab", "space")
        await _steady(pilot)

    async def quick_log_error(pilot):
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press(*"initech qbr nps 11")
        await _steady(pilot)

    async def help_(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await _steady(pilot)

    async def snooze(pilot):
        await settle(pilot)
        await pilot.press("s")
        await _steady(pilot)

    async def add_account(pilot):
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("n")
        await _steady(pilot)

    async def renewals(pilot):
        await settle(pilot)
        await pilot.press("r")
        await _steady(pilot)

    async def edit_account(pilot):
        await settle(pilot)
        pilot.app.open_account("Initech")
        await settle(pilot)
        await pilot.press("e")
        await _steady(pilot)

    async def skip(pilot):
        await settle(pilot)
        await pilot.press("x")
        await _steady(pilot)

    async def period(pilot):
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        await pilot.press("c")
        await _steady(pilot)

    async def import_(pilot):
        # A fixed folder and a relative path: the same tree and text on every machine.
        from bookkeeper_tui.screens.import_screen import ImportScreen

        await settle(pilot)
        pilot.app.push_screen(ImportScreen(start=IMPORT_DIR.relative_to(ROOT)))
        await settle(pilot)
        await pilot.press(*str(IMPORT_CSV.relative_to(ROOT)), "enter")
        await _steady(pilot)

    return {
        "edit-account": edit_account,
        "skip": skip,
        "period": period,
        "import": import_,
        "renewals": renewals,
        "today": today,
        "book": book,
        "book-red": book_red,
        "account": account,
        "kpi": kpi,
        "quick-log": quick_log,
        "quick-log-error": quick_log_error,
        "quick-log-checklist": quick_log_checklist,
        "help": help_,
        "snooze": snooze,
        "add-account": add_account,
    }[name]


SCREENS = [
    "today",
    "book",
    "book-red",
    "account",
    "kpi",
    "quick-log",
    "quick-log-error",
    "quick-log-checklist",
    "help",
    "snooze",
    "add-account",
    "edit-account",
    "skip",
    "period",
    "import",
]


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("screen", SCREENS)
def test_screen_snapshots(screen, size, demo_book, make_app, snap_compare, monkeypatch):
    monkeypatch.chdir(ROOT)  # the import screen shows a path relative to the repository
    app = make_app(demo_book)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_flow(screen))


@pytest.mark.parametrize("size", list(SIZES))
def test_renewals_snapshot(size, demo_book, make_app, snap_compare):
    """The renewal desk (issue 14 #1): buckets, the forecast line, churn reasons."""
    app = make_app(demo_book)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_flow("renewals"))


def test_welcome_snapshot(book, make_app, snap_compare):
    app = make_app(book)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_steady)
