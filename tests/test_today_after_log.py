"""What Today shows the moment a quick log's save lands (issue 16: quick log p95).

The dialog closes onto Today in the frame that follows the save: the logged touchpoint is
already gone from it then, not one frame (a whole redraw of Today) later.
"""

from __future__ import annotations

from bookkeeper_tui.screens.quick_log import QuickLogScreen
from bookkeeper_tui.widgets.vtable import VTable
from tests.conftest import settle


async def test_the_dialog_closes_onto_today_without_the_logged_row(
    demo_book, make_app, monkeypatch
):
    app = make_app(demo_book)
    seen: list[tuple[bool, int]] = []
    real = QuickLogScreen._saved

    def saved(self, res):
        today = self.app.screen_stack[-2]  # the screen under the dialog
        table = today.query_one("#today-table", VTable)
        before = table.row_count
        real(self, res)
        # Nothing has run in between: no frame has been painted since the save landed.
        seen.append((table.index_of(key) is None, before - table.row_count))

    monkeypatch.setattr(QuickLogScreen, "_saved", saved)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#today-table", VTable)
        key = table.row_key(table.cursor_row)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert seen == [(True, 1)]
        # The reload that follows agrees: the row stays gone, every other row is there.
        table = app.screen.query_one("#today-table", VTable)
        assert table.index_of(key) is None
        assert [r.touchpoint_id for r in app.screen.rows] == [
            r.touchpoint_id for r in demo_book.today(app.today, ahead_days=7)
        ]


async def test_dropping_rows_keeps_the_cursor_on_its_row_or_the_next(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#today-table", VTable)
        rows = list(screen.rows)
        assert len(rows) >= 8
        ids = [r.touchpoint_id for r in rows]
        await pilot.press("down", "down", "down", "down")
        assert table.cursor_row == 4
        # A row below the cursor: it stays on its row (same index).
        screen.forget({ids[6]})
        assert table.current.touchpoint_id == ids[4] and table.cursor_row == 4
        # A row above: it stays on its row, one line up.
        screen.forget({ids[1]})
        assert table.current.touchpoint_id == ids[4] and table.cursor_row == 3
        # Its own row: on the next one, at the same line.
        screen.forget({ids[4]})
        assert table.current.touchpoint_id == ids[5] and table.cursor_row == 3
        # Touchpoints that are not on Today change nothing.
        screen.forget({-1})
        assert [r.touchpoint_id for r in screen.rows] == [
            i for i in ids if i not in (ids[1], ids[4], ids[6])
        ]
        # The lines drawn are the rows as they are now (lines drawn before are reused
        # only for their own rows).
        await pilot.pause()
        left = [r for r in rows if r.touchpoint_id not in (ids[1], ids[4], ids[6])]
        for y in range(1, 7):
            assert left[y - 1].account in table.render_line(y).text
