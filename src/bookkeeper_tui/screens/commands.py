"""Every command of the app, once: its id, key, label, tooltip and action (issue 15 #4).

One :class:`Command` per action feeds the key bindings (and so the footer), the help
screen and the command palette. The key is the default; config ``[keys]`` remaps it by
the command's id (``App.set_keymap``), and :func:`key_now` says which key it is on now,
so the help and the palette show the key the user actually presses.

The data needs no Textual; :func:`bindings` turns commands into Textual ``Binding``\\ s.
Every screen's, form's and dialog's ``BINDINGS`` come from here (the help lists them all,
the forms and dialogs in :data:`DIALOG_SECTIONS`). One module binds keys itself:
``widgets/vtable.py``, the table widget's navigation keys (up, down, page up/down,
home, end, enter), as Textual's own ``DataTable`` binds them; widgets sit below screens
and cannot import this module, and those keys are the widget's, not the app's actions.

Ids are unique: a command several screens share (the team key, the dialogs' cancel, the
forms' save) is one object, so remapping its id remaps it everywhere. Which ids config
``[keys]`` accepts is ``core.settings.DEFAULT_KEYS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Command:
    """One action the user can take."""

    #: The binding id, the name used in config ``[keys]`` to remap it.
    id: str
    #: The default key(s), Textual key names, comma-separated; "" = palette only.
    key: str
    #: What the footer and the help call it.
    label: str
    #: The Textual action the key runs (the palette runs it too).
    action: str
    tooltip: str = ""
    #: In the footer (the help lists every command either way).
    show: bool = True
    #: Handled as the key arrives, before the focused widget sees it.
    priority: bool = False
    #: Team mode's keys (config ``me``): in the footer and the help only then. Without
    #: team mode the key still works, and says how to turn team mode on.
    team: bool = False
    #: The command palette's title for it; "" = not in the palette.
    title: str = ""
    #: The palette's line under the title (the key it is on now is added).
    summary: str = ""
    #: False: a key a Textual widget handles itself (the quick-log line's ``enter`` and
    #: ``right``), listed in the help but no binding of ours.
    bound: bool = True


#: The action the team keys run outside team mode: they explain how to turn it on.
TEAM_OFF_ACTION = "team_mode_off"


def bindings(commands: Iterable[Command]) -> list[Binding]:
    """The Textual bindings of *commands* (those with a key).

    A team key is two bindings on the same key and id: the one shown runs the command
    in team mode, the hidden one explains team mode without it; the screen's
    ``check_action`` (:class:`bookkeeper_tui.screens.team.TeamKeys`) enables one of them.
    """
    out: list[Binding] = []
    for c in commands:
        if not c.key or not c.bound:
            continue
        out.append(
            Binding(
                c.key,
                c.action,
                c.label,
                show=c.show,
                priority=c.priority,
                tooltip=c.tooltip,
                id=c.id,
            )
        )
        if c.team:
            out.append(
                Binding(
                    c.key,
                    TEAM_OFF_ACTION,
                    c.label,
                    show=False,
                    priority=c.priority,
                    tooltip=c.tooltip,
                    id=c.id,
                )
            )
    return out


def key_now(command: Command, keymap: Mapping[str, str]) -> str:
    """The (first) key *command* is on now: config ``[keys]`` applied."""
    return keymap.get(command.id, command.key).split(",")[0]


def key_name(app: object, command_id: str) -> str:
    """The key of the command *command_id* as it is on now in *app* (its config ``[keys]``
    applied), by its Textual name (``ctrl+s``, ``escape``, ``y``): what a form's own hint
    or button says, so a remapped key is never advertised by its old name."""
    config = getattr(app, "config", None)
    return key_now(by_id(command_id), getattr(config, "keys", None) or {})


def by_id(command_id: str) -> Command:
    """The command with this id."""
    for _title, commands in HELP_SECTIONS + DIALOG_SECTIONS:
        for c in commands:
            if c.id == command_id:
                return c
    for c in APP:
        if c.id == command_id:
            return c
    raise KeyError(command_id)


# -- everywhere -------------------------------------------------------------------------
# The keys that open another screen are priority bindings: the app handles them as they
# arrive, before it forwards the next key (issue 13 #1). While text is being typed they
# step aside (BookkeeperApp._typing).
APP = (
    Command(
        "today",
        "t",
        "Today",
        "goto('today')",
        "Due and overdue touchpoints",
        priority=True,
        title="Today",
        summary="Due and overdue touchpoints",
    ),
    Command(
        "book",
        "b",
        "Book",
        "goto('book')",
        "All accounts by tier",
        priority=True,
        title="Book",
        summary="All accounts by tier",
    ),
    Command(
        "kpi",
        "k",
        "KPIs",
        "goto('kpi')",
        "NRR, GRR, churn, NPS",
        priority=True,
        title="KPIs",
        summary="NRR, GRR, churn, NPS, health",
    ),
    Command(
        "renewals",
        "r",
        "Renewals",
        "goto('renewals')",
        "Renewals coming up",
        priority=True,
        title="Renewals",
        summary="Renewals in the next 120 days, ARR at stake, the forecast",
    ),
    Command(
        "log",
        "l",
        "Log",
        "quick_log",
        "Log a call in one line",
        priority=True,
        title="Quick log",
        summary="Log a call in one line",
    ),
    Command(
        "mine",
        "m",
        "Mine/Team",
        "toggle_mine",
        "Only my accounts, or the whole team",
        team=True,
        title="My accounts / whole team",
        summary="Today and the Book: only your accounts, or the whole team",
    ),
    Command(
        "add",
        "",
        "Add account",
        "add_account",
        title="Add account",
        summary="Create an account with a form",
    ),
    Command(
        "import",
        "",
        "Import CSV",
        "import",
        title="Import CSV",
        summary="Bring in accounts, subscriptions, tickets, ... from a CSV file",
    ),
    Command(
        "help",
        "question_mark",
        "Keys",
        "help",
        "Every key",
        priority=True,
        title="Help: all keys",
        summary="Every key of every screen",
    ),
    Command("back", "escape", "Back", "back", show=False),
    Command("quit", "q", "Quit", "quit", priority=True),
)

#: The app's own bindings (the team key is the screens': Today and the Book bind it;
#: the commands without a key are in the palette only).
APP_BOUND = tuple(c for c in APP if c.key and not c.team)

#: The team key as Today and the Book bind it (``toggle_mine`` on the screen).
MINE = next(c for c in APP if c.id == "mine")

# -- one screen each --------------------------------------------------------------------
TODAY = (
    Command("today.log", "enter", "Log it", "log_row", priority=True),
    Command("today.snooze", "s", "Snooze", "snooze"),
    Command("today.skip", "x", "Skip", "skip"),
    Command("today.open", "o", "Open account", "open"),
    MINE,
)

BOOK = (
    Command("book.open", "enter", "Open", "open", "Open the account"),
    Command("book.filter", "slash", "Filter", "filter", "Filter by name or tag"),
    Command("book.green", "G", "Green", "band('green')", "Only green accounts"),
    Command("book.yellow", "Y", "Yellow", "band('yellow')", "Only yellow"),
    Command("book.red", "R", "Red", "band('red')", "Only red accounts"),
    Command("book.tier", "T", "Tier", "tier", "Cycle through the tiers"),
    Command("book.sort", "s", "Sort", "sort", "Sort by the next column"),
    Command("book.reverse", "S", "Reverse", "reverse", "Reverse the order", show=False),
    Command("book.add", "n", "Add", "add", "Add an account"),
    Command(
        "book.delete",
        "D",
        "Delete",
        "delete",
        "Delete the selected account (asks first)",
        show=False,
    ),
    MINE,
    Command("book.clear_filter", "escape", "Clear filter", "escape", show=False),
)

ACCOUNT = (
    Command("account.log", "enter", "Log a call", "log", "Quick log for this account"),
    Command("account.edit", "e", "Edit", "edit", "Edit tier, renewal, owner, tags", show=False),
    Command(
        "account.contacts",
        "c",
        "Contacts",
        "contacts",
        "Edit a contact's role, or mark them as left",
        show=False,
    ),
    Command(
        "account.delete",
        "D",
        "Delete",
        "delete",
        "Delete this account and everything recorded for it (asks first)",
        show=False,
    ),
)

KPI = (
    Command("kpi.90d", "9", "90 days", "period('90d')", "KPIs of the last 90 days"),
    Command("kpi.12m", "y", "12 months", "period('12m')", "KPIs of the last 12 months"),
    Command("kpi.custom", "c", "Custom period", "custom", "Any period: 6m, 30d"),
    Command("kpi.owner", "o", "Owner", "cycle_owner", "Whole team, me, each owner, no owner"),
    Command("kpi.tier", "T", "Tier", "cycle_tier", "All tiers or one"),
)

RENEWALS = (
    Command("renewals.open", "enter", "Open account", "open", priority=True),
    Command("renewals.log", "l", "Log outcome", "log_renewal"),
)

# -- the forms and dialogs ----------------------------------------------------------------
#: Every dialog's escape (the forms, delete, snooze, skip, the KPI period, the quick log).
CANCEL = Command("dialog.cancel", "escape", "Cancel", "cancel", "Close, changing nothing")

#: The add-account, edit-account and contact forms.
FORM = (
    CANCEL,
    Command("form.save", "ctrl+s", "Save", "save", "Save the form", priority=True),
)

DELETE = (
    CANCEL,
    Command("delete.no", "n", "No", "cancel", "Keep the account"),
    Command("delete.yes", "y", "Yes, delete", "delete", "Delete it and everything recorded"),
)

SNOOZE = (
    CANCEL,
    Command("snooze.day", "d", "A day", "snooze_days(1)", "Snooze until tomorrow"),
    Command("snooze.week", "w", "A week", "snooze_days(7)", "Snooze for a week"),
)

SKIP = (CANCEL,)

#: The KPI screen's custom period dialog.
PERIOD = (CANCEL,)

#: The Book's filter box.
FILTER = (
    Command("filter.clear", "escape", "Clear filter", "screen.close_filter"),
    Command("filter.to_table", "down", "To the table", "screen.focus_table", show=False),
)

IMPORT = (
    Command("import.back", "escape", "Back", "app.back"),
    Command(
        "import.run",
        "ctrl+r",
        "Import",
        "run_import(False)",
        "Import the valid rows",
        priority=True,
    ),
    Command(
        "import.dry_run",
        "ctrl+d",
        "Dry run",
        "run_import(True)",
        "Check every row, write nothing",
        priority=True,
    ),
)

#: The first screen of an empty book.
WELCOME = (
    Command("welcome.demo", "d", "Load demo book", "demo"),
    Command("welcome.add", "n", "Add an account", "add"),
    Command("welcome.import", "i", "Import a CSV", "import_csv"),
    # Leaving the welcome screen would only show an empty Today: escape stays here.
    Command("welcome.stay", "escape", "Stay here", "stay", show=False),
)

#: The help screen itself.
HELP = (Command("help.close", "escape,question_mark,q", "Close", "dismiss"),)

#: The quick log's bindings (the footer shows only in its checklist version).
QUICK_LOG = (
    CANCEL,
    Command(
        "quicklog.confirm",
        "ctrl+y",
        "Log to the suggested account",
        "confirm_account",
        show=False,
    ),
    Command("quicklog.checklist", "tab", "Line ↔ checklist", "app.focus_next"),
)

#: A touchpoint's checklist in the quick log.
CHECKLIST = (
    Command("checklist.tick", "space", "Tick / untick", "select"),
    Command("checklist.save", "enter", "Save", "save"),
)

#: The quick log's keys, for the help: the line's own (its Input handles them) and the
#: dialog's and checklist's bindings.
QUICK_LOG_HELP = (
    Command("quicklog.save", "enter", "Save the line", "save", bound=False),
    Command(
        "quicklog.accept",
        "right",
        "Accept the suggested account name",
        "cursor_right",
        bound=False,
    ),
    QUICK_LOG[1],
    QUICK_LOG[2],
    *CHECKLIST,
    CANCEL,
)

#: What the help screen lists, in order: (title, commands).
HELP_SECTIONS: tuple[tuple[str, tuple[Command, ...]], ...] = (
    ("Everywhere", APP_BOUND),
    ("Today", TODAY),
    ("Book", BOOK),
    ("Account", ACCOUNT),
    ("KPIs", KPI),
    ("Renewals", RENEWALS),
    ("Quick log", QUICK_LOG_HELP),
)

#: The forms' and dialogs' keys, for the help (one line each there): (title, commands).
DIALOG_SECTIONS: tuple[tuple[str, tuple[Command, ...]], ...] = (
    ("Book filter", FILTER),
    ("Add account", FORM),
    ("Edit account", FORM),
    ("Contact", FORM),
    ("Delete account", DELETE),
    ("Snooze", SNOOZE),
    ("Skip", SKIP),
    ("KPI period", PERIOD),
    ("Import CSV", IMPORT),
    ("Welcome", WELCOME),
    ("Keys", HELP),
)
