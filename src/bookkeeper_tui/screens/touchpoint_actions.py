"""Snooze and skip a touchpoint from Today: small dialogs, one transaction each."""

from __future__ import annotations

from datetime import date, timedelta

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from bookkeeper_tui.core.quicklog import parse_due
from bookkeeper_tui.screens import commands
from bookkeeper_tui.store.book import BookError, TodayRow
from bookkeeper_tui.widgets.render import label, safe
from bookkeeper_tui.widgets.safe_input import SafeInput


class _TouchpointDialog(ModalScreen[bool]):
    BINDINGS = commands.bindings(commands.SKIP)

    def __init__(self, row: TodayRow, today: date) -> None:
        super().__init__()
        self.row = row
        self.today = today

    def action_cancel(self) -> None:
        self.dismiss(False)

    def _error(self, message: str) -> None:
        self.query_one(".error", Static).update(f"✗ {safe(message)}")

    def _done(self, message: str) -> None:
        self.app.notify(message)
        self.dismiss(True)
        self.app.notify_changed("touchpoint")  # type: ignore[attr-defined]


class SnoozeScreen(_TouchpointDialog):
    """Snooze for a day, a week, or until a date the user types."""

    BINDINGS = commands.bindings(commands.SNOOZE)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                f"Snooze [b]{label(self.row.kind)}[/b] for [b]{safe(self.row.account)}[/b]",
                classes="dialog-title",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    f"A day ({commands.key_name(self.app, 'snooze.day')})",
                    id="snooze-day",
                    variant="primary",
                )
                yield Button(
                    f"A week ({commands.key_name(self.app, 'snooze.week')})", id="snooze-week"
                )
            yield Static("…or until (YYYY-MM-DD, +3d, fri):", classes="muted")
            yield SafeInput(placeholder="+3d", id="snooze-date")
            yield Static("", classes="error")

    def on_mount(self) -> None:
        self.query_one("#snooze-day", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_snooze_days(1 if event.button.id == "snooze-day" else 7)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            until = parse_due(event.value.strip(), self.today)
        except ValueError as exc:
            self._error(str(exc))
            return
        if until <= self.today:
            self._error("pick a day after today, e.g. +3d or a weekday")
            return
        self._snooze(until)

    def action_snooze_days(self, days: int) -> None:
        if isinstance(self.focused, Input):
            return
        self._snooze(self.today + timedelta(days=days))

    @work(thread=True, exit_on_error=False)
    def _snooze(self, until: date) -> None:
        try:
            self.app.book.snooze(self.row.touchpoint_id, until)  # type: ignore[attr-defined]
        except BookError as exc:
            self.app.call_from_thread(self._error, exc.message)
            return
        self.app.call_from_thread(
            self._done,
            f"Snoozed {label(self.row.kind)} for {self.row.account} until {until:%a %d %b}",
        )


class SkipScreen(_TouchpointDialog):
    """Skip with a reason (skipped touchpoints are never re-created by the playbook)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                f"Skip [b]{label(self.row.kind)}[/b] for [b]{safe(self.row.account)}[/b]: why?",
                classes="dialog-title",
            )
            yield SafeInput(placeholder="e.g. customer on holiday", id="skip-reason")
            yield Static("", classes="error")
            yield Static("enter skips · escape keeps it", classes="muted")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._skip(event.value)

    @work(thread=True, exit_on_error=False)
    def _skip(self, reason: str) -> None:
        try:
            self.app.book.skip(self.row.touchpoint_id, reason, self.today)  # type: ignore[attr-defined]
        except BookError as exc:
            self.app.call_from_thread(self._error, exc.message)
            return
        self.app.call_from_thread(
            self._done, f"Skipped {label(self.row.kind)} for {self.row.account}"
        )
