"""Edit a contact from the account screen (`c`): its role, and whether (and when) it left.

The contacts come from what the account screen already loaded; saving runs
``Book.set_contact_role`` in a worker. Marking a champion as left plans "find a new
champion" (docs/rules.md "Relationships"); giving someone the champion role closes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from bookkeeper_tui.core.account_view import ContactView
from bookkeeper_tui.core.quicklog import parse_when
from bookkeeper_tui.core.vocab import ROLES
from bookkeeper_tui.screens import commands
from bookkeeper_tui.screens.form import FormNotes, form_input, form_row
from bookkeeper_tui.store.book import BookError
from bookkeeper_tui.widgets.render import label, safe

ROLE_OPTIONS = [(label(r), r) for r in ROLES]
LEFT_HINT = "empty: still there · YYYY-MM-DD, today, yesterday, -2w"


class ContactScreen(FormNotes, ModalScreen[bool]):
    """Dismisses True when a contact was saved."""

    CSS_PATH = "contact_edit.tcss"
    BINDINGS = commands.bindings(commands.FORM)

    def __init__(self, account: str, contacts: Sequence[ContactView], today: date) -> None:
        super().__init__()
        self.account = account
        self.contacts = {c.name: c for c in contacts}
        self.today = today
        self.saving = False

    def compose(self) -> ComposeResult:
        first = next(iter(self.contacts))
        with Vertical(classes="dialog", id="edit-contact"):
            yield Static(
                Text.assemble(
                    ("Contacts at ", "bold"),
                    (safe(self.account), "bold"),
                    (
                        f"  {commands.key_name(self.app, 'form.save')} saves · "
                        f"{commands.key_name(self.app, 'dialog.cancel')} cancels",
                        "dim",
                    ),
                ),
                classes="dialog-title",
            )
            yield from form_row(
                "contact",
                "contact",
                Select(
                    [(safe(n), n) for n in self.contacts],
                    value=first,
                    allow_blank=False,
                    id="contact",
                    compact=True,
                ),
            )
            yield from form_row(
                "role",
                "role",
                Select(ROLE_OPTIONS, value="other", allow_blank=False, id="role", compact=True),
            )
            yield from form_row("left", "left on", form_input(placeholder=LEFT_HINT, id="left"))
            yield Static(
                "A champion marked as left plans 'find a new champion'; a new champion closes it.",
                classes="muted",
            )
            yield Static("", id="form-error", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        for key in ("contact", "role", "left"):
            self._note(key, None)
        self._form_error(None)
        self._fill(next(iter(self.contacts)))
        self.query_one("#role", Select).focus()

    def _fill(self, name: str) -> None:
        c = self.contacts[name]
        self.query_one("#role", Select).value = c.role if c.role in ROLES else "other"
        self.query_one("#left", Input).value = c.left_on.isoformat() if c.left_on else ""
        self._note("left", None)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "contact" and isinstance(event.value, str):
            self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def _left_on(self) -> date | str | None:
        """The typed departure day, None when empty, or the problem as a string."""
        text = self.query_one("#left", Input).value.strip()
        if not text:
            return None
        try:
            return parse_when(text, self.today)
        except ValueError as exc:
            return str(exc)

    def action_save(self) -> None:
        if self.saving:
            return
        left = self._left_on()
        if isinstance(left, str):
            self._note("left", left)
            return
        self._note("left", None)
        name = self.query_one("#contact", Select).value
        role = self.query_one("#role", Select).value
        if not isinstance(name, str) or not isinstance(role, str):
            return
        self.saving = True
        book = self.app.book  # type: ignore[attr-defined]

        def save() -> None:
            try:
                planned = book.set_contact_role(self.account, name, role, left, self.today)
            except BookError as exc:
                self.app.call_from_thread(self._failed, exc.message)
                return
            self.app.call_from_thread(self._saved, name, role, left, planned)

        self.run_worker(save, thread=True, group="save", exit_on_error=False)

    def _failed(self, message: str) -> None:
        self.saving = False
        self._form_error(message)

    def _saved(self, name: str, role: str, left: date | None, planned: list) -> None:
        said = f"{safe(name)}: {label(role)}" + (f", left {left}" if left else "")
        for p in planned:
            said += f"; planned {label(p.kind)} due {p.due}"
        self.app.notify(said)
        self.dismiss(True)
        self.app.notify_changed("contact")  # type: ignore[attr-defined]
