"""Several writers at once: scripts running `bookkeeper log` while the app is open.

Real processes, started together against one book: no "database is locked" reaches
anyone, no line is lost or doubled, and the open app shows what another process wrote.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.demo import build_demo
from bookkeeper_tui.widgets.vtable import VTable
from tests.conftest import TODAY, settle

PROCESSES = 3
#: Quick logs per writer. On SQLite a line is cheap (the 600 took 9 s of a 2-core suite
#: run) and its contention is the file lock ("database is locked" was the bug): 200 each.
#: On PostgreSQL every write queues on the one advisory write lock (store/pg.py), so each
#: further line is one more round of the same three-way queue, at ~8x the cost (the 600
#: took 70 s): 50 each keep the three writing into one another's saves for the whole run
#: (the test checks that they overlapped) in a quarter of the time.
LINES = {"sqlite": 200, "postgresql": 50}
#: Hang guard only (the processes usually finish in a few seconds; generous so that a
#: machine busy with other work slows the test down instead of failing it).
WAIT_S = 600
LOG = [sys.executable, "-m", "bookkeeper_tui", "log"]
ACCOUNTS = ["Acme Corp", "Globex Ltd", "Initech", "Umbrella Health", "Stark Industries"]

# Each test runs on an SQLite file and on a PostgreSQL database (conftest.py).
pytestmark = pytest.mark.both_backends

#: One writer: waits for the start signal, then logs LINES lines through the public CLI.
WRITER = """
import os, sys, time
from bookkeeper_tui.cli import main
db, who, n, ready, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
accounts = sys.argv[6].split("|")
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
for i in range(n):
    if i == n - 1:
        last = time.time()
    line = f'{accounts[i % len(accounts)]} call "w{who} line {i} {sys.argv[7]}"'
    code = main(["log", "--db", db, "--as-of", "2026-11-24", line])
    if code != 0:
        print(f"writer {who}: line {i} exit {code}", file=sys.stderr)
        sys.exit(code)
    if i == 0:
        first = time.time()
print(f"writing from {first!r} to {last!r}")
"""


def _book(db: str) -> str:
    b = Book.open(db)
    try:
        build_demo(b, accounts=len(ACCOUNTS), seed=7, as_of=TODAY)
    finally:
        b.close()
    return db


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("BOOKKEEPER_DB", None)
    env["BOOKKEEPER_CONFIG"] = str(tmp_path / "no-config.toml")
    return env


# Both backends' runs on one xdist worker, one after the other: side by side they would be
# six writers (and a server) on two cores, and SQLite's busy wait sleeps while the writer
# holding the lock is descheduled (the [sqlite] run took 46 s in a loaded suite run,
# 5 s alone).
@pytest.mark.xdist_group("writers")
def test_processes_logging_at_once_lose_nothing(tmp_path, db, backend):
    """PROCESSES x LINES quick logs written at the same time: each one there exactly once.

    The writers really wrote at once: there was a moment when each had saved its first
    line and not yet begun its last one."""
    db = _book(db)
    lines = LINES[backend]
    run = uuid.uuid4().hex[:12]
    go = tmp_path / "go"
    procs = []
    for who in range(PROCESSES):
        ready = tmp_path / f"ready-{who}"
        argv = [sys.executable, "-c", WRITER, str(db), str(who), str(lines), str(ready), str(go)]
        procs.append(
            subprocess.Popen(
                [*argv, "|".join(ACCOUNTS), run],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=_env(tmp_path),
                text=True,
            )
        )
    deadline = time.monotonic() + WAIT_S
    while not all((tmp_path / f"ready-{w}").exists() for w in range(PROCESSES)):
        assert time.monotonic() < deadline, "the writers never started"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.01)
    go.touch()  # all of them at once
    results = [p.communicate(timeout=WAIT_S) for p in procs]
    spans = []
    for p, (out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
        assert "locked" not in err.lower() and "error" not in err.lower(), err
        assert err.strip() == ""
        assert out.count("Saved call with") == lines  # every line was confirmed
        span = re.search(r"writing from (\S+) to (\S+)", out)
        spans.append((float(span[1]), float(span[2])))
    assert max(first for first, _ in spans) < min(last for _, last in spans), spans
    b = Book.open(db)
    try:
        with b.read() as s:
            rows = s.execute(
                text(
                    "SELECT summary, COUNT(*) FROM interaction WHERE summary LIKE :p "
                    "GROUP BY summary"
                ),
                {"p": f"% {run}"},
            ).all()
            if b.engine.dialect.name == "sqlite":
                assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        b.close()
    counts = dict(rows)
    expected = {f"w{w} line {i} {run}" for w in range(PROCESSES) for i in range(lines)}
    assert set(counts) == expected  # none lost
    assert set(counts.values()) == {1}  # none doubled


async def test_the_open_app_shows_a_line_another_process_logged(db, make_app, tmp_path):
    """`bookkeeper log` in a separate process: the open account screen shows the line
    within a few seconds, without a key press (the app watches the book's data version;
    on PostgreSQL, the change counter every write bumps)."""
    summary = f"from another process {uuid.uuid4().hex[:8]}"
    demo_book = Book.open(_book(db))
    app = make_app(demo_book, poll_seconds=0.2, daily_backup=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_account("Acme Corp")
        # The account loads in a thread (a Future, not a worker settle() waits for) and
        # a slow load shows the screen before its data: wait for the data itself.
        deadline = time.monotonic() + WAIT_S

        def loaded() -> bool:
            screen = app.screen
            if type(screen).__name__ != "AccountScreen" or screen.loading is not None:
                return False
            return screen.query_one("#account-timeline", VTable).row_count > 0

        while not loaded():
            assert time.monotonic() < deadline, "the account never loaded"
            await pilot.pause(0.05)
        await settle(pilot)
        table = app.screen.query_one("#account-timeline", VTable)
        before = table.row_count

        def shown() -> bool:
            cells = (table.get_row_at(i) for i in range(table.row_count))
            return any(summary in str(getattr(c, "plain", c)) for row in cells for c in row)

        assert not shown()
        line = f'Acme Corp call "{summary}"'
        done = subprocess.run(
            [*LOG, "--db", db, "--as-of", TODAY.isoformat(), line],
            capture_output=True,
            text=True,
            env=_env(tmp_path),
            timeout=WAIT_S,
        )
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 60  # a hang guard, not a timing assertion
        while not shown() and time.monotonic() < deadline:
            await pilot.pause(0.1)
            await settle(pilot)
        assert shown()
        assert table.row_count == before + 1
    demo_book.close()


#: Opens (and so creates) the book once the start file appears.
OPENER = """
import os, sys, time
from bookkeeper_tui.store.book import Book
db, ready, go = sys.argv[1], sys.argv[2], sys.argv[3]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
Book.open(db).close()
print("opened")
"""


def test_processes_creating_the_same_new_book_at_once_all_succeed(tmp_path, backend, request):
    """The first run of two scripts at once: both create the book; neither may fail."""
    if backend == "postgresql":
        db = request.getfixturevalue("pg_db")
    else:
        db = tmp_path / "new" / "book.db"
        db.parent.mkdir()
    go = tmp_path / "go"
    procs = []
    for i in range(4):
        ready = tmp_path / f"ready{i}"
        procs.append(
            (
                ready,
                subprocess.Popen(
                    [sys.executable, "-c", OPENER, str(db), str(ready), str(go)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=_env(tmp_path),
                ),
            )
        )
    deadline = time.monotonic() + WAIT_S
    while not all(r.exists() for r, _ in procs):
        assert time.monotonic() < deadline, "the openers never started"
        assert all(p.poll() is None for _, p in procs), [p.communicate() for _, p in procs]
        time.sleep(0.01)
    go.touch()
    for _, p in procs:
        out, err = p.communicate(timeout=WAIT_S)
        assert p.returncode == 0 and out.strip() == "opened", err
    b = Book.open(str(db))
    try:
        assert b.is_empty()
    finally:
        b.close()
