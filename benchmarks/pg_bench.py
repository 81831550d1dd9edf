"""Team mode on PostgreSQL against the same book in an SQLite file, measured in one run.

    .venv/bin/python benchmarks/pg_bench.py [--db PATH] [--accounts 10000] [--repeat 5]

1. Builds the demo book (``--accounts``, seed 7, as of 2026-11-24) in ``--db`` unless it
   already holds that many accounts.
2. Starts a throwaway PostgreSQL server (``tests/pgserver.py``; ``BOOKKEEPER_TEST_PG`` to
   use another) and times ``bookkeeper migrate-to`` into it (copy + verification).
3. Times the same commands on both books, ``--repeat`` runs each (medians), as a user
   runs them: ``today``, ``kpi``, ``show``, ``log`` (on a scratch account).
4. Times the terminal app from launch to Today's first row on both, in tmux, with
   ``../shared/tools/tui-ready`` when it is there.

Prints one JSON object. Medians and the PostgreSQL/SQLite ratio of each, measured in the
same run: the machine is shared and noisy, so compare ratios rather than seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BK = [sys.executable, "-m", "bookkeeper_tui"]
AS_OF = "2026-11-24"
TUI_READY = ROOT.parent / "shared" / "tools" / "tui-ready"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("BOOKKEEPER_DB", None)
    env["BOOKKEEPER_CONFIG"] = "/nonexistent/config.toml"
    return env


def _time(argv: list[str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, env=_env(), check=False)
        runs.append(time.perf_counter() - t0)
        if done.returncode:
            raise SystemExit(f"{' '.join(argv[3:5])} failed: {done.stderr.strip()}")
    return statistics.median(runs)


def _tui(db: str, runs: int) -> float | None:
    if not TUI_READY.exists():
        return None
    done = subprocess.run(
        [
            str(TUI_READY),
            "--runs",
            str(runs),
            "--size",
            "120x40",
            "overdue",
            sys.executable,
            "-m",
            "bookkeeper_tui",
            "--db",
            db,
        ],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    for line in done.stdout.splitlines() + done.stderr.splitlines():
        if "median=" in line:
            return float(line.split("median=")[1].split()[0])
    return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="/tmp/bookkeeper-pg-bench.db")
    ap.add_argument("--accounts", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from tests import pgserver

    from bookkeeper_tui.store.book import Book

    path = Path(args.db)
    fresh = True
    if path.exists():
        b = Book.open(str(path))
        fresh = len(b.account_names()) != args.accounts
        b.close()
        if fresh:
            path.unlink()
    if fresh:
        subprocess.run(
            [*BK, "demo", "--accounts", str(args.accounts), "--as-of", AS_OF, "--db", str(path)],
            check=True,
            env=_env(),
            capture_output=True,
        )
    server = pgserver.from_env() or pgserver.start()
    name = server.create_database()
    url = server.url(name)
    out: dict = {"accounts": args.accounts, "repeat": args.repeat}
    try:
        t0 = time.perf_counter()
        subprocess.run(
            [*BK, "migrate-to", url, "--db", str(path)], check=True, env=_env(), capture_output=True
        )
        out["migrate_to_s"] = round(time.perf_counter() - t0, 3)
        acc = Book.open(str(path)).account_names()[0]
        for db in (str(path), url):
            subprocess.run(
                [*BK, "add", "Bench Scratch", "--tier", "smb", "--start", "2026-01-01", "--db", db],
                check=True,
                env=_env(),
                capture_output=True,
            )
        commands = {
            "today": ["today", "--as-of", AS_OF],
            "kpi": ["kpi", "--as-of", AS_OF],
            "show": ["show", acc, "--as-of", AS_OF],
            "log": ["log", 'Bench Scratch call "bench"', "--as-of", AS_OF],
        }
        for label, argv in commands.items():
            sq = _time([*BK, *argv, "--db", str(path)], args.repeat)
            pg = _time([*BK, *argv, "--db", url], args.repeat)
            out[label] = {
                "sqlite_s": round(sq, 3),
                "postgresql_s": round(pg, 3),
                "ratio": round(pg / sq, 2),
            }
        sq = _tui(str(path), args.repeat)
        pg = _tui(url, args.repeat)
        if sq and pg:
            out["launch_to_first_row"] = {
                "sqlite_s": sq,
                "postgresql_s": pg,
                "ratio": round(pg / sq, 2),
            }
    finally:
        server.drop_database(name)
        server.stop()
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
