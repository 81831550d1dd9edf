"""Due touchpoints as an iCalendar file (``bookkeeper export ics``).

Each open touchpoint of an active account is an all-day event on the day it is due
(a snoozed one on the day it is snoozed to), so the week's QBRs and check-ins show up
in any calendar app. The file is built with the ``icalendar`` library, which escapes
commas, semicolons, backslashes and newlines and folds long lines; user text is
cleaned first so no control character (or invisible bidi override) reaches a calendar.
UIDs are stable (``touchpoint-<id>@bookkeeper``), so re-importing or re-subscribing
updates events instead of duplicating them.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, TextIO

from bookkeeper_tui.core.text import printable

if TYPE_CHECKING:
    from icalendar import Calendar

    from bookkeeper_tui.store.book import Book, TodayRow

CALENDAR_NAME = "Bookkeeper"

_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def clean_text(text: str | None, multiline: bool = False) -> str:
    """*text* without control characters: line breaks kept as ``\\n`` only if *multiline*.

    Tabs become spaces; what the one cleaner (:func:`printable`) would not let reach a
    terminal (other C0/C1 controls, lone surrogates, bidi controls) is dropped.
    """
    if not text:
        return ""
    brk = "\n" if multiline else " "
    text = "".join(brk if ch in _LINE_BREAKS else ch for ch in text.replace("\r\n", "\n"))
    cleaned = printable(text, mark="", newlines=multiline)
    if multiline:
        return "\n".join(" ".join(line.split()) for line in cleaned.split("\n")).strip("\n")
    return " ".join(cleaned.split())


def _description(row: TodayRow) -> str:
    if row.health is None or row.band is None:
        health = "no data"
    else:
        health = f"{math.floor(row.health)} ({row.band})"
    lines = [clean_text(row.note, multiline=True), f"Tier: {row.tier}", f"Health: {health}"]
    return "\n".join(line for line in lines if line)


def build_calendar(book: Book, as_of: date, now: datetime | None = None) -> Calendar:
    """The calendar of every open (or snoozed) touchpoint of the book's active accounts."""
    from icalendar import Calendar, Event

    from bookkeeper_tui import __version__
    from bookkeeper_tui.core.bounds import date_problem

    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", f"-//Bookkeeper//bookkeeper-tui {__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", CALENDAR_NAME)
    # Everything open, however far ahead: Book.today already applies snoozes, leaves out
    # churned accounts and knows each account's latest health.
    rows = book.today(as_of, ahead_days=(date.max - as_of).days)
    rows.sort(key=lambda r: (r.due, r.account.casefold(), r.touchpoint_id))
    for row in rows:
        if date_problem(row.due):
            continue  # a due date outside the book's years, saved before the check
        ev = Event()
        ev.add("uid", f"touchpoint-{row.touchpoint_id}@bookkeeper")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", row.due)
        ev.add("dtend", row.due + timedelta(days=1))
        kind = clean_text(row.kind.replace("_", " "))
        ev.add("summary", f"{kind} · {clean_text(row.account)}")
        ev.add("description", _description(row))
        ev.add("categories", [kind])
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal


def write_ics(
    book: Book, out: TextIO, as_of: date | None = None, now: datetime | None = None
) -> int:
    """Write the calendar to *out*; the number of events."""
    cal = build_calendar(book, as_of or date.today(), now)
    out.write(cal.to_ical().decode("utf-8"))
    return len(cal.subcomponents)
