"""`bookkeeper export KIND` and `bookkeeper backup [PATH]`."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TextIO

from bookkeeper_tui.io.fields import KINDS

EXIT_OK = 0


def add_parsers(sub, common) -> None:
    p = sub.add_parser("export", parents=[common], help="export a kind as CSV/JSON, or ics")
    p.add_argument("kind", choices=[*KINDS, "ics"])
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("-o", "--output", metavar="FILE")
    p.add_argument(
        "--raw",
        action="store_true",
        help="write CSV text cells exactly as stored: no ' before a cell starting with "
        "= + - @ (which a spreadsheet would run as a formula)",
    )
    p.set_defaults(handler=run_export)
    b = sub.add_parser("backup", parents=[common], help="a consistent copy of the book")
    b.add_argument("path", nargs="?")
    b.set_defaults(handler=run_backup)


def _open(args: argparse.Namespace):
    from bookkeeper_tui.config import load_config
    from bookkeeper_tui.store.book import Book

    return Book.open(getattr(args, "db", None), load_config())


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    """stdout (UTF-8), or *path* written whole or not at all, private (0600) to the user.

    The file is written under a temporary name beside it and renamed at the end, so a
    failure never leaves half an export where a good one was.
    """
    from bookkeeper_tui.store.book import BookError

    if path is None or path == "-":
        out = sys.stdout
        encoding = (getattr(out, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(out, "reconfigure"):
            out.reconfigure(encoding="utf-8")
        yield out
        out.flush()
        return
    target = Path(path).expanduser()
    if target.is_dir():
        raise BookError(f"{target} is a folder; give -o the path of a file, e.g. {target}/out.csv")
    if not target.parent.is_dir():
        raise BookError(f"the folder {target.parent} does not exist; create it or choose another")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as exc:
        raise BookError(
            f"cannot write {target} ({exc.strerror}); check the folder's permissions"
        ) from None
    try:
        with open(fd, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def run_export(args: argparse.Namespace) -> int:
    from bookkeeper_tui.io.export import write_export
    from bookkeeper_tui.store.book import BookError

    kind = args.kind
    if kind == "ics" and args.format == "json":
        raise BookError("the calendar export is always iCalendar; drop --format json")
    book = _open(args)
    try:
        if kind == "ics":
            book.sync(date.today())  # the playbook's touchpoints up to date, as `today` does
        with _output(args.output) as out:
            n = write_export(book, kind, args.format, out, raw=args.raw)
    finally:
        book.close()
    if args.output and args.output != "-":
        what = "calendar events" if kind == "ics" else f"rows of {kind}"
        from bookkeeper_tui.core.text import printable

        print(f"Exported {n} {what} to {printable(args.output)}.")
    return EXIT_OK


def run_backup(args: argparse.Namespace) -> int:
    from bookkeeper_tui.store.backup import backup, human_size

    res = backup(getattr(args, "db", None), args.path)
    book, copy = shlex.quote(str(res.source)), shlex.quote(str(res.path))
    from bookkeeper_tui.core.text import printable

    source, path = printable(str(res.source)), printable(str(res.path))
    print(f"Backed up {source} to {path} ({human_size(res.size)}).")
    print(f"To restore it, quit Bookkeeper everywhere, then: bookkeeper restore {copy} --db {book}")
    return EXIT_OK
