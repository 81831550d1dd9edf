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
async def test_each_trend_is_one_widget_whose_height_is_what_it_draws(demo_book, make_app):
    from rich.text import Text

    from bookkeeper_tui.screens.kpi_render import TrendColumn

    app = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        trends = app.screen.query_one("#kpi-trends")
        columns = list(trends.children)
        assert [type(c) for c in columns] == [TrendColumn, TrendColumn]
        assert all(not c.children for c in columns)
        column = columns[1]
        assert column.data and column.caption.plain
        console = app.console
        long = Text("n/a: no revenue history in this period, " * 3, style="dim italic")
        for caption in (column.caption, long):
            column.caption = caption
            for width in (8, 20, 33, 60):
                drawn = console.render_lines(column.render(), console.options.update_width(width))
                assert column.get_content_height(trends.size, app.size, width) == len(drawn)
