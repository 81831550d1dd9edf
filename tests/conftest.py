"""Shared fixtures: a fresh book on disk, a fixed 'today', and an in-process CLI runner."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date

import pytest

from bookkeeper_tui.cli import main
from bookkeeper_tui.store.book import Book

TODAY = date(2026, 11, 24)

# Textual's Pilot waits for the app to go idle (textual._wait.wait_for_idle) in sleeps of
# SLEEP_GRANULARITY, 20 ms: at least two per key pressed and one per pause, so a test
# typing a 60-key quick log slept 2.4 s. The same test of idleness (under 1/20 of the time
# on the CPU) over 5 ms windows: the key-typing app tests take half the time. The Pilot
# still waits for every message already queued (its _wait_for_screen); settle() below
# waits for the workers themselves. If a Textual release drops these names, nothing
# changes but the speed.
try:
    from textual import _wait as _textual_wait
except ImportError:  # pragma: no cover - a Textual without the private module
    _textual_wait = None
if _textual_wait is not None and hasattr(_textual_wait, "SLEEP_GRANULARITY"):
    _textual_wait.SLEEP_GRANULARITY = 0.005
    _textual_wait.SLEEP_IDLE = _textual_wait.SLEEP_GRANULARITY / 20


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path, monkeypatch):
    """No test reads the developer's own config file or default book."""
    monkeypatch.setenv("BOOKKEEPER_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("BOOKKEEPER_DB", raising=False)
    monkeypatch.delenv("BOOKKEEPER_DEBUG", raising=False)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "book.db"


# -- both backends ---------------------------------------------------------------------
# A module (or test) marked ``both_backends`` runs each test that uses ``db``/``book``/
# ``cli`` twice: on an SQLite file and on a fresh database of a real PostgreSQL server
# (tests/pgserver.py starts one for the session). Outside CI, the PostgreSQL cases are
# skipped with the reason when no server can be started; in CI (CI=true) that fails.
def pytest_configure(config):
    config.addinivalue_line(
        "markers", "both_backends: run on SQLite and on PostgreSQL (tests/pgserver.py)"
    )
    config.addinivalue_line("markers", "sqlite_only: about the SQLite file itself")
    # pytest-xdist's own marker, declared for runs without it (`-p no:xdist`).
    config.addinivalue_line("markers", "xdist_group(name): run on one xdist worker together")


def pytest_generate_tests(metafunc):
    marked = metafunc.definition.get_closest_marker
    if "backend" in metafunc.fixturenames and marked("both_backends") and not marked("sqlite_only"):
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(scope="session")
def pg_server():
    from tests import pgserver

    server = pgserver.from_env()
    if server is not None:
        yield server
        return
    try:
        server = pgserver.start()
    except pgserver.ServerUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests, but {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    yield server
    server.stop()


@pytest.fixture
def backend(request):
    return getattr(request, "param", "sqlite")


@pytest.fixture
def pg_db(request):
    """A fresh, empty PostgreSQL database (its URL); dropped after the test."""
    server = request.getfixturevalue("pg_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture
def db(backend, request):
    """The book's location for this backend: an SQLite file path or a PostgreSQL URL."""
    if backend == "postgresql":
        return request.getfixturevalue("pg_db")
    return str(request.getfixturevalue("db_path"))


@pytest.fixture
def book(db):
    b = Book.open(db)
    yield b
    b.close()


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def cli(db, capsys):
    """Run `bookkeeper ARGS --db <tmp book>` in-process and capture what it printed."""

    def run(*args: str) -> Result:
        code = main([*args, "--db", db])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


# -- the terminal app ------------------------------------------------------------------
@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """A 40-account demo book at TODAY, built once per test session (then copied)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    from bookkeeper_tui.store.demo import build_demo

    b = Book.open(str(path))
    build_demo(b, accounts=40, seed=7, as_of=TODAY)
    b.close()
    return path


@pytest.fixture
def demo_book(demo_template, tmp_path):
    """A private copy of the demo book (tests may write to it)."""
    import sqlite3

    target = tmp_path / "demo.db"
    src = sqlite3.connect(demo_template)
    dst = sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    b = Book.open(str(target))
    yield b
    b.close()


@pytest.fixture
def make_app():
    """Build the app on a book with the clock fixed at TODAY."""
    from bookkeeper_tui.app import BookkeeperApp

    def make(book: Book, **kwargs):
        return BookkeeperApp(book, today=lambda: TODAY, **kwargs)

    return make


async def settle(pilot, rounds: int = 30, allow_failures: bool = False) -> None:
    """Wait until every worker (database loads, saves) has finished and the UI caught up.

    A worker that failed fails the test (issue 15: a load that raised used to pass
    unnoticed); a test about a failure on purpose passes ``allow_failures=True``.
    """
    from textual.worker import WorkerCancelled, WorkerFailed

    failures: list[str] = []
    for _ in range(rounds):
        await pilot.pause()
        # A DirectoryTree keeps one loader worker alive for its whole life: not ours to await.
        pending = [
            w
            for w in pilot.app.workers
            if not w.is_finished and type(w.node).__name__ not in ("DirectoryTree", "CsvTree")
        ]
        if not pending:
            break
        for w in pending:
            try:
                await w.wait()
            except WorkerCancelled:
                pass
            except WorkerFailed as exc:
                failures.append(f"{w.name or w!r}: {exc.error!r}")
    await pilot.pause()
    if failures and not allow_failures:
        raise AssertionError("a worker failed: " + "; ".join(failures))
