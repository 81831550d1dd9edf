"""Driving the real app headless: frame clock, waits, keys posted like a terminal's."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
import traceback
from collections.abc import Callable

#: Longest wait for one action before it counts as failed.
TIMEOUT_S = 60.0


class Run:
    """Samples, values and errors of one benchmark run."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self.samples: dict[str, list[float]] = {}
        self.errors: dict[str, str] = {}

    def fail(self, what: str, exc: BaseException) -> None:
        self.errors[what] = f"{type(exc).__name__}: {exc}"
        if os.environ.get("BENCH_DEBUG"):
            traceback.print_exc(file=sys.stderr)


class FrameClock:
    """Times the first painted frame that shows a result.

    Wraps the app's ``_display`` (called with every frame the compositor renders; the
    headless driver renders it and throws it away): while a condition is armed, each frame
    checks it, and the first frame for which it holds is when the user would see it.
    """

    def __init__(self, app) -> None:
        self.cond: Callable[[], bool] | None = None
        self.hit: float | None = None
        self.frames = 0
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            self.frames += 1
            if self.cond is not None and self.hit is None:
                now = time.perf_counter()
                try:
                    if self.cond():
                        self.hit = now
                except Exception:
                    pass  # the screen is still being built

        app._display = display

    def arm(self, cond: Callable[[], bool]) -> None:
        self.cond, self.hit = cond, None


CLOCK: FrameClock | None = None

#: How often wait_until looks at the app when a frame clock times the result.
POLL_S = float(os.environ.get("BENCH_POLL_S", "0.02"))


async def wait_until(pilot, cond: Callable[[], bool], what: str, timeout: float = TIMEOUT_S):
    """Wait until *cond* holds; return the perf_counter time of the first frame showing it.

    Polls every ~1 ms (``pilot.pause(0.001)`` lets the app run). When no frame is painted
    within 0.5 s after the poll saw the result (no frame clock), the poll's time is used.
    """
    from textual.css.query import NoMatches

    def holds() -> bool:
        try:
            return bool(cond())
        except (NoMatches, AttributeError, LookupError):
            return False  # the screen is still being built

    if CLOCK is not None:
        CLOCK.arm(holds)
    deadline = time.perf_counter() + timeout
    # With a frame clock the time is the frame's, taken in the app's own drawing: polling
    # often would only take the interpreter lock from the app's workers (a 1 ms poll cost
    # the KPI panel's computation ~15 ms). Without one the poll's time is the measure.
    poll_s = POLL_S if CLOCK is not None else 0.001
    try:
        while not holds():
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{what}: not done within {timeout:.0f} s")
            await pilot.pause(poll_s)
        seen = time.perf_counter()
        if CLOCK is None:
            return seen
        while CLOCK.hit is None and time.perf_counter() - seen < 0.5:
            await pilot.pause(0.001)
        return CLOCK.hit if CLOCK.hit is not None else seen
    finally:
        if CLOCK is not None:
            CLOCK.cond = None


def send_key(app, key: str) -> None:
    """Post one key event the way the terminal driver does, and return at once.

    ``Pilot.press`` waits for the app to go idle after each key (two 20 ms sleeps at the
    least), which would swamp a 50 ms target; the timed keys go through here instead and
    the harness polls for the result.
    """
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)


def send_paste(app, text: str) -> None:
    """Post one bracketed paste the way the terminal driver does, and return at once."""
    from textual import events

    event = events.Paste(text)
    event.set_sender(app)
    app._driver.send_message(event)


def table_of(app, selector: str):
    from bookkeeper_tui.widgets.vtable import VTable

    return app.screen.query_one(selector, VTable)


def screen_named(app, name: str) -> bool:
    return type(app.screen).__name__ == name


async def to_today(pilot) -> None:
    """Back to the Today screen, with its rows, whatever happened before."""
    app = pilot.app
    for _ in range(5):
        if screen_named(app, "TodayScreen"):
            break
        if len(app.screen_stack) > 1:
            app.pop_screen()
        else:
            await pilot.press("t")
        await pilot.pause(0.01)
    await wait_until(
        pilot,
        lambda: screen_named(app, "TodayScreen") and table_of(app, "#today-table").row_count > 0,
        "back to Today",
    )


async def fresh_mode(pilot, mode: str) -> None:
    """Drop a mode's screen (Book, KPIs) so the next key builds and loads a new one."""
    from bookkeeper_tui.app import BookkeeperApp

    app = pilot.app
    if app.current_mode == mode:
        await to_today(pilot)
    await app.remove_mode(mode)
    app.add_mode(mode, BookkeeperApp.MODES[mode])
    # The dropped screen stays subscribed to book_changed (and so alive) until the signal
    # next fires; no user can drop a mode, so fire it and collect the screen, outside the
    # timings, rather than let each extra sample keep a whole Book alive.
    app.notify_changed("bench")
    await settle(pilot)
    gc.collect()


async def settle(pilot, rounds: int = 50) -> None:
    """Wait for every worker (loads, saves) to finish: tests/conftest.py's settle."""
    from textual.worker import WorkerCancelled, WorkerFailed

    for _ in range(rounds):
        await pilot.pause()
        pending = [w for w in pilot.app.workers if not w.is_finished]
        if not pending:
            break
        for w in pending:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await w.wait()
    await pilot.pause()
