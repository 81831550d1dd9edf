"""Real-terminal start-up: Bookkeeper to its first due row vs VisiData opening the same accounts.

    .venv/bin/python benchmarks/startup.py [--accounts 10000] [--runs 5] [--db PATH]

Uses ``shared/tools/tui-ready`` (its ``once``: a private tmux server at 160x50, the screen
polled every 5 ms) to time, in the same run and alternating which goes first:

* ``bookkeeper --db BOOK`` from launch until a Today row with a due cell ("12d overdue",
  "today", "in 3d") is on screen;
* ``vd -N accounts.csv`` (VisiData, no config or plugins) on ``bookkeeper export accounts``
  of the same book, until the first account's row is on screen.

One warm-up launch of each comes first (page cache, ``.pyc``, and the app's once-a-day sync
and backup of the book when it was built on another day). Both programs run without
``PYTHONDONTWRITEBYTECODE`` (:func:`launch_env`): with it set, as on some CI machines, the
warm-up writes no ``.pyc`` and every timed launch of an editable install recompiles its own
modules from source, while VisiData, installed by pip, came with its ``.pyc``; a user's
second launch never pays that. The book is a temporary copy of
``--db`` (built with ``benchmarks/benchkit/book.py``'s ``ensure_book`` when missing), so the runs
never write to it; the app reads no user config (``BOOKKEEPER_CONFIG`` points at nothing).

Then one more launch of the app is kept open to read its peak memory (``VmHWM`` in
``/proc/PID/status``): once the first row is up (``app_peak_rss_mib``) and again after
visiting the Book and the KPIs (``app_peak_rss_after_tour_mib``).

Prints one JSON object: its ``verdicts`` give issue 16's Musts measured here (the ratio and
the app's peak memory after the tour) as {"value", "must", "pass"}, the shape of
``bench.py --json``'s ``verdicts``. Wall-clock numbers on a shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import csv
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from benchkit.book import copy_book, ensure_book
from benchkit.report import startup_verdicts

TUI_READY = Path(__file__).resolve().parents[2] / "shared" / "tools" / "tui-ready"
SIZE = "160x50"
#: A Today row's "when" cell at the start of a line (the summary above it starts with the
#: weekday, the header and footer say "Today" with a capital T).
BOOKKEEPER_READY = r"(?m)^\s*(\d+d overdue|today|in \d+d)\s"
#: The Book's tier group rows, and a KPI card's text that is only there once computed.
BOOK_READY = r"(ENTERPRISE|MID-MARKET|SMB) · \d"
KPI_READY = r"paying accounts at the start"
#: The first performance issue's bounds (``must``, ``aim``, ``pass``, ``aim_met``, kept so
#: runs compare with the older ones); issue 16's are in ``verdicts`` (benchkit.report.MUSTS).
MUST, AIM = 1.5, 1.0
RSS_MUST_MIB = 250


def load_tui_ready():
    """shared/tools/tui-ready is a script without .py: load it as a module."""
    loader = importlib.machinery.SourceFileLoader("tui_ready", str(TUI_READY))
    spec = importlib.util.spec_from_loader("tui_ready", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def find_vd() -> Path | None:
    beside = Path(sys.executable).with_name("vd")
    if beside.exists():
        return beside
    found = shutil.which("vd")
    return Path(found) if found else None


def ensure_vd() -> Path:
    vd = find_vd()
    if vd is None:
        print("installing visidata into this environment …", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "visidata"],
            check=True,
        )
        vd = find_vd()
    if vd is None:
        raise SystemExit("startup: VisiData (vd) is not installed and pip could not install it")
    return vd


def stats(samples: list[float]) -> dict:
    return {
        "min": round(min(samples), 3),
        "median": round(statistics.median(samples), 3),
        "max": round(max(samples), 3),
        "samples": [round(s, 3) for s in samples],
    }


# -- peak memory of a program running in tmux -------------------------------------------
def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(entry.name))
    return out


def _status_kib(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _program_pid(pane_pid: int, name: str) -> int | None:
    """The process under the tmux pane whose command line names *name*."""
    todo, seen = [pane_pid], []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo.extend(_children(pid))
    for pid in seen:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if name in cmd:
            return pid
    return None


def peak_rss(cmd: list[str], pattern: str, name: str, timeout: float, tour: bool) -> dict:
    """Launch *cmd* in tmux, wait for *pattern*, read VmHWM; with *tour*, visit Book/KPIs."""
    w, h = SIZE.split("x")
    server = "startup-rss-" + uuid.uuid4().hex[:8]
    tmux = ["tmux", "-L", server]
    out: dict = {}

    def screen() -> str:
        return subprocess.run(
            [*tmux, "capture-pane", "-p", "-t", server], capture_output=True, text=True
        ).stdout

    def wait_for(rx: str) -> bool:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if re.search(rx, screen()):
                return True
            time.sleep(0.05)
        return False

    subprocess.run(
        [
            *tmux,
            "new-session",
            "-d",
            "-s",
            server,
            "-x",
            w,
            "-y",
            h,
            "env",
            "TERM=xterm-256color",
            "COLORTERM=truecolor",
            *cmd,
        ],
        check=True,
    )
    try:
        if not wait_for(pattern):
            out["error"] = f"pattern {pattern!r} not seen within {timeout:.0f} s"
            return out
        pane = subprocess.run(
            [*tmux, "display-message", "-p", "-t", server, "#{pane_pid}"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        pid = _program_pid(int(pane), name)
        if pid is None:
            out["error"] = f"no {name} process under the tmux pane"
            return out
        time.sleep(2.0)  # let start-up workers finish
        out["peak_rss_mib"] = round((_status_kib(pid, "VmHWM") or 0) / 1024, 1)
        if tour:
            for key, rx in (("b", BOOK_READY), ("k", KPI_READY), ("t", BOOKKEEPER_READY)):
                subprocess.run([*tmux, "send-keys", "-t", server, key], check=True)
                if not wait_for(rx):
                    out["error"] = f"after '{key}': {rx!r} not seen within {timeout:.0f} s"
                    break
                time.sleep(1.0)
            out["peak_rss_after_tour_mib"] = round((_status_kib(pid, "VmHWM") or 0) / 1024, 1)
            out["rss_now_mib"] = round((_status_kib(pid, "VmRSS") or 0) / 1024, 1)
        subprocess.run([*tmux, "send-keys", "-t", server, "q"], capture_output=True)
        time.sleep(0.3)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    return out


# -- the run -----------------------------------------------------------------------------
def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--accounts", type=int, default=10_000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--db", type=Path, help="build or reuse the demo book here (kept)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per launch")
    p.add_argument("--no-rss", action="store_true", help="skip the peak-memory launch")
    return p.parse_args(argv)


def find_bookkeeper() -> Path:
    bookkeeper = Path(sys.executable).parent / "bookkeeper"
    if bookkeeper.exists():
        return bookkeeper
    found = shutil.which("bookkeeper")
    if found is None:
        raise SystemExit("startup: the bookkeeper command is not installed")
    return Path(found)


def launch_env(tmp: Path) -> list[str]:
    """The ``env`` prefix of every launch: no user config, and ``.pyc`` written and read as on
    a user's machine (see the module docstring)."""
    return ["env", "-u", "PYTHONDONTWRITEBYTECODE", f"BOOKKEEPER_CONFIG={tmp / 'no-config.toml'}"]


def export_accounts(env: list[str], bookkeeper: Path, book: Path, csv_file: Path) -> tuple:
    """The book's accounts as CSV for VisiData: (rows, the first account's name)."""
    subprocess.run(
        [*env, str(bookkeeper), "export", "accounts", "-o", str(csv_file), "--db", str(book)],
        check=True,
        capture_output=True,
    )
    with csv_file.open(encoding="utf-8") as f:
        f.readline()
        first = f.readline()
        rows = 1 + sum(1 for _ in f)
    return rows, next(iter(csv.reader([first])))[0]


def time_launches(tui_ready, jobs: dict, args, errors: dict[str, str]) -> dict[str, list]:
    """One warm-up launch of each, then *args.runs* of each, alternating which goes first."""
    times: dict[str, list[float]] = {name: [] for name in jobs}
    order = list(jobs)
    for name in order:  # warm-up
        print(f"warm-up: {name} …", file=sys.stderr)
        t, screen = tui_ready.once(*jobs[name], SIZE, args.timeout)
        if t is None:
            errors[f"{name}_warmup"] = (
                f"pattern not seen within {args.timeout:.0f} s; last screen: "
                + " / ".join(line.strip() for line in screen.splitlines() if line.strip())[:400]
            )
    for i in range(args.runs):
        for name in order if i % 2 == 0 else order[::-1]:
            t, _ = tui_ready.once(*jobs[name], SIZE, args.timeout)
            if t is None:
                errors.setdefault(name, f"pattern not seen within {args.timeout:.0f} s")
            else:
                times[name].append(t)
        print(
            f"run {i + 1}/{args.runs}: bookkeeper {times['bookkeeper'][-1:]}, "
            f"visidata {times['visidata'][-1:]}",
            file=sys.stderr,
        )
    return times


def ratio(out: dict, times: dict[str, list]) -> None:
    for name, samples in times.items():
        out[f"{name}_s"] = stats(samples) if samples else None
    out["ratio_median"] = None
    if times["bookkeeper"] and times["visidata"]:
        value = statistics.median(times["bookkeeper"]) / statistics.median(times["visidata"])
        out["ratio_median"] = round(value, 2)
        out["pass"] = value <= MUST
        out["aim_met"] = value <= AIM
    out["must"] = MUST
    out["aim"] = AIM


def memory(out: dict, jobs: dict, timeout: float, errors: dict[str, str]) -> None:
    """Peak memory of the app (after its tour) and of VisiData, one launch each."""
    print("peak memory: app …", file=sys.stderr)
    app = peak_rss(jobs["bookkeeper"][1], BOOKKEEPER_READY, "bookkeeper", timeout, tour=True)
    out["app_peak_rss_mib"] = app.get("peak_rss_mib")
    out["app_peak_rss_after_tour_mib"] = app.get("peak_rss_after_tour_mib")
    out["rss_must_mib"] = RSS_MUST_MIB
    if "error" in app:
        errors["app_rss"] = app["error"]
    vd_pattern, vd_cmd = jobs["visidata"]
    vd_rss = peak_rss(vd_cmd, vd_pattern, "vd", timeout, tour=False)
    out["visidata_peak_rss_mib"] = vd_rss.get("peak_rss_mib")
    if "error" in vd_rss:
        errors["visidata_rss"] = vd_rss["error"]


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not TUI_READY.exists():
        raise SystemExit(f"startup: {TUI_READY} is missing")
    tui_ready = load_tui_ready()
    bookkeeper = find_bookkeeper()
    vd = ensure_vd()
    out: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cpus, Python {sys.version.split()[0]}",
        "accounts": args.accounts,
        "runs": args.runs,
        "size": SIZE,
    }
    errors: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bookkeeper-startup-") as tmp_name:
        tmp = Path(tmp_name)
        db = args.db or tmp / "demo.db"
        print(f"book: {db} ({args.accounts} accounts) …", file=sys.stderr)
        info = ensure_book(db, args.accounts, None)
        out["book_as_of"] = info["as_of"].isoformat()
        out["app_today"] = date.today().isoformat()
        book = tmp / "book.db"
        copy_book(db, book)
        env = launch_env(tmp)
        csv_file = tmp / "accounts.csv"
        out["csv_rows"], first_name = export_accounts(env, bookkeeper, book, csv_file)
        vd_pattern = re.escape(first_name[:20])
        jobs = {
            "bookkeeper": (BOOKKEEPER_READY, [*env, str(bookkeeper), "--db", str(book)]),
            "visidata": (vd_pattern, [*env, str(vd), "-N", str(csv_file)]),
        }
        out["patterns"] = {"bookkeeper": BOOKKEEPER_READY, "visidata": vd_pattern}
        ratio(out, time_launches(tui_ready, jobs, args, errors))
        if not args.no_rss:
            memory(out, jobs, args.timeout, errors)
    out["verdicts"] = startup_verdicts(out)
    out["errors"] = errors
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
