"""What keeps the app quick at 10,000 accounts, without changing what it shows.

The KPI panel is remembered until the book changes (by this process or another), one
computation is shared by concurrent callers, the account screen is reused between
accounts without ever showing the previous one, and garbage is collected while the user
pauses.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import FrozenInstanceError

import pytest

from bookkeeper_tui.store.book import Book
from tests.conftest import TODAY, settle


def test_the_kpi_panel_is_remembered_until_the_book_changes(demo_book, tmp_path):
    first = demo_book.kpi(TODAY, "12m")
    assert demo_book.kpi_is_fresh(TODAY, "12m")
    assert demo_book.kpi(TODAY, "12m") == first
    assert not demo_book.kpi_is_fresh(TODAY, "3m")
    # A write through this book: the panel is computed again and shows it.
    demo_book.log("acme call nps 0 mrr 1", TODAY)
    assert not demo_book.kpi_is_fresh(TODAY, "12m")
    after = demo_book.kpi(TODAY, "12m")
    assert after == demo_book.kpi(TODAY, "12m", fresh=True)
    assert after != first
    # A write by another process (another connection): also seen.
    other = Book.open(demo_book.location)
    try:
        other.log("initech call nps 10", TODAY)
    finally:
        other.close()
    assert not demo_book.kpi_is_fresh(TODAY, "12m")
    assert demo_book.kpi(TODAY, "12m") == demo_book.kpi(TODAY, "12m", fresh=True)


def test_a_remembered_panel_cannot_be_changed_by_its_reader(demo_book):
    panel = demo_book.kpi(TODAY, "12m")
    with pytest.raises(FrozenInstanceError):
        panel.nrr = -1  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        panel.health.green = -1  # type: ignore[misc]
    assert isinstance(panel.green_trend, tuple) and isinstance(panel.mrr_by_month, tuple)
    again = demo_book.kpi(TODAY, "12m")
    assert again is panel  # shared as it is: nothing to copy


def test_concurrent_callers_share_one_computation(demo_book, monkeypatch):
    calls: list[int] = []
    started = threading.Event()
    release = threading.Event()
    real = demo_book._compute_kpi

    def slow(as_of, period):
        calls.append(1)
        started.set()
        release.wait(10)
        return real(as_of, period)

    monkeypatch.setattr(demo_book, "_compute_kpi", slow)
    results: list[dict] = []
    first = threading.Thread(target=lambda: results.append(demo_book.kpi(TODAY, "12m")))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=lambda: results.append(demo_book.kpi(TODAY, "12m")))
    second.start()
    release.set()
    first.join(10)
    second.join(10)
    assert len(calls) == 1 and len(results) == 2 and results[0] == results[1]


async def test_the_account_screen_is_reused_and_never_shows_the_previous_account(
    demo_book, make_app
):
    app = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_account("Acme Corp")
        await settle(pilot)
        first = app.screen
        assert first.data.detail.name == "Acme Corp"
        await pilot.press("escape")
        await settle(pilot)
        seen: list[str | None] = []
        app.open_account("Initech")
        # Whenever the screen is up, it shows Initech or nothing yet, never Acme Corp.
        for _ in range(200):
            if app.screen is first:
                data = first.data
                seen.append(None if data is None else data.detail.name)
            await pilot.pause(0.005)
            if seen and seen[-1] == "Initech":
                break
        await settle(pilot)
        assert app.screen is first  # the same screen, composed once
        assert "Acme Corp" not in seen and seen[-1] == "Initech"
        timeline = [e.day.isoformat() for e in demo_book.show("Initech", TODAY).timeline]
        table = first.query_one("#account-timeline")
        assert [table.get_row_at(i)[0].plain for i in range(table.row_count)] == timeline


async def test_garbage_is_collected_when_the_user_pauses(demo_book, make_app, monkeypatch):
    import bookkeeper_tui.app.startup as startup

    monkeypatch.setattr(startup, "GC_IDLE_S", 0.2)
    monkeypatch.setattr(startup, "GC_MIN_PENDING", 1)
    was_enabled, thresholds = gc.isenabled(), gc.get_threshold()
    app = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # The collector stays on (issue 15 #4: never switched off for the whole process);
        # what lives long is frozen out of its automatic collections.
        assert gc.isenabled() == was_enabled
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] >= startup.GC_YOUNG_THRESHOLD
        before = app.collector.collections
        for _ in range(40):
            await pilot.pause(0.05)
            if app.collector.collections > before:
                break
        assert app.collector.collections > before
        # A key resets the clock: no collection right after it.
        await pilot.press("down")
        count = app.collector.collections
        app._on_idle_tick()
        assert app.collector.collections == count
    assert gc.isenabled() == was_enabled
    assert gc.get_freeze_count() == 0  # everything given back when the app ends
    assert gc.get_threshold() == thresholds


def test_a_full_collection_waits_for_a_long_pause_and_runs_once_in_it(monkeypatch):
    import bookkeeper_tui.app.startup as startup

    monkeypatch.setattr(startup.gc, "get_count", lambda: (0, 0, 0))  # no young collections
    collector = startup.IdleCollector()
    assert not collector.tick(startup.GC_FULL_IDLE_S)  # not started: nothing
    collector.start()
    try:
        assert not collector.tick(startup.GC_IDLE_S / 2)  # typing: never
        assert collector.tick(startup.GC_FULL_IDLE_S)  # away: everything
        assert gc.get_freeze_count() > 0  # and what survived is frozen again
        assert not collector.tick(startup.GC_FULL_IDLE_S + 5)  # once per pause
        assert not collector.tick(0.0)  # the user is back ...
        assert collector.tick(startup.GC_FULL_IDLE_S)  # ... and away again
        assert collector.collections == 2
    finally:
        collector.stop()
    assert gc.get_freeze_count() == 0


async def test_the_kpi_panel_is_computed_ahead_while_the_user_pauses(
    demo_book, make_app, monkeypatch
):
    import bookkeeper_tui.app as app_module

    monkeypatch.setattr(app_module, "WARM_IDLE_S", 0.2)
    app = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(60):
            await pilot.pause(0.05)
            if demo_book.kpi_is_fresh(TODAY, "12m"):
                break
        assert demo_book.kpi_is_fresh(TODAY, "12m")


async def test_the_renewal_desk_is_computed_ahead_after_the_kpi_panel(
    demo_book, make_app, monkeypatch
):
    import bookkeeper_tui.app as app_module
    from bookkeeper_tui.screens.renewals import read_desk, remembered_desk

    monkeypatch.setattr(app_module, "WARM_IDLE_S", 0.2)
    app = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(100):
            await pilot.pause(0.05)
            if remembered_desk(demo_book, TODAY) is not None:
                break
        assert demo_book.kpi_is_fresh(TODAY, "12m")
        desk = remembered_desk(demo_book, TODAY)
        assert desk is not None and desk == read_desk(demo_book, TODAY)


def test_the_idle_collector_counts_the_frozen_heap_at_most_once_a_pause(monkeypatch):
    """``gc.get_freeze_count`` walks every frozen object (CPython 3.11): tens of ms beside a
    10,000-account book, on the UI thread. The collector asks it once per pause, not on
    every idle tick, and still collects everything once the frozen heap has grown."""
    import bookkeeper_tui.app.startup as startup

    counted = [0]
    frozen = [0]

    def freeze_count() -> int:
        counted[0] += 1
        return frozen[0]

    monkeypatch.setattr(startup.gc, "get_count", lambda: (0, 0, 0))
    monkeypatch.setattr(startup.gc, "get_freeze_count", freeze_count)
    for name in ("freeze", "unfreeze", "collect"):
        monkeypatch.setattr(startup.gc, name, lambda *a: None)
    collector = startup.IdleCollector()
    collector.start()
    try:
        for quiet in (1.0, 1.5, 2.0, 2.5, 3.0, 3.5):  # one pause, six ticks
            assert not collector.tick(quiet)
        assert counted[0] == 1
        assert not collector.tick(0.0)  # the user types
        frozen[0] = startup.GC_MAX_FROZEN + 1  # meanwhile a big load was frozen
        assert collector.tick(1.0)  # the next pause collects everything ...
        assert not collector.tick(1.5)  # ... once
        assert counted[0] == 3  # its count, and the level after the collection
    finally:
        collector.stop()


def test_settling_one_accounts_states_does_not_count_the_frozen_heap(monkeypatch):
    """A quick log's save loads one account's states: Settled is inactive then and must not
    walk the frozen heap (it cost ~49 ms a save inside the app at 10,000 accounts)."""
    from bookkeeper_tui.store import state

    def freeze_count() -> int:
        raise AssertionError("counted the frozen heap for one account")

    monkeypatch.setattr(state.gc, "get_freeze_count", freeze_count)
    with state.Settled(active=False):
        pass
