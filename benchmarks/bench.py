"""The 10,000-account performance benchmark: the real app, headless, timed action by action.

    .venv/bin/python benchmarks/bench.py [--json] [--db PATH] [--accounts 10000] [--repeat N]
        [--repeat-slow N] [--repeat-cli N] [--as-of DATE] [--force]

1. Builds a demo book with ``bookkeeper_tui.store.demo.build_demo`` (timed: ``demo_build_s``),
   or reuses ``--db PATH`` when it already holds ``--accounts`` accounts (a fresh build there
   records its time in ``PATH.bench.json``, reported again on reuse).
2. Copies the book to a temporary file, so the benchmark's writes never touch ``--db``, and
   gives one account ~2,000 timeline entries (interactions and scores, bulk inserts in one
   transaction).
3. In a child process (so its peak memory excludes the demo build), drives the real
   ``BookkeeperApp`` with ``App.run_test`` at 160x50 and times, with ``time.perf_counter``:

   * ``today_ready_ms``: app start until the Today table has rows (headless, in-process:
     no Python start-up, no terminal; ``benchmarks/startup.py`` times the real launch);
   * ``quicklog_*``: ``enter`` in the quick log (opened with ``enter`` on a Today row) until
     the Today screen is back and no longer lists the completed touchpoint;
   * ``paste_echo_ms``: a 200-character line pasted (a terminal's bracketed paste) into
     the empty quick log (``l``) until a frame shows the input holding all of it;
   * ``book_open_ms``: ``b`` until the Book table shows the accounts (a fresh Book screen);
   * ``filter_*``: one keystroke in the Book's ``/`` filter until the table is re-rendered;
   * ``timeline_open_ms``: ``app.open_account(name)`` until the account screen's timeline
     table holds all its rows (the account with ~2,000 entries);
   * ``kpi_computed_ms`` (also ``kpi_cold_ms``): ``k`` until the KPI cards show the
     12-month values (a fresh KPI screen), the book's remembered panels dropped first, so
     it is computed while the user waits; ``kpi_remembered_ms`` (also ``kpi_ms``) the same
     with the panel remembered (the app computes it ahead while the user pauses);
     ``kpi_compute_ms`` is ``book.kpi(as_of, "12m", fresh=True)`` alone, outside the app;
   * ``renewals_ms``: ``r`` until the Renewals screen lists the next 120 days' renewals (a
     fresh Renewals screen); ``renewals_query_ms`` is ``book.renewals(as_of, 120)`` alone;
   * ``peak_rss_mib``: the child's ``ru_maxrss`` (the app and this harness together) after
     a session that met every screen once: the quick logs, the timelines, the Book and its
     filter, the KPIs, the Renewals. The extra Book, KPI and Renewals samples come after it
     (each on a new screen, the old one collected first); ``peak_rss_end_mib`` is the peak
     once they are done.
   * ``*_query_ms``: ``book.today``, ``book.accounts``, ``book.show`` and ``book.kpi`` called
     directly after the app closed: how much of each action is the database and the model;
     ``review_s`` the monthly review (build and Markdown) the same way.

   Every "until" is the first frame the compositor paints with the result in it (the
   harness wraps the app's ``_display``); the timed keys are posted like a terminal's, not
   with ``Pilot.press``, whose idle waits alone take 40 ms or more.

4. Back in this process, once the child is done: ``cli_today_s`` (``bookkeeper today
   --json``) and ``cli_log_s`` (``bookkeeper log LINE``) on the same copy, wall seconds of
   whole processes, each the median of ``--repeat-cli`` rounds that also time
   ``python -c pass`` (``python_pass_s``), after one warm-up round.

``verdicts`` holds every Must of issue 16 as {"value", "must", "pass"}; the start-up ratio
and the app's own peak memory point at ``benchmarks/startup.py``, which gives them in the
same shape. The code lives in ``benchmarks/benchkit/``.

Prints one JSON object with ``--json``, a table otherwise. A measurement that fails is
reported as null with its error in ``errors``; the rest still run. Wall-clock numbers on a
shared 2-core machine are noisy: compare medians across several runs, not single samples.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from benchkit.book import copy_book, ensure_book
from benchkit.cli import time_cli
from benchkit.report import report, table
from benchkit.worker import worker

WORKER_TIMEOUT_S = 1800


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--db", type=Path, help="build or reuse the demo book here (kept)")
    p.add_argument("--accounts", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=20, help="quick logs, pastes, filter keys")
    p.add_argument("--repeat-slow", type=int, default=5, help="timeline, KPI and book opens")
    p.add_argument("--repeat-cli", type=int, default=5, help="rounds of command-line runs")
    p.add_argument("--as-of", type=date.fromisoformat, help="the book's today (default: its own)")
    p.add_argument("--force", action="store_true", help="replace a --db the bench did not build")
    p.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def run_child(work: Path, as_of: date, args, env: dict[str, str]) -> dict:
    """The app session and the direct queries, in a process of their own."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        str(work),
        "--as-of",
        as_of.isoformat(),
        "--repeat",
        str(args.repeat),
        "--repeat-slow",
        str(args.repeat_slow),
    ]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=WORKER_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        return {"errors": {"worker": f"no result within {WORKER_TIMEOUT_S} s"}}
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        return {"errors": {"worker": f"exit {proc.returncode}: " + " | ".join(tail)}}


def merge(child: dict, cli: dict) -> dict:
    """The command-line timings beside the child's."""
    out = {part: dict(child.get(part, {})) for part in ("values", "samples", "errors")}
    for part in out:
        out[part].update(cli.get(part, {}))
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.worker is not None:  # the child process
        json.dump(worker(args.worker, args.as_of, args.repeat, args.repeat_slow), sys.stdout)
        return 0

    def say(text: str) -> None:
        if not args.json:
            print(text, file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="bookkeeper-bench-") as tmp:
        db = args.db or Path(tmp) / "demo.db"
        say(f"book: {db} ({args.accounts} accounts) …")
        info = ensure_book(db, args.accounts, args.as_of, force=args.force)
        work = Path(tmp) / "work.db"
        copy_book(db, work)
        env = dict(os.environ, BOOKKEEPER_CONFIG=str(Path(tmp) / "no-config.toml"))
        env.pop("BOOKKEEPER_DB", None)
        say("driving the app …")
        child = run_child(work, info["as_of"], args, env)
        say("timing the command line …")
        cli = time_cli(work, info["as_of"], args.repeat_cli, env)
    out = report(info, merge(child, cli), args)
    print(json.dumps(out, indent=2) if args.json else table(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
