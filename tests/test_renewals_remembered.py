"""The renewal desk is remembered until the book changes (issue 16: the Renewals screen at
10,000 accounts), as the KPI panel is: reused for the same data version, computed again
after any write by this process or another connection, never stale; one computation
shared by concurrent callers; and frozen all the way down, so one desk is handed to every
reader without a copy."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from types import MappingProxyType

import pytest

from bookkeeper_tui.core.renewals import RenewalDesk
from bookkeeper_tui.store.book import Book
from tests.conftest import TODAY, settle


def spy_compute(book: Book, monkeypatch) -> list[tuple]:
    """Record every real computation of a desk (its arguments)."""
    calls: list[tuple] = []
    real = book._compute_renewals

    def spy(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(book, "_compute_renewals", spy)
    return calls


def test_a_remembered_desk_is_reused_until_the_book_changes(demo_book, monkeypatch):
    calls = spy_compute(demo_book, monkeypatch)
    first = demo_book.renewals(TODAY, 120, accuracy=False)
    assert len(calls) == 1
    assert demo_book.renewals(TODAY, 120, accuracy=False) is first  # shared, not copied
    assert len(calls) == 1
    # Another question is another desk.
    demo_book.renewals(TODAY, 120)
    demo_book.renewals(TODAY, 90, accuracy=False)
    demo_book.renewals(TODAY, 120, accuracy=False, since=date(2026, 1, 1))
    demo_book.renewals(TODAY, 120, accuracy=False, owner="maya")
    demo_book.renewals(date(2026, 11, 25), 120, accuracy=False)
    assert len(calls) == 6
    # A write through this book: computed again, and the same as computed afresh.
    row = first.renewals[0]
    demo_book.log(f"{row.account} call nps 0 mrr 1", TODAY)
    after = demo_book.renewals(TODAY, 120, accuracy=False)
    assert len(calls) == 7
    assert after == demo_book.renewals(TODAY, 120, accuracy=False, fresh=True)
    assert after != first
    # A write by another process (another connection): also seen.
    other = Book.open(demo_book.location)
    try:
        other.log(f"{row.account} call mrr 5", TODAY)
    finally:
        other.close()
    again = demo_book.renewals(TODAY, 120, accuracy=False)
    assert len(calls) == 9  # the fresh one above, and this one
    assert again == demo_book.renewals(TODAY, 120, accuracy=False, fresh=True)
    assert again != after


def test_the_default_since_is_the_same_desk_as_the_explicit_one(demo_book, monkeypatch):
    calls = spy_compute(demo_book, monkeypatch)
    desk = demo_book.renewals(TODAY, 120)
    assert demo_book.renewals(TODAY, 120, since=desk.since) is desk
    assert len(calls) == 1


def test_another_config_is_another_desk(demo_book, monkeypatch):
    first = demo_book.renewals(TODAY, 120, accuracy=False)
    likely = {**demo_book.config.renewals.likelihood, "green": 0.5}
    demo_book.config = replace(
        demo_book.config, renewals=replace(demo_book.config.renewals, likelihood=likely)
    )
    calls = spy_compute(demo_book, monkeypatch)
    desk = demo_book.renewals(TODAY, 120, accuracy=False)
    assert len(calls) == 1
    assert desk.forecast.likelihood["green"] == 0.5 != first.forecast.likelihood["green"]


def test_fresh_computes_and_remembers_nothing_else(demo_book, monkeypatch):
    calls = spy_compute(demo_book, monkeypatch)
    one = demo_book.renewals(TODAY, 120, fresh=True)
    two = demo_book.renewals(TODAY, 120, fresh=True)
    assert len(calls) == 2 and one == two and one is not two


def test_remembered_and_is_fresh_never_compute(demo_book, monkeypatch):
    calls = spy_compute(demo_book, monkeypatch)
    assert demo_book.renewals_remembered(TODAY, 120, accuracy=False) is None
    assert not demo_book.renewals_is_fresh(TODAY, 120, accuracy=False)
    desk = demo_book.renewals(TODAY, 120, accuracy=False)
    assert demo_book.renewals_is_fresh(TODAY, 120, accuracy=False)
    assert demo_book.renewals_remembered(TODAY, 120, accuracy=False) is desk
    assert demo_book.renewals_remembered(TODAY, 120) is None
    assert not demo_book.renewals_is_fresh(TODAY, 90, accuracy=False)
    demo_book.log("acme call nps 0", TODAY)
    assert demo_book.renewals_remembered(TODAY, 120, accuracy=False) is None
    assert not demo_book.renewals_is_fresh(TODAY, 120, accuracy=False)
    assert len(calls) == 1


def test_concurrent_callers_share_one_computation(demo_book, monkeypatch):
    calls: list[int] = []
    started = threading.Event()
    release = threading.Event()
    real = demo_book._compute_renewals

    def slow(*args):
        calls.append(1)
        started.set()
        release.wait(10)
        return real(*args)

    monkeypatch.setattr(demo_book, "_compute_renewals", slow)
    results: list[RenewalDesk] = []

    def read() -> None:
        results.append(demo_book.renewals(TODAY, 120, accuracy=False))

    first = threading.Thread(target=read)
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=read)
    second.start()
    release.set()
    first.join(10)
    second.join(10)
    assert len(calls) == 1 and len(results) == 2 and results[0] is results[1]


def test_a_failed_computation_is_not_remembered(demo_book, monkeypatch):
    real = demo_book._compute_renewals
    calls: list[int] = []

    def flaky(*args):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the disk went away")
        return real(*args)

    monkeypatch.setattr(demo_book, "_compute_renewals", flaky)
    with pytest.raises(RuntimeError):
        demo_book.renewals(TODAY, 120)
    assert demo_book.renewals(TODAY, 120) == demo_book.renewals(TODAY, 120, fresh=True)
    assert len(calls) == 3


def _assert_frozen(value, path: str = "desk") -> None:
    """No reader can change *value*: frozen dataclasses, tuples, read-only mappings and
    plain values only, all the way down."""
    if value is None or isinstance(value, (str, int, float, bool, date)):
        return
    if dataclasses.is_dataclass(value):
        assert type(value).__dataclass_params__.frozen, f"{path} is a mutable dataclass"
        for f in dataclasses.fields(value):
            _assert_frozen(getattr(value, f.name), f"{path}.{f.name}")
        return
    if isinstance(value, tuple):
        for i, item in enumerate(value):
            _assert_frozen(item, f"{path}[{i}]")
        return
    if isinstance(value, Mapping):
        assert isinstance(value, MappingProxyType), f"{path} is a {type(value).__name__}"
        for k, v in value.items():
            _assert_frozen(v, f"{path}[{k!r}]")
        return
    raise AssertionError(f"{path} is a {type(value).__name__}")


def test_the_desk_is_frozen_all_the_way_down(demo_book):
    for accuracy in (True, False):
        desk = demo_book.renewals(TODAY, 120, accuracy=accuracy)
        assert desk.renewals and desk.churn_reasons
        if accuracy:
            assert desk.accuracy and desk.outcomes
        _assert_frozen(desk)
    with pytest.raises(TypeError):
        desk.forecast.likelihood["green"] = 0.0  # type: ignore[index]


@pytest.mark.both_backends
def test_a_teammate_write_is_seen_on_either_backend(db):
    a, b = Book.open(db), Book.open(db)
    try:
        b.add_account("Acme", "smb", date(2026, 1, 1), renewal=date(2026, 12, 1), mrr=100)
        first = a.renewals(TODAY, 120)
        assert [r.account for r in first.renewals] == ["Acme"]
        b.add_account("Globex", "smb", date(2026, 2, 1), renewal=date(2026, 12, 2), mrr=300)
        assert [r.account for r in a.renewals(TODAY, 120).renewals] == ["Acme", "Globex"]
    finally:
        a.close()
        b.close()


# -- the screen ------------------------------------------------------------------------
def _spy_loads(monkeypatch) -> list[int]:
    from bookkeeper_tui.screens.renewals import RenewalsScreen

    loads: list[int] = []
    real_load = RenewalsScreen.load

    def load(self):
        loads.append(1)
        return real_load(self)

    monkeypatch.setattr(RenewalsScreen, "load", load)
    return loads


async def test_a_remembered_desk_shows_in_the_first_frame(demo_book, make_app, monkeypatch):
    from bookkeeper_tui.screens.renewals import (
        WITHIN_DAYS,
        RenewalsScreen,
        read_desk,
        remembered_desk,
    )

    loads = _spy_loads(monkeypatch)
    app = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert remembered_desk(demo_book, TODAY) is None
        desk = read_desk(demo_book, TODAY)  # what the app may compute ahead
        assert remembered_desk(demo_book, TODAY) is desk
        await pilot.press("r")
        screen = app.screen
        assert isinstance(screen, RenewalsScreen)
        assert screen.data is not None and screen.data.desk is desk  # shown as it mounted
        await settle(pilot)
        assert loads == []  # no worker load for what was remembered
        assert screen.row_items and screen.current() is screen.row_items[1]
        # The book changes: the screen reads the new desk, not the remembered one.
        row = screen.current()
        demo_book.log(f"{row.account} call mrr 5", TODAY)
        app.notify_changed("test")
        await settle(pilot)
        assert loads == [1]
        assert screen.data.desk == demo_book.renewals(TODAY, WITHIN_DAYS, accuracy=False)
        assert screen.data.desk != desk


async def _footer_keys_shown(pilot) -> None:
    """Wait until the screen's Footer (mounted after its first frame) shows its keys: a
    busy machine (CI) could take the screenshot of the remembered desk before it."""
    from bookkeeper_tui.widgets.footer import Footer

    for _ in range(100):
        footers = pilot.app.screen.query(Footer)
        if footers and footers.first().children:
            await settle(pilot)
            return
        await pilot.pause(0.02)
    raise AssertionError("the Footer never showed its keys")


async def test_a_remembered_desk_looks_the_same_as_a_loaded_one(demo_book, make_app, monkeypatch):
    from bookkeeper_tui.screens.renewals import WITHIN_DAYS

    loads = _spy_loads(monkeypatch)
    shots = []
    for remembered in (False, True):
        book = Book.open(demo_book.location)  # a new book remembers nothing
        try:
            app = make_app(book, poll_seconds=0, daily_backup=False)
            async with app.run_test(size=(120, 40)) as pilot:
                await settle(pilot)
                if remembered:
                    book.renewals(TODAY, WITHIN_DAYS, accuracy=False)
                await pilot.press("r")
                await settle(pilot)
                await _footer_keys_shown(pilot)  # mounted after the screen's first frame
                shots.append(app.export_screenshot())
        finally:
            book.close()
    assert loads == [1]  # the first one loaded, the second was remembered
    assert "ARR&#160;at&#160;stake" in shots[0] and "days" in shots[0]
    assert shots[0] == shots[1]
