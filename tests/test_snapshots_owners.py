"""SVG snapshots of team mode on the fixed demo book (seed 7, 2026-11-24) with config
`me = "maya"`: Today and the Book on my accounts, and the KPI panel cut by owner and tier.

Made like tests/test_snapshots.py (fixed clock, seeded book, no blinking cursor, no
notification on screen). Review a diff with `pytest --snapshot-report` before accepting
it with `pytest tests/test_snapshots_owners.py --snapshot-update`.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bookkeeper_tui.config import DEFAULT
from tests.conftest import settle
from tests.test_snapshots import SIZES, _steady

MAYA = replace(DEFAULT, me="maya")


def _flow(name: str):
    async def today_mine(pilot):
        await _steady(pilot)

    async def book_mine(pilot):
        await settle(pilot)
        await pilot.press("b")
        await _steady(pilot)

    async def book_team(pilot):
        await settle(pilot)
        await pilot.press("m", "b")
        await _steady(pilot)

    async def kpi_cut(pilot):
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        await pilot.press("o")  # me
        await settle(pilot)
        await pilot.press("T", "T")  # mid-market
        await _steady(pilot)

    return {
        "today-mine": today_mine,
        "book-mine": book_mine,
        "book-team": book_team,
        "kpi-cut": kpi_cut,
    }[name]


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("screen", ["today-mine", "book-mine", "book-team", "kpi-cut"])
def test_team_mode_snapshots(screen, size, demo_book, make_app, snap_compare):
    app = make_app(demo_book, config=MAYA)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_flow(screen))
