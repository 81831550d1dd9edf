"""The renewal desk's rules (core/renewals.py): fixed dates, table-driven."""

from __future__ import annotations

from datetime import date

import pytest

from bookkeeper_tui.config import RenewalsConfig
from bookkeeper_tui.core.renewals import (
    OutcomeFacts,
    RenewalFacts,
    accuracy,
    bucket_of,
    churn_reasons,
    detractor_flag,
    forecast,
    likelihood_of,
    renewal_risks,
    upcoming,
)
from bookkeeper_tui.core.signals import Flag

AS_OF = date(2026, 11, 24)
LIKELY = RenewalsConfig().likelihood


@pytest.mark.parametrize(
    "days, bucket",
    [(-1, None), (0, 30), (30, 30), (31, 60), (60, 60), (61, 90), (90, 90), (120, 120),
     (121, None)],
)  # fmt: skip
def test_bucket_of(days, bucket):
    assert bucket_of(days) == bucket


@pytest.mark.parametrize(
    "band, p",
    [("green", 0.95), ("yellow", 0.75), ("red", 0.40), (None, 0.75), ("weird", 0.75)],
)
def test_default_likelihoods(band, p):
    assert likelihood_of(band, LIKELY) == p


def _facts(name, renewal, mrr, band=None, **kw):
    return RenewalFacts(account=name, renewal=renewal, mrr=mrr, band=band, **kw)


def test_upcoming_window_sort_and_arr():
    facts = [
        _facts("Late", date(2027, 3, 24), 1000, "green"),  # 120 days
        _facts("Past", date(2026, 11, 23), 1000, "green"),  # yesterday: not upcoming
        _facts("Beyond", date(2027, 3, 25), 1000, "green"),  # 121 days
        _facts("b-Soon", date(2026, 12, 1), 2000, "red"),  # 7 days
        _facts("A-Soon", date(2026, 12, 1), 500, None),  # same day: by name
        _facts("Today", AS_OF, 100, "yellow"),
    ]
    rows = upcoming(facts, AS_OF, 120, LIKELY)
    assert [r.account for r in rows] == ["Today", "A-Soon", "b-Soon", "Late"]
    assert [r.days_left for r in rows] == [0, 7, 7, 120]
    assert [r.bucket for r in rows] == [30, 30, 30, 120]
    soon = rows[2]
    assert (soon.mrr, soon.arr, soon.likelihood, soon.expected_arr) == (2000, 24000, 0.4, 9600)
    assert rows[1].band is None and rows[1].likelihood == 0.75
    assert [r.account for r in upcoming(facts, AS_OF, 7, LIKELY)] == ["Today", "A-Soon", "b-Soon"]


def test_forecast_sums_and_buckets():
    facts = [
        _facts("G", date(2026, 12, 10), 1000, "green"),  # 16 d -> 30
        _facts("Y", date(2027, 1, 10), 1000, "yellow"),  # 47 d -> 60
        _facts("R", date(2027, 2, 10), 500, "red"),  # 78 d -> 90
        _facts("U", date(2027, 2, 11), 500, None),  # 79 d -> 90
    ]
    rows = upcoming(facts, AS_OF, 90, LIKELY)
    f = forecast(rows, LIKELY, 90)
    assert f.arr_at_stake == 12_000 + 12_000 + 6_000 + 6_000
    assert f.expected_retained_arr == pytest.approx(11_400 + 9_000 + 2_400 + 4_500)
    assert [(b, n) for b, n, _, _ in f.buckets] == [(30, 1), (60, 1), (90, 2)]
    assert f.buckets[2][2:] == (12_000, 6_900)
    assert f.as_json()["likelihood"] == dict(LIKELY)
    # An empty window still lists its buckets, at zero.
    empty = forecast([], LIKELY, 120)
    assert [b for b, *_ in empty.buckets] == [30, 60, 90, 120]
    assert (empty.arr_at_stake, empty.expected_retained_arr) == (0, 0)


def test_forecast_with_custom_likelihood():
    rows = upcoming([_facts("R", date(2026, 12, 1), 1000, "red")], AS_OF, 30, {"red": 0.1})
    assert forecast(rows, {"red": 0.1}, 30).expected_retained_arr == 1200


def _flag(code, kind="risk"):
    return Flag(code, kind, code.replace("_", " "), "")


def test_renewal_risks_keep_risks_only_and_put_detractor_first():
    flags = [
        _flag("churn_language"),
        _flag("renewal_risk"),
        _flag("champion_left"),
        _flag("referral_opportunity", "opportunity"),
    ]
    det = _flag("detractor")
    assert [f.code for f in renewal_risks(flags, det)] == [
        "detractor",
        "churn_language",
        "champion_left",
    ]
    assert renewal_risks([]) == ()


@pytest.mark.parametrize(
    "answers, expected",
    [
        ([], None),
        ([(date(2026, 11, 1), "nps", 4, 1)], "detractor (NPS 4)"),
        ([(date(2026, 11, 1), "nps", 7, 1)], None),
        # Older than 90 days: not an open risk any more.
        ([(date(2026, 8, 1), "nps", 2, 1)], None),
        # The contact answered again, as a promoter: no longer a detractor.
        ([(date(2026, 10, 1), "nps", 3, 1), (date(2026, 11, 1), "nps", 9, 1)], None),
        # Another contact's promoter answer does not hide a detractor.
        ([(date(2026, 10, 1), "nps", 3, 1), (date(2026, 11, 1), "nps", 9, 2)], "detractor (NPS 3)"),
        ([(date(2026, 11, 2), "csat", 2, None)], "detractor (CSAT 2)"),
        ([(date(2026, 11, 2), "ces", 1, None)], None),
        ([(date(2026, 11, 25), "nps", 1, 1)], None),  # after as_of
    ],
)
def test_detractor_flag(answers, expected):
    flag = detractor_flag(answers, AS_OF, 6, 3)
    assert (flag.label if flag else None) == expected


def _outcome(renewal, outcome, before, after, reason="", mrr90=None, band90=None, name="A"):
    return OutcomeFacts(
        account=name,
        renewal=renewal,
        day=renewal,
        outcome=outcome,
        mrr_before=before,
        mrr_after=after,
        reason=reason,
        mrr_at_forecast=mrr90,
        band_at_forecast=band90,
    )


def test_churn_reasons_grouped_counted_and_ordered():
    outs = [
        _outcome(date(2026, 9, 1), "churned", 1000, 0, "Moved to a competitor"),
        _outcome(date(2026, 9, 2), "churned", 500, 0, "moved  to a COMPETITOR"),
        _outcome(date(2026, 9, 3), "churned", 3000, 0, "budget cut"),
        _outcome(date(2026, 9, 4), "churned", 200, 0, ""),
        _outcome(date(2026, 9, 5), "downgraded", 1000, 500, "budget cut"),
        _outcome(date(2026, 9, 6), "renewed", 1000, 1000),
    ]
    assert [c.as_json() for c in churn_reasons(outs)] == [
        {"reason": "Moved to a competitor", "count": 2, "mrr": 1500},
        {"reason": "budget cut", "count": 1, "mrr": 3000},
        {"reason": "(no reason given)", "count": 1, "mrr": 200},
    ]


def test_accuracy_per_month_of_the_renewal_date():
    outs = [
        # Forecast 12k x 0.95 = 11.4k; kept 12 x 1200 = 14.4k.
        _outcome(date(2026, 9, 10), "renewed", 1000, 1200, mrr90=1000, band90="green"),
        # Forecast 6k x 0.40 = 2.4k; churned: kept 0.
        _outcome(date(2026, 9, 20), "churned", 500, 0, "price", mrr90=500, band90="red"),
        # No snapshot 90 days before: unknown (0.75). 12k -> 9k; downgraded to 600 = 7.2k.
        _outcome(date(2026, 10, 5), "downgraded", 1000, 600, mrr90=1000, band90=None),
        # Renewed without a new MRR keeps what it had.
        _outcome(date(2026, 10, 6), "renewed", 100, None, mrr90=None, band90="yellow"),
    ]
    got = [m.as_json() for m in accuracy(outs, LIKELY)]
    assert [m["month"] for m in got] == ["2026-09", "2026-10"]
    sep, oct_ = got
    assert sep["forecast_arr"] == pytest.approx(13_800)
    assert sep["actual_arr"] == 14_400
    assert sep["arr_at_stake"] == 18_000
    assert sep["renewals"] == 2 and sep["outcomes"] == {"renewed": 1, "churned": 1}
    assert sep["error"] == pytest.approx(round((14_400 - 13_800) / 13_800, 4))
    assert oct_["forecast_arr"] == 9_000 and oct_["actual_arr"] == 7_200 + 1_200
