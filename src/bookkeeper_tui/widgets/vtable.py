"""A windowed table: any number of rows, only the visible ones rendered.

Textual's ``DataTable`` builds a row object and measures every cell of every row when it
is added, so showing 10,000 accounts or re-filtering them costs seconds. ``VTable`` keeps
the caller's list as it is and asks a ``render_row`` callback for the cells of a row only
when that row scrolls into view (cached until the rows change). Replacing the rows, moving
the cursor or scrolling therefore costs the same on a book of 30 accounts or of 10,000.

Columns have fixed widths; at most one column is ``flex`` and takes the room left over.
A row renders as a sequence of cells (``str`` or Rich ``Text``), or as one ``Text`` that
spans the whole line (a group heading). The first line is a header that stays in place;
clicking a column title posts :class:`VTable.HeaderSelected`.

Keys: up/down, page up/down, home/end move the cursor; enter (or clicking the highlighted
row) posts :class:`VTable.Selected`. Every cursor move posts :class:`VTable.Highlighted`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from bookkeeper_tui.widgets.render import safe

Cell = str | Text
Rendered = Sequence[Cell] | Text

#: Spaces on each side of a cell (as DataTable).
PAD = 1


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int = 10
    #: Takes the width the fixed columns leave (at least ``width``).
    flex: bool = False
    justify: str = "left"


class VTable(ScrollView, can_focus=True):
    """A table over a list of rows of any type, rendering only what is on screen."""

    ALLOW_MAXIMIZE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Select", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First", show=False),
        Binding("end,ctrl+end", "last", "Last", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "vtable--header",
        "vtable--cursor",
        "vtable--even-row",
        "vtable--odd-row",
    }

    DEFAULT_CSS = """
    VTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        &:focus {
            background-tint: $foreground 5%;
            & > .vtable--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .vtable--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:dark > .vtable--even-row {
            background: $surface-darken-1 40%;
        }
        & > .vtable--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .vtable--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True, repaint=False, init=False)

    class Highlighted(Message):
        def __init__(self, table: VTable, index: int, row: Any) -> None:
            super().__init__()
            self.table = table
            self.index = index
            self.row = row

        @property
        def control(self) -> VTable:
            return self.table

    class Selected(Highlighted):
        pass

    class HeaderSelected(Message):
        def __init__(self, table: VTable, column_key: str) -> None:
            super().__init__()
            self.table = table
            self.column_key = column_key

        @property
        def control(self) -> VTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        render_row: Callable[[Any], Rendered],
        key_of: Callable[[Any], str] = str,
        *,
        line_key: Callable[[Any], Any] | None = None,
        zebra_stripes: bool = True,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.columns: list[Column] = list(columns)
        self.render_row = render_row
        self.key_of = key_of
        #: Identifies what a row draws (for reusing drawn lines); its key by default.
        self.line_key = line_key or key_of
        self.zebra_stripes = zebra_stripes
        self.rows: Sequence[Any] = ()
        self._cells: dict[int, Rendered] = {}
        self._lines: dict[tuple, Strip] = {}
        #: The rows' lines before their own style (cursor, stripe): see ``_row_strip``.
        self._raw: dict[tuple, list[Segment]] = {}
        self._styles: dict[str, Style] = {}
        self._widths: list[int] = []
        self._total_width = 0
        self._keys: dict[str, int] | None = None

    # -- data -----------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.rows)

    def set_rows(
        self, rows: Sequence[Any], keep_key: str | None = None, same_data: bool = False
    ) -> None:
        """Show *rows* (kept as given, not copied). The cursor stays on the row whose key is
        *keep_key* when it is still there, else on the same index (clamped).

        *same_data* says the rows are a new selection of rows shown before, unchanged (a
        filter): lines already drawn are reused by key instead of drawn again.
        """
        self.rows = rows
        self._cells.clear()
        if not same_data:
            self._forget_lines()
        self._keys = None
        self._update_virtual_size()
        target = self.cursor_row
        if keep_key is not None:
            found = self.index_of(keep_key)
            if found is not None:
                target = found
        self._set_cursor(min(max(target, 0), max(len(rows) - 1, 0)), force=True)
        self.refresh()

    def on_unmount(self) -> None:
        """Let go of the rows (a closed screen may outlive its unmount: see BookScreen)."""
        self.rows = ()
        self._cells.clear()
        self._forget_lines()
        self._keys = None

    def set_columns(self, columns: Sequence[Column]) -> None:
        self.columns = list(columns)
        self._cells.clear()
        self._forget_lines()
        self._update_virtual_size()
        self.refresh()

    def index_of(self, key: str) -> int | None:
        if self._keys is None:
            self._keys = {self.key_of(r): i for i, r in enumerate(self.rows)}
        return self._keys.get(key)

    def row_key(self, index: int) -> str:
        return self.key_of(self.rows[index])

    def cells(self, index: int) -> Rendered:
        got = self._cells.get(index)
        if got is None:
            got = self._cells[index] = self.render_row(self.rows[index])
            if len(self._cells) > 4096:  # a long scroll: keep memory flat
                self._cells.clear()
                self._cells[index] = got
        return got

    def get_row_at(self, index: int) -> list[Text]:
        """The cells of a row as Text (a spanning row is one cell)."""
        got = self.cells(index)
        if isinstance(got, Text):
            return [got]
        return [c if isinstance(c, Text) else Text(c) for c in got]

    def get_cell(self, key: str, column_key: str) -> Text:
        index = self.index_of(key)
        if index is None:
            raise KeyError(key)
        col = [c.key for c in self.columns].index(column_key)
        return self.get_row_at(index)[col]

    @property
    def current(self) -> Any | None:
        if 0 <= self.cursor_row < len(self.rows):
            return self.rows[self.cursor_row]
        return None

    # -- geometry --------------------------------------------------------------------------
    def _compute_widths(self, width: int) -> list[int]:
        fixed = sum(c.width + 2 * PAD for c in self.columns if not c.flex)
        widths = []
        for c in self.columns:
            if c.flex:
                room = width - fixed - 2 * PAD
                widths.append(max(c.width, room))
            else:
                widths.append(c.width)
        return widths

    def _update_virtual_size(self) -> None:
        width = self.scrollable_content_region.width or self.size.width
        self._widths = self._compute_widths(width)
        self._total_width = sum(w + 2 * PAD for w in self._widths)
        self.virtual_size = Size(self._total_width, len(self.rows) + 1)

    def watch_show_vertical_scrollbar(self) -> None:
        # The scrollbar took (or gave back) columns: the flex column follows.
        self._forget_lines()
        self._update_virtual_size()

    def on_resize(self, _event: events.Resize) -> None:
        self._forget_lines()
        self._update_virtual_size()
        self._scroll_cursor_into_view()

    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    # -- rendering ------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if y == 0:
            strip = self._header_strip()
        else:
            index = scroll_y + y - 1
            if index >= len(self.rows):
                return Strip.blank(width, self._style("base"))
            strip = self._row_strip(index)
        return strip.crop_extend(scroll_x, scroll_x + width, self._style("base"))

    def _header_strip(self) -> Strip:
        key = ("header", self._total_width)
        got = self._lines.get(key)
        if got is None:
            style = self._style("vtable--header")
            cells = [Text(c.label, justify=c.justify) for c in self.columns]  # type: ignore[arg-type]
            got = self._lines[key] = self._strip(cells, style)
        return got

    def _forget_lines(self) -> None:
        self._lines.clear()
        self._raw.clear()

    def _style(self, name: str) -> Style:
        """The base style of a kind of line, looked up once per style change."""
        got = self._styles.get(name)
        if got is None:
            got = self._styles[name] = (
                self.rich_style if name == "base" else self.get_component_rich_style(name)
            )
        return got

    def _row_strip(self, index: int) -> Strip:
        cursor = index == self.cursor_row
        key = (
            self.line_key(self.rows[index]),
            index % 2,
            cursor,
            self.has_focus,
            self._total_width,
        )
        got = self._lines.get(key)
        if got is None:
            if cursor:
                style = self._style("vtable--cursor")
            elif self.zebra_stripes and index % 2:
                style = self._style("vtable--even-row")
            else:
                style = self._style("base")
            # The row's text drawn without the row's style is kept apart: a row that moved
            # to the other stripe (a row above it removed, issue 16) or gained or lost the
            # cursor is only styled again, not drawn again.
            raw_key = (key[0], self._total_width)
            raw = self._raw.get(raw_key)
            if raw is None:
                raw = self._segments(self.cells(index))
            if len(self._lines) > 1024:
                self._forget_lines()
            self._raw[raw_key] = raw
            got = self._lines[key] = Strip(Segment.apply_style(raw, style), self._total_width)
        return got

    def _strip(self, cells: Rendered, style: Style) -> Strip:
        return Strip(Segment.apply_style(self._segments(cells), style), self._total_width)

    def _segments(self, cells: Rendered) -> list[Segment]:
        """The line of a row (or the header) as drawn, before the line's own style."""
        console = self.app.console
        pad = " " * PAD
        if isinstance(cells, Text):
            line = _printable(cells)
            line.truncate(self._total_width - 2 * PAD, overflow="ellipsis", pad=True)
            line.pad_left(PAD)
            line.pad_right(PAD)
        else:
            line = Text(no_wrap=True, end="")
            for cell, width, col in zip(cells, self._widths, self.columns, strict=False):
                text = _printable(cell)
                text.truncate(width, overflow="ellipsis")
                gap = width - text.cell_len
                line.append(pad)
                if col.justify == "right":
                    line.append(" " * gap)
                    line.append_text(text)
                else:
                    line.append_text(text)
                    line.append(" " * gap)
                line.append(pad)
        return list(line.render(console))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._forget_lines()
        self._styles.clear()

    def on_focus(self) -> None:
        self._forget_lines()
        self._styles.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._forget_lines()
        self._styles.clear()
        self.refresh()

    # -- the cursor ------------------------------------------------------------------------
    def _set_cursor(self, index: int, force: bool = False) -> None:
        if not self.rows:
            old = self.cursor_row
            self.set_reactive(VTable.cursor_row, 0)
            if old != 0 or force:
                self.refresh()
            return
        index = min(max(index, 0), len(self.rows) - 1)
        old = self.cursor_row
        if index == old and not force:
            return
        self.set_reactive(VTable.cursor_row, index)
        self._refresh_row(old)
        self._refresh_row(index)
        self._scroll_cursor_into_view()
        self.post_message(self.Highlighted(self, index, self.rows[index]))

    def watch_cursor_row(self, value: int) -> None:  # assignment from outside
        self._scroll_cursor_into_view()
        self.refresh()
        if 0 <= value < len(self.rows):
            self.post_message(self.Highlighted(self, value, self.rows[value]))

    def move_cursor(self, row: int) -> None:
        self._set_cursor(row)

    def _refresh_row(self, index: int) -> None:
        y = index - int(self.scroll_offset.y) + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _scroll_cursor_into_view(self) -> None:
        top = int(self.scroll_offset.y)
        page = self._page
        row = self.cursor_row
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + page:
            self.scroll_to(y=row - page + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self._set_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self._set_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self._set_cursor(self.cursor_row - self._page)

    def action_page_down(self) -> None:
        self._set_cursor(self.cursor_row + self._page)

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor(len(self.rows) - 1)

    def action_select(self) -> None:
        if self.rows:
            self.post_message(self.Selected(self, self.cursor_row, self.rows[self.cursor_row]))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = offset.x + int(self.scroll_offset.x)
            edge = 0
            for col, width in zip(self.columns, self._widths, strict=False):
                edge += width + 2 * PAD
                if x < edge:
                    self.post_message(self.HeaderSelected(self, col.key))
                    break
            return
        index = int(self.scroll_offset.y) + offset.y - 1
        if 0 <= index < len(self.rows):
            if index == self.cursor_row:
                self.action_select()
            else:
                self._set_cursor(index)


def _printable(cell: Cell) -> Text:
    """A copy of the cell that is safe to draw: control characters (an escape sequence in
    a customer's note) become U+FFFD, one for one, so styled spans keep their places."""
    plain = cell.plain if isinstance(cell, Text) else cell
    if not plain.isprintable():
        if isinstance(cell, Text):
            out = cell.copy()
            out.plain = safe(plain)
            return out
        return Text(safe(plain))
    return cell.copy() if isinstance(cell, Text) else Text(cell)
