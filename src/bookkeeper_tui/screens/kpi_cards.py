"""The KPI panel's cards, drawn by one widget: ``KpiCards`` lays out the ``Card``s in a
grid and draws their borders, titles and contents, and the Trends card's two ``Trend``
columns (issue 16: one widget to mount instead of fourteen)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.renderables.sparkline import Sparkline as SparklineRenderable
from textual.selection import Selection
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget

GREEN_TREND = "% green over time"
MRR_TREND = "MRR by month"


class Trend:
    """One column of the Trends card: its title, a sparkline of *data* and a caption."""

    __slots__ = ("caption", "data", "title")

    def __init__(self, title: str, data: list[float] | None = None, caption: Text | None = None):
        self.title = title
        self.data: list[float] = data or []
        self.caption: Text = caption if caption is not None else Text("")


class Card:
    """One card of the panel: a title on its top border, an optional subtitle on its
    bottom border, and what it shows (a KPI's value and verdict, or the trends)."""

    __slots__ = ("content", "key", "span", "subtitle", "title")

    def __init__(self, key: str, title: str, subtitle: str = "", span: int = 1) -> None:
        self.key, self.title, self.subtitle, self.span = key, title, subtitle, span
        self.content: RenderableType = Text("")


class KpiCards(Widget):
    """The panel's cards, laid out in a grid and drawn by this one widget.

    Each card was a bordered ``Static`` in a ``Grid`` (and the Trends card a container
    of two columns): fourteen widgets to mount, style and lay out in the frame that
    opens the panel, most of the ~30 ms a remembered panel took to show (issue 16). One
    widget draws the same grid: cards ``CARD_WIDTH`` wide or more, as many columns as
    fit (one to four), rows as tall as their tallest card, a rounded border in
    ``$panel`` with the title in ``$accent`` on top and the definition below, and the
    Trends card two columns wide. The lines are built once per width and content: the
    layout's height and the drawing share them.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "kpi-cards--border",
        "kpi-cards--title",
        "kpi-cards--subtitle",
        "trend--title",
        "sparkline--max-color",
        "sparkline--min-color",
    }
    DEFAULT_CSS = """
    KpiCards {
        height: auto;
        padding: 0 1;
    }
    KpiCards > .kpi-cards--border {
        color: $panel;
    }
    KpiCards > .kpi-cards--title {
        color: $accent;
        text-style: bold;
    }
    KpiCards > .kpi-cards--subtitle {
        color: $text-muted;
    }
    KpiCards > .trend--title {
        color: $accent;
        text-style: bold;
    }
    KpiCards > .sparkline--max-color {
        color: $primary;
    }
    KpiCards > .sparkline--min-color {
        color: $primary 30%;
    }
    """
    #: Narrowest card: the number of columns is the width over this, one to four.
    CARD_WIDTH = 38
    MAX_COLUMNS = 4
    #: Blank columns between cards.
    GUTTER = 1
    #: A card's least height, its border included.
    MIN_HEIGHT = 5
    #: Rows of a trend's sparkline, and blank columns right of each trend.
    SPARK_HEIGHT = 3
    TREND_GAP = 2

    def __init__(self, cards: Iterable[Card], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.cards: list[Card] = list(cards)
        self.trends: tuple[Trend, ...] = ()
        self.columns = 1
        #: The width and content drawn for: its lines, and the same lines as strips in
        #: the widget's style that tell text selection which cell each one is.
        self._drawn: tuple[int, list[list[Segment]], list[Strip]] | None = None

    # -- what is shown ------------------------------------------------------------------
    def card(self, key: str) -> Card:
        for card in self.cards:
            if card.key == key:
                return card
        raise KeyError(key)

    def show(self, contents: dict[str, RenderableType], trends: tuple[Trend, ...]) -> None:
        """Show each card's new content (by key) and the trends."""
        for card in self.cards:
            if card.key in contents:
                card.content = contents[card.key]
        self.trends = trends
        self._changed()

    def fit(self, width: int) -> None:
        """Take as many columns as fit a screen *width* wide."""
        columns = max(1, min(self.MAX_COLUMNS, width // self.CARD_WIDTH))
        if columns != self.columns:
            self.columns = columns
            self._changed()

    def _changed(self) -> None:
        self._drawn = None
        if self.is_attached:
            self.refresh(layout=True)

    def notify_style_update(self) -> None:
        self._drawn = None  # the colours (a new theme) are in the lines
        super().notify_style_update()

    # -- Textual ------------------------------------------------------------------------
    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        strips = self._styled(width)
        if y >= len(strips):
            return Strip.blank(width, self.rich_style)
        strip = strips[y]
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            start, end = span
            style = self.screen.get_component_rich_style("screen--selection")
            strip = _selected(strip, start, width if end == -1 else end, style)
        return strip

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The text under the mouse's selection: the panel's lines as drawn."""
        strips = self._styled(self.content_size.width)
        return selection.extract("\n".join(strip.text for strip in strips)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()

    # -- drawing ------------------------------------------------------------------------
    def _lines(self, width: int) -> list[list[Segment]]:
        return self._drawn_for(width)[1]

    def _styled(self, width: int) -> list[Strip]:
        return self._drawn_for(width)[2]

    def _drawn_for(self, width: int) -> tuple[int, list[list[Segment]], list[Strip]]:
        if width <= 0:
            return width, [], []
        if self._drawn is None or self._drawn[0] != width:
            lines = self._draw(width)
            style = self.rich_style
            strips = [
                Strip(line, width).apply_style(style).apply_offsets(0, y)
                for y, line in enumerate(lines)
            ]
            self._drawn = (width, lines, strips)
        return self._drawn

    def _draw(self, width: int) -> list[list[Segment]]:
        columns = self.columns
        while columns > 1 and (width - self.GUTTER * (columns - 1)) // columns < 8:
            columns -= 1  # narrower than the screen said (a scrollbar): still legible
        free = width - self.GUTTER * (columns - 1)
        edges = [free * i // columns for i in range(columns + 1)]
        widths = [edges[i + 1] - edges[i] for i in range(columns)]
        # Place the cards in rows, left to right; one too wide for what is left of a row
        # starts the next row (a Textual grid's placement).
        rows: list[list[tuple[int, Card]]] = [[]]
        used = 0
        for card in self.cards:
            span = min(card.span, columns)
            if used + span > columns:
                rows.append([])
                used = 0
            rows[-1].append((used, card))
            used += span
        border = self.get_component_rich_style("kpi-cards--border")
        title = self.get_component_rich_style("kpi-cards--title")
        subtitle = self.get_component_rich_style("kpi-cards--subtitle")
        gap = Segment(" " * self.GUTTER)
        out: list[list[Segment]] = []
        for row in rows:
            boxes: list[tuple[Segment, list[list[Segment]]]] = []
            end = 0  # the column after the row's last card
            for column, card in row:
                span = min(card.span, columns)
                w = sum(widths[column : column + span]) + self.GUTTER * (span - 1)
                boxes.append((Segment(" " * w), self._box(card, w, border, title, subtitle)))
                end = column + span
            if end < columns:  # an empty cell closes the row
                rest = sum(widths[end:]) + self.GUTTER * (columns - end - 1)
                boxes.append((Segment(" " * rest), []))
            height = max(len(box) for _, box in boxes)
            for y in range(height):
                line: list[Segment] = []
                for i, (blank, box) in enumerate(boxes):
                    if i:
                        line.append(gap)
                    line.extend(box[y] if y < len(box) else [blank])
                out.append(line)
        return out

    def _box(
        self, card: Card, width: int, border: Style, title: Style, subtitle: Style
    ) -> list[list[Segment]]:
        """A card *width* cells wide: a rounded border, one cell of padding each side."""
        inner = max(1, width - 4)
        if card.key == "trends":
            body = self._trend_lines(inner)
        else:
            body = self._draw_renderable(card.content, inner)
        height = max(len(body) + 2, self.MIN_HEIGHT)
        blank = [Segment(" " * inner)]
        body += [blank] * (height - 2 - len(body))
        left, right = Segment("│ ", border), Segment(" │", border)
        lines = [_edge(card.title, width, border, title, top=True)]
        lines += [[left, *line, right] for line in body]
        lines.append(_edge(card.subtitle, width, border, subtitle, top=False))
        return lines

    def _trend_lines(self, width: int) -> list[list[Segment]]:
        """The Trends card's inside: its columns side by side, each as tall as the tallest."""
        trends = self.trends or (Trend(GREEN_TREND), Trend(MRR_TREND))
        edges = [width * i // len(trends) for i in range(len(trends) + 1)]
        columns = []
        for i, trend in enumerate(trends):
            w = edges[i + 1] - edges[i]
            columns.append((w, self._trend(trend, max(1, w - self.TREND_GAP))))
        height = max(len(lines) for _, lines in columns)
        out: list[list[Segment]] = []
        for y in range(height):
            line: list[Segment] = []
            for w, lines in columns:
                inner = max(1, w - self.TREND_GAP)
                line.extend(lines[y] if y < len(lines) else [Segment(" " * inner)])
                line.append(Segment(" " * (w - inner)))
            out.append(line)
        return out

    def _draw_renderable(self, renderable: RenderableType, width: int) -> list[list[Segment]]:
        """*renderable* drawn *width* cells wide the way a ``Static`` draws it (a Text as
        Textual content: its colours those of the app's theme, dim blended)."""
        visual = visualize(self, renderable, markup=False)
        # The panel's selection is applied to the panel's lines, not to each card's.
        strips = Visual.to_strips(
            self, visual, width, None, self.visual_style, apply_selection=False, pad=True
        )
        return [list(strip) for strip in strips]

    def _trend(self, trend: Trend, width: int) -> list[list[Segment]]:
        _, base = self.background_colors
        spark = SparklineRenderable(
            trend.data,
            width=width,
            height=self.SPARK_HEIGHT,
            min_color=(base + self.get_component_styles("sparkline--min-color").color).rich_color,
            max_color=(base + self.get_component_styles("sparkline--max-color").color).rich_color,
        )
        title = Text(trend.title, style=self.get_component_rich_style("trend--title"))
        column = Group(title, _Lines(spark, self.SPARK_HEIGHT), trend.caption)
        return self._draw_renderable(column, width)


def _selected(strip: Strip, start: int, end: int, style: Style) -> Strip:
    """*strip* with the cells from *start* to *end* drawn in the selection's *style*."""
    before, inside, after = strip.divide([start, end, strip.cell_length])
    marked = Strip([Segment(t, s + style if s else style, c) for t, s, c in inside])
    return Strip.join([before, marked, after])


def _edge(label: str, width: int, border: Style, style: Style, top: bool) -> list[Segment]:
    """A card's top border with its title on the left (``╭─ Title ───╮``), or its bottom
    border with its subtitle on the right (``╰─── Subtitle ─╯``)."""
    left, right = ("╭", "╮") if top else ("╰", "╯")
    room = width - 6
    if not label or room < 1:
        return [Segment(left + "─" * max(0, width - 2) + right, border)]
    if len(label) > room:
        label = label[: room - 1] + "…"
    rest = "─" * (width - 5 - len(label))
    if top:
        return [
            Segment(left + "─ ", border),
            Segment(label, style),
            Segment(f" {rest}{right}", border),
        ]
    return [Segment(f"{left}{rest} ", border), Segment(label, style), Segment(" ─" + right, border)]


class _Lines:
    """A renderable drawn as exactly *height* whole lines (a sparkline ends mid-line)."""

    def __init__(self, renderable: RenderableType, height: int) -> None:
        self.renderable = renderable
        self.height = height

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = console.render_lines(self.renderable, options.update(height=self.height))
        for line in lines:
            yield from line
            yield Segment.line()
