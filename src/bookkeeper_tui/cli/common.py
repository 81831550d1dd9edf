"""What every command shares: exit codes, bad-input errors, dates, opening the book,
strict JSON on stdout and text made safe for a terminal.

Kept apart from the parser (``cli/__init__``) so the commands' modules import these
without importing the command line that registers them: no import cycle (issue 15).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import date, datetime
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line input (exit 2)."""


def _iso(value: str) -> date:
    from bookkeeper_tui.core.bounds import date_problem

    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{value}' is not a date; write it as YYYY-MM-DD"
        ) from None
    problem = date_problem(day, "")
    if problem:
        raise argparse.ArgumentTypeError(problem.strip())
    return day


def _config():
    from bookkeeper_tui.config import load_config

    return load_config()


def _open(args, daily_backup: bool = True):
    from bookkeeper_tui.store.book import Book

    book = Book.open(args.db, _config())
    if daily_backup:
        _daily_backup(book)
    return book


def _daily_backup(book) -> None:
    """The automatic rolling backup (one a day, the last 7 kept): cheap after the first."""
    from pathlib import Path

    from bookkeeper_tui.store.backup import daily_backup
    from bookkeeper_tui.store.engine import is_url

    if not is_url(book.location):
        daily_backup(Path(book.location), date.today())


def _dump(obj: Any) -> None:
    """Strict JSON on stdout: an undefined number (NaN, infinity) is ``null``, never the
    ``NaN``/``Infinity`` tokens that JSON parsers in other languages reject (issue 13 #8)."""
    from bookkeeper_tui.core.text import json_escaped

    try:
        text = _dumps(obj)
    except ValueError:  # a NaN or an infinity somewhere: only then walk it for them
        text = _dumps(_finite(obj))
    # DEL, C1 controls, bidi controls and lone surrogates as \uXXXX too (lossless).
    sys.stdout.write(json_escaped(text) + "\n")


_SCALARS = (str, int, float, bool, type(None))


def _dumps(obj: Any) -> str:
    """``json.dumps(obj, indent=2)``, byte for byte; a list of flat rows (``today``,
    ``accounts`` on a big book) is written row by row with the C encoder, which ``indent``
    would otherwise switch off (5,000 rows: ~0.2 s less)."""
    if (
        isinstance(obj, list)
        and obj
        and all(
            isinstance(row, dict)
            and row
            and all(isinstance(k, str) and isinstance(v, _SCALARS) for k, v in row.items())
            for row in obj
        )
    ):
        encode = json.JSONEncoder(
            ensure_ascii=False, allow_nan=False, separators=(",\n    ", ": ")
        ).encode
        rows = ["{\n    " + encode(row)[1:-1] + "\n  }" for row in obj]
        return "[\n  " + ",\n  ".join(rows) + "\n]"
    return json.dumps(obj, indent=2, default=_json_default, ensure_ascii=False, allow_nan=False)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _json_default(o: Any) -> Any:
    if isinstance(o, (date, datetime)):
        return o.isoformat()
    raise TypeError(f"cannot serialise {type(o).__name__}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else ""


def _clean(text: str | None) -> str:
    """User text made safe for a terminal: escape sequences and control characters are
    shown as visible escapes (``\\x1b``), never sent raw (core/text.py)."""
    from bookkeeper_tui.core.text import printable

    return printable(text)


def _say(message: object) -> None:
    """``bookkeeper: MESSAGE`` on stderr. An error message quotes what the user or a file
    gave (a column, a cell, a config key): it is cleaned whole, its own line breaks kept."""
    from bookkeeper_tui.core.text import printable

    print(f"bookkeeper: {printable(str(message), newlines=True)}", file=sys.stderr)


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(_clean(text))


# -- what the book's commands share (today, accounts, show, log, kpi, renewals) ----


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


def _band(score: float | None, band: str | None) -> str:
    if score is None or band is None:
        return "[dim]not enough data[/]"
    colour = {"green": "green", "yellow": "yellow", "red": "red"}[band]
    return f"[{colour}]{math.floor(score)} {band}[/]"
