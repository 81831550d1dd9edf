"""The timed steps of the app session: each one appends its samples to ``run.samples``."""

from __future__ import annotations

import time

from benchkit.figures import ms
from benchkit.harness import (
    Run,
    fresh_mode,
    screen_named,
    send_key,
    send_paste,
    settle,
    table_of,
    to_today,
    wait_until,
)


async def bench_quicklog(pilot, run: Run, repeat: int) -> None:
    """Today row -> enter (quick log pre-filled) -> enter: saved, gone from Today."""
    app = pilot.app
    samples = run.samples.setdefault("quicklog_ms", [])
    for _ in range(repeat):
        await to_today(pilot)
        await settle(pilot)
        table = table_of(app, "#today-table")
        tp_key = table.row_key(table.cursor_row)
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: screen_named(app, "QuickLogScreen") and getattr(app.screen, "loaded", True),
            "quick log open",
        )
        await settle(pilot)  # the name list and the account brief are in

        def logged(key=tp_key) -> bool:
            if not screen_named(app, "TodayScreen"):
                return False
            table = table_of(app, "#today-table")
            return table.row_count > 0 and table.index_of(key) is None

        t0 = time.perf_counter()
        send_key(app, "enter")
        t1 = await wait_until(pilot, logged, "quick log saved and visible")
        samples.append(ms(t1 - t0))


async def bench_book(pilot, run: Run, repeat: int) -> None:
    """`b` on a fresh Book screen until its table lists the accounts."""
    app = pilot.app
    samples = run.samples.setdefault("book_open_ms", [])
    for i in range(repeat):
        await to_today(pilot)
        await settle(pilot)
        if i or "book" in app._screen_stacks:
            await fresh_mode(pilot, "book")
        t0 = time.perf_counter()
        send_key(app, "b")
        t1 = await wait_until(
            pilot,
            lambda: screen_named(app, "BookScreen") and table_of(app, "#book-table").row_count > 0,
            "book open",
        )
        samples.append(ms(t1 - t0))
        await settle(pilot)


def filter_keys(name: str, count: int) -> list[str]:
    """Type the start of an account name, then delete it, as many keystrokes as asked."""
    word = [c for c in name.lower() if c.isalnum() or c == " "][:10] or list("acme")
    cycle = [("space" if c == " " else c) for c in word] + ["backspace"] * len(word)
    return [cycle[i % len(cycle)] for i in range(count)]


async def bench_filter(pilot, run: Run, repeat: int, name: str) -> None:
    """On the loaded Book: `/`, then each keystroke until the list is re-rendered."""
    from textual.widgets import Input, Static

    app = pilot.app
    samples = run.samples.setdefault("filter_ms", [])
    if not screen_named(app, "BookScreen"):
        await pilot.press("b")
    await wait_until(
        pilot,
        lambda: screen_named(app, "BookScreen") and table_of(app, "#book-table").row_count > 0,
        "book open",
    )
    await settle(pilot)
    await pilot.press("slash")
    screen = app.screen
    box = screen.query_one("#book-filter", Input)
    await wait_until(pilot, lambda: box.has_focus, "filter focused")
    for key in filter_keys(name, repeat):
        expected = (
            box.value[:-1] if key == "backspace" else box.value + (" " if key == "space" else key)
        )
        before_shown = getattr(screen, "shown", None)
        status = screen.query_one("#book-status", Static)
        before_status = str(status.render())

        def updated(
            expected=expected,
            before_shown=before_shown,
            before_status=before_status,
            status=status,
        ) -> bool:
            if box.value != expected:
                return False
            if before_shown is not None:
                return getattr(screen, "shown", None) is not before_shown
            return str(status.render()) != before_status

        t0 = time.perf_counter()
        send_key(app, key)
        t1 = await wait_until(pilot, updated, f"filter after {key!r}")
        samples.append(ms(t1 - t0))
    await pilot.press("escape")
    # Closing the filter renders the book at once, and once more after the filter's
    # debounce: let both finish before the next step's clock starts.
    await pilot.pause(0.5)
    await settle(pilot)


async def bench_timeline(pilot, run: Run, repeat: int, name: str) -> None:
    """`app.open_account(name)` until the timeline table holds every entry."""
    app = pilot.app
    samples = run.samples.setdefault("timeline_ms", [])
    for _ in range(repeat):
        await to_today(pilot)
        await settle(pilot)

        def shown() -> bool:
            if not screen_named(app, "AccountScreen"):
                return False
            data = getattr(app.screen, "data", None)
            n = table_of(app, "#account-timeline").row_count
            if data is not None and getattr(data, "detail", None):
                return n == len(data.detail.timeline) and n > 0
            return n > 0

        t0 = time.perf_counter()
        app.open_account(name)
        t1 = await wait_until(pilot, shown, "timeline open")
        samples.append(ms(t1 - t0))
        run.values["timeline_entries"] = table_of(app, "#account-timeline").row_count
        await settle(pilot)
        app.pop_screen()
        await pilot.pause()


async def bench_kpi(pilot, run: Run, repeat: int) -> None:
    """`k` on a fresh KPI screen (12 months by default) until the cards show values.

    Twice per sample: ``kpi_cold_ms`` with the book's remembered panels dropped first
    (computed while the user waits), and ``kpi_ms`` with the panel already remembered
    (what the app arranges by computing it while the user pauses).
    """
    for i in range(repeat):
        for cold in (True, False):
            await _kpi_once(pilot, run, cold, first=i == 0 and cold)


async def _kpi_once(pilot, run: Run, cold: bool, first: bool) -> None:
    from textual.widgets import Static

    app = pilot.app
    samples = run.samples.setdefault("kpi_cold_ms" if cold else "kpi_ms", [])
    if True:
        await to_today(pilot)
        await settle(pilot)
        if not first or "kpi" in app._screen_stacks:
            await fresh_mode(pilot, "kpi")
        if cold:
            app.book._kpi_memo.clear()
        else:
            app.book.kpi(app.today, "12m")

        def shown() -> bool:
            if not screen_named(app, "KpiScreen"):
                return False
            screen = app.screen
            if screen.query_one("#kpi-body").loading:
                return False
            if getattr(screen, "shown_period", "12m") != "12m":
                return False
            if hasattr(screen, "kpi"):
                return screen.kpi is not None
            return bool(str(screen.query_one("#kpi-nrr", Static).render()).strip())

        t0 = time.perf_counter()
        send_key(app, "k")
        t1 = await wait_until(pilot, shown, "KPI cards")
        samples.append(ms(t1 - t0))
        await settle(pilot)


async def bench_renewals(pilot, run: Run, repeat: int) -> None:
    """`r` on a fresh Renewals screen until its table lists the renewals (or says none)."""
    app = pilot.app
    samples = run.samples.setdefault("renewals_ms", [])
    for i in range(repeat):
        await to_today(pilot)
        await settle(pilot)
        if i or "renewals" in app._screen_stacks:
            await fresh_mode(pilot, "renewals")

        def shown() -> bool:
            if not screen_named(app, "RenewalsScreen"):
                return False
            screen = app.screen
            return screen.data is not None and (
                table_of(app, "#renewals-table").row_count > 0
                or screen.query_one("#renewals-empty").display
            )

        t0 = time.perf_counter()
        send_key(app, "r")
        t1 = await wait_until(pilot, shown, "renewals open")
        samples.append(ms(t1 - t0))
        # The rows are renewals and bucket headings (RenewalRow / Bucket; dicts before
        # the desk was typed): count what is not a heading.
        run.values["renewals_rows"] = sum(
            1 for item in app.screen.row_items if type(item).__name__ != "Bucket"
        )
        await settle(pilot)


#: The paste of issue 16: 200 characters, one line.
PASTE_CHARS = 200
PASTE_FILL = (
    "walked through the new reporting module, asked about SSO and the API limits, "
    "champion is happy with the rollout but budget review is coming next quarter; "
)


def paste_line(name: str, length: int = PASTE_CHARS) -> str:
    """A quick-log line of exactly *length* characters for the account *name*."""
    start, end = f'{name.lower()} call "', '" nps 8'
    room = max(0, length - len(start) - len(end))
    fill = (PASTE_FILL * (1 + room // len(PASTE_FILL)))[:room]
    return (start + fill + end)[:length].ljust(length, ".")


async def bench_paste(pilot, run: Run, repeat: int, name: str) -> None:
    """In an empty quick log (`l`): one 200-character paste until a frame shows it."""
    from textual.widgets import Input

    app = pilot.app
    samples = run.samples.setdefault("paste_echo_ms", [])
    text = paste_line(name or "acme")
    run.values["paste_chars"] = len(text)
    await to_today(pilot)
    await settle(pilot)
    await pilot.press("l")
    await wait_until(
        pilot,
        lambda: screen_named(app, "QuickLogScreen") and getattr(app.screen, "loaded", True),
        "quick log open",
    )
    await settle(pilot)
    box = app.screen.query_one("#quick-log-input", Input)
    for _ in range(repeat):
        box.value = ""
        await settle(pilot)
        t0 = time.perf_counter()
        send_paste(app, text)
        t1 = await wait_until(pilot, lambda: box.value == text, "paste echoed")
        samples.append(ms(t1 - t0))
        await settle(pilot)  # the account's brief, fetched for the preview
    box.value = ""  # an empty line closes without asking
    await settle(pilot)
    await pilot.press("escape")
    await to_today(pilot)
