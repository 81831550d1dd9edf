"""The Renewals screen, driven with real keys: `r` opens it, enter opens the account, `l`
logs the outcome with the account and `renewal ` typed (issue 14 #1)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from textual.widgets import Input, Static

from bookkeeper_tui.cli.shapes import renewal_desk_json
from bookkeeper_tui.core.renewals import RenewalRow
from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.models import Account, RenewalOutcome
from bookkeeper_tui.widgets.vtable import VTable
from tests.conftest import TODAY, settle


async def open_renewals(pilot):
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot)
    from bookkeeper_tui.screens.renewals import RenewalsScreen

    assert isinstance(pilot.app.screen, RenewalsScreen)
    return pilot.app.screen


def test_the_demo_book_has_renewals_and_outcomes(demo_book):
    desk = renewal_desk_json(demo_book.renewals(TODAY, 120))
    assert len(desk["renewals"]) >= 3
    assert {b["within_days"] for b in desk["forecast"]["buckets"]} == {30, 60, 90, 120}
    assert desk["churn_reasons"], "the demo logs churns with their reasons"
    kinds = {o["outcome"] for o in desk["outcomes"]}
    assert {"renewed", "churned"} <= kinds


async def test_r_shows_the_desk_by_bucket_with_the_forecast(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_renewals(pilot)
        desk = renewal_desk_json(demo_book.renewals(TODAY, 120))
        table = screen.query_one("#renewals-table", VTable)
        shown = [item for item in screen.row_items if isinstance(item, RenewalRow)]
        assert [r.account for r in shown] == [r["account"] for r in desk["renewals"]]
        days = [r.days_left for r in shown]
        assert days == sorted(days)
        # Four bucket headings, and the cursor rests on a renewal, not a heading.
        assert len(screen.row_items) == len(shown) + 4
        assert table.current is shown[0]
        forecast = str(screen.query_one("#renewals-forecast", Static).render())
        stake = desk["forecast"]["arr_at_stake"]
        assert f"ARR at stake {stake:,.0f}" in forecast
        assert "expected retained" in forecast
        reasons = str(screen.query_one("#renewals-reasons", Static).render())
        assert desk["churn_reasons"][0]["reason"] in reasons
        # Down, then up again: the heading above the first row is stepped over.
        await pilot.press("down", "up", "up")
        await settle(pilot)
        assert table.current is shown[0]


async def test_enter_opens_the_account(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_renewals(pilot)
        first = screen.current()
        await pilot.press("enter")
        await settle(pilot)
        from bookkeeper_tui.screens.account import AccountScreen

        assert isinstance(app.screen, AccountScreen)
        assert first.account in str(app.screen.query_one("#account-header", Static).render())


async def test_l_logs_the_outcome_and_plans_the_next_renewal(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_renewals(pilot)
        row = screen.current()
        await pilot.press("l")
        await settle(pilot)
        inp = app.screen.query_one("#quick-log-input", Input)
        assert inp.value == f"{row.account} renewal "
        await pilot.press(*"renewed term 12m", "enter")
        await settle(pilot)
        with demo_book.read() as s:
            acc = s.execute(select(Account).where(Account.name == row.account)).scalar_one()
            [out] = s.execute(
                select(RenewalOutcome).where(RenewalOutcome.account_id == acc.id)
                .where(RenewalOutcome.day == TODAY)
            ).scalars().all()  # fmt: skip
        renewal = row.renewal
        assert (out.outcome, out.renewal, out.term_months) == ("renewed", renewal, 12)
        assert acc.renewal == date(renewal.year + 1, renewal.month, renewal.day)
        # Back on the desk, the renewal is gone from the list.
        assert app.screen is screen
        accounts = [r.account for r in screen.row_items if isinstance(r, RenewalRow)]
        assert row.account not in accounts


async def test_empty_desk_says_what_to_do(book: Book, make_app):
    book.add_account("Initech", "smb", date(2026, 1, 1), mrr=100, plan_on=TODAY)
    app = make_app(book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_renewals(pilot)
        empty = screen.query_one("#renewals-empty", Static)
        assert empty.display and not screen.query_one("#renewals-table", VTable).display
        assert "No renewals in the next 120 days" in str(empty.render())
        await pilot.press("l")
        await settle(pilot)
        assert app.screen.query_one("#quick-log-input", Input).value == ""


async def test_help_lists_the_renewals_keys(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        entries = app.screen.entries
        assert ("Everywhere", "r", "Renewals") in entries
        assert any(sec == "Renewals" and what == "Log outcome" for sec, _, what in entries)
