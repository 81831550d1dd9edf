"""Issue 16: the KPI panel opens fast on a big book, and shows the same numbers.

A remembered panel is shown in the screen's first frame (no worker, no "Computing…"
frame in between), and the owners
list the panel reads beside it is counted by the database.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bookkeeper_tui.screens.kpi import KpiScreen
from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.models import Account
from tests.conftest import TODAY, settle
from tests.test_app_kpi import assert_shows


def test_a_remembered_panel_is_given_back_and_never_computed(demo_book, monkeypatch):
    assert demo_book.kpi_remembered(TODAY, "12m") is None  # not computed yet
    first = demo_book.kpi(TODAY, "12m")
    computed: list[str] = []
    real = demo_book._compute_kpi
    monkeypatch.setattr(demo_book, "_compute_kpi", lambda *a: computed.append("x") or real(*a))
    again = demo_book.kpi_remembered(TODAY, "12m")
    assert again is first  # frozen: shared, never copied
    assert demo_book.kpi_remembered(TODAY, "90d") is None
    assert demo_book.kpi_remembered(TODAY, "12m", tier="smb") is None
    demo_book.log("acme call nps 0 mrr 1", TODAY)  # the book changed: nothing remembered
    assert demo_book.kpi_remembered(TODAY, "12m") is None
    assert computed == []


async def test_a_remembered_panel_shows_in_the_first_frame(demo_book, make_app, monkeypatch):
    loads: list[str] = []
    real_load = KpiScreen.load

    def load(self):
        loads.append(self.period)
        return real_load(self)

    monkeypatch.setattr(KpiScreen, "load", load)
    app = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        expected = demo_book.kpi(TODAY, "12m")
        await pilot.press("k")
        screen = app.screen
        assert isinstance(screen, KpiScreen)
        assert screen.kpi is not None  # shown as it mounted
        await settle(pilot)
        assert_shows(app, expected)
        assert loads == []  # no worker load for what was remembered
        assert not screen.query_one("#kpi-body").loading
        # A period not remembered is computed as before.
        await pilot.press("9")
        await settle(pilot)
        assert loads == ["90d"]
        assert_shows(app, demo_book.kpi(TODAY, "90d"))


@pytest.mark.both_backends
def test_owners_first_spelling_by_oldest_account_and_counts(book: Book):
    for name, owner in (
        ("A", "  maya  lee "),
        ("B", None),
        ("C", "Luis"),
        ("D", "MAYA LEE"),
        ("E", "   "),
        ("F", "luis"),
        ("G", "Zoe"),
        ("H", ""),
    ):
        book.add_account(name, "smb", TODAY, mrr=10, plan_on=TODAY)
        with book.write() as s:  # as typed, spaces and all (a CSV import keeps them)
            s.execute(update(Account).where(Account.name == name).values(owner=owner))
    owners = book.owners()
    assert owners.names == ["Luis", "maya lee", "Zoe"]
    assert (owners.unowned, owners.total) == (3, 8)


# -- the panel's reads on two connections at once (store/book/lanes.py) -------------------
CUTS = [(None, None), (None, "smb"), (None, "enterprise"), ("", None), ("nobody", "smb")]


@pytest.mark.parametrize(("owner", "tier"), CUTS)
@pytest.mark.parametrize("period", ["12m", "90d"])
def test_reads_at_once_give_the_numbers_of_one_connection(
    demo_book, monkeypatch, owner, tier, period
):
    import bookkeeper_tui.store.book.kpi as kpi_module

    lanes: list[int] = []
    real = kpi_module.run_at_once
    monkeypatch.setattr(
        kpi_module, "run_at_once", lambda c, e, ls: lanes.append(len(ls)) or real(c, e, ls)
    )
    at_once = demo_book.kpi(TODAY, period, fresh=True, owner=owner, tier=tier)
    assert lanes == [2]
    monkeypatch.setattr(demo_book, "_reads_at_once", lambda: False)
    assert demo_book.kpi(TODAY, period, fresh=True, owner=owner, tier=tier) == at_once
    assert lanes == [2]


def test_a_commit_during_the_reads_means_reading_again_on_one_connection(demo_book, monkeypatch):
    serial = demo_book.kpi(TODAY, "12m", fresh=True)
    reads: list[bool] = []
    real_reads = demo_book._kpi_reads
    versions = iter(range(100))
    monkeypatch.setattr(demo_book, "data_version", lambda: next(versions))  # always moves

    def spy(*args, at_once):
        reads.append(at_once)
        return real_reads(*args, at_once=at_once)

    monkeypatch.setattr(demo_book, "_kpi_reads", spy)
    assert demo_book._compute_kpi(TODAY, "12m") == serial
    assert reads == [True, False]


@pytest.mark.both_backends
def test_reads_at_once_on_either_backend(book: Book):
    book.add_account("Acme", "enterprise", TODAY.replace(year=2025), mrr=1000, plan_on=TODAY)
    book.add_account("Hooli", "smb", TODAY.replace(year=2025), mrr=200, plan_on=TODAY)
    book.log("acme qbr with Ann (champion) nps 9 mrr 1200", TODAY)
    book.log("hooli call with Bo (end user) nps 4", TODAY)
    assert book._reads_at_once()
    at_once = book.kpi(TODAY, "12m", fresh=True)
    book._reads_at_once = lambda: False  # type: ignore[method-assign]
    assert book.kpi(TODAY, "12m", fresh=True) == at_once
    assert at_once.nps_responses == 2 and at_once.ending_mrr == 1400


# -- the screen: fewer widgets, measured without drawing -----------------------------------
async def test_the_cards_are_one_widget_that_draws_the_grid(demo_book, make_app):
    """The ten cards and the Trends card are drawn by one widget (fourteen widgets
    were most of a remembered panel's opening), laid out as the grid was: as many
    columns of cards at least 38 cells wide as fit, one to four, each row as tall as its
    tallest card, the Trends card two columns wide; every line exactly as wide as the
    widget, and the height the layout asks for is the lines drawn."""
    from rich.text import Text
    from textual.widget import Widget

    from bookkeeper_tui.screens.kpi_cards import KpiCards

    app = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        screen = app.screen
        panel = screen.query_one(KpiCards)
        assert not panel.children
        body = screen.query_one("#kpi-body")
        assert list(body.children) == [panel]
        # Header (its icon and title), status, body, the cards: nothing per card.
        assert len(list(screen.query(Widget).exclude("Footer, FooterKey, FooterLabel"))) <= 7
        width = panel.content_size.width
        assert width == 158  # the screen less the panel's padding
        drawn = ["".join(s.text for s in line) for line in panel._lines(width)]
        assert len(drawn) == panel.get_content_height(body.size, app.size, width)
        assert {len(line) for line in drawn} == {width}
        # Four columns at 160: 38, 39, 39, 39 cells with one blank between.
        top = drawn[0]
        assert top.startswith("╭─ Net revenue retention ─") and top.count("╭") == 4
        assert [i for i, ch in enumerate(top) if ch == "╭"] == [0, 39, 79, 119]
        assert "│ " + plain_value(panel, "nrr") in drawn[1]
        # The third row: two cards, then the Trends card across two columns.
        trends_top = next(line for line in drawn if "Trends" in line)
        assert trends_top.count("╭") == 3 and trends_top.rstrip().endswith("╮")
        assert "% promoters - % detractors ─╯" in "\n".join(drawn)
        # Rows as tall as their tallest card; shorter cards leave blank cells below.
        trends_row = drawn.index(trends_top)
        assert drawn[-1].startswith(" " * 79) and drawn[-1].endswith("╯")
        assert len(drawn) - trends_row > panel.MIN_HEIGHT
        green, mrr = panel.trends
        assert green.title in trends_top or green.title in drawn[trends_row + 1]
        assert mrr.caption.plain.split("\n")[0] in "\n".join(drawn)

        for width, columns in ((160, 4), (120, 3), (80, 2), (50, 1)):
            panel.fit(width)
            assert panel.columns == columns
            inner = width - 2
            lines = panel._lines(inner)
            assert {sum(s.cell_length for s in line) for line in lines} == {inner}
            assert len(lines) == panel.get_content_height(body.size, app.size, inner)
            assert sum(1 for s in lines[0] if "╭" in s.text) == columns
        # A new theme redraws the borders in its colours.
        panel.fit(160)
        await settle(pilot)
        border = panel._lines(158)[0][0].style
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await settle(pilot)
        assert panel._lines(158)[0][0].style != border
        # A long definition wraps inside its card: the card grows, the width does not.
        panel.fit(160)
        long = Text("a definition that goes on " * 6, style="dim")
        panel.show({"grr": long}, panel.trends)
        lines = panel._lines(158)
        assert len(lines) > len(drawn)
        assert {sum(s.cell_length for s in line) for line in lines} == {158}


async def test_a_cards_value_can_be_selected_and_copied_with_the_mouse(demo_book, make_app):
    """Drawn by one widget, the cards still let the mouse select their text (as the
    Statics did): dragging over NRR's value selects exactly it, the selection is
    shown, and a double click selects the whole panel's text."""
    from bookkeeper_tui.screens.kpi_cards import KpiCards

    app = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        panel = app.screen.query_one(KpiCards)
        value = plain_value(panel, "nrr").split()[0]  # "101.0%"
        line = "".join(s.text for s in panel.render_line(1))
        x = line.index(value)
        left = panel.gutter.left  # the mouse is placed from the panel's outer edge
        await pilot.mouse_down(panel, offset=(left + x, 1))
        await pilot.hover(panel, offset=(left + x + len(value) - 1, 1))
        await pilot.mouse_up(panel, offset=(left + x + len(value) - 1, 1))
        await settle(pilot)
        assert app.screen.get_selected_text() == value
        # The selected cells are drawn in the selection's style, the others are not.
        selected = app.screen.get_component_rich_style("screen--selection")
        cells = [(seg.text, seg.style) for seg in panel.render_line(1)]
        shown = "".join(t for t, st in cells if st and st.bgcolor == selected.bgcolor)
        assert shown == value
        app.screen.clear_selection()
        await settle(pilot)
        await pilot.click(panel, offset=(left + x, 1), times=2)
        await settle(pilot)
        everything = app.screen.get_selected_text() or ""
        assert "Net revenue retention" in everything and "Referral rate" in everything


def plain_value(panel, key: str) -> str:
    """The first line of what a card shows."""
    return panel.card(key).content.plain.split("\n")[0]
