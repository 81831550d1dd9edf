"""Today screen and app shell, driven with real keys."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.conftest import TODAY, settle


async def test_today_opens_with_due_rows(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#today-table", DataTable)
        expected = demo_book.today(TODAY, ahead_days=7)
        assert table.row_count == len(expected) > 0
