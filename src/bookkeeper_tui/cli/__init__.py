"""The ``bookkeeper`` command line (docs/interfaces.md).

Argument parsing is stdlib ``argparse`` so ``--version`` and errors cost nothing to
start; the store, rich and the rules are imported only by the commands that use
them. Bad input exits 2 with one sentence on stderr; a runtime failure exits 1;
no traceback reaches a user (``BOOKKEEPER_DEBUG=1`` shows it for bug reports).

Here: ``main`` and the errors' exit codes, and opening the app. The parser is in
``cli/parser.py``, each command in a module of its own (``book_cmds``: today, accounts,
show; ``edit_cmds``: demo, add, delete; ``log_cmd``; ``kpi_cmd``; ``renewals_cmd``; and
the files' commands), what they share in ``cli/common.py``. Their names are re-exported
here, so ``from bookkeeper_tui.cli import ...`` keeps working.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from datetime import date

from bookkeeper_tui.cli.book_cmds import (  # noqa: F401  (re-exported)
    _cmd_accounts,
    _cmd_show,
    _cmd_today,
    _print_account,
    _print_today,
    _show_today,
    _today_fast,
)
from bookkeeper_tui.cli.common import (  # noqa: F401  (the helpers, re-exported)
    EXIT_FAIL,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    _band,
    _clean,
    _config,
    _daily_backup,
    _dump,
    _dumps,
    _esc,
    _finite,
    _first_line,
    _iso,
    _json_default,
    _open,
    _owned_hint,
    _owner,
    _say,
    _synced,
    _title_cut,
    _today,
    _whose,
)
from bookkeeper_tui.cli.edit_cmds import _cmd_add, _cmd_delete, _cmd_demo
from bookkeeper_tui.cli.kpi_cmd import _cmd_kpi, _num, _pct  # noqa: F401
from bookkeeper_tui.cli.log_cmd import _cmd_log
from bookkeeper_tui.cli.parser import (  # noqa: F401  (re-exported)
    MAX_DAYS,
    _days,
    _money,
    _owner_flags,
    _Parser,
    _period,
    _positive,
    _within,
    build_parser,
)
from bookkeeper_tui.cli.renewals_cmd import _cmd_renewals

#: The core commands by name (the other modules' commands carry their own handler).
_COMMANDS = {
    "demo": _cmd_demo,
    "add": _cmd_add,
    "today": _cmd_today,
    "accounts": _cmd_accounts,
    "show": _cmd_show,
    "log": _cmd_log,
    "delete": _cmd_delete,
    "kpi": _cmd_kpi,
    "renewals": _cmd_renewals,
}


def main(argv: list[str] | None = None) -> int:
    # Every file Bookkeeper creates (book, -wal/-shm, backups, rejects, exports) is 0600.
    umask = os.umask(0o077)
    _printable_streams()
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        print("interrupted; nothing was saved from the unfinished command", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: not an error worth a message.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    finally:
        os.umask(umask)


def _printable_streams() -> None:
    """Printing never fails on a character the output cannot encode (a file name that is
    not UTF-8, kept by Python as lone surrogates; a non-UTF-8 terminal): it is written
    escaped (``\\udcff``) instead of ending the command with UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a closed or odd stream
                reconfigure(errors="backslashreplace")


def _main(argv: list[str]) -> int:
    from bookkeeper_tui.config import ConfigError

    try:
        args = _bare_open(argv)
        if args is None:
            args = build_parser().parse_args(argv)
    except UsageError as exc:
        _say(exc)
        return EXIT_USAGE
    if getattr(args, "db", None) == "":
        print(
            "bookkeeper: --db is empty; give the path of a book file, or leave --db out "
            "to use the default book",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if getattr(args, "db", None) is None and os.environ.get("BOOKKEEPER_DB") == "":
        print(
            "bookkeeper: BOOKKEEPER_DB is set but empty; set it to the path of a book file, "
            "unset it (unset BOOKKEEPER_DB) to use the default book, or give --db",
            file=sys.stderr,
        )
        return EXIT_USAGE
    problem = _not_utf8(args)
    if problem:
        print(f"bookkeeper: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return _dispatch(args)
    except UsageError as exc:
        _say(exc)
        return EXIT_USAGE
    except ConfigError as exc:
        _say(exc)
        return EXIT_USAGE
    except BrokenPipeError:
        raise
    except Exception as exc:
        from bookkeeper_tui.store.book import BookError
        from bookkeeper_tui.store.engine import SchemaVersionError, StoreError

        if isinstance(exc, BookError):
            _say(exc.message)
            return EXIT_USAGE
        if isinstance(exc, SchemaVersionError):
            _say(exc)
            return EXIT_USAGE
        if isinstance(exc, StoreError) and not _is_busy(exc):
            _say(exc)
            return EXIT_FAIL
        if isinstance(exc, UnicodeEncodeError) and _not_utf8_argv(argv):
            _say(
                f"the command line holds bytes that are not UTF-8 text ({_not_utf8_argv(argv)}); "
                "nothing was saved. Type it again in a UTF-8 terminal"
            )
            return EXIT_USAGE
        if _is_busy(exc):
            print(
                "bookkeeper: The book is busy: another Bookkeeper command or window "
                "held it longer than the wait (e.g. re-planning after a big import); "
                "nothing was saved. Wait a moment and try again.",
                file=sys.stderr,
            )
            return EXIT_USAGE
        if os.environ.get("BOOKKEEPER_DEBUG"):
            raise
        print(
            f"bookkeeper: unexpected error ({type(exc).__name__}: {_clean(_first_line(exc))}); "
            "nothing was half-saved. Run again with BOOKKEEPER_DEBUG=1 to see details for a "
            "bug report.",
            file=sys.stderr,
        )
        return EXIT_FAIL


def _bare_open(argv: list[str]) -> argparse.Namespace | None:
    """``bookkeeper`` or ``bookkeeper --db PATH``: the arguments the full parser would give,
    without building every command's parser first (~20 ms of start-up); None for any other
    command line (the full parser reads it, with its errors and help)."""
    if not argv:
        return argparse.Namespace(db=None, command=None)
    if len(argv) == 2 and argv[0] == "--db" and not argv[1].startswith("-"):
        return argparse.Namespace(db=argv[1], command=None)
    if len(argv) == 1 and argv[0].startswith("--db="):
        return argparse.Namespace(db=argv[0].removeprefix("--db="), command=None)
    return None


def _not_utf8_argv(argv: list[str]) -> str:
    """The arguments holding bytes that were not UTF-8 (kept by Python as U+DC80..U+DCFF),
    shown with those bytes as ``\\x9b``; "" when there are none."""
    bad = [a for a in argv if any("\udc80" <= ch <= "\udcff" for ch in a)]
    return ", ".join(f"'{_clean(a)}'" for a in bad)


def _is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" (another writer held the book past the busy wait), or
    PostgreSQL's lock timeout or deadlock (store.pg raises BookBusyError for them)."""
    import sqlite3

    from bookkeeper_tui.store.engine import BookBusyError

    if isinstance(exc, BookBusyError):
        return True
    orig = getattr(exc, "orig", exc)
    return isinstance(orig, sqlite3.OperationalError) and (
        "database is locked" in str(orig) or "database is busy" in str(orig)
    )


#: Arguments that are file names or URLs: on Linux a file name is bytes, and one that is not
#: UTF-8 still names its file (Python keeps the bytes as lone surrogates).
_PATH_ARGS = frozenset({"db", "file", "output", "path", "backup", "target"})
_ARG_WORDS = {"name": "account name", "account": "account name", "line": "quick-log line"}


def _not_utf8(args) -> str | None:
    """Why an argument is not text, or None. Bytes that are not UTF-8 (a terminal in
    another encoding, a script passing Latin-1) arrive as lone surrogates, which no book can
    store: said up front with exit 2 instead of failing deep inside the save."""
    for key, value in vars(args).items():
        if key in _PATH_ARGS:
            continue
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and any(_is_surrogate(ch) for ch in v):
                what = _ARG_WORDS.get(key, f"--{key.replace('_', '-')}")
                shown = _clean("".join("\ufffd" if _is_surrogate(ch) else ch for ch in v))
                return (
                    f"the {what} '{shown[:80]}' is not valid UTF-8 text (its undecodable "
                    "bytes are shown as \N{REPLACEMENT CHARACTER}); nothing was saved. Retype "
                    "it, and check that your terminal uses UTF-8 (e.g. LANG=C.UTF-8)"
                )
    return None


def _is_surrogate(ch: str) -> bool:
    return "\ud800" <= ch <= "\udfff"


def _dispatch(args) -> int:
    cmd = args.command
    if cmd is None:
        return _cmd_open(args)
    handler = getattr(args, "handler", None)
    if handler is not None:  # commands registered by bookkeeper_tui.io modules
        return handler(args)
    return _COMMANDS[cmd](args)


def _cmd_open(args) -> int:
    """``bookkeeper`` alone opens the terminal app on the book (its daily backup runs in a
    worker once the first screen is up).

    Start-up is what a user feels twenty times a day, so Today's rows are read straight
    from the SQLite file (in a child process, ``store/forked.py``; or with psycopg from a
    PostgreSQL book, in a thread) while the app is imported; the full book (SQLAlchemy)
    opens in the background once they are on screen. When the book cannot answer alone (a
    new day to plan, a fresh book, ...) it is opened first, as before.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(START_GC_YOUNG, *thresholds[1:])
    try:
        return _open_app(args, thresholds)
    finally:
        gc.set_threshold(*thresholds)


#: The cyclic garbage collector's young threshold from launch until the app has mounted
#: (it then freezes what start-up built and sets its own, app/startup.py). What start-up
#: allocates (the modules, the first screen, Today's rows) lives for the whole session:
#: the ~100 collections that walked it found nothing and cost ~25 ms before the first
#: frame at 10,000 accounts. The collector stays on; opening the book the full way (a new
#: day to plan) runs with the usual threshold.
START_GC_YOUNG = 1_000_000


def _open_app(args, thresholds: tuple[int, int, int]) -> int:
    from bookkeeper_tui.store.location import CONNECT_TIMEOUT_S, is_url, resolve_db

    location = resolve_db(args.db)
    prefetch = None
    if not os.environ.get("BOOKKEEPER_NO_PREFETCH"):
        # First of all: the read runs (in a child process, store/forked.py) while the
        # config is read and the app imported.
        from bookkeeper_tui.store.fast import TODAY_AHEAD_DAYS
        from bookkeeper_tui.store.forked import start_today_prefetch

        prefetch = start_today_prefetch(location, date.today(), TODAY_AHEAD_DAYS)
    try:
        config = _config()
        if prefetch is not None:
            from bookkeeper_tui.app import run_prefetched
    except BaseException:  # a bad config file: end the read (a child process is stopped)
        if prefetch is not None:
            prefetch.result(timeout=0)
        raise
    if prefetch is not None:
        rows = prefetch.result(timeout=CONNECT_TIMEOUT_S + 1.0)
        if rows is not None:
            return run_prefetched(location, config, rows)
        if prefetch.error is not None and is_url(location):
            from bookkeeper_tui.store.pg import unreachable

            if (problem := unreachable(location, prefetch.error)) is not None:
                raise problem
    gc.set_threshold(*thresholds)
    book = _open(args, daily_backup=False)
    try:
        from bookkeeper_tui.app import run_app

        run_app(book, _config())
    finally:
        book.close()
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
