"""What the app owns for its start-up and its pauses: the background open of the book,
and the garbage collector's timing.

:class:`BookOpener` owns the threads the app starts itself. The open cannot be a Textual
worker: thread workers share one small executor, and the screens' loads in it wait for
the book, so an open queued behind them would never run. It starts once, and the app
joins it when it closes the book. :meth:`BookOpener.submit` runs what must start before
its screen exists (the account screen's early load) at once, in one serving thread: a
Textual worker starts a loop turn later and its thread when the interpreter next switches
threads (8-12 ms later, measured on the 10k book).

:class:`IdleCollector` keeps Python's cyclic garbage collector on (it is never switched
off for the whole process) and keeps its work out of a keystroke: what lives long (the imported
modules, the composed screens, the book's state) is frozen out of its reach
(``gc.freeze``), so an automatic collection walks only what is new; a full collection
runs while the user pauses.
"""

from __future__ import annotations

import gc
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from bookkeeper_tui.store.book import Book

T = TypeVar("T")

#: How long :meth:`BookOpener.submit` waits for its serving thread to take the work (it
#: takes it at once unless earlier work keeps it busy).
HANDOVER_S = 0.002
#: Seconds without a key or click before the young objects are collected (and the
#: survivors frozen): a few milliseconds even beside a 10,000-account book.
GC_IDLE_S = 1.0
#: ... once at least this many new objects are tracked, or some survived a collection.
GC_MIN_PENDING = 500
#: A full collection (unfreeze, collect, freeze: 60-120 ms beside a 10k book, a key
#: pressed meanwhile would wait) needs a longer pause ...
GC_FULL_IDLE_S = 10.0
#: The young generation's threshold while the app runs (Python's default is 700): a bulk
#: computation (the KPI panel, the Book's 10,000 rows) then triggers a collection every
#: 50,000 new objects (a millisecond or two each), not every 700.
GC_YOUNG_THRESHOLD = 50_000
#: ... or runs at the next short one once this many objects were frozen since the last
#: (closed screens' cycles are found by it: memory stays bounded in long bursts of work).
GC_MAX_FROZEN = 1_000_000


class BookOpener:
    """Opens the book in a thread of its own, once; the app owns it and closes it (a book
    that arrives after :meth:`close`, on a slow server, is closed by the thread itself)."""

    def __init__(self, open_book: Callable[[], Book], failed: Callable[[BaseException], None]):
        """*open_book* runs in the thread; *failed* is called there with its error."""
        self._open_book = open_book
        self._failed = failed
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        #: Set when the open has finished, well or not.
        self.done = threading.Event()
        self.book: Book | None = None
        self.error: BaseException | None = None
        self._jobs: queue.SimpleQueue[
            tuple[Callable[[], object], Future, threading.Event] | None
        ] = queue.SimpleQueue()
        self._server: threading.Thread | None = None

    def start(self) -> None:
        """Start opening, unless it started already."""
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="open-book", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            book = self._open_book()
        except BaseException as exc:  # StoreError and the like: shown, then quit
            self.error = exc
            self.done.set()
            self._failed(exc)
            return
        with self._lock:
            self.book, closed = book, self._closed
        self.done.set()
        if closed:  # the app ended while the book was opening
            book.close()

    def submit(self, work: Callable[[], T]) -> Future[T]:
        """Run *work* at once in the serving thread (started by the first call), after the
        work submitted before it; its result or error comes in the future."""
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                future.set_exception(RuntimeError("the app has ended"))
                return future
            taken = threading.Event()
            self._jobs.put((work, future, taken))
            if self._server is None:
                self._server = threading.Thread(target=self._serve, name="early", daemon=True)
                self._server.start()
        # Hand over: the work starts now, not when the interpreter next switches threads
        # (5 ms later), as a thread's start() does; not if earlier work keeps it busy.
        taken.wait(HANDOVER_S)
        return future

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            work, future, taken = job
            taken.set()
            try:
                future.set_result(work())
            except BaseException as exc:  # the caller shows it like any load error
                future.set_exception(exc)

    def close(self, wait_s: float = 1.0) -> None:
        """Close the book (the app has ended), waiting up to *wait_s* for an open under way;
        one that takes longer closes its book when it arrives. The serving thread ends
        after the work it has (the book is closed after that work if it ends in time)."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(wait_s)
        with self._lock:
            self._closed = True
            server = self._server
        if server is not None:
            self._jobs.put(None)
            if server is not threading.current_thread():
                server.join(wait_s)
        with self._lock:
            book = self.book
        if book is not None:
            book.close()


class IdleCollector:
    """Runs the cyclic garbage collector's costly work while the user pauses."""

    def __init__(self) -> None:
        #: Collections run in pauses (tests read it).
        self.collections = 0
        self._full_this_pause = False
        self._counted_this_pause = False
        self._frozen_at_full = 0
        self._started = False
        self._thresholds: tuple[int, int, int] | None = None

    def start(self) -> None:
        """Freeze what start-up built (the imported modules, the app); collect the young
        generation less often (GC_YOUNG_THRESHOLD)."""
        self._started = True
        self._thresholds = gc.get_threshold()
        # (Higher until now when launched by the command line: cli.START_GC_YOUNG.)
        gc.set_threshold(GC_YOUNG_THRESHOLD, *self._thresholds[1:])
        gc.freeze()

    def stop(self) -> None:
        """Give everything back to the collector (the app has ended)."""
        if self._started:
            self._started = False
            gc.unfreeze()
            if self._thresholds is not None:
                gc.set_threshold(*self._thresholds)

    def tick(self, quiet_s: float) -> bool:
        """After *quiet_s* seconds without input: collect if it is worth it. True if it did."""
        if quiet_s < GC_FULL_IDLE_S:
            self._full_this_pause = False
        if quiet_s < GC_IDLE_S:
            self._counted_this_pause = False
        if not self._started or quiet_s < GC_IDLE_S:
            return False
        away = quiet_s >= GC_FULL_IDLE_S and not self._full_this_pause
        if away or self._frozen_grown():
            gc.unfreeze()
            gc.collect()  # everything: only when the user is away (or memory says so)
            gc.freeze()
            self._frozen_at_full = gc.get_freeze_count()
            self._full_this_pause = True
        elif gc.get_count()[0] >= GC_MIN_PENDING or gc.get_count()[1]:
            # New objects, or some survived a collection since the last pause (a screen's
            # data): collect the young generations, a few ms even beside a 10k book ...
            gc.collect(1)
            gc.freeze()  # ... and freeze the survivors: out of the automatic collections
        else:
            return False
        self.collections += 1
        return True

    def _frozen_grown(self) -> bool:
        """Has the frozen heap grown by GC_MAX_FROZEN since the last full collection? Asked
        once a pause: counting it walks every frozen object (tens of ms at 10,000
        accounts, on the UI thread)."""
        if self._counted_this_pause or self._full_this_pause:
            return False
        self._counted_this_pause = True
        return gc.get_freeze_count() - self._frozen_at_full >= GC_MAX_FROZEN
