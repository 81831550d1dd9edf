"""`bookkeeper check` and `bookkeeper restore BACKUP`."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def add_parsers(sub, common) -> None:
    c = sub.add_parser("check", parents=[common], help="check the book for damage")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=run_check)
    r = sub.add_parser("restore", parents=[common], help="put a backup in place of the book")
    r.add_argument("backup", metavar="BACKUP")
    r.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    r.add_argument("--force", action="store_true", help="restore even a backup of another book")
    r.set_defaults(handler=run_restore)


def _book_path(args: argparse.Namespace) -> Path:
    from bookkeeper_tui.store.backup import book_file

    return book_file(getattr(args, "db", None))


def run_check(args: argparse.Namespace) -> int:
    from bookkeeper_tui.core.text import printable
    from bookkeeper_tui.io.care import check, fix_hint

    path = _book_path(args)
    res = check(path)
    if args.json:
        json.dump(
            {
                "ok": res.ok,
                "problems": res.problems,
                "backups": [str(p) for p in res.backups],
                "read_only": res.read_only,
            },
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
    elif res.ok:
        print(
            f"ok: {printable(str(path))} is sound (schema {res.version}, "
            f"{len(res.backups)} backups beside it)"
        )
        if res.read_only:
            print(
                "It is read-only here (the file or its folder cannot be written, e.g. a "
                "read-only mount), which is no damage: to work in it, make it writable, or "
                "copy it to a writable folder and open the copy with --db."
            )
    else:
        print(f"{printable(str(path))} has problems:")
        for p in res.problems:
            print(f"  - {printable(p)}")
        if res.read_only:
            # Nothing can be moved aside or restored in place on a read-only mount.
            print(
                "It is read-only here (the file or its folder cannot be written, e.g. a "
                "read-only mount), so it cannot be repaired in place: put one of its "
                "backups in a writable folder and open that with --db"
                + (f"; the newest is {printable(str(res.backups[0]))}" if res.backups else "")
                + "."
            )
        else:
            print(f"To fix it, {printable(fix_hint(path))}")
    return EXIT_OK if res.ok else EXIT_FAIL


def run_restore(args: argparse.Namespace) -> int:
    from bookkeeper_tui.io.care import restore
    from bookkeeper_tui.store.book import BookError

    book = _book_path(args)
    backup = Path(args.backup).expanduser()
    if book.exists() and backup.exists() and book.resolve() == backup.resolve():
        raise BookError("the backup is the book itself; give the path of a backup file")
    if not args.yes:
        if not sys.stdin.isatty():
            raise BookError(
                f"restore replaces the book at {book}; add --yes to confirm, e.g. "
                f"bookkeeper restore {shlex.quote(str(backup))} "
                f"--db {shlex.quote(str(book))} --yes"
            )
        answer = input(
            f"Replace the book at {book} with {backup}? The current file is kept aside. [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was changed.")
            return EXIT_FAIL
    try:
        res = restore(backup, book, force=args.force)
    except ValueError as exc:
        from bookkeeper_tui.cli.common import _say

        _say(exc)
        return EXIT_FAIL
    except OSError as exc:
        print(
            f"bookkeeper: the restore failed ({exc.strerror or exc}); the book at {book} "
            "was not replaced",
            file=sys.stderr,
        )
        return EXIT_FAIL
    if res.kept is not None:
        extra = f" (and its {', '.join(p.name for p in res.kept_sidecars)})" * bool(
            res.kept_sidecars
        )
        print(f"Kept the previous book aside as {res.kept}{extra}.")
    print(f"Restored {book} from {backup}.")
    return EXIT_OK
