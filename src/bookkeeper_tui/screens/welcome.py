"""First run: an empty book opens here, never on an empty grid."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Header, LoadingIndicator, Static

from bookkeeper_tui.screens import commands
from bookkeeper_tui.widgets.footer import Footer


class WelcomeScreen(Screen[None]):
    """Offer the demo book or a first account."""

    CSS_PATH = "welcome.tcss"
    BINDINGS = commands.bindings(commands.WELCOME)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="welcome", classes="dialog"):
            yield Static("[b]Welcome to Bookkeeper[/b]", classes="dialog-title")
            yield Static(
                "Your book is empty. Bookkeeper plans your touchpoints from a customer-success "
                "playbook, scores each account's health and tracks NRR, GRR and NPS.\n\n"
                "Start with the demo book to look around (40 believable accounts; it replaces "
                "nothing, the book is empty), import your CRM or billing export, or add your "
                "first account by hand."
            )
            with Horizontal(classes="dialog-buttons"):
                demo, imp, add = self._keys()
                yield Button(f"Load the demo book ({demo})", id="welcome-demo", variant="primary")
                yield Button(f"Import a CSV ({imp})", id="welcome-import")
                yield Button(f"Add an account ({add})", id="welcome-add")
            yield LoadingIndicator(id="welcome-loading")
            yield Static("", id="welcome-status", classes="muted")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Welcome"
        self.query_one("#welcome-loading").display = False
        self.query_one("#welcome-demo", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "welcome-demo":
            self.action_demo()
        elif event.button.id == "welcome-import":
            self.action_import_csv()
        else:
            self.action_add()

    def action_demo(self) -> None:
        self.query_one("#welcome-loading").display = True
        self.query_one("#welcome-status", Static).update("Building the demo book…")
        for b in self.query(Button):
            b.disabled = True
        self._build()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _build(self) -> None:
        from bookkeeper_tui.store.demo import build_demo

        app = self.app
        stats = build_demo(app.book, accounts=40, as_of=app.today)  # type: ignore[attr-defined]
        app.call_from_thread(self._built, stats)

    def _built(self, stats: dict) -> None:
        self.app.notify(
            f"Demo book ready: {stats['accounts']} accounts, {stats['interactions']} interactions."
        )
        self.dismiss(None)
        self.app.notify_changed("demo")  # type: ignore[attr-defined]

    def action_stay(self) -> None:
        demo, imp, add = self._keys()
        self.app.notify(
            f"Load the demo book ({demo}), import a CSV ({imp}) or add an account ({add})."
        )

    def _keys(self) -> tuple[str, str, str]:
        """The keys of the three choices, as remapped in config ``[keys]``."""
        return tuple(
            commands.key_name(self.app, i)
            for i in ("welcome.demo", "welcome.import", "welcome.add")
        )

    def action_import_csv(self) -> None:
        from bookkeeper_tui.screens.import_screen import ImportScreen

        self.app.push_screen(ImportScreen(), lambda _=None: self._after_import())

    def _after_import(self) -> None:
        if not self.app.book.is_empty():  # type: ignore[attr-defined]
            self.dismiss(None)

    def action_add(self) -> None:
        from bookkeeper_tui.screens.add_account import AddAccountScreen

        def added(name: str | None) -> None:
            if name:
                self.dismiss(None)

        self.app.push_screen(AddAccountScreen(), added)
