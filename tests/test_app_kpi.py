"""KPI screen, driven with real keys, checked against Book.kpi for the same period."""

from __future__ import annotations

import pytest
from rich.console import Group
from rich.text import Text
from textual.widgets import Input, Static

from bookkeeper_tui.core.kpi_panel import KpiPanel
from bookkeeper_tui.screens.kpi import (
    KpiScreen,
    PeriodScreen,
    health_bar,
    normalise_period,
    period_label,
)
from bookkeeper_tui.screens.kpi_cards import KpiCards
from bookkeeper_tui.widgets.render import money
from tests.conftest import TODAY, settle


def plain(app, selector: str) -> str:
    """The text a card shows (a Text, or the Text parts of a Group): ``#kpi-nrr`` is the
    NRR card of the panel; any other selector a Static's content."""
    key = selector.removeprefix("#kpi-").replace("-", "_")
    cards = app.screen.query(KpiCards)
    if cards and key in {c.key for c in cards.first().cards}:
        content = cards.first().card(key).content
    else:
        content = app.screen.query_one(selector, Static).content
    if isinstance(content, Group):
        return "\n".join(r.plain for r in content.renderables if isinstance(r, Text))
    return content.plain if isinstance(content, Text) else str(content)


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def assert_shows(app, k: KpiPanel) -> None:
    """The cards show the numbers Book.kpi computed, formatted as a person reads them."""
    assert plain(app, "#kpi-nrr").startswith(percent(k.nrr))
    assert plain(app, "#kpi-grr").startswith(percent(k.grr))
    assert plain(app, "#kpi-logo-churn").startswith(percent(k.logo_churn))
    nps = plain(app, "#kpi-nps")
    assert nps.startswith(f"{k.nps:+.0f}")
    assert f"account-level {k.account_nps:+.0f} · user-level {k.user_nps:+.0f}" in nps
    movements = plain(app, "#kpi-movements")
    assert f"new +{money(k.new_mrr)}" in movements
    assert f"expansion +{money(k.expansion_mrr)}" in movements
    assert f"contraction -{money(k.contraction_mrr)}" in movements
    assert f"churn -{money(k.churned_mrr)}" in movements
    assert plain(app, "#kpi-health").startswith(percent(k.health.green) + " green")
    status = plain(app, "#kpi-status")
    assert f"{k.start} → {k.end}" in status


async def open_kpis(app, pilot) -> KpiScreen:
    await settle(pilot)
    await pilot.press("k")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, KpiScreen)
    return screen


async def test_k_shows_the_12_month_kpis(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_kpis(app, pilot)
        expected = demo_book.kpi(TODAY, "12m")
        assert_shows(app, expected)
        assert "Last 12 months" in plain(app, "#kpi-status")
        assert "12 months" in screen.sub_title
        assert not screen.query_one("#kpi-body").loading
        # Coloured against the benchmarks: NRR 100-110% is average (yellow).
        nrr = screen.query_one(KpiCards).card("nrr").content
        assert isinstance(nrr, Text)
        colour = "green" if expected.nrr >= 1.1 else "yellow" if expected.nrr >= 1 else "red"
        assert colour in str(nrr.style)


async def test_9_switches_to_90_days_and_y_back(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_kpis(app, pilot)
        await pilot.press("9")
        await settle(pilot)
        assert screen.period == "90d"
        assert_shows(app, demo_book.kpi(TODAY, "90d"))
        assert "Last 90 days" in plain(app, "#kpi-status")
        await pilot.press("y")
        await settle(pilot)
        assert_shows(app, demo_book.kpi(TODAY, "12m"))


async def test_custom_period(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_kpis(app, pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, PeriodScreen)
        assert app.screen.query_one(Input).value == "12m"  # selected: typing replaces it
        await pilot.press("6", "m", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.period == "6m"
        assert "Last 6 months" in plain(app, "#kpi-status")
        assert "6 months" in screen.sub_title
        assert_shows(app, demo_book.kpi(TODAY, "6m"))


async def test_bad_custom_period_shows_an_error_and_keeps_the_period(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_kpis(app, pilot)
        await pilot.press("c")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, PeriodScreen)
        await pilot.press("s", "o", "o", "n", "enter")
        await settle(pilot)
        assert app.screen is dialog
        assert "'soon' is not a period" in plain(app, "#period-error")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert screen.period == "12m"
        assert_shows(app, demo_book.kpi(TODAY, "12m"))


async def test_trend_sparklines_have_data(demo_book, make_app):
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_kpis(app, pilot)
        k = demo_book.kpi(TODAY, "12m")
        green = [p.green * 100 for p in k.green_trend if p.green is not None]
        mrr = [m.mrr for m in k.mrr_by_month]
        green_trend, mrr_trend = screen.query_one(KpiCards).trends
        assert green_trend.data == green != []
        assert mrr_trend.data == mrr != []
        assert money(mrr[-1]) in mrr_trend.caption.plain


async def test_empty_book_shows_hints_not_zeros(book, make_app):
    book.add_account("Solo Co", "smb", TODAY)  # no MRR, no scores
    app = make_app(book)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_kpis(app, pilot)
        assert plain(app, "#kpi-nrr").startswith("n/a")
        nps = plain(app, "#kpi-nps")
        assert nps.startswith("n/a") and "nps 9" in nps


def test_health_bar_fills_its_width_by_share():
    for width in (10, 33, 34, 80):
        bar = health_bar({"green": 0.6842, "yellow": 0.1842, "red": 0.1316}, width)
        assert len(bar.plain) == width
        green = sum(s.end - s.start for s in bar.spans if s.style == "green")
        assert abs(green - 0.6842 * width) < 1
    assert health_bar({"green": 0.0, "yellow": 0.0, "red": 0.0}, 5).plain == "░" * 5


def test_custom_periods_are_checked_and_tidied():
    assert normalise_period(" 6 M ", TODAY) == "6m"
    assert period_label("6m") == "6 months"
    assert period_label("1y") == "1 year"
    for bad, why in [
        ("", "type a period"),
        ("soon", "is not a period"),
        ("0d", "at least one day"),
        ("99999y", "too far"),
        ("10000000000d", "too far"),
    ]:
        with pytest.raises(ValueError, match=why):
            normalise_period(bad, TODAY)


async def test_starting_mrr_is_one_number_and_short_churn_is_labelled(demo_book, make_app):
    """Issue 12 #8: the MRR caption starts at the cards' starting MRR; 90-day churn says so."""
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_kpis(app, pilot)
        for key, period in (("y", "12m"), ("9", "90d")):
            await pilot.press(key)
            await settle(pilot)
            assert screen.period == period
            k = demo_book.kpi(TODAY, period)
            start = money(k.starting_mrr)
            assert plain(app, "#kpi-movements").count(f"MRR {start} → {money(k.ending_mrr)}")
            caption = screen.query_one(KpiCards).trends[1].caption.plain
            assert caption.startswith(f"{start} → ")
            churn = plain(app, "#kpi-logo-churn")
            if period == "90d":
                assert "90-day churn, not annualised" in churn
                assert f"{k.logo_churn_annualised * 100:.0f}% a year" in churn
            else:
                assert "not annualised" not in churn
