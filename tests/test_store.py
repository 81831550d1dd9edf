"""The store: durability settings, schema versioning, transactions, and the log rules."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bookkeeper_tui.cli.shapes import kpi_json
from bookkeeper_tui.store.book import Book, BookError
from bookkeeper_tui.store.engine import StoreError
from bookkeeper_tui.store.models import Account, Contact, Interaction, MrrLevel, Score, Touchpoint
from bookkeeper_tui.store.schema import SCHEMA_VERSION

pytestmark = pytest.mark.both_backends

TODAY = date(2026, 11, 24)


def counts(book: Book) -> dict[str, int]:
    with book.read() as s:
        return {
            t.__name__: len(s.execute(select(t)).all())
            for t in (Account, Contact, Interaction, Score, MrrLevel, Touchpoint)
        }


def tps(book: Book, account: str, **where) -> list[Touchpoint]:
    with book.read() as s:
        acc = book.find_account(s, account)
        q = select(Touchpoint).where(Touchpoint.account_id == acc.id)
        for k, v in where.items():
            q = q.where(getattr(Touchpoint, k) == v)
        return list(s.execute(q.order_by(Touchpoint.due)).scalars())


@pytest.fixture
def acme(book):
    book.add_account(
        "Acme Corp",
        "enterprise",
        TODAY - timedelta(days=400),
        mrr=5000,
        renewal=TODAY + timedelta(days=20),
    )
    book.add_account("Initech", "mid-market", TODAY - timedelta(days=200), mrr=2000)
    book.sync(TODAY)
    return book


# -- storage --------------------------------------------------------------------------
def test_book_file_is_private_and_in_a_private_folder(tmp_path):
    path = tmp_path / "new" / "dir" / "book.db"
    Book.open(str(path)).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


@pytest.mark.sqlite_only
def test_sqlite_pragmas(book):
    with book.engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert c.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert c.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


def test_schema_version_is_stamped(book):
    with book.engine.connect() as c:
        row = c.execute(text("SELECT value FROM meta WHERE key='schema_version'")).one()
    assert int(row[0]) == SCHEMA_VERSION


def test_newer_schema_is_refused_untouched(book, db):
    book.add_account("Acme", "smb", date(2026, 1, 1))
    with book.write() as s:
        s.execute(text("UPDATE meta SET value='999' WHERE key='schema_version'"))
    before = _dump(book)
    book.close()
    raw = Path(db).read_bytes() if "://" not in db else None
    with pytest.raises(StoreError, match="newer Bookkeeper"):
        Book.open(db)
    if raw is not None:
        assert Path(db).read_bytes() == raw
    from bookkeeper_tui.store.engine import make_engine

    engine, _ = make_engine(db)
    try:
        assert _dump_engine(engine) == before
    finally:
        engine.dispose()


def _dump_engine(engine) -> dict:
    from sqlmodel import SQLModel

    with engine.connect() as c:
        return {
            t.name: sorted(map(repr, c.execute(t.select()).all()))
            for t in SQLModel.metadata.sorted_tables
        }


def _dump(book) -> dict:
    return _dump_engine(book.engine)


def test_foreign_database_is_refused(tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as c:
        c.execute("CREATE TABLE account (x)")
    with pytest.raises(StoreError, match="not a Bookkeeper book"):
        Book.open(str(other))


def test_env_var_selects_the_book(tmp_path, monkeypatch):
    path = tmp_path / "env.db"
    monkeypatch.setenv("BOOKKEEPER_DB", str(path))
    b = Book.open(None)
    assert b.location == str(path)
    b.close()


# -- accounts -------------------------------------------------------------------------
def test_account_names_unique_ignoring_case(book):
    book.add_account("Acme Corp", "smb", TODAY)
    with pytest.raises(BookError, match="already exists"):
        book.add_account("  ACME   corp ", "smb", TODAY)
    assert counts(book)["Account"] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "name is empty"),
        ({"tier": "gold"}, "unknown tier"),
        ({"mrr": -5}, "cannot be negative"),
        ({"renewal": TODAY - timedelta(days=400)}, "before the start date"),
    ],
)
def test_add_account_rejects_bad_input(book, kwargs, message):
    args = {"name": "Acme", "tier": "smb", "start": TODAY - timedelta(days=10)} | kwargs
    with pytest.raises(BookError, match=message):
        book.add_account(**args)
    assert counts(book)["Account"] == 0


@pytest.mark.parametrize(
    ("mrr", "tier"), [(None, "smb"), (500, "smb"), (1000, "mid-market"), (4200, "enterprise")]
)
def test_tier_follows_arr_when_not_given(book, mrr, tier):
    acc = book.add_account("Acme", None, TODAY, mrr=mrr)
    assert acc.tier == tier


def test_mrr_level_from_start_date(book):
    book.add_account("Acme", "smb", date(2026, 1, 1), mrr=800)
    st = next(iter(book.states(date(2026, 1, 1)).values()))
    assert st.mrr == 800
    assert next(iter(book.states(date(2025, 12, 31)).values())).mrr == 0


# -- playbook sync --------------------------------------------------------------------
def test_sync_is_idempotent(acme):
    before = counts(acme)["Touchpoint"]
    acme.sync(TODAY, force=True)
    acme.sync(TODAY + timedelta(days=1))
    acme.sync(TODAY + timedelta(days=1), force=True)
    assert before > 0
    with acme.read() as s:
        rules = s.execute(select(Touchpoint.account_id, Touchpoint.rule)).all()
    playbook_rules = [r for r in rules if r[1] and not r[1].startswith("loop:")]
    assert len(playbook_rules) == len(set(playbook_rules))


def test_skipped_touchpoint_is_not_resurrected(acme):
    open_ = tps(acme, "acme", status="open")
    victim = open_[0]
    acme.skip(victim.id, "customer on holiday", TODAY)
    acme.sync(TODAY, force=True)
    same_rule = [t for t in tps(acme, "acme") if t.rule == victim.rule]
    assert [t.status for t in same_rule] == ["skipped"]


def renewal_of(book: Book, account: str) -> date | None:
    with book.read() as s:
        return book.find_account(s, account).renewal


def test_renewal_repeats_after_the_date_passes(acme):
    # Acme renews on TODAY + 20 (2026-12-14); start to renewal is no whole number of
    # months, so the term is 12 months.
    r1, r2 = date(2026, 12, 14), date(2027, 12, 14)
    assert renewal_of(acme, "acme") == r1
    skipped = tps(acme, "acme", kind="ces_check")[0]
    acme.skip(skipped.id, "asked last week", TODAY)
    acme.sync(r1)
    assert renewal_of(acme, "acme") == r1  # not passed yet on the day itself
    acme.sync(r1 + timedelta(days=1))
    assert renewal_of(acme, "acme") == r2
    acme.sync(r2 - timedelta(days=30))
    acme.sync(r2 - timedelta(days=30), force=True)
    renewals = [(t.due, t.rule) for t in tps(acme, "acme", kind="renewal")]
    assert renewals == [
        (r1 - timedelta(days=30), f"renewal:{r1}"),
        (r2 - timedelta(days=30), f"renewal:{r2}"),
    ]
    ces = [(t.due, t.status) for t in tps(acme, "acme", kind="ces_check")]
    assert ces == [(r1 - timedelta(days=45), "skipped"), (r2 - timedelta(days=45), "open")]


def test_logged_renewal_moves_the_renewal_date(acme):
    acme.log("acme renewal with Priya mrr 5000", TODAY)
    acme.sync(TODAY + timedelta(days=1))
    assert renewal_of(acme, "acme") == date(2027, 12, 14)
    # A year later the old log does not move it again.
    acme.sync(date(2027, 11, 1))
    assert renewal_of(acme, "acme") == date(2027, 12, 14)


def test_renewal_fallback_recurs_each_year(book):
    start = TODAY - timedelta(days=340)  # 2025-12-19, no renewal date: D+330 is 2026-11-14
    book.add_account("Globex", "smb", start, mrr=300)
    book.sync(TODAY)
    book.sync(date(2027, 11, 1))
    dues = [t.due for t in tps(book, "globex", kind="renewal")]
    assert dues == [date(2026, 11, 14), date(2027, 11, 14)]
    assert renewal_of(book, "globex") is None


def test_new_account_gets_onboarding(book):
    book.add_account("Newco", "enterprise", TODAY - timedelta(days=3), mrr=6000)
    book.sync(TODAY)
    kinds = {t.kind: t.due for t in tps(book, "newco")}
    assert kinds["welcome"] == TODAY - timedelta(days=2)
    assert kinds["check_in"] == TODAY + timedelta(days=4)
    assert kinds["mini_qbr"] == TODAY + timedelta(days=27)
    rows = book.today(TODAY)
    assert [(r.account, r.kind, r.days_overdue) for r in rows] == [("Newco", "welcome", 2)]


def test_tier_change_drops_cadence_of_old_tier(acme):
    with acme.write() as s:
        acc = acme.find_account(s, "acme")
        acc.tier = "smb"
    acme.sync(TODAY, force=True)
    future_checkins = [
        t for t in tps(acme, "acme", status="open") if t.kind == "check_in" and t.due > TODAY
    ]
    future_qbrs = [t for t in tps(acme, "acme", status="open") if t.kind == "qbr" and t.due > TODAY]
    assert future_qbrs == []
    assert all(t.rule.startswith("cad:check_in:") for t in future_checkins)


# -- quick log ------------------------------------------------------------------------
def test_log_saves_everything_of_the_line(acme):
    res = acme.log(
        'acme qbr with Dana nps 9 "wants SSO; budget approved" next call +2w #expansion', TODAY
    )
    assert res.account == "Acme Corp" and res.kind == "qbr" and res.contact == "Dana"
    with acme.read() as s:
        it = s.execute(select(Interaction)).scalar_one()
        assert it.summary == "wants SSO; budget approved" and it.tags == "expansion"
        sc = s.execute(select(Score)).scalar_one()
        assert (sc.kind, sc.value, sc.contact_id) == ("nps", 9, it.contact_id)
        assert s.execute(select(Contact.name)).scalar_one() == "Dana"
    nxt = [t for t in tps(acme, "acme") if t.origin == "manual"]
    assert [(t.kind, t.due) for t in nxt] == [("call", TODAY + timedelta(days=14))]
    assert ("referral_ask", TODAY + timedelta(days=3), "loop") in res.created
    assert res.churn_terms == []  # "budget approved" is not churn language


def test_detractor_gets_follow_up_and_resolution_check(acme):
    res = acme.log('initech qbr with Bob nps 4 "too expensive, evaluating an alternative"', TODAY)
    made = {(k, d) for k, d, o in res.created if o == "loop"}
    assert ("follow_up", TODAY + timedelta(days=1)) in made
    assert ("resolution_check", TODAY + timedelta(days=7)) in made
    assert res.churn_terms == ["too expensive", "alternative"]
    shown = acme.show("initech", TODAY)
    assert "churn_language" in {f.code for f in shown.flags}
    assert shown.timeline[0].churn_terms == ("too expensive", "alternative")


def test_renewal_log_completes_renewal_and_changes_mrr(acme):
    renewal = tps(acme, "acme", kind="renewal", status="open")
    assert renewal, "the playbook should have planned the renewal"
    res = acme.log("acme renewal with Priya mrr 6000 nps 10", TODAY)
    assert ("renewal", renewal[0].due) in res.completed
    assert (res.mrr_before, res.mrr_after) == (5000, 6000)
    k = kpi_json(acme.kpi(TODAY, "90d"))
    assert k["expansion_mrr"] == 1000


def test_mrr_zero_churns_the_account(acme):
    acme.log('initech note mrr 0 "closed the account"', TODAY)
    with acme.read() as s:
        assert acme.find_account(s, "initech").status == "churned"
    assert all(r.account != "Initech" for r in acme.today(TODAY, ahead_days=365))
    assert acme.kpi(TODAY, "90d").churned_mrr == 2000


def test_logging_from_a_today_row_completes_that_touchpoint(acme):
    target = tps(acme, "acme", status="open")[-1]
    acme.log('acme call "checked in"', TODAY, touchpoint_id=target.id)
    done = next(t for t in tps(acme, "acme") if t.id == target.id)
    assert (done.status, done.completed_on) == ("done", TODAY)


@pytest.mark.parametrize(
    "line",
    [
        "nosuchco call",
        "acme nps 11",
        "acme csat 0",
        "acme @2026-13-01",
        "acme mrr -5",
        'acme call "unterminated',
        "acme next qbr someday",
        "",
    ],
)
def test_bad_lines_save_nothing(acme, line):
    before = counts(acme)
    with pytest.raises(BookError) as err:
        acme.log(line, TODAY)
    assert err.value.message
    assert counts(acme) == before


def test_failure_mid_save_rolls_back_the_whole_line(acme, monkeypatch):
    before = counts(acme)

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Book, "_sync_health", boom)
    with pytest.raises(RuntimeError):
        acme.log('acme qbr with Newperson nps 3 mrr 9000 "x" next call +1w', TODAY)
    assert counts(acme) == before


def test_health_falling_into_red_creates_intervention(book):
    book.add_account("Sinking", "smb", TODAY - timedelta(days=300), mrr=500)
    with book.write() as s:
        acc = book.find_account(s, "sinking")
        s.add(Score(account_id=acc.id, kind="usage", value=90, day=TODAY - timedelta(days=3)))
        s.add(Interaction(account_id=acc.id, kind="call", day=TODAY - timedelta(days=3)))
    book.sync(TODAY - timedelta(days=1))
    assert not tps(book, "sinking", kind="intervention")
    with book.write() as s:
        acc = book.find_account(s, "sinking")
        s.add(Score(account_id=acc.id, kind="usage", value=5, day=TODAY))
        for _ in range(5):
            s.add(Interaction(account_id=acc.id, kind="ticket", day=TODAY))
    book.sync(TODAY)
    made = tps(book, "sinking", kind="intervention")
    assert [(t.due, t.origin) for t in made] == [(TODAY + timedelta(days=2), "loop")]
    book.sync(TODAY, force=True)
    assert len(tps(book, "sinking", kind="intervention")) == 1


def test_snooze_moves_a_touchpoint(acme):
    row = acme.today(TODAY, ahead_days=60)[0]
    acme.snooze(row.touchpoint_id, TODAY + timedelta(days=7))
    moved = [r for r in acme.today(TODAY, ahead_days=60) if r.touchpoint_id == row.touchpoint_id]
    assert moved[0].due == TODAY + timedelta(days=7)
    assert all(r.touchpoint_id != row.touchpoint_id for r in acme.today(TODAY))


def test_kpi_matches_hand_computation(book):
    start = date(2025, 11, 24)
    book.add_account("A", "smb", date(2025, 1, 1), mrr=1000)
    book.add_account("B", "smb", date(2025, 1, 1), mrr=2000)
    book.add_account("C", "smb", date(2025, 1, 1), mrr=500)
    book.add_account("D", "smb", date(2026, 3, 1), mrr=700)
    book.log("A call mrr 1500 @2026-05-01", TODAY)
    book.log("B call mrr 1200 @2026-06-01", TODAY)
    book.log("C call mrr 0 @2026-07-01", TODAY)
    k = kpi_json(book.kpi(TODAY, "12m"))
    assert k["period"] == {"start": start.isoformat(), "end": TODAY.isoformat()}
    assert k["starting_mrr"] == 3500
    assert k["nrr"] == round(2700 / 3500, 4)
    assert k["grr"] == round(2200 / 3500, 4)
    assert k["logo_churn"] == round(1 / 3, 4)
    assert (k["expansion_mrr"], k["contraction_mrr"], k["churned_mrr"], k["new_mrr"]) == (
        500,
        800,
        500,
        700,
    )


def test_bad_period_is_bad_input(acme):
    with pytest.raises(BookError, match="period"):
        acme.kpi(TODAY, "forever")


def test_churned_account_reports_no_health(acme):
    res = acme.log('initech note mrr 0 "closed"', TODAY)
    assert (res.health, res.band) == (None, None)


def test_demo_contacts_match_by_full_name(demo_book):
    contact = demo_book.show("Acme Corp", TODAY).contacts[0].name
    before = len(demo_book.show("Acme Corp", TODAY).contacts)
    res = demo_book.log(f'acme call with "{contact}" "hello"', TODAY)
    assert res.contact == contact and not res.contact_created
    assert len(demo_book.show("Acme Corp", TODAY).contacts) == before


def test_displayed_score_never_crosses_a_band():
    from bookkeeper_tui.widgets.render import score_str

    assert (score_str(59.9), score_str(74.99), score_str(75.0)) == ("59", "74", "75")


def test_subscriptions_drive_mrr_and_refuse_typed_mrr(book):
    from bookkeeper_tui.store.models import Subscription

    book.add_account("Subco", "smb", date(2025, 1, 1))
    with book.write() as s:
        acc = book.find_account(s, "subco")
        s.add(Subscription(account_id=acc.id, start=date(2025, 1, 1), end=None, mrr=500))
        s.add(
            Subscription(account_id=acc.id, start=date(2025, 6, 1), end=date(2026, 1, 1), mrr=300)
        )
        s.add(
            Subscription(account_id=acc.id, start=date(2025, 2, 1), end=None, mrr=900, trial=True)
        )
        s.flush()
        book.rederive_levels(s, [acc.id])
    states = book.states(date(2025, 7, 1))
    assert next(iter(states.values())).mrr == 800
    assert next(iter(book.states(date(2026, 1, 1)).values())).mrr == 500
    with pytest.raises(BookError, match="imported subscriptions"):
        book.log("subco call mrr 100", TODAY)


def test_imported_tickets_and_usage_events_feed_health(book):
    from bookkeeper_tui.store.models import Ticket, UsageEvent

    book.add_account("Evented", "smb", date(2025, 1, 1), mrr=100)
    with book.write() as s:
        acc = book.find_account(s, "evented")
        for k in range(3):
            s.add(Ticket(account_id=acc.id, opened=TODAY - timedelta(days=k + 1)))
        for k in range(120):  # 1 a day for 120 days, then 2 a day in the last 30
            day = TODAY - timedelta(days=k)
            s.add(UsageEvent(account_id=acc.id, day=day, count=2 if k < 30 else 1))
    h = book.show("evented", TODAY).health
    comps = {c.name: c.value for c in h.components}
    assert comps["support"] == 40  # 3 tickets in 30 days
    assert comps["usage"] == 100  # twice the baseline, capped


def test_a_report_in_the_past_plans_nothing(acme):
    before = counts(acme)["Touchpoint"]
    assert acme.sync(TODAY - timedelta(days=400)) is False
    acme.kpi(TODAY - timedelta(days=400), "12m")
    assert counts(acme)["Touchpoint"] == before
    assert all(r.due >= TODAY - timedelta(days=60) for r in acme.today(TODAY))


def test_kpi_aggregates_equal_the_pure_rules(demo_book):
    """The KPI panel counts in SQL and reads snapshots; the numbers equal the pure rules."""
    from bookkeeper_tui.core import kpi as kpis

    k = kpi_json(demo_book.kpi(TODAY, "12m"))
    start = date.fromisoformat(k["period"]["start"])
    with demo_book.read() as s:
        outcomes = [
            kpis.TouchpointOutcome(due, status, done)
            for due, status, done in s.execute(
                select(Touchpoint.due, Touchpoint.status, Touchpoint.completed_on)
            )
        ]
    assert k["on_time_rate"] == round(kpis.on_time_rate(outcomes, start, TODAY), 4)
    states = demo_book.states(TODAY)
    bands = [st.health.band for st in states.values() if st.account.status == "active"]
    expected = kpis.health_distribution(b for b in bands if b)
    assert k["health"] == {key: round(v, 4) for key, v in expected.items()}
