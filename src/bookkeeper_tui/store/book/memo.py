"""Results remembered until the book changes: one computation per question and stamp.

A *stamp* says what a result was computed from (the book's ``data_version`` and the
config): a remembered result is only given back for an equal stamp, so a commit by this
process or another connection, or another config, makes it be computed again; never
stale. A caller asking while the same question is being computed for the same stamp
waits for that computation instead of racing it (the screen, while the app computes the
desk ahead). Results are handed out as they are, not copied: remember only frozen values.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

V = TypeVar("V")


class Memo(Generic[V]):
    """Up to *size* results, each under its question (a hashable key) and stamp."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        #: key -> (stamp, result)
        self._done: dict[Hashable, tuple[object, V]] = {}
        #: key -> (stamp, the computation under way)
        self._running: dict[Hashable, tuple[object, Future]] = {}

    def clear(self) -> None:
        """Forget every remembered result (a computation under way still finishes)."""
        with self._lock:
            self._done.clear()

    def get(self, key: Hashable, stamp: object) -> V | None:
        """The result remembered for *key* at *stamp*, or None; never computes."""
        with self._lock:
            hit = self._done.get(key)
        return hit[1] if hit is not None and hit[0] == stamp else None

    def get_or_compute(self, key: Hashable, stamp: object, compute: Callable[[], V]) -> V:
        """The remembered result, the one being computed, or ``compute()`` remembered."""
        with self._lock:
            hit = self._done.get(key)
            if hit is not None and hit[0] == stamp:
                return hit[1]
            running = self._running.get(key)
            mine = running is None or running[0] != stamp
            if mine:
                future: Future = Future()
                self._running[key] = (stamp, future)
            else:
                future = running[1]  # type: ignore[index]
        if not mine:
            return future.result()
        try:
            result = compute()
        except BaseException as exc:
            future.set_exception(exc)
            self._finish(key, future)
            raise
        self._finish(key, future, (stamp, result))
        future.set_result(result)
        return result

    def _finish(self, key: Hashable, future: Future, done: tuple | None = None) -> None:
        with self._lock:
            if done is not None:
                if len(self._done) >= self._size and key not in self._done:
                    self._done.clear()
                self._done[key] = done
            if self._running.get(key, (None, None))[1] is future:
                del self._running[key]
