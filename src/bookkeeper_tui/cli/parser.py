"""The ``bookkeeper`` argument parser: stdlib ``argparse``, so ``--version`` and errors cost
nothing to start. The core commands are registered here, one function per group; the
commands of the other ``cli`` modules register their own parsers (``add_parsers``)."""

from __future__ import annotations

import argparse
from typing import NoReturn

from bookkeeper_tui import __version__
from bookkeeper_tui.cli.common import UsageError, _iso


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
    _add_book_parsers(sub, common)
    _add_view_parsers(sub, common)
    _add_log_parsers(sub, common)
    _add_kpi_parsers(sub, common)
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


def _add_book_parsers(sub, common: argparse.ArgumentParser) -> None:
    """``demo`` and ``add``: fill the book, create an account."""
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


def _add_view_parsers(sub, common: argparse.ArgumentParser) -> None:
    """``today``, ``accounts`` and ``show``: what is due, the book, one account."""
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


def _add_log_parsers(sub, common: argparse.ArgumentParser) -> None:
    """``log`` (a quick-log line) and ``delete`` (an account)."""
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


def _add_kpi_parsers(sub, common: argparse.ArgumentParser) -> None:
    """``kpi`` and ``renewals``: the numbers of the book."""
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
