"""Once the app says a line is saved, it is on disk: kill -9 and power cuts lose nothing.

The kill tests run the real program (the terminal app in a pseudo-terminal, the CLI in
a pipe), wait for its confirmation, SIGKILL it at once and reopen the book: the line
must be there exactly once. A kill cannot show what a power cut would lose (the OS
still holds the written pages), so the power-cut guarantee is pinned by the settings
that give it: WAL with ``synchronous=FULL`` on every connection the store opens.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.demo import build_demo
from bookkeeper_tui.store.engine import make_engine

#: Hang guards only: the tests wait for output, never for a time to pass.
WAIT_S = 60
LOG = [sys.executable, "-m", "bookkeeper_tui", "log"]

ESCAPES = re.compile(
    rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[P^_][^\x1b]*\x1b\\"
    rb"|[()][0-9A-Za-z]|.)"
)


def _small_book(path: Path) -> Path:
    """A small demo book brought up to the real today (what the app will open on)."""
    b = Book.open(str(path))
    try:
        build_demo(b, accounts=8, seed=7, as_of=date.today())
    finally:
        b.close()
    return path


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("BOOKKEEPER_DB", None)
    env.update(
        TERM="xterm-256color",
        BOOKKEEPER_CONFIG=str(tmp_path / "no-config.toml"),
        PYTHONUNBUFFERED="1",
    )
    return env


def _count(path: Path, summary: str) -> int:
    with sqlite3.connect(path) as c:
        return c.execute(
            "SELECT COUNT(*) FROM interaction WHERE summary = ?", (summary,)
        ).fetchone()[0]


# -- the power-cut guarantee ----------------------------------------------------------
def _pragmas(conn) -> tuple[str, int]:
    journal = conn.execute(text("PRAGMA journal_mode")).scalar()
    sync = conn.execute(text("PRAGMA synchronous")).scalar()
    return str(journal).lower(), int(sync)


def test_every_connection_is_wal_with_synchronous_full(db_path):
    """WAL + synchronous=FULL (2) on each pooled, write and thread connection: a commit
    the app confirmed is on the disk, not only in the OS cache, when the power goes."""
    b = Book.open(str(db_path))
    try:
        b.add_account("Acme Corp", "smb", date(2026, 1, 1), mrr=500)  # a real write first
        seen = []
        # Several connections open at once (the pool hands out distinct ones).
        with b.engine.connect() as c1, b.engine.connect() as c2, b._write_engine.connect() as c3:
            seen += [_pragmas(c1), _pragmas(c2), _pragmas(c3)]
        # The session a save runs in.
        with b.write() as s:
            seen.append(_pragmas(s.connection()))

        # A worker thread, as the app saves from one.
        def in_thread() -> None:
            with b.engine.connect() as c:
                seen.append(_pragmas(c))

        t = threading.Thread(target=in_thread)
        t.start()
        t.join()
        # After the pool is thrown away, new connections get the same settings.
        b.engine.dispose()
        with b.engine.connect() as c:
            seen.append(_pragmas(c))
    finally:
        b.close()
    # A second engine on the same existing file (another process's view).
    engine, _ = make_engine(str(db_path))
    try:
        with engine.connect() as c:
            seen.append(_pragmas(c))
    finally:
        engine.dispose()
    assert len(seen) == 7
    assert set(seen) == {("wal", 2)}, seen


# -- kill -9 right after the confirmation ---------------------------------------------
class Terminal:
    """The real app in a pseudo-terminal: keys in, screen text (escapes stripped) out."""

    def __init__(self, argv: list[str], env: dict[str, str], cols: int = 120, rows: int = 40):
        import fcntl
        import struct
        import termios

        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self._out = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO once the program is gone
                return
            if not data:
                return
            with self._lock:
                self._out.extend(data)

    def mark(self) -> int:
        with self._lock:
            return len(self._out)

    def screen_text(self, since: int = 0) -> str:
        with self._lock:
            raw = bytes(self._out[since:])
        return ESCAPES.sub(b"", raw).decode("utf-8", "replace")

    def wait_for(self, pattern: str, since: int = 0) -> None:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if re.search(pattern, self.screen_text(since)):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        tail = self.screen_text(since)[-2000:]
        raise AssertionError(f"never saw {pattern!r} (exit {self.proc.poll()}); screen:\n{tail}")

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=WAIT_S)
        os.close(self.master)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal (POSIX)")
def test_quick_log_confirmed_in_the_app_survives_kill_9(tmp_path):
    book = _small_book(tmp_path / "book.db")
    summary = f"kill test {uuid.uuid4().hex}"
    term = Terminal([sys.executable, "-m", "bookkeeper_tui", "--db", str(book)], _env(tmp_path))
    try:
        term.wait_for(r"Today")
        at = term.mark()
        term.type("l")
        term.wait_for(r"Type the account", at)  # the names are loaded: enter will save
        at = term.mark()
        term.type(f'Acme Corp call "{summary}"')
        term.wait_for(r"kind\s+call", at)
        at = term.mark()
        term.type("\r")
        term.wait_for(r"Saved call with Acme Corp", at)
        os.kill(term.proc.pid, signal.SIGKILL)  # the moment the user saw "Logged"
        assert term.proc.wait(timeout=WAIT_S) == -signal.SIGKILL
    finally:
        term.close()
    assert _count(book, summary) == 1
    b = Book.open(str(book))  # and the book opens normally afterwards
    try:
        timeline = b.show("Acme Corp", date.today()).timeline
        assert sum(getattr(e, "summary", None) == summary for e in timeline) == 1
    finally:
        b.close()


def test_cli_log_confirmed_survives_kill_9(tmp_path):
    book = _small_book(tmp_path / "book.db")
    env = _env(tmp_path)
    summaries = [f"cli kill test {n} {uuid.uuid4().hex}" for n in range(3)]
    for summary in summaries:
        proc = subprocess.Popen(
            [*LOG, "--db", str(book), f'Globex Ltd call "{summary}"'],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        try:
            first = proc.stdout.readline()
            os.kill(proc.pid, signal.SIGKILL)  # as soon as the confirmation is read
        finally:
            proc.wait(timeout=WAIT_S)
            proc.stdout.close()
            err = proc.stderr.read()
            proc.stderr.close()
        assert first.startswith("Saved call with Globex Ltd"), (first, err)
    for summary in summaries:
        assert _count(book, summary) == 1
    with sqlite3.connect(book) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
