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


def _summary_and_width(screen) -> tuple[str, int]:
    from textual.widgets import Static

    summary = str(screen.query_one("#today-summary", Static).render())
    return summary, screen.query_one("#today-table", VTable).columns[1].width


async def test_dropping_rows_updates_the_summary_and_width_as_a_full_show(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        rows = list(screen.rows)
        longest = max(len(r.account) for r in rows)
        # The longest names (the column narrows once the last goes), an overdue row, a
        # row due today and one later this week, a few at a time.
        picks = [r for r in rows if len(r.account) == longest]
        for when in (lambda d: d > 0, lambda d: d == 0, lambda d: d < 0):
            picks += [r for r in rows if when(r.days_overdue)][:2]
        for i in range(0, len(picks), 2):
            screen.forget({r.touchpoint_id for r in picks[i : i + 2]})
            after = _summary_and_width(screen)
            screen._show_rows(list(screen.rows))  # the same rows, tallied from scratch
            assert after == _summary_and_width(screen)
        assert _summary_and_width(screen)[1] < longest or longest <= 12
        # Every row gone: the empty state, as a load with no rows shows it.
        screen.forget({r.touchpoint_id for r in screen.rows})
        assert not screen.rows and screen._tally.total == 0
        assert screen.query_one("#today-empty").display


async def test_forgetting_a_row_tallies_the_dropped_rows_only(demo_book, make_app, monkeypatch):
    from bookkeeper_tui.screens import today

    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        longest = max(len(r.account) for r in screen.rows)
        row = next(r for r in screen.rows if len(r.account) < longest)
        full = []
        real = today.Tally.of.__func__

        def of(cls, rows):
            full.append(len(rows))
            return real(cls, rows)

        monkeypatch.setattr(today.Tally, "of", classmethod(of))
        screen.forget({row.touchpoint_id})
        assert full == []  # no pass over every row for the summary or the width
        assert all(r.touchpoint_id != row.touchpoint_id for r in screen.rows)
