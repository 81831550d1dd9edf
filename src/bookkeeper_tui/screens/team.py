"""Team mode on screen: the "my accounts / whole team" line and the team keys.

With ``me`` set in the config, Today and the Book open on the accounts I own and the
``mine`` key (``m``) flips the whole app to the team and back. Without ``me`` nothing
here shows: the screens look exactly as they do for a solo user, and the key only says
how to turn team mode on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.text import Text
from textual.binding import Binding

from bookkeeper_tui.screens.commands import MINE, TEAM_OFF_ACTION
from bookkeeper_tui.widgets.render import safe

if TYPE_CHECKING:
    from textual.screen import Screen


class TeamKeys:
    """For a screen that binds the team keys (:data:`commands.MINE`): in team mode the
    shown binding runs; without it the hidden one does, and says how to turn it on.

    Both bindings are declared (``commands.bindings``); ``check_action`` enables one, so
    a solo user's footer is unchanged and no screen's bindings are edited in place.
    """

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        team_mode = self.app.me is not None  # type: ignore[attr-defined]
        if action == MINE.action:
            return team_mode
        if action == TEAM_OFF_ACTION:
            return not team_mode
        return True

    def action_toggle_mine(self) -> None:
        self.app.toggle_mine()  # type: ignore[attr-defined]

    def action_team_mode_off(self) -> None:
        self.app.toggle_mine()  # type: ignore[attr-defined]  (it says how to set `me`)


def key_display(screen: Screen, binding_id: str, default: str) -> str:
    """The key a binding is on now (config ``[keys]``), as the footer shows it."""
    key = screen.app.config.keys.get(binding_id, default).split(",")[0]  # type: ignore[attr-defined]
    return screen.app.get_key_display(Binding(key, ""))


def view_parts(
    me: str, mine: bool, shown: int, total: int, noun: str, key: str
) -> tuple[Text, Text]:
    """Which view ('My accounts (maya) · 12 of 40 accounts' or 'Whole team · 40
    accounts') and the key that flips it ('m whole team')."""
    nouns = noun if total == 1 else f"{noun}s"
    if mine:
        head = Text.assemble(("My accounts", "bold"), f" ({safe(me)}) · {shown} of {total} {nouns}")
    else:
        head = Text.assemble(("Whole team", "bold"), f" · {total} {nouns}")
    hint = Text.assemble((key, "bold"), (" whole team" if mine else " only mine", "dim"))
    return head, hint


def view_line(me: str, mine: bool, shown: int, total: int, noun: str, key: str) -> Text:
    """:func:`view_parts` on one line."""
    head, hint = view_parts(me, mine, shown, total, noun, key)
    return Text.assemble(head, "   ", hint)


def none_owned(
    me: str, total: int, unowned: int, key: str, edit_key: str = "e", owners: Sequence[str] = ()
) -> str:
    """The empty state when I own no account: say so, and how to change it (markup)."""
    noun = "account" if total == 1 else "accounts"
    if unowned:
        nobody = f"{unowned} {'has' if unowned == 1 else 'have'} no owner"
    else:
        nobody = "every one has an owner"
    if owners:
        nobody += f" (owners: {escape(safe(', '.join(owners)))})"
    return (
        f"You ({escape(safe(me))}) own none of the {total} {noun} in this book; {nobody}. "
        f"Press [b]{key}[/b] for the whole team. To take an account, open it and press "
        f"[b]{edit_key}[/b] to set its owner, or import accounts with an owner column "
        "([b]bookkeeper import accounts FILE[/b]). Check the spelling of [b]me[/b] in your "
        "config file too."
    )
