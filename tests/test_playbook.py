"""Touchpoint playbook: onboarding, renewal, tier cadences, NPS asks, windows and rule keys."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from bookkeeper_tui.config import PlaybookConfig
from bookkeeper_tui.core.playbook import (
    PlannedTouchpoint,
    next_renewal,
    playbook_touchpoints,
    purpose,
    renewal_term_months,
)

CFG = PlaybookConfig()
START = date(2026, 3, 10)  # mid-month: no month-end clamping
MONTH_END_START = date(2026, 1, 31)
TIERS = ("enterprise", "mid-market", "smb")
#: Kinds that never come from the tier cadence.
NON_CADENCE = {"welcome", "mini_qbr", "expansion", "renewal", "ces_check", "nps_ask"}


def d(days: int, start: date = START) -> date:
    return start + timedelta(days=days)


def m(months: int, start: date = START) -> date:
    return start + relativedelta(months=months)


def plan(
    tier: str = "mid-market",
    start: date = START,
    renewal: date | None = None,
    window: tuple[date, date] | None = None,
    cfg: PlaybookConfig = CFG,
) -> list[PlannedTouchpoint]:
    window = window or (start, m(24, start))
    return playbook_touchpoints(tier, start, renewal, window, cfg)


def dues(plans: list[PlannedTouchpoint], kind: str) -> list[date]:
    return sorted(p.due for p in plans if p.kind == kind)


def rule_map(plans: list[PlannedTouchpoint]) -> dict[str, date]:
    out = {p.rule: p.due for p in plans}
    assert len(out) == len(plans), "duplicate rule keys"
    return out


# --- first-year onboarding -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "due"),
    [
        ("welcome", date(2026, 3, 11)),  # D+1
        ("check_in", date(2026, 3, 17)),  # D+7
        ("mini_qbr", date(2026, 4, 9)),  # D+30
        ("qbr", date(2026, 6, 8)),  # D+90
        ("expansion", date(2026, 9, 6)),  # D+180
    ],
)
@pytest.mark.parametrize("tier", [*TIERS, "unknown-tier"])
def test_onboarding_touchpoint_on_its_day(tier: str, kind: str, due: date) -> None:
    hits = [p for p in plan(tier, window=(due, due)) if p.kind == kind]
    assert [p.due for p in hits] == [due]
    assert hits[0].origin == "playbook"
    assert hits[0].note == purpose(kind) != ""


@pytest.mark.parametrize(
    ("window", "kinds"),
    [
        ((d(0), d(0)), set()),  # start day itself: nothing yet
        ((d(1), d(1)), {"welcome"}),
        ((d(2), d(6)), set()),
        ((d(1), d(7)), {"welcome", "check_in"}),
        ((d(8), d(29)), set()),
        ((d(30), d(30)), {"mini_qbr"}),
        ((d(91), d(179)), {"nps_ask"}),  # mid-market: no cadence item before month 6 (D+182)
        ((d(180), d(180)), {"expansion"}),
    ],
)
def test_first_year_windows_mid_market(window: tuple[date, date], kinds: set[str]) -> None:
    assert {p.kind for p in plan("mid-market", window=window)} == kinds


def test_onboarding_only_once() -> None:
    plans = plan("smb", window=(d(-400), d(5 * 365)))
    for kind in ("welcome", "mini_qbr", "expansion"):
        assert len(dues(plans, kind)) == 1, kind


# --- renewal and CES -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("renewal", "renewal_due", "ces_due"),
    [
        (date(2027, 3, 10), date(2027, 2, 8), date(2027, 1, 24)),
        (date(2027, 1, 1), date(2026, 12, 2), date(2026, 11, 17)),
        (date(2026, 12, 31), date(2026, 12, 1), date(2026, 11, 16)),
    ],
)
def test_renewal_date_known(renewal: date, renewal_due: date, ces_due: date) -> None:
    plans = plan("enterprise", renewal=renewal, window=(d(-400), d(400)))
    assert dues(plans, "renewal") == [renewal_due] == [renewal - timedelta(days=30)]
    assert dues(plans, "ces_check") == [ces_due] == [renewal - timedelta(days=45)]


@pytest.mark.parametrize(
    ("start", "renewal", "window_end", "renewals", "ces"),
    [
        # 12-month first term: renewals repeat every 12 months.
        (
            date(2026, 3, 10),
            date(2027, 3, 10),
            date(2029, 6, 30),
            [date(2027, 2, 8), date(2028, 2, 9), date(2029, 2, 8)],
            [date(2027, 1, 24), date(2028, 1, 25), date(2029, 1, 24)],
        ),
        # Renewal date not a whole number of months after start: 12-month term.
        (
            date(2026, 3, 10),
            date(2027, 1, 1),
            date(2028, 12, 31),
            [date(2026, 12, 2), date(2027, 12, 2), date(2028, 12, 2)],
            [date(2026, 11, 17), date(2027, 11, 17), date(2028, 11, 17)],
        ),
        # 6-month first term: the gap is the term.
        (
            date(2026, 3, 10),
            date(2026, 9, 10),
            date(2027, 9, 30),
            [date(2026, 8, 11), date(2027, 2, 8), date(2027, 8, 11)],
            [date(2026, 7, 27), date(2027, 1, 24), date(2027, 7, 27)],
        ),
        # Start unknown relation (renewal long after start, whole years): 12-month term.
        (
            date(2020, 5, 1),
            date(2026, 5, 1),
            date(2028, 5, 31),
            [date(2026, 4, 1), date(2027, 4, 1), date(2028, 4, 1)],
            [date(2026, 3, 17), date(2027, 3, 17), date(2028, 3, 17)],
        ),
    ],
)
def test_renewal_repeats_every_term(
    start: date, renewal: date, window_end: date, renewals: list[date], ces: list[date]
) -> None:
    plans = plan("smb", start=start, renewal=renewal, window=(start, window_end))
    assert dues(plans, "renewal") == renewals
    assert dues(plans, "ces_check") == ces
    # Keys name the renewal date they prepare, so a moved renewal date keeps them stable.
    assert next(p.rule for p in plans if p.kind == "renewal") == f"renewal:{renewal}"


@pytest.mark.parametrize(
    ("start", "renewal", "as_of", "expected"),
    [
        (date(2026, 3, 10), date(2027, 3, 10), date(2027, 3, 9), date(2027, 3, 10)),
        (date(2026, 3, 10), date(2027, 3, 10), date(2027, 3, 10), date(2027, 3, 10)),
        (date(2026, 3, 10), date(2027, 3, 10), date(2027, 3, 11), date(2028, 3, 10)),
        (date(2026, 3, 10), date(2027, 3, 10), date(2029, 4, 1), date(2030, 3, 10)),
        (date(2026, 3, 10), date(2026, 9, 10), date(2026, 9, 11), date(2027, 3, 10)),
        (date(2026, 3, 10), date(2027, 1, 1), date(2027, 1, 2), date(2028, 1, 1)),
    ],
)
def test_next_renewal_after_the_date_passes(
    start: date, renewal: date, as_of: date, expected: date
) -> None:
    assert next_renewal(start, renewal, as_of) == expected


@pytest.mark.parametrize(
    ("start", "renewal", "term"),
    [
        (date(2026, 3, 10), date(2027, 3, 10), 12),
        (date(2026, 3, 10), date(2026, 9, 10), 6),
        (date(2026, 3, 10), date(2027, 1, 1), 12),
        (date(2026, 1, 31), date(2026, 4, 30), 3),
        (date(2026, 3, 10), date(2028, 3, 10), 12),
        (date(2026, 3, 10), date(2026, 3, 10), 12),
    ],
)
def test_renewal_term_months(start: date, renewal: date, term: int) -> None:
    assert renewal_term_months(start, renewal) == term


@pytest.mark.parametrize("tier", TIERS)
def test_renewal_without_date_at_d330_then_yearly(tier: str) -> None:
    plans = plan(tier, window=(START, date(2029, 12, 31)))
    # START + 330 days = 2027-02-03, then each year after.
    assert dues(plans, "renewal") == [date(2027, 2, 3), date(2028, 2, 3), date(2029, 2, 3)]
    # CES 45 days before each anniversary (the implied renewal date), so before the renewal ask.
    # (2028 is a leap year: 2028-03-10 minus 45 days is Jan 25.)
    assert dues(plans, "ces_check") == [date(2027, 1, 24), date(2028, 1, 25), date(2029, 1, 24)]


def test_renewal_without_date_on_leap_day_start() -> None:
    start = date(2024, 2, 29)
    plans = plan("smb", start=start, window=(start, date(2027, 12, 31)))
    assert dues(plans, "renewal") == [date(2025, 1, 24), date(2026, 1, 24), date(2027, 1, 24)]
    # Anniversaries of Feb 29 fall on Feb 28; CES is 45 days before them.
    assert dues(plans, "ces_check") == [date(2025, 1, 14), date(2026, 1, 14), date(2027, 1, 14)]


def test_ces_check_precedes_renewal_ask() -> None:
    for renewal in (None, date(2027, 6, 1)):
        plans = plan("enterprise", renewal=renewal, window=(START, date(2029, 12, 31)))
        for ces, ren in zip(dues(plans, "ces_check"), dues(plans, "renewal"), strict=True):
            assert ces < ren


# --- tier cadences after onboarding ----------------------------------------------------------

AFTER_ONBOARDING = (d(100), m(24))


@pytest.mark.parametrize(
    ("tier", "check_in_months", "qbr_months"),
    [
        (
            "enterprise",
            [n for n in range(4, 25) if n % 3 != 0],
            list(range(6, 25, 3)),
        ),
        ("mid-market", [], list(range(6, 25, 3))),
        ("smb", [6, 12, 18, 24], []),
        ("unknown-tier", [], []),
    ],
)
def test_tier_cadence(tier: str, check_in_months: list[int], qbr_months: list[int]) -> None:
    plans = plan(tier, window=AFTER_ONBOARDING)
    assert dues(plans, "check_in") == [m(n) for n in check_in_months]
    assert dues(plans, "qbr") == [m(n) for n in qbr_months]


def test_enterprise_no_check_in_in_a_qbr_month() -> None:
    plans = plan("enterprise", window=(START, m(36)))
    qbr_months = {(x.year, x.month) for x in dues(plans, "qbr")}
    check_in_months = {(x.year, x.month) for x in dues(plans, "check_in")}
    assert qbr_months
    assert not qbr_months & check_in_months
    # ...and every other month after onboarding has exactly one of them.
    for n in range(4, 37):
        month = (m(n).year, m(n).month)
        assert (month in qbr_months) != (month in check_in_months), month


@pytest.mark.parametrize("tier", TIERS)
def test_no_cadence_during_onboarding(tier: str) -> None:
    # D+0..D+97: only the onboarding check-in (D+7) and QBR (D+90).
    plans = plan(tier, window=(START, d(97)))
    assert dues(plans, "check_in") == [d(7)]
    assert dues(plans, "qbr") == [d(90)]


# --- NPS asks --------------------------------------------------------------------------------


@pytest.mark.parametrize("tier", [*TIERS, "unknown-tier"])
def test_nps_ask_every_three_months(tier: str) -> None:
    plans = plan(tier, window=(START, m(24)))
    # First formal NPS at the mini-QBR (month 1), then every 3 calendar months.
    assert dues(plans, "nps_ask") == [m(n) for n in range(4, 25, 3)]


# --- calendar month arithmetic ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "due"),
    [
        ("check_in", date(2026, 5, 31)),  # month 4
        ("check_in", date(2026, 6, 30)),  # month 5: clamped to the month end
        ("qbr", date(2026, 7, 31)),  # month 6: back to the 31st, no drift
        ("check_in", date(2026, 9, 30)),  # month 8
        ("qbr", date(2026, 10, 31)),
        ("check_in", date(2026, 11, 30)),
        ("check_in", date(2026, 12, 31)),
        ("qbr", date(2027, 1, 31)),
        ("check_in", date(2027, 2, 28)),  # month 13: Feb 28
        ("check_in", date(2027, 3, 31)),  # month 14: no drift after February
        ("check_in", date(2028, 2, 29)),  # month 25: leap year
    ],
)
def test_month_end_start_lands_on_month_ends(kind: str, due: date) -> None:
    plans = plan("enterprise", start=MONTH_END_START, window=(due, due))
    assert kind in {p.kind for p in plans}


def test_month_end_start_nps_asks() -> None:
    plans = plan("smb", start=MONTH_END_START, window=(MONTH_END_START, date(2027, 6, 30)))
    assert dues(plans, "nps_ask") == [
        date(2026, 5, 31),
        date(2026, 8, 31),
        date(2026, 11, 30),
        date(2027, 2, 28),
        date(2027, 5, 31),
    ]


# --- windows ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "window",
    [
        (d(0), d(0)),
        (d(1), d(1)),
        (d(50), d(140)),
        (d(300), d(400)),
        (date(2028, 1, 1), date(2028, 3, 31)),
        (date(2030, 6, 1), date(2031, 6, 1)),
    ],
)
@pytest.mark.parametrize("tier", TIERS)
def test_only_occurrences_inside_window(tier: str, window: tuple[date, date]) -> None:
    lo, hi = window
    full = plan(tier, window=(d(-30), date(2032, 1, 1)))
    got = plan(tier, window=window)
    assert all(lo <= p.due <= hi for p in got)
    assert got == [p for p in full if lo <= p.due <= hi]


@pytest.mark.parametrize(
    "window",
    [
        (date(2020, 1, 1), date(2026, 3, 9)),  # entirely before the start
        (d(10), d(5)),  # empty (lo > hi)
    ],
)
def test_empty_windows(window: tuple[date, date]) -> None:
    assert plan("enterprise", window=window) == []
    assert plan("enterprise", renewal=date(2027, 3, 10), window=window) == []


def test_window_bounds_are_inclusive() -> None:
    qbr6 = m(6)
    assert [p.kind for p in plan("mid-market", window=(qbr6, qbr6))] == ["qbr"]
    assert plan("mid-market", window=(qbr6 + timedelta(days=1), m(7) - timedelta(days=1))) == []
    assert plan("mid-market", window=(d(181), qbr6 - timedelta(days=1))) == []


def test_result_sorted_by_due() -> None:
    plans = plan("enterprise", window=(START, m(36)))
    assert [p.due for p in plans] == sorted(p.due for p in plans)


# --- rule keys -------------------------------------------------------------------------------


@pytest.mark.parametrize("renewal", [None, date(2027, 3, 10)])
@pytest.mark.parametrize("start", [START, MONTH_END_START, date(2024, 2, 29)])
@pytest.mark.parametrize("tier", TIERS)
def test_rule_keys_unique(tier: str, start: date, renewal: date | None) -> None:
    plans = plan(
        tier, start=start, renewal=renewal, window=(start, start + timedelta(days=5 * 365))
    )
    rules = [p.rule for p in plans]
    assert rules
    assert len(rules) == len(set(rules))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((START, d(200)), (d(100), d(400))),
        ((d(300), date(2027, 12, 31)), (date(2027, 6, 1), date(2028, 6, 1))),
        ((START, date(2030, 1, 1)), (date(2028, 2, 1), date(2028, 2, 29))),
        ((date(2027, 1, 15), date(2027, 1, 31)), (date(2027, 1, 31), date(2027, 2, 15))),
    ],
)
@pytest.mark.parametrize("renewal", [None, date(2027, 3, 10)])
@pytest.mark.parametrize("tier", TIERS)
def test_overlapping_windows_agree(
    tier: str,
    renewal: date | None,
    first: tuple[date, date],
    second: tuple[date, date],
) -> None:
    lo, hi = max(first[0], second[0]), min(first[1], second[1])
    assert lo <= hi

    def overlap(window: tuple[date, date]) -> dict[str, date]:
        got = rule_map(plan(tier, renewal=renewal, window=window))
        return {rule: due for rule, due in got.items() if lo <= due <= hi}

    a, b = overlap(first), overlap(second)
    assert a == b
    # Keys depend on the occurrence, not on the window asked for.
    assert a == rule_map(plan(tier, renewal=renewal, window=(lo, hi)))


def test_deterministic() -> None:
    args = ("enterprise", START, date(2027, 3, 10), (START, m(30)), CFG)
    assert playbook_touchpoints(*args) == playbook_touchpoints(*args)


# --- tier changes ----------------------------------------------------------------------------


def test_tier_change_changes_cadence_kinds_only() -> None:
    window = (START, m(24))
    by_tier = {tier: plan(tier, window=window) for tier in TIERS}

    def cadence_kinds(plans: list[PlannedTouchpoint]) -> set[str]:
        late = [p for p in plans if p.due > d(97) and p.kind not in NON_CADENCE]
        return {p.kind for p in late}

    assert cadence_kinds(by_tier["enterprise"]) == {"check_in", "qbr"}
    assert cadence_kinds(by_tier["mid-market"]) == {"qbr"}
    assert cadence_kinds(by_tier["smb"]) == {"check_in"}

    # Everything that does not depend on the tier keeps the same keys and dates.
    def tierless(plans: list[PlannedTouchpoint]) -> dict[str, date]:
        return {p.rule: p.due for p in plans if p.kind in NON_CADENCE or p.due <= d(97)}

    assert tierless(by_tier["enterprise"]) == tierless(by_tier["mid-market"])
    assert tierless(by_tier["mid-market"]) == tierless(by_tier["smb"])
    # The cadence rules differ, so a tier change plans new occurrences.
    ent, smb = rule_map(by_tier["enterprise"]), rule_map(by_tier["smb"])
    assert set(ent) != set(smb)


# --- configurable defaults -------------------------------------------------------------------


def test_config_overrides() -> None:
    cfg = replace(
        CFG,
        onboarding={"welcome": 3, "kickoff_call": 14},
        renewal_lead_days=60,
        ces_lead_days=90,
        renewal_default_day=300,
        cadence_months={"smb": {"check_in": 2}},
        nps_every_months=6,
    )
    renewal = date(2027, 3, 10)
    with_date = plan("smb", renewal=renewal, window=(START, m(24)), cfg=cfg)
    assert dues(with_date, "welcome") == [d(3)]
    assert dues(with_date, "kickoff_call") == [d(14)]
    assert dues(with_date, "mini_qbr") == []
    year2 = date(2028, 3, 10)  # the renewal repeats 12 months later
    assert dues(with_date, "renewal") == [renewal - timedelta(days=60), year2 - timedelta(days=60)]
    ces = [renewal - timedelta(days=90), year2 - timedelta(days=90)]
    assert dues(with_date, "ces_check") == ces
    # Every 2 months after onboarding (month 2 is inside onboarding, so from month 4).
    assert dues(with_date, "check_in") == [m(n) for n in range(4, 25, 2)]
    assert dues(with_date, "nps_ask") == [m(7), m(13), m(19)]

    without_date = plan("smb", window=(START, date(2027, 12, 31)), cfg=cfg)
    assert dues(without_date, "renewal") == [d(300)]


def test_zero_cadence_disables() -> None:
    cfg = replace(CFG, cadence_months={"smb": {"check_in": 0}}, nps_every_months=0)
    plans = plan("smb", window=(d(100), m(36)), cfg=cfg)
    assert dues(plans, "check_in") == []
    assert dues(plans, "nps_ask") == []
