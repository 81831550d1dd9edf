"""`bookkeeper migrate-to URL`: copy the book to another database, verified."""

from __future__ import annotations

import argparse
import json
import sys

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def add_parsers(sub, common) -> None:
    m = sub.add_parser(
        "migrate-to",
        parents=[common],
        help="copy the book to another database (e.g. PostgreSQL), verified",
        description=(
            "Copy the whole book at --db (or BOOKKEEPER_DB, or the default book) into an "
            "empty database: a postgresql+psycopg://user@host/dbname URL or a new SQLite "
            "file path. The copy is checked (row counts, every value, the KPI panel) "
            "before success is reported; the source is only read."
        ),
    )
    m.add_argument("target", metavar="URL", help="an empty PostgreSQL database or a new file")
    m.add_argument("--json", action="store_true")
    m.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bookkeeper_tui.io.migrate import MigrateError, migrate

    quiet = args.json or not sys.stderr.isatty()
    last: dict[str, int] = {}

    def progress(table: str, n: int) -> None:
        last[table] = n
        if not quiet:
            print(f"\r  {table:<16} {n:>10,}", end="", file=sys.stderr, flush=True)

    def stage(what: str) -> None:
        if not quiet:
            print(f"\r  {what:<40}", end="", file=sys.stderr, flush=True)

    if not args.json:
        print("Copying the book…", file=sys.stderr)
    try:
        res = migrate(getattr(args, "db", None), args.target, progress=progress, stage=stage)
    except MigrateError as exc:
        if not quiet:
            print(file=sys.stderr)
        from bookkeeper_tui.cli.common import _say

        _say(exc)
        return EXIT_USAGE
    if not quiet:
        print("\r" + " " * 44 + "\r", end="", file=sys.stderr)
    if args.json:
        json.dump(
            {
                "source": res.source,
                "target": res.target,
                "counts": res.counts,
                "verified": True,
                "kpi_periods": list(res.kpi_periods),
                "seconds": round(res.seconds, 3),
            },
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
        return EXIT_OK
    c = res.counts
    print(
        f"Copied and verified: {c.get('account', 0):,} accounts, "
        f"{c.get('interaction', 0):,} interactions, {c.get('touchpoint', 0):,} touchpoints, "
        f"{sum(c.values()):,} rows in all; every value and the KPI panel match "
        f"({res.seconds:.1f} s)."
    )
    print(f"The book at {res.source} was only read and is unchanged.")
    target = res.target
    note = ""
    if ":***@" in target:  # never print the password, and never a URL that cannot work
        target = target.replace(":***@", "@")
        note = " with the password in PGPASSWORD or ~/.pgpass"
    print(f"Use the copy with: bookkeeper --db '{target}'{note}  (or set BOOKKEEPER_DB)")
    return EXIT_OK
