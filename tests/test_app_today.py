"""Today, quick log, snooze/skip, help and first run, driven with real keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from textual.widgets import Input, Static

from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.models import Interaction, Score, Touchpoint
from bookkeeper_tui.widgets.vtable import VTable
from tests.conftest import TODAY, settle


def count(book: Book, model) -> int:
    with book.read() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def touchpoint(book: Book, tid: int) -> Touchpoint:
    with book.read() as s:
        return s.get(Touchpoint, tid)


async def open_today(pilot):
    await settle(pilot)
    return pilot.app.screen.query_one("#today-table", VTable)


async def test_today_lists_overdue_first(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_today(pilot)
        expected = demo_book.today(TODAY, ahead_days=7)
        assert table.row_count == len(expected) > 0
        assert [r.touchpoint_id for r in app.screen.rows] == [r.touchpoint_id for r in expected]
        overdue = [r.days_overdue for r in app.screen.rows]
        assert overdue == sorted(overdue, reverse=True)
        summary = str(app.screen.query_one("#today-summary", Static).render())
        n_overdue = sum(1 for r in expected if r.days_overdue > 0)
        assert f"{n_overdue} overdue" in summary


async def test_enter_logs_the_row_and_completes_it(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        row = app.screen.rows[0]
        await pilot.press("enter")
        await settle(pilot)
        inp = app.screen.query_one("#quick-log-input", Input)
        assert inp.value.startswith(row.account)
        before = count(demo_book, Interaction)
        await pilot.press(*'"setup done, SSO blocked by their IT" nps 8 next call +1w')
        await pilot.press("enter")
        await settle(pilot)
        assert count(demo_book, Interaction) == before + 1
        done = touchpoint(demo_book, row.touchpoint_id)
        assert (done.status, done.completed_on) == ("done", TODAY)
        # Back on Today, the row is gone and the follow-up call is planned.
        assert app.screen.__class__.__name__ == "TodayScreen"
        assert row.touchpoint_id not in [r.touchpoint_id for r in app.screen.rows]
        shown = demo_book.show(row.account, TODAY)
        assert ("call", TODAY + timedelta(days=7)) in {(t.kind, t.due) for t in shown.touchpoints}
        assert shown.timeline[0].type in ("interaction", "score")


async def test_quick_log_errors_inline_and_saves_nothing(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        before = (count(demo_book, Interaction), count(demo_book, Score))
        await pilot.press(*"acme call nps 11")
        await pilot.pause()
        error = str(app.screen.query_one("#quick-log-error", Static).render())
        assert "nps" in error and "11" in error
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "QuickLogScreen"
        assert (count(demo_book, Interaction), count(demo_book, Score)) == before
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "TodayScreen"
        assert (count(demo_book, Interaction), count(demo_book, Score)) == before


async def test_quick_log_preview_and_completion(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press(*"glob")
        await settle(pilot)
        inp = app.screen.query_one("#quick-log-input", Input)
        assert inp._suggestion == "Globex Ltd"
        await pilot.press("right")
        assert inp.value == "Globex Ltd"
        await pilot.press(*" renewal with Priya mrr 4200 nps 9 next qbr 2027-01-15")
        await settle(pilot)
        preview = str(app.screen.query_one("#quick-log-preview", Static).render())
        assert "Globex Ltd" in preview and "renewal" in preview
        assert "4,200" in preview and "promoter" in preview
        assert "qbr on Fri 15 Jan 2027" in preview
        await pilot.press("enter")
        await settle(pilot)
        shown = demo_book.show("Globex Ltd", TODAY)
        assert shown.mrr == 4200
        assert any(c.name == "Priya" for c in shown.contacts)


async def test_snooze_a_week_moves_the_touchpoint(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        row = app.screen.rows[0]
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        tp = touchpoint(demo_book, row.touchpoint_id)
        assert (tp.status, tp.snoozed_until) == ("snoozed", TODAY + timedelta(days=7))
        moved = [r for r in app.screen.rows if r.touchpoint_id == row.touchpoint_id]
        assert moved and moved[0].days_overdue == -7


async def test_snooze_to_a_typed_date_and_bad_date(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        row = app.screen.rows[0]
        await pilot.press("s")
        await settle(pilot)
        app.screen.query_one("#snooze-date", Input).focus()
        await pilot.press(*"someday", "enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "SnoozeScreen"
        assert touchpoint(demo_book, row.touchpoint_id).status == "open"
        inp = app.screen.query_one("#snooze-date", Input)
        inp.value = ""
        await pilot.press(*"+3d", "enter")
        await settle(pilot)
        tp = touchpoint(demo_book, row.touchpoint_id)
        assert tp.snoozed_until == TODAY + timedelta(days=3)


async def test_skip_needs_a_reason(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        row = app.screen.rows[0]
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert touchpoint(demo_book, row.touchpoint_id).status == "open"
        await pilot.press(*"customer on holiday", "enter")
        await settle(pilot)
        tp = touchpoint(demo_book, row.touchpoint_id)
        assert (tp.status, tp.skip_reason) == ("skipped", "customer on holiday")
        assert row.touchpoint_id not in [r.touchpoint_id for r in app.screen.rows]


async def test_o_opens_the_account(demo_book, make_app, monkeypatch):
    app = make_app(demo_book)
    opened = []
    monkeypatch.setattr(app, "open_account", opened.append)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        await pilot.press("down", "o")
        assert opened == [app.screen.rows[1].account]


async def test_help_lists_keys_and_closes(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "HelpScreen"
        sections = {section for section, _, _ in app.screen.entries}
        assert {"Everywhere", "Today", "Quick log"} <= sections
        described = {(section, what) for section, _, what in app.screen.entries}
        assert ("Today", "Snooze") in described and ("Everywhere", "Log") in described
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "TodayScreen"


async def test_remapped_key_from_config(demo_book, make_app):
    from dataclasses import replace

    from bookkeeper_tui.config import DEFAULT

    config = replace(DEFAULT, keys={**DEFAULT.keys, "log": "ctrl+l"})
    app = make_app(demo_book, config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "TodayScreen"
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "QuickLogScreen"


async def test_first_run_offers_the_demo_book(book, make_app):
    app = make_app(book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.__class__.__name__ == "WelcomeScreen"
        await pilot.press("d")
        await settle(pilot)
        assert len(book.account_names()) == 40
        assert app.screen.__class__.__name__ == "TodayScreen"
        assert app.screen.query_one("#today-table", VTable).row_count > 0


async def test_narrow_terminal_still_works(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await open_today(pilot)
        assert table.row_count > 0
        await pilot.press("l")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "QuickLogScreen"


async def test_command_palette_jumps_to_an_account(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Initech")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "AccountScreen"
        assert app.screen.account_name == "Initech"


async def test_command_palette_offers_the_actions(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for action in (
            "Today",
            "Book",
            "KPIs",
            "Quick log",
            "Add account",
            "Import CSV",
            "Help: all keys",
            "Theme",
        ):
            assert action in titles
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"KPIs", "enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "KpiScreen"


async def test_every_screen_renders_in_a_light_theme(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(100, 30)) as pilot:
        app.theme = "textual-light"
        await settle(pilot)
        for key in ("b", "k", "t"):
            await pilot.press(key)
            await settle(pilot)
        app.open_account("Acme Corp")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "AccountScreen"
        assert app.theme == "textual-light"


async def test_writes_from_another_process_show_up(demo_book, make_app):
    """A `bookkeeper log` from a script appears in the open app without a restart."""
    from bookkeeper_tui.store.book import Book

    app = make_app(demo_book, poll_seconds=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        row = app.screen.rows[0]
        other = Book.open(demo_book.location)  # a second connection, as another process has
        try:
            other.log(f'{row.account} call "from a script"', TODAY, touchpoint_id=row.touchpoint_id)
        finally:
            other.close()
        for _ in range(40):
            await pilot.pause(0.1)
            await settle(pilot)
            if row.touchpoint_id not in [r.touchpoint_id for r in app.screen.rows]:
                break
        assert row.touchpoint_id not in [r.touchpoint_id for r in app.screen.rows]


async def test_quick_log_on_an_empty_book_says_what_to_do(book, make_app):
    app = make_app(book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("escape")  # the welcome screen stays
        assert app.screen.__class__.__name__ == "WelcomeScreen"
        app.action_quick_log()
        await settle(pilot)
        preview = str(app.screen.query_one("#quick-log-preview", Static).render())
        assert "no accounts yet" in preview


async def test_each_data_screen_subscribes_once(demo_book, make_app):
    """A screen subscribed twice would load twice after every save."""
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for key in ("b", "k", "t"):
            await pilot.press(key)
            await settle(pilot)
        app.open_account("Acme Corp")
        await settle(pilot)
        app.action_add_account()
        await settle(pilot)
        subs = app.book_changed._subscriptions
        counts = {type(node).__name__: len(cbs) for node, cbs in subs.items()}
        assert counts and all(n == 1 for n in counts.values()), counts
        assert {"TodayScreen", "BookScreen", "KpiScreen", "AccountScreen"} <= set(counts)


def _burst(app, text: str) -> None:
    """Keys as a fast typist (or a paste-like burst through the terminal) sends them: all
    queued at once, before the app has handled the first one."""
    from textual import events

    names = {" ": "space", '"': "quotation_mark", "\r": "enter", "/": "slash"}
    for ch in text:
        app.post_message(events.Key(names.get(ch, ch), ch))


async def test_keys_typed_right_after_l_all_reach_the_quick_log(demo_book, make_app):
    """Issue 13 #1: `l`, a line and enter typed in one burst. They used to be queued for the
    Today table before `l` was handled (its binding runs only after the key has bubbled), so
    the line went to the table (where `s` snoozes and `x` skips) and nothing was saved."""
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        before = count(demo_book, Interaction)
        open_before = [(r.touchpoint_id, r.kind) for r in app.screen.rows]
        # The line holds the app's one-letter keys (q quits, t b k r switch, ? helps).
        _burst(app, 'lacme call "quick burst: talk to bk, review? yes"\r')
        await settle(pilot)
        assert type(app.screen).__name__ == "TodayScreen"
        assert count(demo_book, Interaction) == before + 1
        with demo_book.read() as s:
            last = s.execute(select(Interaction).order_by(Interaction.id.desc())).scalars().first()
        assert last.summary == "quick burst: talk to bk, review? yes"
        # No typed letter acted on Today (no snooze, no skip).
        for tid, _ in open_before:
            assert touchpoint(demo_book, tid).status in ("open", "done")


async def test_keys_typed_right_after_a_mode_key_reach_the_new_screen(demo_book, make_app):
    """`b` then `/acme` in one burst: the Book opens and the filter gets every key."""
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        _burst(app, "b/acme")
        await settle(pilot)
        assert type(app.screen).__name__ == "BookScreen"
        assert app.screen.query_one("#book-filter", Input).value == "acme"


@pytest.mark.parametrize("after", ["k", "l", "b", "question_mark"])
async def test_a_key_typed_right_after_q_neither_crashes_nor_overtakes_it(
    demo_book, make_app, after
):
    """`q` then another app key in one burst: the app quits, cleanly. The other key used
    to overtake `q` (`l` opened the quick log and the app stayed) or to build a screen
    while the app was closing (`k`: MountError in a real terminal)."""
    from textual import events

    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot)
        app.post_message(events.Key("q", "q"))
        app.post_message(events.Key(after, "?" if after == "question_mark" else after))
        await pilot.pause()
        await pilot.pause()
        assert app.exiting
        assert type(app.screen).__name__ == "TodayScreen"
    assert app.return_code in (0, None)
