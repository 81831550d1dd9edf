"""Start-up: Today's rows read in a forked child process (store/forked.py).

The child gives exactly the rows of the full path; every way it can fail (an error, a
book it cannot answer for, a child that hangs) is a plain fallback, never a crash or a
process left behind; and ``bookkeeper`` alone reads in a child, not in a thread that
shares the interpreter lock with the import of the app.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from bookkeeper_tui.store import fast
from bookkeeper_tui.store.fast import TODAY_AHEAD_DAYS, TodayPrefetch
from bookkeeper_tui.store.forked import (
    ForkedTodayPrefetch,
    decode_rows,
    encode_rows,
    start_today_prefetch,
)
from tests.conftest import TODAY

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork only")

WAIT_S = 60


def reaped(prefetch: ForkedTodayPrefetch) -> bool:
    """The child has ended and was waited for (no zombie, nothing left running)."""
    try:
        os.waitpid(prefetch._pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_the_child_gives_exactly_the_rows_of_the_full_path(demo_book):
    demo_book.sync(TODAY)
    expected = demo_book.today(TODAY, ahead_days=TODAY_AHEAD_DAYS)
    prefetch = ForkedTodayPrefetch(demo_book.location, TODAY, TODAY_AHEAD_DAYS)
    got = prefetch.result(timeout=WAIT_S)
    assert got is not None and len(got) == len(expected) > 5
    assert got == expected  # every field, in the same order
    assert [r.owner for r in got] == [r.owner for r in expected]  # (not compared by ==)
    assert prefetch.result(timeout=0) is got  # asked again: the same answer
    assert prefetch.error is None and reaped(prefetch)


def test_rows_survive_the_trip_through_the_pipe_exactly(demo_book):
    demo_book.sync(TODAY)
    rows = demo_book.today(TODAY, ahead_days=TODAY_AHEAD_DAYS)
    back = decode_rows(encode_rows(rows))
    assert back == rows and [r.owner for r in back] == [r.owner for r in rows]
    assert decode_rows(encode_rows(None)) is None
    assert decode_rows(encode_rows([])) == []


def test_a_book_the_file_cannot_answer_for_is_a_fallback(demo_book, tmp_path):
    demo_book.sync(TODAY)
    # A new day: the book must be planned first (the full open does it).
    later = ForkedTodayPrefetch(demo_book.location, TODAY.replace(year=TODAY.year + 1), 7)
    assert later.result(timeout=WAIT_S) is None and later.error is None
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    damaged = ForkedTodayPrefetch(str(junk), TODAY, 7)
    assert damaged.result(timeout=WAIT_S) is None  # the child failed: a fallback
    assert damaged.error is not None
    missing = ForkedTodayPrefetch(str(tmp_path / "missing.db"), TODAY, 7)
    assert missing.result(timeout=WAIT_S) is None
    assert all(reaped(p) for p in (later, damaged, missing))


def test_a_child_that_hangs_is_stopped_after_the_wait(demo_book, monkeypatch):
    monkeypatch.setattr(fast, "read_today", lambda *_a: time.sleep(WAIT_S))
    prefetch = ForkedTodayPrefetch(demo_book.location, TODAY, 7)
    started = time.monotonic()
    assert prefetch.result(timeout=0.2) is None
    assert time.monotonic() - started < WAIT_S / 2
    assert reaped(prefetch)  # killed and waited for, not left running


def test_threads_and_servers_keep_the_thread(demo_book):
    # A server book is read with psycopg in a thread (test_pg.py); any process already
    # running threads (here: the test runner may) is not forked.
    assert isinstance(start_today_prefetch("postgresql://me@db/book", TODAY, 7), TodayPrefetch)


def _run(code: str, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "BOOKKEEPER_CONFIG": str(tmp_path / "config.toml")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=WAIT_S,
    )


def test_bookkeeper_alone_reads_today_in_a_child_process(demo_book, tmp_path):
    demo_book.sync(TODAY)
    path = demo_book.location
    demo_book.close()
    code = f"""
        import dataclasses, json, os
        from datetime import date
        import bookkeeper_tui.app as app
        import bookkeeper_tui.store.fast as fast
        from bookkeeper_tui.cli import main

        real = fast.read_today
        def read(loc, as_of, ahead):  # (on the test's day, in whichever process reads)
            rows = real(loc, date.fromisoformat({TODAY.isoformat()!r}), ahead)
            return [dataclasses.replace(r, note=str(os.getpid())) for r in rows]
        fast.read_today = read
        app.run_prefetched = lambda location, config, rows: print(
            json.dumps([len(rows), rows[0].note, os.getpid()])) or 0
        assert main(["--db", {path!r}]) == 0
        try:
            os.waitpid(-1, os.WNOHANG)
            print("a child is left")
        except ChildProcessError:
            pass
    """
    out = _run(code, tmp_path)
    assert out.returncode == 0, out.stderr
    n, reader, me = json.loads(out.stdout.splitlines()[0])
    assert n > 5 and int(reader) != me  # read by another process
    assert "a child is left" not in out.stdout


def test_a_bad_config_while_the_child_reads_says_so_and_leaves_no_child(demo_book, tmp_path):
    demo_book.sync(TODAY)
    path = demo_book.location
    demo_book.close()
    (tmp_path / "config.toml").write_text("this is = = not toml\n")
    code = f"""
        import os, sys
        import bookkeeper_tui.store.fast as fast
        from bookkeeper_tui.cli import main

        real = fast.read_today
        fast.read_today = lambda loc, as_of, ahead: __import__("time").sleep(30)
        code = main(["--db", {path!r}])
        try:
            os.waitpid(-1, os.WNOHANG)
            print("a child is left")
        except ChildProcessError:
            pass
        sys.exit(code)
    """
    started = time.monotonic()
    out = _run(code, tmp_path)
    assert out.returncode == 2, out.stderr
    assert "config" in out.stderr.lower()
    assert "a child is left" not in out.stdout
    assert time.monotonic() - started < 25  # the hanging child was stopped, not waited for
