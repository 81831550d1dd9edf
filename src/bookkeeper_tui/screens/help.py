"""Every key of every screen, as currently mapped (config ``[keys]`` included)."""

from __future__ import annotations

import importlib

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from bookkeeper_tui.screens.team import TEAM_KEYS

#: (title, module, class) of each screen whose keys are listed.
SECTIONS = (
    ("Today", "today", "TodayScreen"),
    ("Book", "accounts", "BookScreen"),
    ("Account", "account", "AccountScreen"),
    ("KPIs", "kpi", "KpiScreen"),
    ("Renewals", "renewals", "RenewalsScreen"),
)


class HelpScreen(ModalScreen[None]):
    """A scrollable list of keys; any of escape, ? or q closes it."""

    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close"),
    ]

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
            yield Static(self._table("Everywhere", self.app.BINDINGS))
            for title, module, cls in SECTIONS:
                try:
                    screen = getattr(
                        importlib.import_module(f"bookkeeper_tui.screens.{module}"), cls
                    )
                except (ImportError, AttributeError):
                    continue
                yield Static(self._table(title, screen.BINDINGS))
            yield Static(
                self._table(
                    "Quick log",
                    [
                        Binding("enter", "", "save the line"),
                        Binding("escape", "", "cancel"),
                        Binding("right", "", "accept the suggested account name"),
                        Binding("tab", "", "from a touchpoint: its checklist (space ticks)"),
                    ],
                )
            )
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

    def _table(self, title: str, bindings) -> Table:
        keys = self.app.config.keys  # type: ignore[attr-defined]
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
        seen = set()
        for b in bindings:
            if isinstance(b, tuple):
                b = Binding(*b)
            key = keys.get(b.id, b.key) if b.id else b.key
            if b.id in TEAM_KEYS and self.app.me is None:  # type: ignore[attr-defined]
                continue  # team mode's keys: listed when it is on (config `me`)
            if not b.description or (key, b.description) in seen:
                continue
            seen.add((key, b.description))
            shown = Binding(key.split(",")[0], b.action, b.description)
            display = self.app.get_key_display(shown)
            table.add_row(display, b.description)
            self.entries.append((title, display, b.description))
        return table

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
