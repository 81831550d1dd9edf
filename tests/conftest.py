"""Shared fixtures: a fresh book on disk, a fixed 'today', and an in-process CLI runner."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import date

import pytest

from bookkeeper_tui.cli import main
from bookkeeper_tui.store.book import Book

TODAY = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path, monkeypatch):
    """No test reads the developer's own config file or default book."""
    monkeypatch.setenv("BOOKKEEPER_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("BOOKKEEPER_DB", raising=False)
    monkeypatch.delenv("BOOKKEEPER_DEBUG", raising=False)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "book.db"


@pytest.fixture
def book(db_path):
    b = Book.open(str(db_path))
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
def cli(db_path, capsys):
    """Run `bookkeeper ARGS --db <tmp book>` in-process and capture what it printed."""

    def run(*args: str) -> Result:
        code = main([*args, "--db", str(db_path)])
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


async def settle(pilot, rounds: int = 30) -> None:
    """Wait until every worker (database loads, saves) has finished and the UI caught up."""
    from textual.worker import WorkerCancelled, WorkerFailed

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
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await w.wait()
    await pilot.pause()
