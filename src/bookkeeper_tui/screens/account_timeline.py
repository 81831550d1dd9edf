"""The account screen's right side: the health and NPS trends, and the timeline (a
``VTable`` of the account's entries, newest first, churn language highlighted, the
highlighted entry in full under it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Sparkline, Static

from bookkeeper_tui.core.account_view import (
    InteractionEntry,
    MrrEntry,
    ScoreEntry,
    TimelineEntry,
)
from bookkeeper_tui.core.signals import churn_spans
from bookkeeper_tui.store.book import HealthPoint
from bookkeeper_tui.widgets.render import label, money, safe, score_str
from bookkeeper_tui.widgets.vtable import Column, VTable

if TYPE_CHECKING:
    from bookkeeper_tui.core.account_view import AccountView
    from bookkeeper_tui.screens.account_data import AccountData
    from bookkeeper_tui.screens.base import DataScreen

    _Screen = DataScreen
else:
    _Screen = object

#: How an MRR movement reads, and its colour.
MOVEMENT_STYLE = {
    "new": "green",
    "reactivation": "green",
    "expansion": "green",
    "contraction": "red",
    "churn": "bold red",
    "flat": "dim",
}

CHURN_STYLE = "bold red"

#: Below this terminal width the side column goes above the timeline instead of beside it.
NARROW_WIDTH = 110
#: Below this terminal height the trends and the full-entry box are left out.
SHORT_HEIGHT = 32
#: Keep in step with account.tcss (#account-side width).
SIDE_WIDTH = 46
DATE_WIDTH = 10
KIND_WIDTH = 13
WHO_WIDTH = 16
#: The timeline's text column gets at least this much before a contact column is added.
ROOMY_TEXT_WIDTH = 48
MIN_TEXT_WIDTH = 20


def entry_text(entry: TimelineEntry, words: tuple[str, ...] | list[str]) -> Text:
    """One timeline entry's text, on one line, churn terms in bold red."""
    if isinstance(entry, InteractionEntry):
        body = safe(" ".join(entry.summary.split()))
        notes = safe(" ".join(entry.notes.split()))
        if notes:
            body = f"{body} — {notes}" if body else notes
        text = Text(body)
        for start, end, _term in churn_spans(body, words):
            text.stylize(CHURN_STYLE, start, end)
        if entry.tags:
            text.append("  " + " ".join(f"#{safe(t)}" for t in entry.tags), style="cyan")
        if entry.checklist:  # how many checklist items were ticked (the entry below lists them)
            text.append(f"  ✓{len(entry.checklist)}", style="green")
        return text
    if isinstance(entry, ScoreEntry):
        return score_text(entry.kind, float(entry.value))
    if isinstance(entry, MrrEntry):
        movement = entry.movement
        return Text.assemble(
            f"MRR {money(entry.before)} → {money(entry.after)}  ",
            (movement, MOVEMENT_STYLE.get(movement, "")),
        )
    # A completed or skipped touchpoint.
    if entry.status == "skipped":
        reason = safe(entry.reason) or "no reason given"
        return Text(f"skipped: {reason} (was due {entry.due})", style="dim")
    late = (entry.day - entry.due).days
    when = "on time" if late <= 0 else f"{late}d late"
    return Text.assemble(
        ("done ", "dim"),
        (when, "dim" if late <= 0 else "yellow"),
        (f" (due {entry.due})", "dim"),
    )


def score_text(kind: str, value: float) -> Text:
    """A score as a person reads it: 'NPS 8 passive', 'usage 48%', '3 tickets'."""
    if kind == "nps":
        verdict, style = (
            ("promoter", "green")
            if value >= 9
            else ("detractor", "red")
            if value <= 6
            else ("passive", "yellow")
        )
        return Text.assemble((f"NPS {value:g} ", f"bold {style}"), (verdict, style))
    if kind == "csat":
        style = "green" if value >= 4 else "red" if value <= 3 else "yellow"
        return Text(f"CSAT {value:g} / 5", style=style)
    if kind == "ces":
        return Text(f"effort (CES) {value:g} / 7")
    if kind == "usage":
        return Text(f"usage {value:g}%")
    if kind == "tickets":
        return Text(f"{value:g} ticket{'' if value == 1 else 's'}")
    if kind == "health":
        return Text(f"manual health {value:g}", style="yellow")
    return Text(f"{kind} {value:g}")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def entry_kind(entry: TimelineEntry) -> Text:
    """The short 'what' column of a timeline row."""
    if isinstance(entry, InteractionEntry):
        style = CHURN_STYLE if entry.churn_terms else "bold"
        return Text(label(entry.kind), style=style)
    if isinstance(entry, ScoreEntry):
        return Text(label(entry.kind))
    if isinstance(entry, MrrEntry):
        return Text("revenue", style=MOVEMENT_STYLE.get(entry.movement, ""))
    mark = "✓" if entry.status == "done" else "✗"
    return Text(f"{mark} {label(entry.kind)}", style="dim")


class TimelineMixin(_Screen):
    """Mixed into ``AccountScreen``: its trends, its timeline and the entry under it."""

    data: AccountData | None
    _timeline_shape: tuple[bool, int] | None

    def _show_trends(self, d: AccountView, history: list[HealthPoint]) -> None:
        churned = d.status == "churned"
        health = [p.score for p in history]
        self.query_one("#account-health-spark", Sparkline).data = health
        caption = self.query_one("#account-health-caption", Static)
        if health:
            caption.update(
                Text(
                    f"{score_str(health[0])} → {score_str(health[-1])} "
                    f"(low {score_str(min(health))}, high {score_str(max(health))})\n"
                    f"{plural(len(health), 'snapshot')} since {history[0].day.isoformat()}",
                    style="dim",
                )
            )
        else:
            caption.update(
                Text(
                    "No health history: churned accounts\nare not scored."
                    if churned
                    else "No health history yet:\nit is snapshotted daily.",
                    style="dim",
                )
            )
        nps = [
            (e.day.isoformat(), float(e.value))
            for e in reversed(d.timeline)
            if isinstance(e, ScoreEntry) and e.kind == "nps"
        ]
        self.query_one("#account-nps-spark", Sparkline).data = [v for _, v in nps]
        nps_caption = self.query_one("#account-nps-caption", Static)
        if nps:
            nps_caption.update(
                Text(
                    f"{nps[0][1]:g} → {nps[-1][1]:g} "
                    f"(low {min(v for _, v in nps):g}, high {max(v for _, v in nps):g})\n"
                    f"{plural(len(nps), 'answer')} since {nps[0][0]}",
                    style="dim",
                )
            )
        else:
            nps_caption.update(
                Text("No NPS answers yet:\npress enter and add 'nps 9'.", style="dim")
            )

    def _timeline_layout(self) -> tuple[bool, int]:
        """(show the contact column?, width of the text column) for the current width.

        The text matters most: the contact gets its own column only when the text still
        has room beside it (the entry under the table always names the contact). Computed
        from the screen width and the side column's fixed width rather than the table's
        own size, which is still 0 the first time the table is shown.
        """
        width = self.size.width or self.app.size.width
        beside = 0 if width < NARROW_WIDTH else SIDE_WIDTH + 1  # the side column and padding
        # cell padding 2 per column, the table's vertical scrollbar 2.
        text = width - beside - DATE_WIDTH - KIND_WIDTH - 2 * 3 - 2
        if text - WHO_WIDTH - 2 >= ROOMY_TEXT_WIDTH:
            return True, text - WHO_WIDTH - 2
        return False, max(MIN_TEXT_WIDTH, text)

    @staticmethod
    def _timeline_columns(with_who: bool, text_width: int) -> list[Column]:
        cols = [
            Column("date", "date", DATE_WIDTH),
            Column("kind", "what", KIND_WIDTH),
            Column("text", "details", text_width, flex=True),
        ]
        if with_who:
            cols.append(Column("contact", "who", WHO_WIDTH))
        return cols

    def _timeline_row(self, e: TimelineEntry) -> list[Text]:
        row = [
            Text(e.day.isoformat(), style="dim"),
            entry_kind(e),
            entry_text(e, self.bk.config.churn_words),
        ]
        if self._timeline_shape is not None and self._timeline_shape[0]:
            row.append(Text(safe(e.contact) or "", style="italic"))
        return row

    def _show_timeline(self, timeline: tuple[TimelineEntry, ...]) -> None:
        table = self.query_one("#account-timeline", VTable)
        shape = self._timeline_layout()
        if shape != self._timeline_shape:
            self._timeline_shape = shape
            table.set_columns(self._timeline_columns(*shape))
        table.set_rows(timeline)
        entry = self.query_one("#account-entry", Static)
        entry.set_class(not timeline, "-empty")
        if timeline:
            table.display = True
            self._show_entry(table.cursor_row)
            if not isinstance(self.focused, VTable):
                table.focus()
        else:
            table.display = False
            entry.update(
                Text(
                    "Nothing logged yet. Press enter to log the first call for this account.",
                    style="dim",
                )
            )

    def _fit(self, width: int, height: int) -> None:
        self.set_class(width < NARROW_WIDTH, "-narrow")
        self.set_class(height < SHORT_HEIGHT, "-short")

    def _show_entry(self, row: int | None) -> None:
        """The highlighted timeline entry in full (the table shows one line of it)."""
        entry = self.query_one("#account-entry", Static)
        if self.data is None or self.data.detail is None or row is None:
            entry.update("", layout=False)
            return
        timeline = self.data.detail.timeline
        if not 0 <= row < len(timeline):
            entry.update("", layout=False)
            return
        e = timeline[row]
        out = Text.assemble((e.day.isoformat(), "bold"), "  ", entry_kind(e))
        if e.contact:
            out.append(f" with {safe(e.contact)}", style="italic")
        out.append("\n")
        out.append_text(entry_text(e, self.bk.config.churn_words))
        churn_terms = e.churn_terms if isinstance(e, InteractionEntry) else ()
        if churn_terms:
            out.append("\nchurn language: ", style="bold red")
            out.append(", ".join(safe(t) for t in churn_terms), style="red")
        ticked = e.checklist if isinstance(e, InteractionEntry) else ()
        if ticked:  # the touchpoint checklist items ticked, on one line (the box is small)
            out.append("\n" + " · ".join(f"✓ {safe(item)}" for item in ticked), style="green")
        entry.update(out, layout=False)


def _entry_key(e: TimelineEntry) -> str:
    return f"{e.type}:{e.day.isoformat()}:{id(e)}"
