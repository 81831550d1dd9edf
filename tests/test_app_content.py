"""Logging a touchpoint from Today shows its talk track and checklist; ticks are saved."""

from __future__ import annotations

from rich.text import Text
from sqlalchemy import select
from textual.widgets import Input, SelectionList, Static

from bookkeeper_tui.config import DEFAULT
from bookkeeper_tui.core.content import guide, load_ticked
from bookkeeper_tui.store.models import Interaction, Touchpoint
from bookkeeper_tui.widgets.vtable import VTable
from tests.conftest import TODAY, settle


def plain(app, selector: str) -> str:
    content = app.screen.query_one(selector, Static).content
    return content.plain if isinstance(content, Text) else str(content)


async def test_log_from_today_ticks_two_items_and_saves_them(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#today-table", VTable)
        # A playbook touchpoint on an account with a band: the play is added.
        index = next(
            i
            for i, r in enumerate(app.screen.rows)
            if r.band and guide(r.kind, None).items and r.origin == "playbook"
        )
        table.move_cursor(index)
        await pilot.pause()
        row = app.screen.rows[index]
        expected = guide(row.kind, row.band, DEFAULT.content, DEFAULT.plays)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "QuickLogScreen"
        talk = plain(app, "#quick-log-talk")
        assert " ".join(expected.content.talk.split()[:6]) in " ".join(talk.split())
        assert expected.play is not None and expected.play.name in talk
        checklist = app.screen.query_one("#quick-log-checklist", SelectionList)
        assert checklist.option_count == len(expected.items)
        assert app.screen.query_one(Input).has_focus
        # tab to the checklist, tick the first two items, enter saves the line.
        await pilot.press("tab")
        assert checklist.has_focus
        await pilot.press("space", "down", "space")
        await pilot.pause()
        assert checklist.selected == list(expected.items[:2])
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "TodayScreen"
        with demo_book.read() as s:
            tp = s.get(Touchpoint, row.touchpoint_id)
            assert tp.status == "done"
            it = s.get(Interaction, tp.interaction_id)
        assert load_ticked(it.checklist) == list(expected.items[:2])
        # The account's timeline shows the ticked items.
        entry = next(
            e for e in demo_book.show(row.account, TODAY).timeline if e.type == "interaction"
        )
        assert entry.checklist == tuple(expected.items[:2])
        app.open_account(row.account)
        await settle(pilot)
        timeline = app.screen.query_one("#account-timeline", VTable)
        assert timeline.cursor_row == 0
        detail = plain(app, "#account-entry")
        for item in expected.items[:2]:
            assert f"✓ {item}" in detail


async def test_nothing_ticked_saves_an_empty_checklist(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        row = app.screen.rows[0]
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # straight from the line: nothing ticked
        await settle(pilot)
        with demo_book.read() as s:
            tp = s.get(Touchpoint, row.touchpoint_id)
            assert tp.status == "done"
            assert s.get(Interaction, tp.interaction_id).checklist == ""


async def test_plain_quick_log_has_no_checklist(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert not app.screen.query("#quick-log-checklist")
        await pilot.press(*"initech call")
        await pilot.press("enter")
        await settle(pilot)
        with demo_book.read() as s:
            it = s.execute(select(Interaction).order_by(Interaction.id.desc())).scalars().first()
        assert it.checklist == ""


async def test_the_checklist_comes_from_the_config(demo_book, make_app):
    from bookkeeper_tui.config import parse_config

    kinds = {r.kind for r in demo_book.today(TODAY, ahead_days=7)}
    text = "".join(f'[content.{k}]\nchecklist = ["Agenda sent", "Notes shared"]\n' for k in kinds)
    text += '[plays.green]\nchecklist = []\ntalk = ""\n[plays.yellow]\nchecklist = []\ntalk = ""\n'
    text += '[plays.red]\nchecklist = []\ntalk = ""\n'
    cfg = parse_config(text)
    demo_book.config = cfg
    app = make_app(demo_book, config=cfg)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        row = app.screen.rows[0]
        await pilot.press("enter")
        await settle(pilot)
        checklist = app.screen.query_one("#quick-log-checklist", SelectionList)
        assert checklist.option_count == 2
        await pilot.press("tab", "down", "space", "enter")
        await settle(pilot)
        with demo_book.read() as s:
            tp = s.get(Touchpoint, row.touchpoint_id)
            assert load_ticked(s.get(Interaction, tp.interaction_id).checklist) == ["Notes shared"]
