"""Shared fixtures: a fresh book on disk, a fixed 'today', and an in-process CLI runner."""

from __future__ import annotations

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
