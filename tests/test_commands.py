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
    from bookkeeper_tui.screens.accounts import BookScreen
    from bookkeeper_tui.screens.kpi import KpiScreen
    from bookkeeper_tui.screens.renewals import RenewalsScreen
    from bookkeeper_tui.screens.today import TodayScreen

    return [
        (BookkeeperApp, commands.APP_BOUND),
        (TodayScreen, commands.TODAY),
        (BookScreen, commands.BOOK),
        (AccountScreen, commands.ACCOUNT),
        (KpiScreen, commands.KPI),
        (RenewalsScreen, commands.RENEWALS),
    ]


def test_every_binding_of_the_app_and_its_screens_is_a_command():
    for cls, registry in _screen_classes():
        declared = [(b.id, b.key, b.action, b.description) for b in cls.BINDINGS]
        expected = [(c.id, c.key, c.action, c.label) for c in registry]
        # A team key is bound twice (the hidden twin explains team mode without `me`).
        assert [d for d in declared if d[2] != commands.TEAM_OFF_ACTION] == expected, cls


def test_command_ids_are_unique_and_every_command_is_complete():
    seen = set()
    for _title, section in commands.HELP_SECTIONS:
        for c in section:
            assert c.id and c.label and c.action
            assert c.id not in seen or c is commands.MINE
            seen.add(c.id)
    for c in commands.APP:
        assert c.title or c.key  # in the palette, or bound to a key


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
    keys = {**config.keys, "book.filter": "f", "log": "ctrl+l"}
    app = make_app(demo_book, config=replace(config, keys=keys))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        expected = [
            (title, app.get_key_display(_binding(commands.key_now(c, keys))), c.label)
            for title, section in commands.HELP_SECTIONS
            for c in section
            if not (c.team and config.me is None)
        ]
        assert app.screen.entries == expected
        assert ("Book", "f", "Filter") in expected and ("Everywhere", "^l", "Log") in expected


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


def test_the_opener_runs_early_work_at_once_in_its_own_thread_and_ends_it_on_close():
    """The account screen's early load: started at once (no loop turn), off the caller's
    thread, in order, errors kept for the caller; the serving thread ends with the app."""
    import threading

    from bookkeeper_tui.app.startup import BookOpener

    opener = BookOpener(_FakeBook, failed=lambda exc: None)
    opener.book = _FakeBook()
    started, release = threading.Event(), threading.Event()
    seen: list[str] = []

    def first():
        started.set()
        release.wait(5)
        seen.append(threading.current_thread().name)
        return 1

    def broken():
        raise ValueError("no such account")

    one, two = opener.submit(first), opener.submit(broken)
    assert started.wait(5)  # running already, before anything else ran on this thread
    assert not two.done()  # after the work submitted before it
    release.set()
    assert one.result(5) == 1 and seen == ["early"]
    assert isinstance(two.exception(5), ValueError)
    server = next(t for t in threading.enumerate() if t.name == "early")
    opener.close()
    assert not server.is_alive() and opener.book.closed
    assert isinstance(opener.submit(lambda: 1).exception(1), RuntimeError)  # the app ended
