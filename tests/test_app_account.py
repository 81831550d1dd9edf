"""Account screen, driven with real keys, checked against what the book says."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Sparkline, Static

from bookkeeper_tui.screens.account import AccountScreen
from bookkeeper_tui.widgets.render import money, score_str
from bookkeeper_tui.widgets.vtable import VTable
from tests.conftest import TODAY, settle


def plain(app, selector: str) -> str:
    content = app.screen.query_one(selector, Static).content
    return content.plain if isinstance(content, Text) else str(content)


async def open_account(app, pilot, name: str) -> AccountScreen:
    await settle(pilot)
    app.open_account(name)
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, AccountScreen)
    return screen


async def test_header_and_breakdown_match_the_book(demo_book, make_app):
    expected = demo_book.show("Acme Corp", TODAY)
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_account(app, pilot, "Acme Corp")
        header = plain(app, "#account-header")
        assert "Acme Corp" in header
        assert expected.tier in header
        assert f"MRR {money(expected.mrr)}/mo" in header
        assert f"● {score_str(expected.health.score)} green" in header
        assert expected.renewal.isoformat() in header
        assert expected.owner in header
        assert "CHURNED" not in header

        health = plain(app, "#account-health")
        labels = {
            "usage": "product usage",
            "engagement": "engagement",
            "support": "support",
            "survey": "survey",
            "strength": "account strength",
        }
        for c in expected.health.components:
            assert labels[c.name] in health
            assert f"{c.share * 100:.0f}%" in health
        for name in expected.health.missing:
            assert f"{labels[name]:<17}unknown, no data yet" in health
            assert "left out" in health
        for change in expected.changes:
            assert change in health

        contacts = plain(app, "#account-contacts")
        for c in expected.contacts:
            assert c.name in contacts
        touchpoints = plain(app, "#account-touchpoints")
        for tp in expected.touchpoints:
            assert tp.due.isoformat() in touchpoints


async def test_timeline_has_every_entry_newest_first(demo_book, make_app):
    expected = demo_book.show("Acme Corp", TODAY).timeline
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_account(app, pilot, "Acme Corp")
        table = app.screen.query_one("#account-timeline", VTable)
        assert table.row_count == len(expected) > 0
        dates = [table.get_row_at(i)[0].plain for i in range(table.row_count)]
        assert dates == [e.day.isoformat() for e in expected]
        assert dates == sorted(dates, reverse=True)
        assert app.focused is table


async def test_churn_language_is_highlighted_red(demo_book, make_app):
    demo_book.log('initech call "too expensive, evaluating an alternative"', TODAY)
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_account(app, pilot, "Initech")
        table = app.screen.query_one("#account-timeline", VTable)
        cells = (table.get_row_at(i)[2] for i in range(table.row_count))
        cell = next(c for c in cells if "evaluating an alternative" in c.plain)
        red = {
            cell.plain[span.start : span.end]
            for span in cell.spans
            if "red" in str(span.style) and "bold" in str(span.style)
        }
        assert red == {"too expensive", "alternative"}
        # The highlighted entry is shown in full under the table, with the terms named.
        assert "churn language: too expensive, alternative" in plain(app, "#account-entry")


async def test_sparklines_have_health_and_nps_history(demo_book, make_app):
    detail = demo_book.show("Acme Corp", TODAY)
    nps = [e.value for e in reversed(detail.timeline) if e.type == "score" and e.kind == "nps"]
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_account(app, pilot, "Acme Corp")
        health = screen.query_one("#account-health-spark", Sparkline).data
        assert health and health[-1] == detail.health.score
        assert list(screen.query_one("#account-nps-spark", Sparkline).data) == nps != []
        assert "snapshots since" in plain(app, "#account-health-caption")


async def test_nps_gap_line_only_when_the_stories_differ(demo_book, make_app):
    # Buyers love it, end users do not: the role-weighted account NPS and the user NPS split.
    demo_book.set_contact_role("Acme Corp", "Bea Buyer", "economic_buyer")
    demo_book.log('acme call with "Bea Buyer" nps 10', TODAY)
    for user in ("Uma One", "Uma Two", "Uma Three"):
        demo_book.set_contact_role("Acme Corp", user, "end_user")
        demo_book.log(f'acme call with "{user}" nps 1', TODAY)
    nps = demo_book.show("Acme Corp", TODAY).nps
    assert nps.buyer_side_mean - nps.user_side_mean >= 1
    calm = next(
        name
        for name in demo_book.account_names()
        if (n := demo_book.show(name, TODAY).nps).account_mean is not None
        and (n.gap is None or abs(n.gap) < 1)
        and not n.flagged
    )
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_account(app, pilot, calm)
        assert not screen.query_one("#account-nps-gap").display
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_account(app, pilot, "Acme Corp")
        assert screen.query_one("#account-nps-gap").display
        gap = plain(app, "#account-nps-gap")
        assert f"{nps.buyer_side_mean:.1f} vs users {nps.user_side_mean:.1f}" in gap
        assert "end users are less happy" in gap


async def test_escape_goes_back_and_enter_opens_quick_log(demo_book, make_app):
    app = make_app(demo_book)
    prefills: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = app.screen
        app.action_quick_log = lambda prefill="", **_: prefills.append(prefill)
        await open_account(app, pilot, "acme")  # a prefix resolves to the account
        await pilot.press("enter")
        assert prefills == ["Acme Corp "]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is before


async def test_churned_account_says_so(demo_book, make_app):
    churned = [
        st.account.name for st in demo_book.accounts(TODAY) if st.account.status == "churned"
    ]
    assert churned, "the demo book has a churned account"
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_account(app, pilot, churned[0])
        assert "CHURNED" in plain(app, "#account-header")
        assert "churned" in plain(app, "#account-health")


async def test_unknown_account_shows_a_message(demo_book, make_app):
    app = make_app(demo_book)
    prefills: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.action_quick_log = lambda prefill="", **_: prefills.append(prefill)
        screen = await open_account(app, pilot, "Nonexistent Widgets Inc")
        assert not screen.query_one("#account-body").display
        assert screen.query_one("#account-error").display
        message = plain(app, "#account-error")
        assert "Nonexistent Widgets Inc" in message or "no account" in message.lower()
        assert "escape" in message
        await pilot.press("enter")
        assert prefills == []
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, AccountScreen)


async def test_logging_reloads_the_open_account(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_account(app, pilot, "Acme Corp")
        table = screen.query_one("#account-timeline", VTable)
        before = table.row_count
        demo_book.log('acme call "quick sync about budget"', TODAY)
        app.notify_changed()
        await settle(pilot)
        assert table.row_count == len(demo_book.show("Acme Corp", TODAY).timeline) > before


async def test_two_thousand_entries_are_rows_not_widgets(book, make_app):
    from datetime import timedelta

    from sqlalchemy import insert, select

    from bookkeeper_tui.store.models import Account, Interaction

    book.add_account("Big Co", "enterprise", TODAY - timedelta(days=3000), mrr=9000)
    with book.write() as s:
        aid = s.execute(select(Account.id).where(Account.name == "Big Co")).scalar_one()
        s.execute(
            insert(Interaction),
            [
                {
                    "account_id": aid,
                    "kind": "call",
                    "day": TODAY - timedelta(days=i),
                    "summary": f"call {i}, they mentioned a competitor" if i % 7 == 0 else "ok",
                    "notes": "",
                    "tags": "",
                }
                for i in range(2000)
            ],
        )
    expected = len(book.show("Big Co", TODAY).timeline)
    app = make_app(book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_account(app, pilot, "Big Co")
        table = screen.query_one("#account-timeline", VTable)
        assert table.row_count == expected > 2000
        assert len(list(screen.walk_children())) < 100
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert table.cursor_row == expected - 1
        start = book.show("Big Co", TODAY).start.isoformat()
        assert plain(app, "#account-entry").startswith(start)


async def test_new_account_has_empty_states(book, make_app):
    book.add_account("Fresh Co", "smb", TODAY)
    app = make_app(book)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_account(app, pilot, "Fresh Co")
        assert not screen.query_one("#account-timeline").display
        assert screen.query_one("#account-entry").display
        assert "Nothing logged yet" in plain(app, "#account-entry")
        assert "No contacts yet" in plain(app, "#account-contacts")
        assert "No NPS answers yet" in plain(app, "#account-nps-caption")


async def test_tui_and_show_present_the_same_health_weights(demo_book, make_app, tmp_path, capsys):
    # Configured weight and effective share, the same numbers on the screen and in `show`.
    from bookkeeper_tui.cli import main

    name = "Acme Corp"
    expected = demo_book.show(name, TODAY).health
    assert expected.missing  # some weights are shared out: raw and effective differ
    assert (
        main(["show", name, "--as-of", TODAY.isoformat(), "--db", str(tmp_path / "demo.db")]) == 0
    )
    shown = capsys.readouterr().out
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_account(app, pilot, name)
        screen_text = plain(app, "#account-health")
    for c in expected.components:
        words = f"weight {c.weight:g} = {c.share * 100:.0f}%"
        assert words in screen_text, (words, screen_text)
        assert words in shown, (words, shown)


async def test_an_account_with_only_mrr_shows_not_enough_data(demo_book, make_app):
    from datetime import date

    demo_book.add_account("Legacy", "smb", date(2024, 1, 1), mrr=500)
    detail = demo_book.show("Legacy", TODAY)
    assert detail.health.band is None
    assert "intervention" not in {t.kind for t in detail.touchpoints}
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_account(app, pilot, "Legacy")
        assert "not enough data" in plain(app, "#account-header")
        health = plain(app, "#account-health")
        assert "Not enough data" in health and "engagement" in health
        assert " red" not in health


async def test_timeline_highlights_the_same_churn_matches_as_the_flags(demo_book, make_app):
    """Issue 12 #9: negated terms are not red, inflected ones are, as in the flag."""
    demo_book.log('initech call "no plans to cancel; evaluating alternatives"', TODAY)
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_account(app, pilot, "Initech")
        table = app.screen.query_one("#account-timeline", VTable)
        cells = (table.get_row_at(i)[2] for i in range(table.row_count))
        cell = next(c for c in cells if "evaluating alternatives" in c.plain)
        red = {
            cell.plain[span.start : span.end]
            for span in cell.spans
            if "red" in str(span.style) and "bold" in str(span.style)
        }
        assert red == {"alternatives"}
