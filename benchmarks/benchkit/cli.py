"""Issue 16's command-line timings: ``bookkeeper today --json`` and ``bookkeeper log`` on the
bench's own copy of the book, each against ``python -c pass`` in the same run.

Wall seconds of whole processes (start-up, imports, the work, exit), round by round: in
each round ``python -c pass``, then ``today --json``, then ``log``, so all three meet the
same load on the shared machine. One warm-up round first (page cache, ``.pyc``); then the
median of ``repeat`` rounds. The ``log`` runs write to the copy (one call each).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

#: Longest wait for one command before it counts as failed.
CLI_TIMEOUT_S = 120


def bookkeeper_cmd() -> list[str]:
    """The installed ``bookkeeper`` command beside this Python, else ``python -m``."""
    beside = Path(sys.executable).with_name("bookkeeper")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "bookkeeper_tui"]


def log_account(db: Path) -> str:
    """An ordinary active account to log to (the second one: the first has the long
    timeline the app session grew)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT name FROM account WHERE status = 'active' ORDER BY id LIMIT 2"
        ).fetchall()
    finally:
        con.close()
    if not rows:
        raise RuntimeError("no active account to log to")
    return rows[-1][0]


def commands(db: Path, as_of: date) -> dict[str, list[str]]:
    bk = bookkeeper_cmd()
    day = as_of.isoformat()
    line = f'{log_account(db)} call "bench: quick check-in"'
    return {
        "python_pass_ms": [sys.executable, "-c", "pass"],
        "cli_today_ms": [*bk, "today", "--json", "--as-of", day, "--db", str(db)],
        "cli_log_ms": [*bk, "log", line, "--as-of", day, "--db", str(db)],
    }


def time_cli(db: Path, as_of: date, repeat: int, env: dict[str, str]) -> dict:
    """{"samples": key -> milliseconds, "values": ..., "errors": key -> message}."""
    samples: dict[str, list[float]] = {}
    values: dict[str, object] = {}
    errors: dict[str, str] = {}
    try:
        argvs = commands(db, as_of)
    except Exception as exc:
        return {"samples": {}, "values": {}, "errors": {"cli": f"{type(exc).__name__}: {exc}"}}
    for key in argvs:
        samples[key] = []
    for round_no in range(repeat + 1):  # round 0 warms up
        for key, argv in argvs.items():
            if key in errors:
                continue
            t0 = time.perf_counter()
            try:
                done = subprocess.run(
                    argv, capture_output=True, text=True, env=env, timeout=CLI_TIMEOUT_S
                )
            except subprocess.TimeoutExpired:
                errors[key] = f"no result within {CLI_TIMEOUT_S} s"
                continue
            took = time.perf_counter() - t0
            if done.returncode:
                tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
                errors[key] = f"exit {done.returncode}: " + " | ".join(tail)
                continue
            if key == "cli_today_ms":
                values["cli_today_rows"] = _rows(done.stdout)
            if round_no:
                samples[key].append(took * 1000.0)
    return {"samples": samples, "values": values, "errors": errors}


def _rows(stdout: str) -> int | None:
    try:
        return len(json.loads(stdout))
    except (json.JSONDecodeError, TypeError):
        return None
