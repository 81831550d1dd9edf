"""KPI formulas of docs/domain.md, checked on hand-computed books and random histories."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bookkeeper_tui.core.kpi import (
    TouchpointOutcome,
    health_distribution,
    mrr_movements_by_month,
    mrr_on,
    on_time_rate,
    period_start,
    qbr_completion,
    referral_rate,
    revenue_kpis,
)

D = date.fromisoformat

# --- mrr_on -------------------------------------------------------------------------------

LEVELS = [(D("2025-03-01"), 200.0), (D("2025-01-01"), 100.0), (D("2025-06-01"), 0.0)]


@pytest.mark.parametrize(
    ("levels", "day", "expected"),
    [
        ([], D("2025-01-01"), 0.0),
        (LEVELS, D("2024-12-31"), 0.0),  # before the first level
        (LEVELS, D("2025-01-01"), 100.0),  # inclusive from its date
        (LEVELS, D("2025-02-28"), 100.0),
        (LEVELS, D("2025-03-01"), 200.0),  # later level wins, input unsorted
        (LEVELS, D("2025-05-31"), 200.0),
        (LEVELS, D("2025-06-01"), 0.0),  # churned
        (LEVELS, D("2030-01-01"), 0.0),
        ([(D("2025-01-01"), 100.0), (D("2025-01-01"), 150.0)], D("2025-01-01"), 150.0),
    ],
)
def test_mrr_on(levels, day, expected):
    assert mrr_on(levels, day) == expected


# --- period_start -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "period", "expected"),
    [
        (D("2026-03-31"), "12m", D("2025-03-31")),
        (D("2026-03-31"), "1m", D("2026-02-28")),  # clamped to a short month
        (D("2026-03-31"), "3M", D("2025-12-31")),
        (D("2026-03-31"), "90d", D("2025-12-31")),
        (D("2026-03-31"), "2w", D("2026-03-17")),
        (D("2026-03-31"), "1Y", D("2025-03-31")),
        (D("2024-02-29"), "1y", D("2023-02-28")),
        (D("2026-03-31"), " 90d ", D("2025-12-31")),
    ],
)
def test_period_start(end, period, expected):
    assert period_start(end, period) == expected


@pytest.mark.parametrize("bad", ["", "12", "m", "12 months", "1.5m", "-3m", "12x", "d90"])
def test_period_start_rejects(bad):
    with pytest.raises(ValueError, match="period must look like 90d, 12m, 2w or 1y"):
        period_start(D("2026-03-31"), bad)


# --- revenue_kpis -------------------------------------------------------------------------

START, END = D("2025-01-01"), D("2025-12-31")

BOOK = {
    # expansion: 1000 -> 1500
    "expands": [(D("2024-06-01"), 1000.0), (D("2025-06-01"), 1500.0)],
    # contraction: 2000 -> 1200
    "contracts": [(D("2024-01-01"), 2000.0), (D("2025-03-01"), 1200.0)],
    # churn: 500 -> 0
    "churns": [(D("2024-01-01"), 500.0), (D("2025-09-01"), 0.0)],
    # new inside the period: 0 -> 300
    "new": [(D("2025-04-01"), 300.0)],
    # churned before start, reactivated inside: MRR(start) = 0, so it is new MRR
    "reactivated": [(D("2023-01-01"), 400.0), (D("2024-06-01"), 0.0), (D("2025-07-01"), 600.0)],
    # in C, churned and came back inside: measured against start, +100 expansion
    "comes_back": [(D("2024-01-01"), 800.0), (D("2025-02-01"), 0.0), (D("2025-10-01"), 900.0)],
    # level starting exactly on start is in C (inclusive), flat
    "flat": [(D("2025-01-01"), 250.0)],
    # only after end: invisible
    "future": [(D("2026-01-01"), 700.0)],
}


def test_revenue_kpis_worked_example():
    k = revenue_kpis(BOOK, START, END)
    assert (k.start, k.end) == (START, END)
    assert k.cohort_size == 5
    assert k.starting_mrr == 4550  # 1000 + 2000 + 500 + 800 + 250
    assert k.cohort_ending_mrr == 3850  # 1500 + 1200 + 0 + 900 + 250
    assert k.nrr == pytest.approx(3850 / 4550)
    assert k.grr == pytest.approx((1000 + 1200 + 0 + 800 + 250) / 4550)
    assert k.logo_retention == pytest.approx(0.8)
    assert k.logo_churn == pytest.approx(0.2)
    assert k.churned_logos == 1
    # The movements are every change inside the period, over every account (issue 12 #8):
    assert k.expansion_mrr == 500
    assert k.contraction_mrr == 800
    assert k.churned_mrr == 1300  # 500 + "comes_back" leaving in February (800)
    assert k.new_mrr == 300
    assert k.reactivation_mrr == 1500  # "reactivated" 600 + "comes_back" 900
    assert k.expansion_share == pytest.approx(500 / 800)
    assert k.ending_mrr == 4750
    assert (
        k.starting_mrr
        + k.new_mrr
        + k.reactivation_mrr
        + k.expansion_mrr
        - k.contraction_mrr
        - k.churned_mrr
        == k.ending_mrr
    )


@pytest.mark.parametrize(
    ("history", "new_mrr", "expansion_share"),
    [
        ({}, 0.0, None),
        ({"new": [(D("2025-05-01"), 300.0)]}, 300.0, 0.0),
        ({"gone": [(D("2024-01-01"), 300.0), (D("2024-12-31"), 0.0)]}, 0.0, None),
    ],
)
def test_revenue_kpis_without_starting_mrr_has_no_ratios(history, new_mrr, expansion_share):
    k = revenue_kpis(history, START, END)
    assert k.starting_mrr == 0
    assert k.cohort_size == 0
    assert (k.nrr, k.grr, k.logo_retention, k.logo_churn) == (None, None, None, None)
    assert k.new_mrr == new_mrr
    assert k.expansion_share == expansion_share
    assert k.ending_mrr == new_mrr


def test_revenue_kpis_rejects_reversed_period():
    with pytest.raises(ValueError, match="after its end"):
        revenue_kpis(BOOK, END, START)


# --- mrr_movements_by_month ---------------------------------------------------------------


def test_mrr_movements_by_month():
    history = {
        "a": [(D("2024-01-01"), 100.0), (D("2025-02-10"), 150.0)],  # Feb expansion 50
        # Jan churn 200, Mar reactivation 250
        "b": [(D("2024-01-01"), 200.0), (D("2025-01-20"), 0.0), (D("2025-03-05"), 250.0)],
        "c": [(D("2025-01-16"), 80.0)],  # Jan new 80
        "d": [(D("2024-01-01"), 300.0), (D("2025-03-20"), 100.0)],  # Mar contraction on end
        "e": [(D("2025-03-21"), 50.0)],  # after end
    }
    rows = mrr_movements_by_month(history, D("2025-01-15"), D("2025-03-20"))
    zero = {"new": 0.0, "expansion": 0.0, "contraction": 0.0, "churned": 0.0, "reactivation": 0.0}
    assert rows == [
        {**zero, "month": "2025-01", "new": 80.0, "churned": 200.0, "mrr": 480.0},
        {**zero, "month": "2025-02", "expansion": 50.0, "mrr": 530.0},
        {**zero, "month": "2025-03", "reactivation": 250.0, "contraction": 200.0, "mrr": 580.0},
    ]


def test_mrr_movements_cross_year_and_single_month():
    history = {"a": [(D("2025-12-05"), 10.0)]}
    rows = mrr_movements_by_month(history, D("2025-11-30"), D("2026-01-01"))
    assert [r["month"] for r in rows] == ["2025-11", "2025-12", "2026-01"]
    assert [r["new"] for r in rows] == [0.0, 10.0, 0.0]
    one = mrr_movements_by_month(history, D("2025-12-01"), D("2025-12-01"))
    assert one == [
        {
            "month": "2025-12",
            "new": 0.0,
            "expansion": 0.0,
            "contraction": 0.0,
            "churned": 0.0,
            "reactivation": 0.0,
            "mrr": 0.0,
        }
    ]


# --- qbr_completion -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accounts", "qbrs", "expected"),
    [
        ([], {}, None),
        (["a"], {}, 0.0),
        (["a"], {"a": [D("2026-03-31")]}, 1.0),  # end inclusive
        (["a"], {"a": [D("2025-12-31")]}, 0.0),  # window start exclusive
        (["a"], {"a": [D("2026-01-01")]}, 1.0),
        (["a"], {"a": [D("2026-04-02")]}, 0.0),  # after end does not count
        (
            ["a", "b", "c", "d", "e", "a"],  # duplicates count once
            {
                "a": [D("2026-03-31")],
                "b": [D("2025-12-31")],
                "c": [D("2025-06-01"), D("2026-01-01")],
                "e": [D("2026-04-02")],
                "not-enterprise": [D("2026-02-01")],
            },
            2 / 5,
        ),
    ],
)
def test_qbr_completion(accounts, qbrs, expected):
    assert qbr_completion(accounts, qbrs, D("2026-03-31")) == expected


def test_qbr_completion_custom_months():
    assert qbr_completion(["a"], {"a": [D("2025-11-15")]}, D("2026-03-31"), months=6) == 1.0


# --- on_time_rate -------------------------------------------------------------------------

TP = TouchpointOutcome


@pytest.mark.parametrize(
    ("touchpoints", "expected"),
    [
        ([], None),
        ([TP(D("2026-02-01"), "skipped", None)], None),
        ([TP(D("2026-04-15"), "open", None)], None),  # not due yet
        ([TP(D("2025-12-31"), "done", D("2025-12-31"))], None),  # due before start
        ([TP(D("2026-02-01"), "done", D("2026-02-01"))], 1.0),  # on the due day
        ([TP(D("2026-02-01"), "done", D("2026-01-20"))], 1.0),  # early
        ([TP(D("2026-02-01"), "done", D("2026-02-02"))], 0.0),  # late
        ([TP(D("2026-02-01"), "done", None)], 0.0),  # done, but when is unknown
        ([TP(D("2026-02-01"), "open", None)], 0.0),  # open past due
        ([TP(D("2026-02-01"), "snoozed", None)], 0.0),  # snoozing is not on time
        ([TP(D("2026-01-01"), "done", D("2026-01-01")), TP(D("2026-03-31"), "open", None)], 0.5),
        (
            [
                TP(D("2026-01-10"), "done", D("2026-01-10")),
                TP(D("2026-01-20"), "done", D("2026-01-05")),
                TP(D("2026-02-01"), "done", D("2026-02-09")),
                TP(D("2026-02-15"), "skipped", None),
                TP(D("2026-03-01"), "open", None),
                TP(D("2026-03-02"), "snoozed", None),
                TP(D("2026-04-30"), "open", None),
            ],
            2 / 5,
        ),
    ],
)
def test_on_time_rate(touchpoints, expected):
    assert on_time_rate(touchpoints, D("2026-01-01"), D("2026-03-31")) == expected


def test_on_time_rate_rejects_unknown_status():
    with pytest.raises(ValueError, match="touchpoint status"):
        on_time_rate([TP(D("2026-02-01"), "finished", None)], D("2026-01-01"), D("2026-03-31"))


# --- health_distribution, referral_rate ---------------------------------------------------


@pytest.mark.parametrize(
    ("bands", "expected"),
    [
        ([], {"green": 0.0, "yellow": 0.0, "red": 0.0}),
        ([None, None], {"green": 0.0, "yellow": 0.0, "red": 0.0}),
        (["green"], {"green": 1.0, "yellow": 0.0, "red": 0.0}),
        (
            ["green", "green", "yellow", "red", None],
            {"green": 0.5, "yellow": 0.25, "red": 0.25},
        ),
    ],
)
def test_health_distribution(bands, expected):
    assert health_distribution(bands) == expected


def test_health_distribution_rejects_unknown_band():
    with pytest.raises(ValueError, match="health band"):
        health_distribution(["green", "blue"])


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        ([], None),
        ([None, None], None),
        ([None, "", "  "], None),  # blank is unknown too
        (["referral"], 1.0),
        (["outbound", None], 0.0),
        (["referral", "Referral", " REFERRAL ", "outbound", None, ""], 0.75),
        (["referral-partner", "referral"], 0.5),  # exact source name, not a substring
    ],
)
def test_referral_rate(sources, expected):
    assert referral_rate(sources) == expected


# --- properties ---------------------------------------------------------------------------

BASE = D("2024-01-01")
days = st.integers(min_value=0, max_value=3 * 365).map(lambda n: BASE + timedelta(days=n))
mrr_values = st.one_of(
    st.just(0.0),
    st.integers(min_value=0, max_value=100_000).map(float),
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
)
histories = st.dictionaries(
    st.integers(min_value=0, max_value=50),
    st.lists(st.tuples(days, mrr_values), max_size=6),
    max_size=12,
)
periods = st.tuples(days, days).map(sorted)


@given(histories, periods)
def test_revenue_kpis_invariants(history, period):
    start, end = period
    k = revenue_kpis(history, start, end)
    assert math.isclose(
        k.starting_mrr
        + k.new_mrr
        + k.reactivation_mrr
        + k.expansion_mrr
        - k.contraction_mrr
        - k.churned_mrr,
        k.ending_mrr,
        rel_tol=1e-9,
        abs_tol=1e-6,
    )
    assert min(k.expansion_mrr, k.contraction_mrr, k.churned_mrr, k.new_mrr) >= 0
    assert 0 <= k.churned_logos <= k.cohort_size
    if k.starting_mrr == 0:
        assert k.nrr is None and k.grr is None and k.logo_retention is None
        return
    assert k.nrr is not None and k.grr is not None and k.logo_retention is not None
    assert k.grr <= k.nrr + 1e-9
    assert 0 <= k.grr <= 1 + 1e-9
    assert 0 <= k.logo_retention <= 1
    assert k.logo_churn is not None
    assert math.isclose(k.logo_retention + k.logo_churn, 1.0)
    if k.expansion_share is not None:
        assert 0 <= k.expansion_share <= 1


@given(histories, periods)
def test_monthly_movements_chain(history, period):
    start, end = period
    rows = mrr_movements_by_month(history, start, end)
    assert rows
    total = sum(mrr_on(levels, start) for levels in history.values())
    for row in rows:
        total += (
            row["new"]
            + row["reactivation"]
            + row["expansion"]
            - row["contraction"]
            - row["churned"]
        )
        assert math.isclose(total, row["mrr"], rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(
        rows[-1]["mrr"], revenue_kpis(history, start, end).ending_mrr, rel_tol=1e-9, abs_tol=1e-6
    )


# --- issue 12 point 8: one set of definitions for the top line and the monthly list ---------
from bookkeeper_tui.core.kpi import annualised_churn, revenue_and_movements  # noqa: E402

# Same 12-month window as the panel; the last 90 days are a sub-window of it.
W_END = D("2026-11-24")
W12 = D("2025-11-24")
W90 = W_END - timedelta(days=90)
WINDOW_BOOK = {
    # in the cohort, churns inside the last 90 days
    "a": [(D("2025-01-01"), 100.0), (D("2026-10-05"), 0.0)],
    # new inside the 12 months, churns inside the last 90 days
    "b": [(D("2026-03-10"), 50.0), (D("2026-10-20"), 0.0)],
    # contracts then expands back inside the same window
    "c": [(D("2025-01-01"), 300.0), (D("2026-02-01"), 200.0), (D("2026-05-01"), 300.0)],
    # starts on the 12-month period's first day
    "d": [(W12, 80.0)],
    # new, then churned and reactivated
    "e": [(D("2026-01-15"), 40.0), (D("2026-04-01"), 0.0), (D("2026-09-01"), 60.0)],
}


@pytest.mark.parametrize("start", [W12, W90, D("2026-08-26"), D("2026-10-01")])
def test_top_line_movements_are_the_sum_of_the_monthly_rows(start):
    rev, rows = revenue_and_movements(WINDOW_BOOK, start, W_END)
    for key, column in (
        ("new_mrr", "new"),
        ("expansion_mrr", "expansion"),
        ("contraction_mrr", "contraction"),
        ("churned_mrr", "churned"),
        ("reactivation_mrr", "reactivation"),
    ):
        assert math.isclose(getattr(rev, key), sum(r[column] for r in rows)), key
    # the panel's starting MRR is the total MRR at start, and the movements lead to the end
    total_start = sum(mrr_on(levels, start) for levels in WINDOW_BOOK.values())
    assert rev.starting_mrr == total_start
    net = (
        rev.new_mrr
        + rev.reactivation_mrr
        + rev.expansion_mrr
        - rev.contraction_mrr
        - rev.churned_mrr
    )
    assert math.isclose(rev.starting_mrr + net, rev.ending_mrr)


def test_churn_over_12_months_is_not_smaller_than_over_the_last_90_days():
    year = revenue_kpis(WINDOW_BOOK, W12, W_END)
    quarter = revenue_kpis(WINDOW_BOOK, W90, W_END)
    assert year.churned_mrr == 100.0 + 50.0 + 40.0
    assert quarter.churned_mrr == 100.0 + 50.0
    assert year.churned_mrr >= quarter.churned_mrr
    assert year.contraction_mrr >= quarter.contraction_mrr


@given(histories, periods, st.integers(min_value=0, max_value=400))
def test_churn_grows_with_the_window(history, period, back):
    start, end = period
    sub = max(start, end - timedelta(days=back))
    whole, part = revenue_kpis(history, start, end), revenue_kpis(history, sub, end)
    for key in ("churned_mrr", "contraction_mrr", "expansion_mrr", "new_mrr"):
        assert getattr(whole, key) >= getattr(part, key) - 1e-6, key


def test_account_starting_on_the_first_day_is_in_the_cohort_not_new():
    rev, rows = revenue_and_movements({"d": [(W12, 80.0)]}, W12, W_END)
    assert rev.cohort_size == 1 and rev.starting_mrr == 80.0
    assert rev.new_mrr == 0.0 and sum(r["new"] for r in rows) == 0.0


@pytest.mark.parametrize(
    ("rate", "days", "expected"),
    [
        (None, 90, None),
        (0.0, 90, 0.0),
        (0.10, 365, 0.10),
        (0.10, 366, 0.10),  # a leap year is a year
        (0.19, 730, 0.10),  # two years: 1 - 0.81 ** 0.5
        (0.05, 90, 1 - 0.95 ** (365 / 90)),
        (1.0, 90, 1.0),
        (0.10, 0, None),
    ],
)
def test_annualised_churn(rate, days, expected):
    got = annualised_churn(rate, days)
    if expected is None:
        assert got is None
    else:
        assert math.isclose(got, expected)


def test_qbr_completion_leaves_out_enterprise_accounts_younger_than_a_quarter(book):
    today = D("2026-11-24")
    book.add_account("Old Ent", "enterprise", D("2025-01-01"), mrr=5000)
    book.add_account("Young Ent", "enterprise", D("2026-10-01"), mrr=5000)
    k = book.kpi(today, "12m", fresh=True)
    # only "Old Ent" is due a QBR, and it has none
    assert k.qbr_completion == 0.0
    assert k.qbr_accounts == 1


def test_account_starting_on_the_first_day_is_not_a_new_referral(book):
    today = D("2026-11-24")
    book.add_account("Day One", "smb", period_start(today, "12m"), mrr=100, source="referral")
    k = book.kpi(today, "12m", fresh=True)
    assert k.cohort_size == 1
    assert k.referral_rate is None
