"""The renewal desk in the store: outcome lines saved in one transaction, the desk's data,
churn reasons and forecast accuracy read back from the book (issue 14 #1)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bookkeeper_tui.cli.shapes import renewal_desk_json
from bookkeeper_tui.store.book import Book, BookError
from bookkeeper_tui.store.models import (
    Account,
    HealthSnapshot,
    MrrLevel,
    RenewalOutcome,
    Touchpoint,
)

pytestmark = pytest.mark.both_backends

TODAY = date(2026, 11, 24)
RENEWAL = date(2026, 12, 14)  # 20 days after TODAY


@pytest.fixture
def globex(book: Book) -> Book:
    book.add_account(
        "Globex Ltd", "mid-market", date(2025, 12, 14), renewal=RENEWAL, mrr=2000, plan_on=TODAY
    )
    book.sync(TODAY, force=True)
    return book


def account(book: Book, name: str = "Globex Ltd") -> Account:
    with book.read() as s:
        return book.find_account(s, name)


def outcomes(book: Book) -> list[RenewalOutcome]:
    with book.read() as s:
        return list(s.execute(select(RenewalOutcome).order_by(RenewalOutcome.id)).scalars())


def levels(book: Book) -> list[tuple[date, float]]:
    with book.read() as s:
        return [
            (lv.effective, lv.mrr)
            for lv in s.execute(select(MrrLevel).order_by(MrrLevel.effective)).scalars()
        ]


def renewal_tps(book: Book) -> list[tuple[date, str, str]]:
    with book.read() as s:
        return [
            (t.due, t.status, t.rule)
            for t in s.execute(
                select(Touchpoint).where(Touchpoint.kind == "renewal").order_by(Touchpoint.due)
            ).scalars()
        ]


def test_renewed_with_mrr_and_term_plans_the_next_renewal(globex):
    assert renewal_tps(globex) == [(date(2026, 11, 14), "open", f"renewal:{RENEWAL}")]
    res = globex.log("globex renewal renewed mrr 2200 term 12m", TODAY)
    acc = account(globex)
    assert (acc.renewal, acc.term_months, acc.status) == (date(2027, 12, 14), 12, "active")
    [o] = outcomes(globex)
    assert (o.renewal, o.day, o.outcome, o.mrr_before, o.mrr_after, o.term_months, o.reason) == (
        RENEWAL,
        TODAY,
        "renewed",
        2000,
        2200,
        12,
        "",
    )
    assert o.interaction_id == res.interaction_id
    assert levels(globex)[-1] == (TODAY, 2200)
    # The open renewal touchpoint is done; the next renewal's comes in its time.
    assert renewal_tps(globex)[0][:2] == (date(2026, 11, 14), "done")
    assert res.as_json()["renewal_outcome"]["next_renewal"] == date(2027, 12, 14)
    # A sync later does not move the date again.
    globex.sync(TODAY + timedelta(days=40), force=True)
    assert account(globex).renewal == date(2027, 12, 14)


def test_renewed_without_mrr_keeps_it_and_a_term_changes_the_cycle(globex):
    globex.log("globex renewal renewed term 24m", TODAY)
    acc = account(globex)
    assert (acc.renewal, acc.term_months) == (date(2028, 12, 14), 24)
    [o] = outcomes(globex)
    assert (o.mrr_before, o.mrr_after) == (2000, 2000)
    assert levels(globex) == [(date(2025, 12, 14), 2000)]
    # The next cycles follow the account's term once that date passes.
    globex.sync(date(2028, 12, 20), force=True)
    assert account(globex).renewal == date(2030, 12, 14)


def test_churned_keeps_the_reason_and_ends_the_mrr(globex):
    res = globex.log('globex renewal churned "moved to a competitor"', TODAY)
    acc = account(globex)
    assert (acc.status, acc.renewal) == ("churned", RENEWAL)
    [o] = outcomes(globex)
    assert (o.outcome, o.mrr_before, o.mrr_after, o.reason, o.term_months) == (
        "churned",
        2000,
        0,
        "moved to a competitor",
        None,
    )
    assert levels(globex)[-1] == (TODAY, 0)
    assert res.mrr_after == 0
    desk = renewal_desk_json(globex.renewals(TODAY, 120))
    assert desk["renewals"] == []
    assert desk["churn_reasons"] == [{"reason": "moved to a competitor", "count": 1, "mrr": 2000}]
    # The screen's lighter read: the same churn reasons, no accuracy.
    light = renewal_desk_json(globex.renewals(TODAY, 120, accuracy=False))
    assert light["churn_reasons"] == desk["churn_reasons"]
    assert (light["accuracy"], light["outcomes"]) == (None, None)


def test_downgraded_lowers_the_mrr(globex):
    globex.log("globex renewal downgraded mrr 900", TODAY)
    [o] = outcomes(globex)
    assert (o.outcome, o.mrr_before, o.mrr_after) == ("downgraded", 2000, 900)
    assert account(globex).renewal == date(2027, 12, 14)


def test_outcome_logged_after_the_sync_rolled_the_date_closes_the_passed_renewal(globex):
    late = RENEWAL + timedelta(days=5)
    globex.sync(late, force=True)
    assert account(globex).renewal == date(2027, 12, 14)  # rolled: the date passed
    globex.log("globex renewal renewed", late)
    [o] = outcomes(globex)
    assert o.renewal == RENEWAL
    assert account(globex).renewal == date(2027, 12, 14)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("globex renewal downgraded mrr 2500", "write `renewal renewed mrr 2,500` instead"),
        ("globex renewal renewed mrr 1500", "write `renewal downgraded mrr 1,500` instead"),
    ],
)
def test_outcome_mrr_must_match_the_outcome(globex, line, fragment):
    with pytest.raises(BookError, match=fragment.replace("`", ".").replace("(", ".")):
        globex.log(line, TODAY)
    assert outcomes(globex) == []
    assert account(globex).renewal == RENEWAL


def test_outcome_errors_save_nothing(book):
    book.add_account("Initech", "smb", date(2026, 1, 1), mrr=100, plan_on=TODAY)
    with pytest.raises(BookError, match="has no renewal date"):
        book.log("initech renewal renewed", TODAY)
    book.add_account(
        "Umbrella", "smb", date(2026, 1, 1), renewal=date(2027, 10, 1), mrr=100, plan_on=TODAY
    )
    with pytest.raises(BookError, match="next renewal is on 2027-10-01"):
        book.log("umbrella renewal renewed", TODAY)
    with book.read() as s:
        assert s.execute(select(RenewalOutcome)).first() is None
    book.log('umbrella renewal churned "budget cut"', date(2027, 9, 1))
    with pytest.raises(BookError, match="has churned"):
        book.log("umbrella renewal renewed", date(2027, 9, 2))


def test_the_desk_lists_forecasts_and_flags_risks(book):
    book.add_account("A Soon", "smb", date(2026, 1, 10), renewal=date(2026, 12, 10), mrr=1000)
    book.add_account("B Later", "smb", date(2026, 3, 1), renewal=date(2027, 3, 1), mrr=500)
    book.add_account("C Far", "smb", date(2026, 1, 1), renewal=date(2027, 6, 1), mrr=500)
    book.add_account("D None", "smb", date(2026, 1, 1), mrr=500)
    book.log('a soon call with Dana nps 3 "looking at a competitor"', TODAY - timedelta(days=3))
    book.sync(TODAY, force=True)
    desk = renewal_desk_json(book.renewals(TODAY, 120))
    assert desk["as_of"] == "2026-11-24" and desk["within_days"] == 120
    rows = desk["renewals"]
    assert [(r["account"], r["renewal"], r["days_left"], r["bucket"]) for r in rows] == [
        ("A Soon", "2026-12-10", 16, 30),
        ("B Later", "2027-03-01", 97, 120),
    ]
    a = rows[0]
    assert (a["mrr"], a["arr"]) == (1000, 12000)
    assert a["last_touch"] == "2026-11-21"
    codes = [r["code"] for r in a["risks"]]
    assert codes[0] == "detractor" and "churn_language" in codes
    f = desk["forecast"]
    assert f["arr_at_stake"] == 18000
    expected = sum(r["arr"] * f["likelihood"][r["band"] or "unknown"] for r in rows)
    assert f["expected_retained_arr"] == pytest.approx(expected)
    assert [b["within_days"] for b in f["buckets"]] == [30, 60, 90, 120]
    assert [r.account for r in book.renewals(TODAY, 30).renewals] == ["A Soon"]
    with pytest.raises(BookError, match="--within"):
        book.renewals(TODAY, 0)


def test_accuracy_uses_the_snapshot_and_mrr_of_90_days_before(globex):
    then = RENEWAL - timedelta(days=90)
    with globex.write() as s:
        acc = globex.find_account(s, "Globex Ltd")
        s.execute(HealthSnapshot.__table__.delete().where(HealthSnapshot.account_id == acc.id))
        s.add(HealthSnapshot(account_id=acc.id, day=then - timedelta(days=3), score=50, band="red"))
        s.add(
            HealthSnapshot(account_id=acc.id, day=then + timedelta(days=1), score=90, band="green")
        )
    globex.log("globex renewal renewed mrr 2500", TODAY)
    desk = renewal_desk_json(globex.renewals(TODAY, 90))
    assert desk["accuracy"] == [
        {
            "month": "2026-12",
            "forecast_arr": 24000 * 0.40,
            "actual_arr": 30000,
            "arr_at_stake": 24000,
            "renewals": 1,
            "outcomes": {"renewed": 1},
            "error": round((30000 - 9600) / 9600, 4),
        }
    ]
    assert desk["outcomes"][0]["outcome"] == "renewed"


def test_subscription_accounts_log_outcomes_without_typed_mrr(book):
    from bookkeeper_tui.store.models import Subscription

    for name in ("Subco", "Subtwo"):
        book.add_account(name, "smb", date(2025, 12, 14), renewal=RENEWAL, plan_on=TODAY)
        with book.write() as s:
            acc = book.find_account(s, name)
            s.add(Subscription(account_id=acc.id, start=date(2025, 12, 14), end=None, mrr=500))
            s.flush()
            book.rederive_levels(s, [acc.id])
    with pytest.raises(BookError, match="without `mrr N`"):
        book.log("subco renewal renewed mrr 900", TODAY)
    book.log("subco renewal renewed", TODAY)
    res = book.log('subtwo renewal churned "budget cut"', TODAY)
    assert res.outcome["mrr_after"] == 0
    assert [(o.outcome, o.mrr_before, o.mrr_after) for o in outcomes(book)] == [
        ("renewed", 500, 500),
        ("churned", 500, 0),
    ]
    assert account(book, "Subtwo").status == "churned"


def test_deleting_an_account_counts_and_removes_its_outcomes(globex):
    globex.log("globex renewal renewed", TODAY)
    assert globex.account_rows("globex").count("renewal_outcomes") == 1
    removed = globex.delete_account("globex")
    assert removed.count("renewal_outcomes") == 1
    assert outcomes(globex) == []
