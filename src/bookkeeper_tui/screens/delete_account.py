"""Delete an account from the app: a confirmation naming the account and what goes
with it (interactions, touchpoints, ...), then one transaction (``Book.delete_account``)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from bookkeeper_tui.screens import commands
from bookkeeper_tui.store.book import AccountRows, BookError, rows_said
from bookkeeper_tui.widgets.render import safe


class DeleteAccountScreen(ModalScreen[bool]):
    """Asks before deleting; dismisses True when the account was deleted."""

    BINDINGS = commands.bindings(commands.DELETE)

    def __init__(self, counts: AccountRows) -> None:
        super().__init__()
        self.counts = counts
        self.account = counts.account

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                f"Delete [b]{safe(self.account)}[/b] and its {safe(rows_said(self.counts))}?",
                classes="dialog-title",
            )
            yield Static("This cannot be undone (a daily backup is kept).", classes="muted")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    f"Delete ({commands.key_name(self.app, 'delete.yes')})",
                    id="delete-yes",
                    variant="error",
                )
                yield Button(
                    f"Cancel ({commands.key_name(self.app, 'delete.no')})",
                    id="delete-no",
                    variant="primary",
                )
            yield Static("", classes="error")

    def on_mount(self) -> None:
        self.query_one("#delete-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "delete-yes":
            self.action_delete()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_delete(self) -> None:
        try:
            removed = self.app.book.delete_account(self.account)  # type: ignore[attr-defined]
        except BookError as exc:
            self.query_one(".error", Static).update(f"✗ {safe(exc.message)}")
            return
        self.app.notify(f"Deleted {safe(self.account)} and its {safe(rows_said(removed))}.")
        self.dismiss(True)
        self.app.notify_changed("account")  # type: ignore[attr-defined]
