"""The RavenStack sample files (external, synthetic) imported end to end.

The KPIs the book computes from the imported subscriptions must equal the domain.md
formulas computed here, independently, straight from the subscriptions CSV. Skipped when
the shared data set is not beside the clone (``../shared/datasets/ravenstack``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import shutil
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlmodel import SQLModel

from bookkeeper_tui.cli import main
from bookkeeper_tui.cli.shapes import kpi_json
from bookkeeper_tui.store.book import Book

RAVENSTACK = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "ravenstack"

pytestmark = [
    pytest.mark.skipif(
        not (RAVENSTACK / "ravenstack_subscriptions.csv").exists(),
        reason="the RavenStack data set is not at ../shared/datasets/ravenstack",
    ),
    # One worker under `pytest -n auto --dist loadgroup`: the module-scoped import (about
    # 15 s for both backends) then happens once, not once per worker.
    pytest.mark.xdist_group("ravenstack"),
]


def _commands(usage_copy: Path) -> list[tuple[str, list[str]]]:
    """The five imports, as docs/import.md's walkthrough gives them."""
    r = RAVENSTACK
    return [
        (
            "accounts",
            [
                "import",
                "accounts",
                str(r / "ravenstack_accounts.csv"),
                "--map",
                "external_id=account_id",
                "--map",
                "name=account_name",
                "--map",
                "start=signup_date",
                "--map",
                "source=referral_source",
            ],
        ),
        (
            "subscriptions",
            [
                "import",
                "subscriptions",
                str(r / "ravenstack_subscriptions.csv"),
                "--map",
                "external_id=subscription_id",
                "--map",
                "account=account_id",
                "--map",
                "mrr=mrr_amount",
                "--map",
                "trial=is_trial",
            ],
        ),
        (
            "tickets",
            [
                "import",
                "tickets",
                str(r / "ravenstack_support_tickets.csv"),
                "--map",
                "opened=submitted_at",
                "--map",
                "csat=satisfaction_score",
            ],
        ),
        (
            # 21 usage ids appear twice with different rows: those are skipped (and
            # listed in the rejects file beside this copy of the file).
            "usage",
            [
                "import",
                "usage",
                str(usage_copy),
                "--map",
                "subscription=subscription_id",
                "--map",
                "count=usage_count",
                "--skip-invalid",
            ],
        ),
        (
            "churn",
            [
                "import",
                "interactions",
                str(r / "ravenstack_churn_events.csv"),
                "--set",
                "kind=note",
                "--map",
                "external_id=churn_event_id",
                "--map",
                "date=churn_date",
                "--map",
                "summary=feedback_text",
                "--map",
                "notes=reason_code",
            ],
        ),
    ]


def _run(db: str, args: list[str]) -> tuple[int, dict]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*args, "--json", "--db", str(db)])
    return code, json.loads(out.getvalue())


def _dump(db: str) -> dict:
    book = Book.open(str(db))
    try:
        with book.read() as s:
            return {
                t.name: [tuple(r) for r in s.execute(select(t).order_by(*t.primary_key.columns))]
                for t in SQLModel.metadata.sorted_tables
            }
    finally:
        book.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def imported(request, tmp_path_factory):
    """The five files imported once per backend: an SQLite file, a PostgreSQL database."""
    tmp = tmp_path_factory.mktemp("ravenstack")
    usage = tmp / "ravenstack_feature_usage.csv"
    shutil.copyfile(RAVENSTACK / "ravenstack_feature_usage.csv", usage)
    if request.param == "postgresql":
        server = request.getfixturevalue("pg_server")
        name = server.create_database()
        request.addfinalizer(lambda: server.drop_database(name))
        db = server.url(name)
    else:
        db = str(tmp / "book.db")
    reports = {}
    for label, args in _commands(usage):
        code, report = _run(db, args)
        assert code == 0, (label, report)
        reports[label] = report
    return db, usage, reports


def test_the_five_files_import(imported):
    _, usage, reports = imported
    expected = {
        "accounts": 500,
        "subscriptions": 5000,
        "tickets": 2000,
        "usage": 25000 - 21,
        "churn": 600,
    }
    for label, created in expected.items():
        assert reports[label]["created"] == created, label
    assert reports["usage"]["rejected_rows"] == 21
    assert all("already used on line" in e["reason"] for e in reports["usage"]["rejected"])
    assert (usage.parent / "ravenstack_feature_usage.rejects.csv").exists()
    for label, report in reports.items():
        if label != "usage":
            assert report["rejected"] == [], label


def _subscriptions() -> list[tuple[str, date, date | None, float, bool]]:
    with (RAVENSTACK / "ravenstack_subscriptions.csv").open(newline="", encoding="utf-8") as fh:
        return [
            (
                r["account_id"],
                date.fromisoformat(r["start_date"]),
                date.fromisoformat(r["end_date"]) if r["end_date"] else None,
                float(r["mrr_amount"]),
                r["is_trial"] == "True",
            )
            for r in csv.DictReader(fh)
        ]


def _expected_kpis(as_of: date, period: str = "12m") -> dict[str, float | None]:
    """docs/domain.md "KPIs", computed from the CSV without any Bookkeeper code."""
    n = int(period[:-1])
    start = as_of - (relativedelta(months=n) if period.endswith("m") else timedelta(days=n))
    by_account: dict[str, list] = defaultdict(list)
    for acc, s, e, amount, trial in _subscriptions():
        by_account[acc].append((s, e, amount, trial))

    def mrr(subs, day):
        return sum(
            a for s, e, a, trial in subs if not trial and s <= day and (e is None or day < e)
        )

    starting = ending_c = floor = 0.0
    cohort = retained = 0
    # Movements are every change of an account's MRR inside (start, end] (docs/rules.md,
    # issue 12 #8: the top line is the sum of the months): 0 -> >0 is new, or reactivation
    # when the account had MRR before; >0 -> 0 is churned; the rest expansion/contraction.
    moves = dict.fromkeys(("new", "reactivation", "expansion", "contraction", "churned"), 0.0)
    for subs in by_account.values():
        m0, m1 = mrr(subs, start), mrr(subs, as_of)
        if m0 > 0:
            cohort += 1
            starting += m0
            ending_c += m1
            floor += min(m0, m1)
            if m1 > 0:
                retained += 1
        days = sorted({d for s, e, _, _ in subs for d in (s, e) if d is not None})
        before = m0
        for day in (d for d in days if start < d <= as_of):
            after = mrr(subs, day)
            if before <= 0 < after:
                had = any(mrr(subs, d) > 0 for d in days if d < day)
                moves["reactivation" if had else "new"] += after
            elif before > 0 >= after:
                moves["churned"] += before
            elif after > before:
                moves["expansion"] += after - before
            elif after < before:
                moves["contraction"] += before - after
            before = after
    expansion, contraction = moves["expansion"], moves["contraction"]
    churned, new = moves["churned"], moves["new"]
    return {
        "starting_mrr": starting,
        "nrr": ending_c / starting if starting else None,
        "grr": floor / starting if starting else None,
        "logo_churn": 1 - retained / cohort if cohort else None,
        "expansion_mrr": expansion,
        "contraction_mrr": contraction,
        "churned_mrr": churned,
        "new_mrr": new,
    }


@pytest.mark.parametrize(
    ("as_of", "period"),
    [
        (date(2023, 6, 30), "90d"),
        (date(2024, 1, 31), "12m"),
        (date(2024, 6, 15), "12m"),
        (date(2024, 12, 30), "12m"),
        (date(2024, 12, 31), "12m"),
        (date(2025, 6, 30), "12m"),
        # Short periods: RavenStack accounts do churn there (not over whole years).
        (date(2024, 2, 28), "30d"),
        (date(2024, 10, 2), "30d"),
    ],
)
def test_kpis_equal_the_formulas_on_the_csv(imported, as_of, period):
    db = imported[0]
    book = Book.open(str(db))
    try:
        got = kpi_json(book.kpi(as_of, period))
    finally:
        book.close()
    want = _expected_kpis(as_of, period)
    assert want["starting_mrr"] > 0
    if period == "30d":
        assert want["churned_mrr"] > 0 and want["logo_churn"] > 0
    for key, value in want.items():
        if value is None:
            assert got[key] is None, key
        elif key.endswith("_mrr"):
            assert math.isclose(got[key], value, rel_tol=1e-9, abs_tol=0.006), key
        else:  # ratios, rounded to 4 places by the KPI panel
            assert math.isclose(got[key], value, rel_tol=1e-9, abs_tol=5.1e-5), key


def test_tiers_and_health_come_from_the_data(imported):
    db = imported[0]
    book = Book.open(str(db))
    try:
        with book.read() as s:
            from bookkeeper_tui.store.models import Account, Score, UsageEvent

            tiers = {t for (t,) in s.execute(select(Account.tier).distinct())}
            manual = s.execute(select(Account.id).where(Account.tier_manual)).all()
            csat = s.execute(select(Score.id).where(Score.external_id.like("ticket:%"))).all()
            orphans = s.execute(
                select(UsageEvent.id).where(UsageEvent.subscription_id.is_(None))
            ).all()
    finally:
        book.close()
    assert tiers <= {"enterprise", "mid-market", "smb"} and len(tiers) >= 2
    assert manual == []  # no tier column: every tier follows ARR
    assert len(csat) == 1175  # tickets with a satisfaction score
    assert orphans == []


def test_a_ticket_and_usage_log_that_ended_long_ago_scores_nobody(imported):
    """The data set's tickets and usage end on 2024-12-31. Two years on, "no tickets in 30
    days" must not read as a perfect support score (every account used to be ~94 green),
    nor "no use in 30 days" as zero: both feeds are stale, so both components are unknown
    and an account with nothing else known has not enough data for a band."""
    db = imported[0]
    code, rows = _run(db, ["accounts", "--as-of", "2026-12-04"])
    assert code == 0
    assert rows and all(r["band"] is None for r in rows), Counter(r["band"] for r in rows)
    name = rows[0]["name"]
    code, shown = _run(db, ["show", name, "--as-of", "2026-12-04"])
    assert code == 0
    health = shown["health"]
    assert health["score"] is None
    assert health["stale"] == {"support": "2024-12-31", "usage": "2024-12-31"}
    assert {"support", "usage"} <= set(health["missing"])
    # While the feeds are current (the data set's last day), they score as before.
    code, rows = _run(db, ["accounts", "--as-of", "2024-12-31"])
    assert code == 0
    bands = Counter(r["band"] for r in rows)
    assert bands["red"] + bands["yellow"] + bands["green"] == len(rows), bands
    assert len([b for b in bands if b]) >= 2, bands


def test_reimporting_every_file_changes_nothing(imported):
    # Last in this module: it writes to the shared book only if idempotency is broken.
    db, usage, _ = imported
    before = _dump(db)
    for label, args in _commands(usage):
        code, report = _run(db, args)
        assert code == 0, label
        assert report["created"] == report["updated"] == 0, (label, report)
        assert report["unchanged"] == report["rows"] - report["rejected_rows"], label
    assert _dump(db) == before
