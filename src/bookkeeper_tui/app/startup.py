"""What the app owns for its start-up and its pauses: the background open of the book,
and the garbage collector's timing.

:class:`BookOpener` is the one thread the app starts itself. It cannot be a Textual
worker: thread workers share one small executor, and the screens' loads in it wait for
the book, so an open queued behind them would never run. It starts once, and the app
joins it when it closes the book.

:class:`IdleCollector` keeps Python's cyclic garbage collector on (it is never switched
off for the whole process) and keeps its work out of a keystroke: what lives long (the imported
modules, the composed screens, the book's state) is frozen out of its reach
(``gc.freeze``), so an automatic collection walks only what is new; a full collection
runs while the user pauses.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bookkeeper_tui.store.book import Book

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

    def close(self, wait_s: float = 1.0) -> None:
        """Close the book (the app has ended), waiting up to *wait_s* for an open under way;
        one that takes longer closes its book when it arrives."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(wait_s)
        with self._lock:
            self._closed = True
            book = self.book
        if book is not None:
            book.close()


class IdleCollector:
    """Runs the cyclic garbage collector's costly work while the user pauses."""

    def __init__(self) -> None:
        #: Collections run in pauses (tests read it).
        self.collections = 0
        self._full_this_pause = False
        self._frozen_at_full = 0
        self._started = False
        self._thresholds: tuple[int, int, int] | None = None

    def start(self) -> None:
        """Freeze what start-up built (the imported modules, the app); collect the young
        generation less often (GC_YOUNG_THRESHOLD)."""
        self._started = True
        self._thresholds = gc.get_threshold()
        gc.set_threshold(max(GC_YOUNG_THRESHOLD, self._thresholds[0]), *self._thresholds[1:])
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
        if not self._started or quiet_s < GC_IDLE_S:
            return False
        away = quiet_s >= GC_FULL_IDLE_S and not self._full_this_pause
        if away or gc.get_freeze_count() - self._frozen_at_full >= GC_MAX_FROZEN:
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
