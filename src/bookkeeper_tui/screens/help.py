"""Every key of every screen, as currently mapped (config ``[keys]`` included)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from bookkeeper_tui.screens.commands import (
    DIALOG_SECTIONS,
    HELP,
    HELP_SECTIONS,
    Command,
    bindings,
    key_now,
)


class HelpScreen(ModalScreen[None]):
    """A scrollable list of keys; any of escape, ? or q closes it."""

    BINDINGS = bindings(HELP)

    def __init__(self) -> None:
        super().__init__()
        #: (section, key shown, what it does): what the screen lists, for tests and docs.
        self.entries: list[tuple[str, str, str]] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="help"):
            yield Static(
                "[b]Keys[/b]  [dim]escape closes · remap any key in config.toml \\[keys][/]",
                classes="dialog-title",
            )
            for title, section in HELP_SECTIONS:
                yield Static(self._table(title, section))
            yield Static(self._dialogs())
            yield Static(
                Text.assemble(
                    ("Quick-log line: ", "bold"),
                    'ACCOUNT [kind] ["summary"] [nps N] [csat N] [ces N] [mrr N] [with NAME] '
                    "[@DATE] [next KIND DATE] [#tag]\n",
                    ("renewal outcome: ", "dim"),
                    "ACCOUNT renewal renewed [mrr N] [term 12m] · renewal downgraded mrr N · "
                    'renewal churned "why"\n',
                    ("e.g. ", "dim"),
                    (
                        'globex renewal with Priya mrr 4200 nps 9 "+20 seats" next qbr +3m',
                        "italic",
                    ),
                )
            )
            yield Static(
                "[dim]ctrl+p opens the command palette: every action, and any account by name.[/]"
            )

    def _table(self, title: str, section: tuple[Command, ...]) -> Table:
        table = Table(
            title=title,
            title_justify="left",
            show_header=False,
            box=None,
            padding=(0, 2),
            title_style="bold",
        )
        table.add_column(style="bold cyan", width=12)
        table.add_column()
        for command in section:
            if command.team and self.app.me is None:  # type: ignore[attr-defined]
                continue  # team mode's keys: listed when it is on (config `me`)
            display = self._key(command)
            table.add_row(display, command.label)
            self.entries.append((title, display, command.label))
        return table

    def _dialogs(self) -> Table:
        """The forms' and dialogs' keys: one line each, ``^s Save · esc Cancel``."""
        table = Table(
            title="Forms and dialogs",
            title_justify="left",
            show_header=False,
            box=None,
            padding=(0, 2),
            title_style="bold",
        )
        table.add_column(width=14, no_wrap=True)
        table.add_column()
        for title, section in DIALOG_SECTIONS:
            line = Text()
            for command in section:
                display = self._key(command)
                if line:
                    line.append(" · ", style="dim")
                line.append(display, style="bold cyan")
                line.append(f" {command.label}")
                self.entries.append((title, display, command.label))
            table.add_row(title, line)
        return table

    def _key(self, command: Command) -> str:
        """The key *command* is on now, as the footer shows it."""
        keys = self.app.config.keys  # type: ignore[attr-defined]
        return self.app.get_key_display(Binding(key_now(command, keys), ""))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
