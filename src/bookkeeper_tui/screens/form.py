"""What the account forms (add, edit) share: a labelled row with its note underneath,
the input they use, the tier choice, field notes and the form-wide error."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select, Static

from bookkeeper_tui.core.vocab import TIERS
from bookkeeper_tui.widgets.render import safe
from bookkeeper_tui.widgets.safe_input import SafeInput

FROM_MRR = "auto"
#: The tier choice: "from MRR" (follows the ARR) or a fixed tier.
TIER_OPTIONS = [("from MRR", FROM_MRR), *((t, t) for t in TIERS)]


def form_input(value: str = "", placeholder: str = "", id: str = "") -> Input:
    return SafeInput(value, placeholder, id=id, compact=True, select_on_focus=False)


def tier_select() -> Select:
    return Select(TIER_OPTIONS, value=FROM_MRR, allow_blank=False, id="tier", compact=True)


def form_row(key: str, title: str, widget: Input | Select) -> ComposeResult:
    """``#row-KEY`` (label and widget) and ``#KEY-note`` under it for its message."""
    with Horizontal(classes="form-row", id=f"row-{key}"):
        yield Label(title, classes="form-label")
        yield widget
    yield Static("", id=f"{key}-note", classes="field-note")


def renewal_before_start(day: date, start: date | None) -> str | None:
    """The message when a renewal date comes before the account's start, else None."""
    if start is not None and day < start:
        return (
            f"the renewal date is before the start date ({start}); "
            "give a later date or leave it empty"
        )
    return None


class FormNotes:
    """Field notes and the form-wide error of a screen built with :func:`form_row`."""

    def _note(self, key: str, message: str | None) -> None:
        note = self.query_one(f"#{key}-note", Static)  # type: ignore[attr-defined]
        row = self.query_one(f"#row-{key}", Horizontal)  # type: ignore[attr-defined]
        if message:
            note.update(Text("✗ " + safe(message), style="bold red"))
            note.display = True
            row.add_class("-invalid")
        else:
            note.update("")
            note.display = False
            row.remove_class("-invalid")

    def _form_error(self, message: str | None) -> None:
        box = self.query_one("#form-error", Static)  # type: ignore[attr-defined]
        box.update(Text("✗ " + safe(message), style="bold red") if message else "")
        box.display = bool(message)
