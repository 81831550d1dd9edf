"""The ``bookkeeper`` command line (docs/interfaces.md).

Argument parsing is stdlib ``argparse`` so ``--version`` and errors cost nothing to
start; the store, rich and the rules are imported only by the commands that use
them. Bad input exits 2 with one sentence on stderr; a runtime failure exits 1;
no traceback reaches a user (``BOOKKEEPER_DEBUG=1`` shows it for bug reports).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from datetime import date
from typing import NoReturn

from bookkeeper_tui import __version__
from bookkeeper_tui.cli.common import (  # noqa: F401  (the helpers, re-exported)
    EXIT_FAIL,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
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
    _say,
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}; see `{self.prog} --help`")


def _money(value: str) -> float:
    try:
        amount = float(value.replace(",", "").lstrip("$"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not an amount, e.g. 1500") from None
    if amount < 0:
        raise argparse.ArgumentTypeError(
            f"'{value}' must be zero or more; use 0 for a churned account"
        )
    from bookkeeper_tui.core.bounds import mrr_problem

    problem = mrr_problem(amount, "the amount")
    if problem:
        raise argparse.ArgumentTypeError(f"'{value}': {problem}")
    return amount


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number") from None
    if n < 1 or n > 100_000:
        raise argparse.ArgumentTypeError(f"'{value}' must be between 1 and 100000")
    return n


#: The longest duration an option takes: 100 years (``--ahead`` days, ``--period``).
MAX_DAYS = 36_500


def _days(value: str) -> int:
    """``--ahead DAYS``: 0..MAX_DAYS, so a huge number is a sentence, not an overflow."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number of days") from None
    if not 0 <= n <= MAX_DAYS:
        raise argparse.ArgumentTypeError(
            f"'{value}' is out of range; give 0 to {MAX_DAYS} days (100 years)"
        )
    return n


def _period(value: str) -> str:
    """``--period``: 90d, 12m, 2w, 1y ... up to 100 years (core.bounds.period_problem)."""
    from bookkeeper_tui.core.bounds import period_problem

    problem = period_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value


def _within(value: str) -> int:
    """`--within 90d`: a number of days (`90`, `90d`), weeks (`12w`) or months (`3m`, 30 d each)."""
    text = value.strip().lower()
    unit = text[-1:] if text[-1:] in ("d", "w", "m") else "d"
    number = text[:-1] if text[-1:] in ("d", "w", "m") else text
    if not number.isdigit():
        raise argparse.ArgumentTypeError(
            f"'{value}' is not a number of days; write it like 90d, 12w or 4m"
        )
    days = int(number) * {"d": 1, "w": 7, "m": 30}[unit]
    if not 1 <= days <= 3650:
        raise argparse.ArgumentTypeError(f"'{value}' must be from 1 day to 3650 days (10 years)")
    return days


def _owner_flags(parser: argparse.ArgumentParser, what: str) -> None:
    """``--mine`` / ``--owner NAME``: only one owner's accounts (team mode)."""
    who = parser.add_mutually_exclusive_group()
    who.add_argument(
        "--mine", action="store_true", help=f"only {what} of the accounts you own (config: me)"
    )
    who.add_argument(
        "--owner",
        metavar="NAME",
        help=f'only {what} of NAME\'s accounts (any case; "" = accounts with no owner)',
    )


def build_parser() -> argparse.ArgumentParser:
    db_help = "the book to use (default: BOOKKEEPER_DB, else the user data dir)"
    # --db works before or after the command; SUPPRESS keeps a subcommand's
    # missing --db from overwriting one given before it.
    common = _Parser(add_help=False)
    common.add_argument("--db", metavar="PATH_OR_URL", default=argparse.SUPPRESS, help=db_help)
    p = _Parser(
        prog="bookkeeper",
        description="Run a book of B2B customer accounts from the terminal.",
    )
    p.add_argument("--db", metavar="PATH_OR_URL", default=None, help=db_help)
    p.add_argument("--version", action="version", version=f"bookkeeper {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    d = sub.add_parser("demo", parents=[common], help="fill the book with a realistic demo book")
    d.add_argument("--accounts", type=_positive, default=40, help="how many accounts (default 40)")
    d.add_argument("--seed", type=int, default=7, help="random seed (same seed, same book)")
    d.add_argument("--force", action="store_true", help="replace a non-empty book")
    d.add_argument("--as-of", type=_iso, help="the demo book's 'today' (default: today)")

    a = sub.add_parser("add", parents=[common], help="create an account")
    a.add_argument("name")
    a.add_argument("--tier", help="enterprise, mid-market or smb (default: from --mrr as ARR)")
    a.add_argument("--start", type=_iso, required=True, help="start date YYYY-MM-DD")
    a.add_argument("--renewal", type=_iso, help="renewal date YYYY-MM-DD")
    a.add_argument("--mrr", type=_money, help="MRR from the start date")
    a.add_argument("--owner")
    a.add_argument("--industry")
    a.add_argument("--external-id")
    a.add_argument("--source", help="how it came, e.g. referral")
    a.add_argument("--json", action="store_true")

    t = sub.add_parser("today", parents=[common], help="overdue and due touchpoints")
    t.add_argument("--as-of", type=_iso, help="the day to plan for (default: today)")
    t.add_argument(
        "--ahead", type=_days, default=0, metavar="DAYS", help="also show the next DAYS (0..36500)"
    )
    _owner_flags(t, "the touchpoints")
    t.add_argument("--json", action="store_true")

    ac = sub.add_parser("accounts", parents=[common], help="the book, with health")
    ac.add_argument("--tier")
    ac.add_argument("--health", choices=["green", "yellow", "red"])
    ac.add_argument("--as-of", type=_iso)
    _owner_flags(ac, "the rows")
    ac.add_argument("--json", action="store_true")

    s = sub.add_parser("show", parents=[common], help="one account in full")
    s.add_argument("account", nargs="+")
    s.add_argument("--as-of", type=_iso)
    s.add_argument("--json", action="store_true")

    lg = sub.add_parser(
        "log", parents=[common], help='record a quick-log line, e.g. "acme call nps 9"'
    )
    lg.add_argument("line", nargs="+")
    lg.add_argument("--as-of", type=_iso, help="treat this day as today")
    lg.add_argument(
        "--yes",
        action="store_true",
        help="log to the closest account even when the name is only a close spelling",
    )
    lg.add_argument(
        "--check",
        action="append",
        default=[],
        metavar="ITEM",
        help="a touchpoint checklist item done (repeat it); saved with the interaction",
    )
    lg.add_argument("--json", action="store_true")

    dl = sub.add_parser(
        "delete", parents=[common], help="delete an account and everything recorded for it"
    )
    dl.add_argument("account", nargs="+")
    dl.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    dl.add_argument("--json", action="store_true")

    k = sub.add_parser("kpi", parents=[common], help="NRR, GRR, churn, NPS, health, QBRs")
    k.add_argument("--as-of", type=_iso)
    k.add_argument(
        "--period", type=_period, default="12m", help="12m (default), 90d, 2w, 1y, ... (<= 100y)"
    )
    _owner_flags(k, "the KPIs")
    k.add_argument("--tier", help="only the KPIs of one tier: enterprise, mid-market or smb")
    k.add_argument("--json", action="store_true")
    rn = sub.add_parser(
        "renewals", parents=[common], help="renewals coming up, ARR at stake, the forecast"
    )
    rn.add_argument(
        "--within", type=_within, default=90, help="how far ahead: 30d, 90d (default), 120d, 6m"
    )
    rn.add_argument("--as-of", type=_iso, help="the day to look from (default: today)")
    rn.add_argument(
        "--since",
        type=_iso,
        help="churn reasons and forecast accuracy of outcomes logged after this day "
        "(default: the last 12 months)",
    )
    _owner_flags(rn, "the renewals")
    rn.add_argument("--json", action="store_true")
    # Files in and out (bookkeeper_tui.io): parsers registered by their own modules.
    from bookkeeper_tui.cli import care as care_cli
    from bookkeeper_tui.cli import content as content_cli
    from bookkeeper_tui.cli import export as export_cli
    from bookkeeper_tui.cli import imports as import_cli
    from bookkeeper_tui.cli import migrate as migrate_cli
    from bookkeeper_tui.cli import review as review_cli

    import_cli.add_parsers(sub, common)
    export_cli.add_parsers(sub, common)
    care_cli.add_parsers(sub, common)
    migrate_cli.add_parsers(sub, common)
    review_cli.add_parsers(sub, common)
    content_cli.add_parsers(sub, common)
    return p


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


def _synced(args, work):
    """Open the book, bring it up to the command's day, run *work(book, day)*, close."""
    book = _open(args)
    day = _today(args)
    try:
        book.sync(day)
        return work(book, day)
    finally:
        book.close()


def _owner(args) -> str | None:
    """The owner cut of ``--mine`` / ``--owner``: a name, "" (no owner) or None (everyone)."""
    if getattr(args, "mine", False):
        from bookkeeper_tui.config import config_path

        me = _config().me
        if me is None or not me.strip():
            raise UsageError(
                '--mine needs to know who you are: add a line like me = "maya" to your '
                f"config file ({config_path()}), see docs/config.md"
            )
        return me
    return getattr(args, "owner", None)


def _whose(owner: str) -> str:
    """ "maya's accounts" or "accounts with no owner", for titles and messages."""
    name = " ".join(owner.split())
    return f"{_esc(name)}'s accounts" if name else "accounts with no owner"


def _title_cut(owner: str | None) -> str:
    return "" if owner is None else f" · {_whose(owner)}"


def _today(args) -> date:
    return getattr(args, "as_of", None) or date.today()


def _dispatch(args) -> int:
    cmd = args.command
    if cmd is None:
        return _cmd_open(args)
    handler = getattr(args, "handler", None)
    if handler is not None:  # commands registered by bookkeeper_tui.io modules
        return handler(args)
    return globals()[f"_cmd_{cmd}"](args)


def _cmd_open(args) -> int:
    """``bookkeeper`` alone opens the terminal app on the book (its daily backup runs in a
    worker once the first screen is up).

    Start-up is what a user feels twenty times a day, so Today's rows are read straight
    from the SQLite file (or with psycopg from a PostgreSQL book) in a thread while the app
    is imported; the full book (SQLAlchemy) opens in the background once they are on
    screen. When the book cannot answer alone (a new day to plan, a fresh book, ...) it is
    opened first, as before.
    """
    from bookkeeper_tui.store.location import CONNECT_TIMEOUT_S, is_url, resolve_db

    location = resolve_db(args.db)
    config = _config()
    if not os.environ.get("BOOKKEEPER_NO_PREFETCH"):
        from bookkeeper_tui.store.fast import TODAY_AHEAD_DAYS, TodayPrefetch

        prefetch = TodayPrefetch(location, date.today(), ahead_days=TODAY_AHEAD_DAYS)
        from bookkeeper_tui.app import run_prefetched

        rows = prefetch.result(timeout=CONNECT_TIMEOUT_S + 1.0)
        if rows is not None:
            return run_prefetched(location, config, rows)
        if prefetch.error is not None and is_url(location):
            _server_unreachable(location, prefetch.error)
    book = _open(args, daily_backup=False)
    try:
        from bookkeeper_tui.app import run_app

        run_app(book, _config())
    finally:
        book.close()
    return EXIT_OK


def _server_unreachable(location: str, error: Exception) -> None:
    """The start-up read could not connect to the server: say why now, rather than wait
    the connection timeout a second time opening the book the full way."""
    import psycopg

    if not isinstance(error, psycopg.OperationalError):
        return  # e.g. a new, empty database: the full open creates the book
    from sqlalchemy.engine import make_url

    from bookkeeper_tui.store import pg
    from bookkeeper_tui.store.engine import StoreError

    raise StoreError(pg.open_error(error, pg.normalize(make_url(location))))


def _cmd_demo(args) -> int:
    from bookkeeper_tui.store.demo import build_demo

    book = _open(args)
    try:
        if not book.is_empty() and not args.force:
            print(
                f"bookkeeper: the book at {_clean(book.location)} already has accounts; "
                "use --force to replace it with the demo book",
                file=sys.stderr,
            )
            return EXIT_USAGE
        stats = build_demo(
            book,
            accounts=args.accounts,
            seed=args.seed,
            as_of=_today(args),
            progress=sys.stderr.isatty(),
        )
    finally:
        book.close()
    print(
        f"Demo book ready at {_clean(book.location)}: {stats['accounts']} accounts, "
        f"{stats['interactions']} interactions, {stats['touchpoints']} touchpoints "
        f"({stats['seconds']:.1f} s)."
    )
    return EXIT_OK


def _cmd_add(args) -> int:
    book = _open(args)
    try:
        acc = book.add_account(
            args.name,
            args.tier,
            args.start,
            renewal=args.renewal,
            mrr=args.mrr,
            owner=args.owner,
            industry=args.industry,
            external_id=args.external_id,
            source=args.source,
            plan_on=date.today(),  # one transaction: a failure saves nothing
        )
    finally:
        book.close()
    if args.json:
        _dump(
            {
                "name": acc.name,
                "tier": acc.tier,
                "start": acc.start,
                "renewal": acc.renewal,
                "mrr": args.mrr,
            }
        )
    else:
        mrr = f", MRR {args.mrr:,.0f}" if args.mrr is not None else ""
        print(f"Added {_clean(acc.name)} ({acc.tier}, from {acc.start}{mrr}).")
    return EXIT_OK


def _cmd_today(args) -> int:
    _owner(args)  # a --mine without `me` is bad usage: said before the book is opened
    rows = _today_fast(args)
    if rows is not None:
        return _print_today(None, args, rows)
    book = _open(args)
    try:
        return _show_today(book, args)
    finally:
        book.close()


def _today_fast(args) -> list | None:
    """Today's rows read with sqlite3 (or psycopg) alone, when that is exactly what the full
    path would print: the book was already brought up to this very day (store/fast.py), so
    the sync would change nothing. Saves importing SQLAlchemy and opening the book (issue
    16: `today --json` on a 10,000-account book). None: take the full path."""
    from bookkeeper_tui.store.fast import read_today
    from bookkeeper_tui.store.location import resolve_db

    as_of = _today(args)
    owner = _owner(args)
    try:
        location = resolve_db(args.db)
        if not _synced_on_exactly(location, as_of):
            return None
        rows = read_today(location, as_of, args.ahead, owner)
    except Exception:  # a damaged file, a server away...: the full path says it clearly
        return None
    if not rows:  # the empty message may need the book (whose accounts are these?)
        return None
    return rows


def _synced_on_exactly(location: str, as_of: date) -> bool:
    """True when the SQLite book's last sync was for *as_of* itself (not a later day)."""
    import sqlite3
    from pathlib import Path
    from urllib.parse import quote

    from bookkeeper_tui.store.location import is_url

    if is_url(location):
        return False
    path = Path(location).expanduser()
    if not path.is_file():
        return False
    con = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=1.0)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'synced_on'").fetchone()
    finally:
        con.close()
    return row is not None and row[0] == as_of.isoformat()


def _show_today(book, args) -> int:
    as_of = _today(args)
    owner = _owner(args)
    book.sync(as_of)
    rows = book.today(as_of, ahead_days=args.ahead, owner=owner)
    return _print_today(book, args, rows)


def _print_today(book, args, rows) -> int:
    as_of = _today(args)
    owner = _owner(args)
    if args.json:
        _dump([r.as_json() for r in rows])
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    con = Console()
    if not rows:
        if owner is not None:
            con.print(f"Nothing due on {as_of} ({_whose(owner)}). {_owned_hint(book, owner)}")
            return EXIT_OK
        con.print(f"Nothing due on {as_of}. Enjoy the quiet, or run `bookkeeper accounts`.")
        return EXIT_OK
    table = Table(title=f"Today · {as_of}{_title_cut(owner)}", title_justify="left")
    for col in ("when", "account", "touchpoint", "tier", "health", "why"):
        table.add_column(col)
    for r in rows:
        when = (
            f"[red]{r.days_overdue}d overdue[/]"
            if r.days_overdue > 0
            else "[bold]today[/]"
            if r.days_overdue == 0
            else f"in {-r.days_overdue}d"
        )
        table.add_row(
            when,
            _esc(r.account),
            r.kind.replace("_", " "),
            r.tier,
            _band(r.health, r.band),
            _esc(r.note),
        )
    con.print(table)
    return EXIT_OK


def _owned_hint(book, owner: str) -> str:
    """What to do when an owner's cut is empty: who owns what, and how to set owners."""
    from bookkeeper_tui.core.owners import owner_key

    owners, unowned, _total = book.owners()
    if not owner_key(owner) and not unowned:
        return "Every account has an owner."
    if not owner_key(owner) or any(owner_key(o) == owner_key(owner) for o in owners):
        return "Run without --mine/--owner for the whole team."
    known = ", ".join(owners) if owners else "nobody yet"
    return (
        f"No account is owned by '{_esc(owner)}' (owners: {_esc(known)}; {unowned} with no "
        "owner); set owners in the app (e on an account) or import accounts with an owner column."
    )


def _cmd_accounts(args) -> int:
    as_of = _today(args)
    owner = _owner(args)
    hint = ""

    def work(book, day):
        nonlocal hint
        states = book.accounts(day, tier=args.tier, band=args.health, owner=owner)
        if not states and owner is not None:
            hint = _owned_hint(book, owner)
        return states

    states = _synced(args, work)
    if args.json:
        _dump([_account_json(st) for st in states])
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    con = Console()
    if not states:
        if owner is not None:
            con.print(f"No accounts match ({_whose(owner)}). {hint}")
            return EXIT_OK
        con.print(
            "No accounts match. Try without --tier/--health, or add one with `bookkeeper add`."
        )
        return EXIT_OK
    table = Table(title=f"Book · {as_of}{_title_cut(owner)}", title_justify="left")
    for col in ("account", "tier", "MRR", "health", "last touch", "next", "renewal", "flags"):
        table.add_column(col, justify="right" if col == "MRR" else "left")
    for st in states:
        acc = st.account
        nxt = st.next_touchpoint
        table.add_row(
            _esc(acc.name) + (" [dim](churned)[/]" if acc.status == "churned" else ""),
            acc.tier,
            f"{st.mrr:,.0f}",
            _band(st.health.score, st.health.band),
            f"{(as_of - st.last_touch).days}d ago" if st.last_touch else "never",
            f"{nxt.kind.replace('_', ' ')} {nxt.due}" if nxt else "",
            f"{(acc.renewal - as_of).days}d" if acc.renewal else "",
            ", ".join(f.label for f in st.flags),
        )
    con.print(table)
    return EXIT_OK


def _account_json(st) -> dict:
    acc = st.account
    nxt = st.next_touchpoint
    return {
        "name": acc.name,
        "external_id": acc.external_id,
        "tier": acc.tier,
        "status": acc.status,
        "mrr": st.mrr,
        "health": st.health.score,
        "band": st.health.band,
        "last_touch": st.last_touch,
        "next_touchpoint": None if nxt is None else {"kind": nxt.kind, "due": nxt.due},
        "renewal": acc.renewal,
        "owner": acc.owner,
        "flags": [f.code for f in st.flags],
    }


def _cmd_show(args) -> int:
    data = _synced(args, lambda book, as_of: book.show(" ".join(args.account), as_of))
    if args.json:
        _dump(data)
        return EXIT_OK
    _print_account(data)
    return EXIT_OK


def _print_account(d: dict) -> None:
    from rich.console import Console
    from rich.text import Text

    from bookkeeper_tui.config import load_config
    from bookkeeper_tui.core.health import NOT_ENOUGH_DATA, stale_words, weight_words
    from bookkeeper_tui.core.signals import churn_spans

    con = Console()
    h = d["health"]
    con.print(
        f"[bold]{_esc(d['name'])}[/]  {d['tier']} · MRR {d['mrr']:,.0f} · "
        f"renewal {d['renewal'] or '-'} · owner {_esc(d['owner'] or '-')} · {d['status']}"
    )
    con.print(
        f"Health {_band(h['score'], h['band'])}" + (" (manual override)" if h["overridden"] else "")
    )
    if h["score"] is None and d["status"] != "churned":
        con.print(f"  [dim]{NOT_ENOUGH_DATA}[/]")
    for c in h["components"]:
        con.print(
            f"  {c['name']:<11} {c['value']:>5.0f}  {weight_words(c['weight'], c['share'])}"
            f"  {_esc(c['detail'])}"
        )
    if h["missing"]:
        con.print(f"  [dim]unknown, no data yet (left out): {', '.join(h['missing'])}[/]")
    for name, day in h.get("stale", {}).items():
        con.print(f"  [dim]{name}: {stale_words(name, day)}[/]")
    for change in h["changes"]:
        con.print(f"  [dim]since last snapshot: {_esc(change)}[/]")
    if d["flags"]:
        con.print("Flags: " + "; ".join(_esc(f["detail"]) for f in d["flags"]))
    n = d["nps"]
    if n["flagged"]:
        con.print(
            f"NPS gap: buyers and champions {n['buyer_side_mean']:.1f}"
            f" vs users {n['user_side_mean']:.1f} (mean of each contact's latest answer)"
        )
    if d["first_value"]:
        con.print(f"First value {d['first_value']} ({d['days_to_value']} days after the start)")
    if d["onboarding"]:
        o = d["onboarding"]
        con.print(f"Onboarding {o['done']}/{o['total']} done ({o['share'] * 100:.0f}%)")
    if d["contacts"]:
        con.print("Contacts:")
        for c in d["contacts"]:
            scores = " ".join(f"{k} {v:g}" for k, v in c["scores"].items())
            left = f" (left {c['left_on']})" if c["left_on"] else ""
            con.print(f"  {_esc(c['name'])} · {c['role']}{left} {scores}")
    if d["touchpoints"]:
        con.print("Open touchpoints:")
        for t in d["touchpoints"]:
            con.print(f"  {t['due']}  {t['kind'].replace('_', ' ')}  [dim]{_esc(t['note'])}[/]")
    con.print("Timeline:")
    words = load_config().churn_words
    for e in d["timeline"][:50]:
        if e["type"] == "interaction":
            line = Text(f"  {e['date']}  {e['kind']:<10} ")
            body = Text(_clean(e["summary"] or e["notes"]))
            for start, end, _ in churn_spans(body.plain, words):
                body.stylize("bold red", start, end)
            line.append(body)
            if e["contact"]:
                line.append(f"  (with {_clean(e['contact'])})", style="dim")
            con.print(line)
            for item in e.get("checklist") or ():
                con.print(Text(f"{'':16}✓ {_clean(item)}", style="dim"))
        elif e["type"] == "score":
            con.print(f"  {e['date']}  {e['kind']:<10} {e['value']:g}")
        elif e["type"] == "mrr":
            con.print(
                f"  {e['date']}  mrr        {e['from']:,.0f} -> {e['to']:,.0f} ({e['movement']})"
            )
        else:
            con.print(f"  {e['date']}  [dim]{e['kind'].replace('_', ' ')} {e['status']}[/]")
    if len(d["timeline"]) > 50:
        con.print(f"  [dim]... {len(d['timeline']) - 50} older entries (use --json for all)[/]")


def _cmd_log(args) -> int:
    def work(book, today):
        parsed = book.parse(" ".join(args.line), today)
        if parsed.account_match == "fuzzy" and not args.yes:
            # A typo must never write silently to another account.
            raise UsageError(
                f"did you mean {_clean(parsed.account)}? No account starts with what you "
                "typed, so nothing was saved; fix the account name, or add --yes to log "
                f"it to {_clean(parsed.account)}"
            )
        return book.record(parsed, today, checklist=args.check)

    res = _synced(args, work)
    if args.json:
        _dump(res.as_json())
        return EXIT_OK
    parts = [f"Saved {res.kind} with {_clean(res.account)} on {res.day}"]
    if res.contact:
        parts.append(f"contact {_clean(res.contact)}" + (" (new)" if res.contact_created else ""))
    parts += [f"{k.upper()} {v}" for k, v in res.scores]
    if res.mrr_after is not None:
        parts.append(f"MRR {res.mrr_before:,.0f} -> {res.mrr_after:,.0f}")
    print("; ".join(parts) + ".")
    if res.summary:
        print(f'  "{_clean(res.summary)}"')
    for line in res.relationship_lines():
        print(f"  {_clean(line)}")
    for kind, due in res.completed:
        print(f"  completed: {kind.replace('_', ' ')} (due {due})")
    for kind, due, origin in res.created:
        print(f"  new touchpoint: {kind.replace('_', ' ')} due {due} ({origin})")
    if res.next:
        print(f"  next: {res.next[0].replace('_', ' ')} on {res.next[1]}")
    if res.outcome is not None:
        o = res.outcome
        line = f"  renewal of {o['renewal']}: {o['outcome']}"
        if o["next_renewal"] is not None:
            line += f"; next renewal {o['next_renewal']} ({o['term_months']}-month term)"
        print(line)
    if res.churn_terms:
        print(f"  churn language: {_clean(', '.join(res.churn_terms))}")
    if res.checklist:
        print(f"  checked: {'; '.join(_clean(i) for i in res.checklist)}")
    if res.band:
        print(f"  health {math.floor(res.health)} ({res.band})")
    return EXIT_OK


def _cmd_renewals(args) -> int:
    owner = _owner(args)
    desk = _synced(
        args, lambda book, day: book.renewals(day, args.within, since=args.since, owner=owner)
    )
    if args.json:
        _dump(desk)
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    con = Console()
    f = desk["forecast"]
    rows = desk["renewals"]
    con.print(
        f"[bold]Renewals[/] {desk['as_of']} · next {desk['within_days']} days{_title_cut(owner)}"
    )
    if not rows:
        con.print(
            f"No renewals in the next {desk['within_days']} days. Try --within 120d, or set "
            "renewal dates on your accounts (import them, or e on an account in the app)."
        )
    else:
        con.print(
            f"  ARR at stake {f['arr_at_stake']:,.0f} · expected retained "
            f"{f['expected_retained_arr']:,.0f} [dim](risk-weighted by health band)[/]"
        )
        table = Table(title_justify="left")
        for col in ("renewal", "in", "account", "tier", "MRR", "ARR", "health", "last touch"):
            table.add_column(col, justify="right" if col in ("in", "MRR", "ARR") else "left")
        table.add_column("risks")
        for r in rows:
            last = r["last_touch"]
            table.add_row(
                r["renewal"],
                f"{r['days_left']}d",
                _esc(r["account"]),
                r["tier"],
                f"{r['mrr']:,.0f}",
                f"{r['arr']:,.0f}",
                _band(r["health"], r["band"]),
                f"{(date.fromisoformat(desk['as_of']) - date.fromisoformat(last)).days}d ago"
                if last
                else "never",
                _esc(", ".join(x["label"] for x in r["risks"])),
            )
        con.print(table)
    if desk["churn_reasons"]:
        con.print(f"[bold]Churn reasons[/] since {desk['since']}")
        for c in desk["churn_reasons"]:
            con.print(f"  {c['count']:>3} × {_esc(c['reason'])} [dim](MRR {c['mrr']:,.0f})[/]")
    if desk["accuracy"]:
        con.print("[bold]Forecast accuracy[/] [dim](forecast 90 days before vs kept)[/]")
        for m in desk["accuracy"]:
            con.print(
                f"  {m['month']}  forecast {m['forecast_arr']:>12,.0f}  kept "
                f"{m['actual_arr']:>12,.0f}  [dim]{m['renewals']} renewal"
                f"{'' if m['renewals'] == 1 else 's'}[/]"
            )
    return EXIT_OK


def _cmd_delete(args) -> int:
    from bookkeeper_tui.store.book import rows_said

    query = " ".join(args.account)
    book = _open(args)
    try:
        found = book.account_rows(query)  # an unknown account is an error either way
        if not args.yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    f"deleting '{_clean(found['account'])}' needs confirmation; nothing was "
                    "deleted. Run it in a terminal to be asked, or add --yes"
                )
            prompt = (
                f"Delete {_clean(found['account'])} and its {rows_said(found)}? "
                "This cannot be undone. [y/N] "
            )
            try:
                answer = input(prompt)
            except EOFError:
                answer = ""
            if answer.strip().casefold() not in ("y", "yes"):
                print("Nothing was deleted.")
                return EXIT_OK
        removed = book.delete_account(query)
    finally:
        book.close()
    if args.json:
        _dump(
            {
                "deleted": removed["account"],
                "rows": {k: v for k, v in removed.items() if k != "account"},
            }
        )
    else:
        print(f"Deleted {_clean(removed['account'])} and its {rows_said(removed)}.")
    return EXIT_OK


def _cmd_kpi(args) -> int:
    owner = _owner(args)
    tier = None
    if args.tier is not None:
        from bookkeeper_tui.store.book import parse_tier

        tier = parse_tier(args.tier)
    k = _synced(args, lambda book, as_of: book.kpi(as_of, args.period, owner=owner, tier=tier))
    if owner is not None or tier is not None:
        k["cut"] = {"owner": owner, "tier": tier}
    if args.json:
        _dump(k)
        return EXIT_OK
    from rich.console import Console

    from bookkeeper_tui.core.benchmarks import churn_note, rate
    from bookkeeper_tui.core.owners import owner_cut_label

    con = Console()
    cut = ""
    if owner is not None:
        cut += f" · {_esc(owner_cut_label(owner))}"
    if tier is not None:
        cut += f" · tier {tier}"
    con.print(f"[bold]KPIs[/] {k['period']['start']} .. {k['period']['end']}{cut}")

    def row(label: str, key: str, value: str) -> None:
        verdict, colour = rate(key, k.get(key) if key != "green" else k["health"]["green"])
        con.print(f"  {label:<22} [{colour}]{value:>10}[/]  [dim]{verdict}[/]")

    row("NRR", "nrr", _pct(k["nrr"]))
    row("GRR", "grr", _pct(k["grr"]))
    # The benchmark is annual: coloured by the annualised value, labelled for other periods.
    verdict, colour = rate("logo_churn", k["logo_churn_annualised"])
    note = churn_note(k["period_days"], k["logo_churn_annualised"])
    con.print(f"  {'Logo churn':<22} [{colour}]{_pct(k['logo_churn']):>10}[/]  [dim]{verdict}[/]")
    if note:
        con.print(f"  {'':<22} [dim]{note}[/]")
    con.print(f"  {'Starting MRR':<22} {k['starting_mrr']:>10,.0f}")
    con.print(
        f"  {'MRR movements':<22} new {k['new_mrr']:,.0f} · expansion {k['expansion_mrr']:,.0f}"
        f" · reactivation {k['reactivation_mrr']:,.0f}"
    )
    con.print(
        f"  {'':<22} contraction {k['contraction_mrr']:,.0f} · churned {k['churned_mrr']:,.0f}"
    )
    row("Expansion share", "expansion_share", _pct(k["expansion_share"]))
    row("NPS", "nps", _num(k["nps"]))
    con.print(
        f"  {'Account vs user NPS':<22} {_num(k['account_nps']):>10} vs {_num(k['user_nps'])}"
    )
    row("Accounts green", "green", _pct(k["health"]["green"]))
    con.print(
        f"  {'Health':<22} green {_pct(k['health']['green'])} · yellow "
        f"{_pct(k['health']['yellow'])} · red {_pct(k['health']['red'])}"
    )
    row("QBR completion (ent.)", "qbr_completion", _pct(k["qbr_completion"]))
    row("On-time touchpoints", "on_time_rate", _pct(k["on_time_rate"]))
    row("Referral rate", "referral_rate", _pct(k["referral_rate"]))
    return EXIT_OK


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v * 100:.1f}%"


def _num(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.0f}"


def _band(score: float | None, band: str | None) -> str:
    if score is None or band is None:
        return "[dim]not enough data[/]"
    colour = {"green": "green", "yellow": "yellow", "red": "red"}[band]
    return f"[{colour}]{math.floor(score)} {band}[/]"


if __name__ == "__main__":
    raise SystemExit(main())
