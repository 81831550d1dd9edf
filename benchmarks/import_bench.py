"""Import speed on the RavenStack files: rows per second per file (median of N runs).

    .venv/bin/python benchmarks/import_bench.py [--runs 3] [--data ../shared/datasets/ravenstack]

Each run imports the five files, in order, into a fresh temporary book, then imports them
all again (a re-import changes nothing). Prints one JSON object: per file, the median of

* ``rows_per_s``: rows / the whole ``import_file`` call (read, sniff, validate, write in one
  transaction); re-planning the touched accounts is deferred to the next ``Book.sync``;
* ``rows_per_s_import``: the same less ``report.sync_seconds`` (0 since planning is deferred;
  kept so results stay comparable with earlier runs);
* ``reimport_rows_per_s``: the second, no-op import of the same file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from datetime import date
from pathlib import Path

from bookkeeper_tui.io.importer import import_file
from bookkeeper_tui.store.book import Book

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "ravenstack"

#: (label, kind, file, --map, --set, skip_invalid): the walkthrough of docs/import.md.
FILES = [
    ("accounts", "accounts", "ravenstack_accounts.csv", {}, {}, False),
    ("subscriptions", "subscriptions", "ravenstack_subscriptions.csv", {}, {}, False),
    (
        "support_tickets",
        "tickets",
        "ravenstack_support_tickets.csv",
        {"opened": "submitted_at", "csat": "satisfaction_score"},
        {},
        False,
    ),
    ("feature_usage", "usage", "ravenstack_feature_usage.csv", {}, {}, True),
    ("churn_events", "interactions", "ravenstack_churn_events.csv", {}, {"kind": "note"}, False),
]


def run_once(data: Path, tmp: Path, today: date) -> dict[str, dict[str, float]]:
    book = Book.open(str(tmp / "book.db"))
    out: dict[str, dict[str, float]] = {}
    try:
        for label, kind, name, mapping, constants, skip in FILES:
            kw = {
                "dry_run": False,
                "skip_invalid": skip,
                "today": today,
                "rejects_to": tmp / f"{label}.rejects.csv",
            }
            first = import_file(book, kind, data / name, mapping, constants, **kw)
            again = import_file(book, kind, data / name, mapping, constants, **kw)
            assert again.created == again.updated == 0, (label, again)
            out[label] = {
                "rows": first.rows,
                "created": first.created,
                "rejected_rows": first.rejected_rows,
                "seconds": first.seconds,
                "sync_seconds": first.sync_seconds,
                "reimport_seconds": again.seconds,
            }
    finally:
        book.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--as-of", type=date.fromisoformat, default=date.today())
    args = p.parse_args(argv)
    if not (args.data / "ravenstack_accounts.csv").exists():
        print(f"import_bench: no RavenStack files in {args.data}; use --data", file=sys.stderr)
        return 2
    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(run_once(args.data, Path(tmp), args.as_of))
    result: dict[str, object] = {"runs": args.runs, "files": {}}
    total_rows = total_secs = total_import = 0.0
    for label, *_ in FILES:
        samples = [r[label] for r in runs]
        rows = samples[0]["rows"]
        secs = statistics.median(s["seconds"] for s in samples)
        import_secs = statistics.median(s["seconds"] - s["sync_seconds"] for s in samples)
        again = statistics.median(s["reimport_seconds"] for s in samples)
        total_rows += rows
        total_secs += secs
        total_import += import_secs
        result["files"][label] = {
            "rows": rows,
            "created": samples[0]["created"],
            "rejected_rows": samples[0]["rejected_rows"],
            "seconds": round(secs, 4),
            "rows_per_s": round(rows / secs),
            "rows_per_s_import": round(rows / import_secs),
            "sync_seconds": round(statistics.median(s["sync_seconds"] for s in samples), 4),
            "reimport_rows_per_s": round(rows / again),
        }
    result["all_files"] = {
        "rows": int(total_rows),
        "seconds": round(total_secs, 3),
        "rows_per_s": round(total_rows / total_secs),
        "rows_per_s_import": round(total_rows / total_import),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
