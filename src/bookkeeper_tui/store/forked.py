"""Today's start-up read (:mod:`bookkeeper_tui.store.fast`) in a child process.

In a thread, the read shares the interpreter lock with the main thread, which is busy
importing Textual meanwhile: only SQLite's own work runs beside it, and turning ~4,000
rows into Python objects (on a 10,000-account book, tens of milliseconds) is added to the
import's time. A child forked before the import runs the whole read on another core; the
rows come back as one ``marshal`` blob through a pipe (a few milliseconds to read).

Forking is only done where it is safe and cheap: on a POSIX system, for a book file, in a
process that runs no other thread yet (the command line at launch). Anything else, and a
child that fails, exits early or takes too long, leaves the answer to the thread of
:class:`~bookkeeper_tui.store.fast.TodayPrefetch` or to the full open, as before: the
child only answers when :func:`~bookkeeper_tui.store.fast.read_today` does.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import select
import signal
import threading
import time
from datetime import date
from typing import TYPE_CHECKING

from bookkeeper_tui.store.location import is_url

try:
    import fcntl
except ImportError:  # not POSIX: no fork either (start_today_prefetch)
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from bookkeeper_tui.store.fast import TodayPrefetch
    from bookkeeper_tui.store.rows import TodayRow

#: What the child sends: a marker, then the rows as tuples (the due date as an ordinal).
_ROWS, _NONE = "rows", "none"


def start_today_prefetch(
    location: str, as_of: date, ahead_days: int
) -> ForkedTodayPrefetch | TodayPrefetch:
    """The start-up read of Today's rows, already running: in a child process when that is
    safe (see the module doc), else in a thread."""
    if hasattr(os, "fork") and not is_url(location) and threading.active_count() == 1:
        try:
            return ForkedTodayPrefetch(location, as_of, ahead_days)
        except OSError:  # no more processes or pipes: the thread does the same
            pass
    from bookkeeper_tui.store.fast import TodayPrefetch

    return TodayPrefetch(location, as_of, ahead_days)


def encode_rows(rows: list[TodayRow] | None) -> bytes:
    """The rows as one ``marshal`` blob. Equal values are sent as one object (``marshal``
    refers back to an object it has written): a few kinds, tiers, bands, notes and owners,
    one name per account, instead of one copy per row to build on the other side."""
    if rows is None:
        return marshal.dumps((_NONE, None))
    one = {}.setdefault
    return marshal.dumps(
        (
            _ROWS,
            [
                (
                    r.touchpoint_id,
                    r.account_id,
                    one(r.account, r.account),
                    one(r.kind, r.kind),
                    r.due.toordinal(),
                    r.days_overdue,
                    one(r.tier, r.tier),
                    r.health,
                    one(r.band, r.band),
                    one(r.note, r.note),
                    one(r.origin, r.origin),
                    one(r.owner, r.owner),
                )
                for r in rows
            ],
        )
    )


def decode_rows(data: bytes) -> list[TodayRow] | None:
    from bookkeeper_tui.store.rows import TodayRow

    kind, rows = marshal.loads(data)
    if kind != _ROWS:
        return None
    days = {due: date.fromordinal(due) for due in {row[4] for row in rows}}
    return [
        TodayRow(tid, aid, name, kind_, days[due], overdue, tier, health, band, note, origin, own)
        for tid, aid, name, kind_, due, overdue, tier, health, band, note, origin, own in rows
    ]


class ForkedTodayPrefetch:
    """:func:`~bookkeeper_tui.store.fast.read_today` in a forked child; ``result()`` waits
    for its rows (None when the file cannot answer alone, or on any failure)."""

    def __init__(self, location: str, as_of: date, ahead_days: int) -> None:
        self.location = location
        self.as_of = as_of
        self.ahead_days = ahead_days
        self.rows: list[TodayRow] | None = None
        #: The child's failure, for the caller's message (only a thread's error has a type).
        self.error: Exception | None = None
        self._done = False
        read_end, write_end = os.pipe()
        _roomy(write_end)
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            raise
        if pid == 0:  # the child: read, send, and leave without running the parent's code
            code = 1
            try:
                os.close(read_end)
                _quiet()
                from bookkeeper_tui.store import fast

                data = encode_rows(fast.read_today(location, as_of, ahead_days))
                view = memoryview(data)
                while view:
                    view = view[os.write(write_end, view) :]
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        self._pid = pid
        self._read_end = read_end

    def result(self, timeout: float | None = None) -> list[TodayRow] | None:
        """The rows, waiting up to *timeout* seconds for the child; None if it has none."""
        if self._done:
            return self.rows
        self._done = True
        deadline = None if timeout is None else time.monotonic() + timeout
        chunks: list[bytes] = []
        complete = False
        try:
            while True:
                wait = None if deadline is None else max(0.0, deadline - time.monotonic())
                ready, _, _ = select.select([self._read_end], [], [], wait)
                if not ready:
                    break  # too slow: the full open answers instead
                chunk = os.read(self._read_end, 1 << 20)
                if not chunk:
                    complete = True
                    break
                chunks.append(chunk)
        except OSError as exc:
            self.error = exc
        finally:
            os.close(self._read_end)
        if not complete:
            _end(self._pid, kill=True)
            return None
        status = _end(self._pid, kill=False)
        if status != 0:
            self.error = RuntimeError(f"the start-up read ended with status {status}")
            return None
        try:
            self.rows = decode_rows(b"".join(chunks))
        except (EOFError, ValueError, TypeError) as exc:  # a cut or garbled message
            self.error = exc
            self.rows = None
        return self.rows


#: Room in the pipe for the rows of a big book (Linux): the child writes them all and ends
#: without waiting for the parent, which then reads them at once (64 KiB at a time, each
#: waiting for the child to be scheduled, took up to ~10 ms more).
PIPE_BYTES = 1 << 20


def _roomy(fd: int) -> None:
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if set_size is not None:
        with contextlib.suppress(OSError):  # above the system's limit: the default room
            fcntl.fcntl(fd, set_size, PIPE_BYTES)


def _quiet() -> None:
    """In the child: nothing it might print (a warning) reaches the user's terminal."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def _end(pid: int, kill: bool) -> int:
    """Reap the child (killed first when *kill*); its exit status (-1 if unknown)."""
    if kill:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return -1
    return os.waitstatus_to_exitcode(status)
