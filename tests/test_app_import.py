"""The import screen: pick a file, check the mapping, import (or dry-run) with a summary."""

from __future__ import annotations

from textual.widgets import Input, Select, Static

from bookkeeper_tui.screens.import_screen import guess_kind
from tests.conftest import settle

GOOD = (
    "account_id,company,signup_date,mrr\n"
    "A-1,Acme Corp,2025-01-10,1200\n"
    "A-2,Initech,2025-03-01,300\n"
)
BAD = "company,signup_date\nAcme Corp,03/04/2025\n,2025-01-01\n"


async def open_import(pilot, path) -> None:
    pilot.app.action_import()
    await settle(pilot)
    inp = pilot.app.screen.query_one("#import-path", Input)
    inp.value = str(path)
    await pilot.press("enter")
    await settle(pilot)


def summary(app) -> str:
    return str(app.screen.query_one("#import-summary", Static).render())


async def test_import_a_file_with_the_proposed_mapping(book, make_app, tmp_path):
    path = tmp_path / "companies.csv"
    path.write_text(GOOD)
    app = make_app(book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_import(pilot, path)
        screen = app.screen
        assert screen.query_one("#import-kind", Select).value == "accounts"
        assert screen.query_one("#map-name", Select).value == "company"
        assert screen.query_one("#map-external_id", Select).value == "account_id"
        assert screen.query_one("#map-start", Select).value == "signup_date"
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "2 new" in summary(app)
        assert book.account_names() == ["Acme Corp", "Initech"]
        # Importing again changes nothing.
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "2 unchanged" in summary(app)


async def test_dry_run_writes_nothing(book, make_app, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text(GOOD)
    app = make_app(book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_import(pilot, path)
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert "Would import" in summary(app)
        assert book.account_names() == []


async def test_bad_rows_are_listed_and_nothing_is_written(book, make_app, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text(BAD)
    app = make_app(book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_import(pilot, path)
        await pilot.press("ctrl+r")
        await settle(pilot)
        text = summary(app)
        assert "Refused" in text and "line 2" in text and "line 3" in text
        assert book.account_names() == []


async def test_a_path_that_is_not_a_file(book, make_app, tmp_path):
    app = make_app(book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_import(pilot, tmp_path / "missing.csv")
        assert "is not a file" in summary(app)


def test_kind_is_guessed_from_the_file_name():
    assert guess_kind("ravenstack_subscriptions.csv") == "subscriptions"
    assert guess_kind("ravenstack_support_tickets.csv") == "tickets"
    assert guess_kind("ravenstack_feature_usage.csv") == "usage"
    assert guess_kind("ravenstack_churn_events.csv") == "interactions"
    assert guess_kind("companies.csv") == "accounts"
    assert guess_kind("export.csv") is None
