"""The child process: grow one timeline, drive the app, time the queries alone."""

from __future__ import annotations

import asyncio
import gc
import time
from datetime import date
from pathlib import Path

from benchkit import harness
from benchkit.book import grow_timeline
from benchkit.figures import ms, rss_mib
from benchkit.harness import Run, screen_named, settle, table_of, to_today, wait_until
from benchkit.steps import (
    bench_book,
    bench_filter,
    bench_kpi,
    bench_paste,
    bench_quicklog,
    bench_renewals,
    bench_timeline,
)

SIZE = (160, 50)


async def drive(book, as_of: date, run: Run, repeat: int, slow: int, account: str) -> None:
    from bookkeeper_tui.app import BookkeeperApp

    app = BookkeeperApp(book, today=lambda: as_of, poll_seconds=0, daily_backup=False)
    harness.CLOCK = harness.FrameClock(app)
    t0 = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        try:
            t1 = await wait_until(
                pilot,
                lambda: (
                    screen_named(app, "TodayScreen") and table_of(app, "#today-table").row_count > 0
                ),
                "Today rows",
            )
            run.values["today_ready_ms"] = round(ms(t1 - t0), 1)
            await settle(pilot)
            run.values["today_rows"] = table_of(app, "#today-table").row_count
        except Exception as exc:
            run.fail("today_ready_ms", exc)
        # A session first: every screen once (the Book and the KPIs cold, as a user meets
        # them), then the peak memory; then more Book and KPI samples, each on a new screen
        # (dropping a mode's screen is something only the harness does: it stays out of
        # the session's peak).
        steps = (
            ("quicklog", lambda: bench_quicklog(pilot, run, repeat)),
            ("paste", lambda: bench_paste(pilot, run, repeat, account)),
            ("timeline", lambda: bench_timeline(pilot, run, slow, account)),
            ("book_open", lambda: bench_book(pilot, run, 1)),
            ("filter", lambda: bench_filter(pilot, run, repeat, account)),
            ("kpi", lambda: bench_kpi(pilot, run, 1)),
            ("renewals", lambda: bench_renewals(pilot, run, 1)),
            ("session_peak", None),
            ("book_open_more", lambda: bench_book(pilot, run, slow - 1)),
            ("kpi_more", lambda: bench_kpi(pilot, run, slow - 1)),
            ("renewals_more", lambda: bench_renewals(pilot, run, slow - 1)),
        )
        by_step = run.values.setdefault("peak_rss_by_step_mib", {"start": rss_mib()})
        for what, step in steps:
            if step is None:
                run.values["peak_rss_mib"] = rss_mib()
                continue
            try:
                await step()
                by_step[what] = rss_mib()
            except Exception as exc:
                run.fail(what, exc)
                try:  # leave the app where the next step expects it
                    for _ in range(3):
                        await pilot.press("escape")
                    await to_today(pilot)
                except Exception:
                    pass


def direct_timings(book, as_of: date, account: str, slow: int, run: Run) -> None:
    """The same work without the UI: where the time goes."""
    calls = {
        "kpi_compute_ms": lambda: book.kpi(as_of, "12m", fresh=True),
        "today_query_ms": lambda: book.today(as_of, ahead_days=7),
        "accounts_query_ms": lambda: book.accounts(as_of),
        "show_query_ms": lambda: book.show(account, as_of),
        "review_ms": lambda: review_markdown(book, as_of),
        "renewals_query_ms": lambda: book.renewals(as_of, 120, fresh=True),
    }
    for key, call in calls.items():
        try:
            samples = []
            for _ in range(slow):
                t0 = time.perf_counter()
                call()
                samples.append(ms(time.perf_counter() - t0))
            run.samples[key] = samples
        except Exception as exc:
            run.fail(key, exc)


def review_markdown(book, as_of: date) -> str:
    """`bookkeeper review` of the month before *as_of*'s, without the process start."""
    from bookkeeper_tui.core.review import shift_month
    from bookkeeper_tui.io.review import to_markdown
    from bookkeeper_tui.store.review import build

    return to_markdown(build(book, *shift_month(as_of.year, as_of.month, -1)))


def worker(db: Path, as_of: date, repeat: int, slow: int) -> dict:
    """In the child process: grow one timeline, time the queries, drive the app."""
    from sqlalchemy import func, select

    from bookkeeper_tui.store.book import Book
    from bookkeeper_tui.store.models import Account, Interaction

    run = Run()
    book = Book.open(str(db))
    try:
        with book.read() as s:
            run.values["accounts"] = s.execute(select(func.count(Account.id))).scalar_one()
        with book.read() as s:
            run.values["interactions"] = s.execute(select(func.count(Interaction.id))).scalar_one()
        account = ""
        try:
            account, entries = grow_timeline(book, as_of)
            run.values["timeline_account"] = account
            run.values["timeline_entries"] = entries
        except Exception as exc:
            run.fail("grow_timeline", exc)
        book.sync(as_of)  # the re-plan grow_timeline asked for, outside the timings
        run.values["rss_before_app_mib"] = rss_mib()
        asyncio.run(drive(book, as_of, run, repeat, slow, account))
        # Before the direct timings below, which hold a whole book of their own.
        run.values["peak_rss_end_mib"] = rss_mib()
        gc.collect()
        gc.freeze()  # what the app left behind is not the queries' garbage to scan
        direct_timings(book, as_of, account, slow, run)
    finally:
        book.close()
    return {"values": run.values, "samples": run.samples, "errors": run.errors}
