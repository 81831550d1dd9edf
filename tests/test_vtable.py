"""The windowed table: only visible rows are rendered; keys, clicks and keeping the cursor."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from bookkeeper_tui.widgets.vtable import Column, VTable

ROWS = 10_000


class TableApp(App[None]):
    def __init__(self, rows: list[tuple[int, str]]) -> None:
        super().__init__()
        self.rendered: list[int] = []
        self.rows = rows
        self.events: list[tuple[str, object]] = []

    def render_row(self, row: tuple[int, str]) -> list:
        self.rendered.append(row[0])
        return [str(row[0]), Text(row[1], style="bold"), "x" * 40]

    def compose(self) -> ComposeResult:
        yield VTable(
            [
                Column("n", "n", 6, justify="right"),
                Column("name", "name", 12),
                Column("rest", "rest", 8, flex=True),
            ],
            self.render_row,
            lambda r: f"k{r[0]}",
            id="t",
        )

    def on_mount(self) -> None:
        self.query_one(VTable).set_rows(self.rows)
        self.query_one(VTable).focus()

    def on_vtable_highlighted(self, event: VTable.Highlighted) -> None:
        self.events.append(("highlighted", event.index))

    def on_vtable_selected(self, event: VTable.Selected) -> None:
        self.events.append(("selected", event.index))

    def on_vtable_header_selected(self, event: VTable.HeaderSelected) -> None:
        self.events.append(("header", event.column_key))


def make_rows(n: int = ROWS) -> list[tuple[int, str]]:
    return [(i, f"account {i}") for i in range(n)]


async def test_only_the_visible_rows_are_rendered():
    app = TableApp(make_rows())
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        table = app.query_one(VTable)
        assert table.row_count == ROWS
        # 20 lines: a header and 19 rows; nothing else was asked for.
        assert set(app.rendered) == set(range(19))
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == ROWS - 1
        assert max(app.rendered) == ROWS - 1
        assert len(set(app.rendered)) < 60  # still a window, not the list


async def test_rows_render_in_their_columns_and_the_flex_column_fills_the_width():
    app = TableApp(make_rows(5))
    async with app.run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        table = app.query_one(VTable)
        header = "".join(s.text for s in table.render_line(0))
        first = "".join(s.text for s in table.render_line(1))
        assert header.startswith("      n  name")
        assert first.startswith("      0  account 0")
        assert len(first) == 60
        assert first.rstrip().endswith("…")  # the 40 x's do not fit: cut with an ellipsis


async def test_keys_move_the_cursor_and_enter_selects():
    app = TableApp(make_rows(100))
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        table = app.query_one(VTable)
        await pilot.press("down", "down")
        assert table.cursor_row == 2
        await pilot.press("pagedown")
        assert table.cursor_row == 2 + 11
        assert table.scroll_offset.y > 0  # the cursor stays on screen
        await pilot.press("up", "home")
        assert table.cursor_row == 0 and table.scroll_offset.y == 0
        await pilot.press("enter")
        await pilot.pause()
        assert ("selected", 0) in app.events
        assert ("highlighted", 2) in app.events


async def test_clicks_select_rows_and_headers():
    app = TableApp(make_rows(100))
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        table = app.query_one(VTable)
        await pilot.click(VTable, offset=(10, 3))  # line 3 is row 2
        await pilot.pause()
        assert table.cursor_row == 2
        await pilot.click(VTable, offset=(10, 3))  # the highlighted row again: select
        await pilot.click(VTable, offset=(10, 0))  # the "name" title
        await pilot.pause()
        assert ("selected", 2) in app.events
        assert ("header", "name") in app.events


async def test_new_rows_keep_the_cursor_on_the_same_key():
    app = TableApp(make_rows(100))
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        table = app.query_one(VTable)
        table.move_cursor(50)
        await pilot.pause()
        assert table.row_key(table.cursor_row) == "k50"
        # Rows above go away: the cursor follows the row, not the index.
        table.set_rows(make_rows(100)[40:], keep_key="k50")
        await pilot.pause()
        assert table.row_key(table.cursor_row) == "k50"
        assert table.get_cell("k50", "name").plain == "account 50"
        # The row itself went away: the same index, clamped to the list.
        table.set_rows(make_rows(3), keep_key="k50")
        await pilot.pause()
        assert table.cursor_row == 2
        table.set_rows([])
        await pilot.pause()
        assert table.current is None and table.row_count == 0


async def test_escape_sequences_in_cells_are_rendered_as_text():
    app = TableApp([(1, "evil \x1b[2J name")])
    async with app.run_test(size=(60, 6)) as pilot:
        await pilot.pause()
        line = "".join(s.text for s in app.query_one(VTable).render_line(1))
        assert "\x1b" not in line


async def test_a_closed_screen_drops_its_subscription(demo_book):
    """A closed account screen (a timeline of thousands of rows) must not stay subscribed:
    Textual's Signal would keep it alive until the next publish."""
    from bookkeeper_tui.app import BookkeeperApp
    from tests.conftest import TODAY, settle

    app = BookkeeperApp(demo_book, today=lambda: TODAY, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        from bookkeeper_tui.screens.account import AccountScreen

        app.push_screen(AccountScreen("Acme Corp"))  # not the app's kept account screen
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "AccountScreen"
        assert screen in app.book_changed._subscriptions
        await pilot.press("escape")
        await settle(pilot)
        assert screen not in app.book_changed._subscriptions


async def test_rows_that_move_to_the_other_stripe_are_restyled_not_drawn_again():
    # A logged row leaves Today (issue 16): every row below it changes stripe. Their
    # text is not drawn again, and the lines are the same as a table drawn afresh.
    app = TableApp(make_rows(40))
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        table = app.query_one(VTable)
        table.move_cursor(5)
        await pilot.pause()
        table.refresh()  # every line drawn once with the table focused
        await pilot.pause()
        app.rendered.clear()
        fewer = make_rows(40)[:3] + make_rows(40)[4:]
        table.set_rows(fewer, same_data=True)
        await pilot.pause()
        lines = [list(table.render_line(y)) for y in range(1, 20)]
        assert app.rendered == [19]  # only the row that came into view at the bottom
        app.rendered.clear()
        table.set_rows(fewer)  # not the same data: everything drawn afresh
        await pilot.pause()
        assert [list(table.render_line(y)) for y in range(1, 20)] == lines
        assert len(set(app.rendered)) == 19  # a header and 19 rows
