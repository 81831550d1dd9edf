"""Reading independent queries on two connections at once (the KPI panel's).

The database runs a query without holding Python's global lock, so two connections
reading at once keep two cores busy while one would wait on each query in turn. Each
connection reads its own snapshot: callers keep the result only when the book's change
counter shows that nothing was committed meanwhile, and otherwise read on one
connection (:meth:`KpiMixin._compute_kpi`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.engine import Connection, Engine

#: A lane: named reads run one after the other on one connection.
Lane = Mapping[str, Callable[[Connection], Any]]


def run_here(conn: Connection, lanes: list[Lane]) -> dict[str, Any]:
    """Every lane's reads on *conn*, one after the other (one snapshot)."""
    return {name: read(conn) for lane in lanes for name, read in lane.items()}


def run_at_once(conn: Connection, engine: Engine, lanes: list[Lane]) -> dict[str, Any]:
    """The first lane on *conn*, each other lane at the same time on a connection of
    its own from *engine*; every read's result by name."""

    def run(lane: Lane) -> dict[str, Any]:
        with engine.connect() as own:
            return {name: read(own) for name, read in lane.items()}

    with ThreadPoolExecutor(max_workers=max(1, len(lanes) - 1)) as pool:
        others = [pool.submit(run, lane) for lane in lanes[1:]]
        got = {name: read(conn) for name, read in lanes[0].items()}
        for future in others:
            got.update(future.result())
    return got
