"""The command palette (ctrl+p): the app's commands, with the key each is on now, and any
account by name."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.app import SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from bookkeeper_tui.screens.commands import APP, key_now

if TYPE_CHECKING:
    from bookkeeper_tui.app import BookkeeperApp


def app_commands(app: BookkeeperApp) -> Iterator[SystemCommand]:
    """The palette's entries for the app's commands (:data:`commands.APP`), each with the
    key it is on now (config ``[keys]`` applied); team mode's only in team mode."""
    for command in APP:
        if not command.title or (command.team and app.me is None):
            continue
        summary = command.summary
        if command.key:
            key = app.get_key_display(Binding(key_now(command, app.config.keys), ""))
            summary = f"{summary} ({key})"
        yield SystemCommand(command.title, summary, partial(app.run_action, command.action))


class AccountsProvider(Provider):
    """Command palette: jump to any account by name."""

    @property
    def _app(self) -> BookkeeperApp:
        return cast("BookkeeperApp", self.app)

    async def startup(self) -> None:
        app = self._app
        worker = app.run_worker(lambda: app.book.account_names(), thread=True)
        self._names: list[str] = await worker.wait()

    async def discover(self) -> Hits:
        for name in self._names[:20]:
            yield DiscoveryHit(f"Open {name}", partial(self._open, name), help="account")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name in self._names:
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(name), partial(self._open, name), help="open account"
                )

    def _open(self, name: str) -> None:
        self._app.open_account(name)
