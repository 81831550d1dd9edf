"""`bookkeeper import KIND FILE`: the command line of the CSV importer (docs/import.md)."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from bookkeeper_tui.io.fields import KINDS

#: Files with at least this many rows get a progress bar (when stderr is a terminal).
PROGRESS_MIN_ROWS = 2000

NOUNS = {
    "accounts": ("account", "accounts"),
    "contacts": ("contact", "contacts"),
    "subscriptions": ("subscription", "subscriptions"),
    "interactions": ("interaction", "interactions"),
    "scores": ("score", "scores"),
    "tickets": ("ticket", "tickets"),
    "usage": ("usage row", "usage rows"),
}


def add_parsers(sub, common) -> None:
    p = sub.add_parser(
        "import", parents=[common], help="import a CSV file (accounts, subscriptions, ...)"
    )
    p.add_argument("kind", choices=list(KINDS))
    p.add_argument("file")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--skip-invalid", action="store_true")
    p.add_argument("--json", action="store_true")
    from bookkeeper_tui.cli.common import _iso  # the same check as every other --as-of

    p.add_argument("--as-of", type=_iso, help="the import day (default: today)")
    p.set_defaults(handler=run)


def _noun(kind: str, n: int) -> str:
    one, many = NOUNS[kind]
    return f"{n:,} {one if n == 1 else many}"


@contextmanager
def _progress_bar(enabled: bool):
    """A rich progress bar on stderr, shown once a large file's size is known."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("importing"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} rows"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    state: dict[str, int] = {}

    def update(done: int, total: int) -> None:
        if total < PROGRESS_MIN_ROWS:
            return
        if "task" not in state:
            bar.start()
            state["task"] = bar.add_task("import", total=total)
        bar.update(state["task"], completed=done, total=total)

    try:
        yield update
    finally:
        if "task" in state:
            bar.stop()


def run(args: argparse.Namespace) -> int:
    from bookkeeper_tui.cli.common import EXIT_OK, EXIT_USAGE, _dump, _open
    from bookkeeper_tui.io.importer import MAX_REPORTED, import_file, parse_pairs
    from bookkeeper_tui.store.book import BookError

    mapping = parse_pairs(args.map, "--map", "FIELD=COLUMN")
    constants = parse_pairs(args.set, "--set", "FIELD=VALUE")
    path = Path(args.file).expanduser()
    if not path.exists():
        # Before opening the book, so a typo in the path does not create an empty book.
        raise BookError(f"{path} does not exist; check the path")
    book = _open(args)
    try:
        with _progress_bar(sys.stderr.isatty()) as progress:
            report = import_file(
                book,
                args.kind,
                path,
                mapping,
                constants,
                dry_run=args.dry_run,
                skip_invalid=args.skip_invalid,
                today=getattr(args, "as_of", None) or date.today(),
                progress=progress,
            )
    finally:
        book.close()
    failed = bool(report.rejected) and not args.skip_invalid
    if args.json:
        _dump(report.as_json())
    else:
        _print_report(report, args, MAX_REPORTED)
    return EXIT_USAGE if failed else EXIT_OK


_KIND_LABELS = {
    "qbr": "QBR",
    "mini_qbr": "mini-QBR",
    "check_in": "check-in",
    "nps_ask": "NPS ask",
    "ces_check": "CES check",
}


def plan_line(report) -> str:
    """'Planned 34 touchpoints for the next 90 days: 12 QBR, ...; onboarding skipped ...'."""
    if report.kind != "accounts" or not report.created:
        return ""
    total = sum(report.planned.values())
    parts = [
        f"{n} {_KIND_LABELS.get(k, k.replace('_', ' '))}"
        for k, n in sorted(report.planned.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    line = f"Planned {total} touchpoint{'' if total == 1 else 's'} for the next "
    line += f"{report.horizon_days} days"
    line += f": {', '.join(parts)}" if parts else ""
    n = report.onboarding_skipped
    if n:
        line += f"; onboarding skipped for {n} existing customer{'' if n == 1 else 's'}"
    if report.dry_run:
        line = "Would plan" + line[len("Planned") :]
    return line + "."


def _print_report(report, args, limit: int) -> None:
    # Everything echoed from the file (its name, headers, cells quoted in errors) or the
    # command line (--set values) goes through the one cleaner: no raw escape sequences.
    from bookkeeper_tui.core.text import printable

    name = printable(Path(args.file).name)
    kind = report.kind
    bad = report.rejected_rows
    secs = f"({report.seconds:.1f} s)"
    if report.rejected:
        lines = [f"  {printable(str(e))}" for e in report.rejected[:limit]]
        if report.problems > limit:
            lines.append(f"  and {report.problems - limit:,} more")
    else:
        lines = []
    if bad and not args.skip_invalid:
        valid = report.rows - bad
        print(
            f"bookkeeper: {bad:,} of {_noun(kind, report.rows)} in {name} "
            f"{'is' if bad == 1 else 'are'} invalid; nothing was imported. Fix "
            f"{'it' if bad == 1 else 'them'} and import again, or add --skip-invalid to "
            f"import the {valid:,} valid {'row' if valid == 1 else 'rows'}:",
            file=sys.stderr,
        )
        print("\n".join(lines), file=sys.stderr)
        return
    counts = (
        f"{report.created:,} created, {report.updated:,} updated, {report.unchanged:,} unchanged"
    )
    if report.dry_run:
        print(
            f"Dry run: would import {_noun(kind, report.rows - bad)} from {name}: "
            f"would create {report.created:,}, update {report.updated:,}, leave "
            f"{report.unchanged:,} unchanged; nothing was written {secs}."
        )
        used = [f"{f} <- {printable(c)}" for f, c in report.mapping.items() if c is not None]
        used += [f"{f} = '{printable(str(v))}' (--set)" for f, v in report.constants.items()]
        print(f"Columns: {', '.join(used)}.")
        plan = plan_line(report)
        if plan:
            print(plan)
        if report.unused_columns:
            print(f"Not imported: {', '.join(map(printable, report.unused_columns))}.")
        if bad:
            print(f"{bad:,} invalid {'row' if bad == 1 else 'rows'} would be skipped:")
            print("\n".join(lines))
        return
    print(f"Imported {_noun(kind, report.rows - bad)} from {name}: {counts} {secs}.")
    plan = plan_line(report)
    if plan:
        print(plan)
    if bad:
        print(
            f"Skipped {bad:,} invalid {'row' if bad == 1 else 'rows'}; "
            f"{'it is' if bad == 1 else 'they are'} in {printable(str(report.rejects_path))} "
            "with the reason for each:",
        )
        print("\n".join(lines))
