"""Issue 15 #4: one Command per action (id, key, label, tooltip, action) feeds the
bindings, the footer, the help and the palette; the palette and the help show the key as
remapped in config ``[keys]``; no private Textual attributes, no raw threads outside the
owned start-up objects, no process-wide ``gc.disable()``, no module-level counters; and
issue 15 #2: the app module is small."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path

import pytest

from bookkeeper_tui.config import DEFAULT
from bookkeeper_tui.screens import commands
from tests.conftest import settle

SRC = Path(__file__).resolve().parents[1] / "src" / "bookkeeper_tui"
MAYA = replace(DEFAULT, me="maya")


def _screen_classes():
    from bookkeeper_tui.app import BookkeeperApp
    from bookkeeper_tui.screens.account import AccountScreen
    from bookkeeper_tui.screens.accounts import BookScreen, FilterInput
    from bookkeeper_tui.screens.add_account import AddAccountScreen
    from bookkeeper_tui.screens.contact_edit import ContactScreen
    from bookkeeper_tui.screens.delete_account import DeleteAccountScreen
    from bookkeeper_tui.screens.edit_account import EditAccountScreen
    from bookkeeper_tui.screens.help import HelpScreen
    from bookkeeper_tui.screens.import_screen import ImportScreen
    from bookkeeper_tui.screens.kpi import KpiScreen, PeriodScreen
    from bookkeeper_tui.screens.quick_log import Checklist, QuickLogScreen
    from bookkeeper_tui.screens.renewals import RenewalsScreen
    from bookkeeper_tui.screens.today import TodayScreen
    from bookkeeper_tui.screens.touchpoint_actions import SkipScreen, SnoozeScreen
    from bookkeeper_tui.screens.welcome import WelcomeScreen

    return [
        (BookkeeperApp, commands.APP_BOUND),
        (TodayScreen, commands.TODAY),
        (BookScreen, commands.BOOK),
        (AccountScreen, commands.ACCOUNT),
        (KpiScreen, commands.KPI),
        (RenewalsScreen, commands.RENEWALS),
        # The forms and dialogs (and the two widgets of a screen that bind keys).
        (FilterInput, commands.FILTER),
        (AddAccountScreen, commands.FORM),
        (EditAccountScreen, commands.FORM),
        (ContactScreen, commands.FORM),
        (DeleteAccountScreen, commands.DELETE),
        (SnoozeScreen, commands.SNOOZE),
        (SkipScreen, commands.SKIP),
        (PeriodScreen, commands.PERIOD),
        (QuickLogScreen, commands.QUICK_LOG),
        (Checklist, commands.CHECKLIST),
        (ImportScreen, commands.IMPORT),
        (WelcomeScreen, commands.WELCOME),
        (HelpScreen, commands.HELP),
    ]


def test_every_binding_of_the_app_and_its_screens_is_a_command():
    for cls, registry in _screen_classes():
        declared = [
            (b.id, b.key, b.action, b.description, b.show, b.priority) for b in cls.BINDINGS
        ]
        expected = [
            (c.id, c.key, c.action, c.label, c.show, c.priority) for c in registry if c.bound
        ]
        # A team key is bound twice (the hidden twin explains team mode without `me`).
        assert [d for d in declared if d[2] != commands.TEAM_OFF_ACTION] == expected, cls


def test_the_forms_keep_their_keys_and_footer_texts():
    """The move into the registry changed no key, label, footer entry or priority."""
    shown = {
        cls.__name__: [(b.key, b.description) for b in cls.BINDINGS if b.show]
        for cls, _registry in _screen_classes()
    }
    assert shown["AddAccountScreen"] == [("escape", "Cancel"), ("ctrl+s", "Save")]
    assert shown["EditAccountScreen"] == shown["ContactScreen"] == shown["AddAccountScreen"]
    assert shown["DeleteAccountScreen"] == [("escape", "Cancel"), ("n", "No"), ("y", "Yes, delete")]
    assert shown["SnoozeScreen"] == [("escape", "Cancel"), ("d", "A day"), ("w", "A week")]
    assert shown["SkipScreen"] == shown["PeriodScreen"] == [("escape", "Cancel")]
    assert shown["QuickLogScreen"] == [("escape", "Cancel"), ("tab", "Line ↔ checklist")]
    assert shown["Checklist"] == [("space", "Tick / untick"), ("enter", "Save")]
    assert shown["ImportScreen"] == [
        ("escape", "Back"),
        ("ctrl+r", "Import"),
        ("ctrl+d", "Dry run"),
    ]
    assert shown["WelcomeScreen"] == [
        ("d", "Load demo book"),
        ("n", "Add an account"),
        ("i", "Import a CSV"),
    ]
    assert shown["HelpScreen"] == [("escape,question_mark,q", "Close")]
    assert shown["FilterInput"] == [("escape", "Clear filter")]


def test_command_ids_are_unique_and_every_command_is_complete():
    seen: dict[str, commands.Command] = {}
    for _title, section in commands.HELP_SECTIONS + commands.DIALOG_SECTIONS:
        for c in section:
            assert c.id and c.label and c.action
            # One id, one command: a command shared by several screens (the team key,
            # the dialogs' cancel, the forms' save) is the same object in each.
            assert seen.setdefault(c.id, c) is c, c.id
    for cls, registry in _screen_classes():
        for c in registry:
            assert seen.get(c.id) is c, (cls, c.id)  # every bound command is in the help
    for c in commands.APP:
        assert c.title or c.key  # in the palette, or bound to a key
        assert seen.setdefault(c.id, c) is c, c.id


def test_every_key_bound_command_can_be_remapped_in_the_config():
    """A command the registry binds to a key is settable in config ``[keys]`` (the config
    accepts exactly the ids of ``DEFAULT_KEYS``); only keys the line's input box handles
    itself (``bound=False``) are not."""
    from bookkeeper_tui.config import parse_config
    from bookkeeper_tui.core.settings import DEFAULT_KEYS

    bound = {
        c.id
        for _title, registry in commands.HELP_SECTIONS + commands.DIALOG_SECTIONS
        for c in registry
        if c.key and c.bound
    } | {c.id for c in commands.APP if c.key}
    assert sorted(bound - set(DEFAULT_KEYS)) == []
    assert parse_config('[keys]\n"form.save" = "ctrl+w"\n').keys["form.save"] == "ctrl+w"


def test_every_remappable_id_of_the_config_is_a_command_with_that_default():
    from bookkeeper_tui.core.settings import DEFAULT_KEYS

    for command_id, key in DEFAULT_KEYS.items():
        assert commands.by_id(command_id).key == key, command_id


async def test_the_palette_shows_each_command_with_its_key_as_remapped(demo_book, make_app):
    keys = {**MAYA.keys, "today": "ctrl+t", "help": "f1", "mine": "u"}
    app = make_app(demo_book, config=replace(MAYA, keys=keys))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        shown = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert shown["Today"] == "Due and overdue touchpoints (^t)"
        assert shown["Help: all keys"] == "Every key of every screen (f1)"
        assert shown["My accounts / whole team"].endswith("(u)")
        assert shown["Book"] == "All accounts by tier (b)"  # not remapped: the default
        assert shown["Add account"] == "Create an account with a form"  # no key
        titles = [c.title for c in commands.APP if c.title]
        assert [t for t in shown if t in titles] == titles  # the registry's order


async def test_a_palette_entry_runs_its_command(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        entry = next(c for c in app.get_system_commands(app.screen) if c.title == "Book")
        app.call_later(entry.callback)
        await settle(pilot)
        assert app.current_mode == "book"
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert "My accounts / whole team" not in titles  # team mode is off


@pytest.mark.parametrize("config", [DEFAULT, MAYA], ids=["solo", "team"])
async def test_the_help_lists_exactly_the_registry_with_the_keys_as_remapped(
    demo_book, make_app, config
):
    keys = {**config.keys, "book.filter": "f", "log": "ctrl+l", "form.save": "ctrl+w"}
    app = make_app(demo_book, config=replace(config, keys=keys))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        expected = [
            (title, app.get_key_display(_binding(commands.key_now(c, keys))), c.label)
            for title, section in commands.HELP_SECTIONS + commands.DIALOG_SECTIONS
            for c in section
            if not (c.team and config.me is None)
        ]
        assert app.screen.entries == expected
        assert ("Book", "f", "Filter") in expected and ("Everywhere", "^l", "Log") in expected
        # The forms' and dialogs' keys too, as remapped.
        assert ("Add account", "^w", "Save") in expected
        assert ("Delete account", "y", "Yes, delete") in expected
        assert ("Snooze", "d", "A day") in expected
        assert ("Import CSV", "^r", "Import") in expected


async def test_a_remapped_form_key_saves_the_form(demo_book, make_app):
    from textual.widgets import Input, Static

    from bookkeeper_tui.screens.add_account import AddAccountScreen

    keys = {**DEFAULT.keys, "form.save": "ctrl+w"}
    app = make_app(demo_book, config=replace(DEFAULT, keys=keys))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, AddAccountScreen)
        footer = {b.binding.key for b in form.active_bindings.values() if b.binding.show}
        assert "ctrl+w" in footer and "ctrl+s" not in footer
        hint = str(form.query_one(".dialog-title", Static).render())
        assert "ctrl+w saves" in hint and "ctrl+s" not in hint  # the form's own hint too
        await pilot.press(*"Omega")
        form.query_one("#mrr", Input).value = "5000"
        await pilot.pause()
        await pilot.press("ctrl+s")  # the default key no longer saves
        await settle(pilot)
        assert app.screen is form and "Omega" not in demo_book.account_names()
        await pilot.press("ctrl+w")
        await settle(pilot)
        assert app.screen is not form and "Omega" in demo_book.account_names()


async def test_a_remapped_dialog_key_answers_the_dialog(demo_book, make_app):
    from textual.widgets import Button

    from bookkeeper_tui.screens.delete_account import DeleteAccountScreen

    keys = {**DEFAULT.keys, "delete.yes": "j"}
    app = make_app(demo_book, config=replace(DEFAULT, keys=keys))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, DeleteAccountScreen)
        labels = [str(b.label) for b in dialog.query(Button)]
        assert labels == ["Delete (j)", "Cancel (n)"]  # the buttons say the key as remapped
        await pilot.press("y")  # the default key no longer deletes
        await settle(pilot)
        assert app.screen is dialog and len(demo_book.account_names()) == 40
        await pilot.press("j")
        await settle(pilot)
        assert app.screen is not dialog and len(demo_book.account_names()) == 39


#: The modules that bind keys themselves, outside the registry, and why (the registry
#: module's docstring says the same).
OWN_BINDINGS = {
    "widgets/vtable.py": "the table widget's navigation keys, as Textual's own DataTable "
    "binds them; widgets sit below screens and cannot import the registry",
}


def _called(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _binds_keys(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node.func) == "Binding":
            action = node.args[1] if len(node.args) > 1 else None
            action = next((k.value for k in node.keywords if k.arg == "action"), action)
            if not (isinstance(action, ast.Constant) and action.value == ""):
                return True  # Binding(key, "") only asks how a key is displayed
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(getattr(t, "id", "") == "BINDINGS" for t in targets):
                value = node.value
                if not (isinstance(value, ast.Call) and _called(value.func) == "bindings"):
                    return True
    return False


def test_no_module_binds_a_key_outside_the_registry():
    found = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "commands.py" and _binds_keys(ast.parse(path.read_text()))
    }
    assert found == set(OWN_BINDINGS)
    assert "widgets/vtable.py" in (commands.__doc__ or "")


def _binding(key: str):
    from textual.binding import Binding

    return Binding(key, "")


@pytest.mark.parametrize("config", [DEFAULT, MAYA], ids=["solo", "team"])
async def test_the_team_key_shows_in_team_mode_only_and_works_either_way(
    demo_book, make_app, config
):
    team = config.me is not None
    app = make_app(demo_book, config=config)
    said: list[str] = []
    async with app.run_test(size=(160, 40)) as pilot:
        app.notify = lambda message, **_kw: said.append(message)  # type: ignore[method-assign]
        await settle(pilot)
        footer = {b.binding.id for b in app.screen.active_bindings.values() if b.binding.show}
        assert ("mine" in footer) is team
        mine = app.mine_only
        await pilot.press("m")
        await settle(pilot)
        if team:
            assert app.mine_only is not mine and not said
        else:
            assert app.mine_only is mine and "Team mode is off" in said[0]


# -- the source: no private Textual attributes, raw threads, gc.disable, counters -------
#: (pattern, the files allowed to have it, and why)
FORBIDDEN = {
    r"\._bindings\b": {},
    r"\._thread_id\b": {},
    r"\._screen_stacks\b": {},
    r"_css_update_count\b": {},
    r"threading\.Thread\(": {
        "app/startup.py": "the one owned start-up object: the background open of the book",
        "store/fast.py": "TodayPrefetch, owned and joined by the command line",
    },
    r"gc\.disable\(": {},
}


@pytest.mark.parametrize("pattern", sorted(FORBIDDEN))
def test_the_source_has_no_private_textual_attribute_raw_thread_or_gc_switch(pattern):
    allowed = FORBIDDEN[pattern]
    found = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(pattern, path.read_text())
    )
    assert [f for f in found if f not in allowed] == []


def _ui_modules():
    for ring in ("app", "screens", "widgets"):
        yield from sorted((SRC / ring).glob("*.py"))


@pytest.mark.parametrize("path", list(_ui_modules()), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_module_level_counter_or_mutated_global(path):
    tree = ast.parse(path.read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Global)]
    for node in tree.body:  # module level: no counters (itertools.count, a list to append)
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            src = ast.unparse(node.value)
            assert "count(" not in src, src


@pytest.mark.parametrize("path", sorted((SRC / "app").glob("*.py")), ids=lambda p: p.name)
def test_the_app_modules_are_at_most_500_lines_with_functions_of_at_most_80(path):
    text = path.read_text()
    assert len(text.splitlines()) <= 500
    long = [
        node.name
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > 80
    ]
    assert long == []


# -- the one owned start-up thread ---------------------------------------------------------
class _FakeBook:
    closed = False

    def close(self) -> None:
        self.closed = True


def test_the_book_opener_starts_once_and_closes_what_it_opened():
    import threading
    import time

    from bookkeeper_tui.app.startup import BookOpener

    release, calls = threading.Event(), []

    def slow_open():
        calls.append(1)
        release.wait(5)
        return _FakeBook()

    opener = BookOpener(slow_open, failed=lambda exc: None)
    opener.start()
    opener.start()  # once
    t0 = time.monotonic()
    opener.close(wait_s=0.05)  # the app quits while a slow server is still answering
    assert time.monotonic() - t0 < 1  # quitting does not wait for it
    release.set()
    assert opener.done.wait(5)
    for _ in range(500):  # the thread closes the book it opened, just after `done`
        if opener.book is not None and opener.book.closed:
            break
        time.sleep(0.01)
    assert calls == [1] and opener.book is not None and opener.book.closed


def test_the_book_opener_reports_a_failed_open():
    from bookkeeper_tui.app.startup import BookOpener

    failed: list[BaseException] = []

    def broken():
        raise OSError("cannot reach the server")

    opener = BookOpener(broken, failed=failed.append)
    opener.start()
    assert opener.done.wait(5)
    assert opener.book is None and isinstance(opener.error, OSError) and failed == [opener.error]
    opener.close()


def test_the_config_docs_list_every_remappable_key_with_its_default():
    from bookkeeper_tui.core.settings import DEFAULT_KEYS

    doc = (Path(__file__).resolve().parent.parent / "docs" / "config.md").read_text()
    table = doc[doc.index("### `[keys]`") :]
    for command_id, key in DEFAULT_KEYS.items():
        assert f"`{command_id}`: `{key}`" in table, command_id


def test_the_opener_runs_early_work_at_once_in_its_own_thread_and_ends_it_on_close():
    """The account screen's early load: started at once (no loop turn), off the caller's
    thread, in order, errors kept for the caller; the serving thread ends with the app."""
    import threading

    from bookkeeper_tui.app.startup import BookOpener

    opener = BookOpener(_FakeBook, failed=lambda exc: None)
    opener.book = _FakeBook()
    started, release = threading.Event(), threading.Event()
    seen: list[str] = []
    servers: list[threading.Thread] = []

    def first():
        started.set()
        release.wait(5)
        seen.append(threading.current_thread().name)
        servers.append(threading.current_thread())
        return 1

    def broken():
        raise ValueError("no such account")

    one, two = opener.submit(first), opener.submit(broken)
    assert started.wait(5)  # running already, before anything else ran on this thread
    assert not two.done()  # after the work submitted before it
    release.set()
    assert one.result(5) == 1 and seen == ["early"]
    assert isinstance(two.exception(5), ValueError)
    server = servers[0]  # this opener's (another test's app may have an "early" one)
    opener.close()
    server.join(10)  # close waits 1 s for it; a loaded machine may take longer
    assert not server.is_alive() and opener.book.closed
    assert isinstance(opener.submit(lambda: 1).exception(1), RuntimeError)  # the app ended


async def test_a_remapped_cancel_is_what_the_quick_log_says_and_what_closes_it(demo_book, make_app):
    from textual.widgets import Static

    from bookkeeper_tui.screens.quick_log import QuickLogScreen

    keys = {**DEFAULT.keys, "dialog.cancel": "ctrl+g"}
    app = make_app(demo_book, config=replace(DEFAULT, keys=keys))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, QuickLogScreen)
        hint = str(dialog.query_one(".dialog-title", Static).render())
        assert "ctrl+g cancels" in hint and "escape" not in hint
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert app.screen is not dialog
