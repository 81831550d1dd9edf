"""The fast read paths give exactly what the previous code gave.

Today's list (also read with the standard sqlite3 module at start-up), the account states,
the KPI panel and the pure KPI/NPS helpers are compared with the previous implementation,
kept verbatim in tests/speed_reference.py, on the demo book and on generated data.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import re
import sqlite3
import subprocess
import sys
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, update

from bookkeeper_tui.cli.shapes import kpi_json
from bookkeeper_tui.config import DEFAULT, Config, NpsConfig
from bookkeeper_tui.core import kpi as kpis
from bookkeeper_tui.core import nps as npsm
from bookkeeper_tui.core.kpi_panel import KpiPanel
from bookkeeper_tui.core.signals import churn_spans, churn_terms
from bookkeeper_tui.store import book as book_module
from bookkeeper_tui.store import rows as rows_module
from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.models import Account, Contact, Score, Touchpoint
from bookkeeper_tui.store.queries import as_date, fetch_today
from bookkeeper_tui.store.state import AccountRow, load_states
from tests import speed_reference as old
from tests.conftest import TODAY

pytestmark = pytest.mark.both_backends

DAYS = [TODAY, TODAY - timedelta(days=20), TODAY + timedelta(days=15), date(2025, 6, 1)]


def canon(value):
    """A comparable form of a result: dataclasses, named tuples and ORM rows by value.

    An account, as the ORM row the reference reads or as the plain row a state holds
    (``AccountRow``), is every column of ``AccountRow``."""
    if isinstance(value, Account | AccountRow):
        return ("Account", [(f, canon(getattr(value, f))) for f in AccountRow.__dataclass_fields__])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            {f.name: canon(getattr(value, f.name)) for f in dataclasses.fields(value)},
        )
    if hasattr(value, "_fields"):
        return (type(value).__name__, tuple(canon(v) for v in value))
    if isinstance(value, dict):
        return ("dict", [(canon(k), canon(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [canon(v) for v in value])
    return (type(value).__name__, repr(value))


def _snooze_some(book: Book) -> None:
    """Snoozes of every kind: within the window, past it, and earlier than the due date."""
    rows = book.today(TODAY, 30)
    book.snooze(rows[0].touchpoint_id, TODAY + timedelta(days=3))
    book.snooze(rows[1].touchpoint_id, TODAY + timedelta(days=40))
    book.snooze(rows[-1].touchpoint_id, TODAY - timedelta(days=2))
    with book.write() as s:
        # A snoozed touchpoint without a date falls back to its due date.
        s.execute(
            update(Touchpoint)
            .where(Touchpoint.id == rows[2].touchpoint_id)
            .values(status="snoozed", snoozed_until=None)
        )


# -- Today ------------------------------------------------------------------------------
def test_queries_module_imports_no_sqlalchemy():
    code = (
        "import sys, bookkeeper_tui.store.queries\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'sqlmodel'))\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_today_row_is_the_same_class_everywhere():
    assert book_module.TodayRow is rows_module.TodayRow


#: What issue 12 #8 changed on purpose: the movements are every change inside the period,
#: QBR completion leaves out young enterprise accounts, a first-day account is not new.
CHANGED = {
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "new_mrr",
    "expansion_share",
    "reactivation_mrr",
    "period_days",
    "logo_churn_annualised",
    "qbr_accounts",
    "qbr_completion",
    "referral_rate",
    # Added by issue 14 #3 (time-to-value; tested in tests/test_relationships_store.py).
    "median_days_to_value",
    "first_value_accounts",
}


def same(k: dict | KpiPanel) -> dict:
    """The panel without what issue 12 #8 changed; monthly rows keep their month and MRR."""
    if isinstance(k, KpiPanel):  # Book.kpi's, as `kpi --json` shows it
        k = kpi_json(k)
    out = {key: value for key, value in k.items() if key not in CHANGED}
    out["mrr_by_month"] = [(m["month"], round(m["mrr"], 2)) for m in k["mrr_by_month"]]
    return out


@pytest.mark.parametrize("as_of", DAYS)
@pytest.mark.parametrize("ahead", [0, 7, 30])
def test_today_equals_the_previous_query(demo_book, as_of, ahead):
    _snooze_some(demo_book)
    expected = old.old_today(demo_book, as_of, ahead)
    assert demo_book.today(as_of, ahead) == expected
    con = sqlite3.connect(demo_book.location)
    try:
        raw = fetch_today(lambda sql, params: con.execute(sql, params), as_of, ahead)
    finally:
        con.close()
    assert raw == expected
    assert [type(r.due) for r in raw] == [date] * len(raw)


def test_today_accepts_date_objects_as_postgresql_returns_them(demo_book):
    _snooze_some(demo_book)
    con = sqlite3.connect(demo_book.location)

    def run(sql, params):
        for row in con.execute(sql, params):
            # due and snoozed_until are the 5th and 7th columns.
            yield tuple(
                as_date(v) if i in (4, 6) and v is not None else v for i, v in enumerate(row)
            )

    try:
        assert fetch_today(run, TODAY, 7) == old.old_today(demo_book, TODAY, 7)
    finally:
        con.close()


def test_today_sees_the_snoozes(demo_book):
    _snooze_some(demo_book)
    rows = demo_book.today(TODAY, 7)
    with demo_book.read() as s:
        snoozed = set(
            s.execute(select(Touchpoint.id).where(Touchpoint.status == "snoozed")).scalars()
        )
    shown = {r.touchpoint_id for r in rows} & snoozed
    assert shown and shown != snoozed  # some snoozed rows are in, some pushed out


# -- account states ---------------------------------------------------------------------
def _extra_touchpoints(book: Book) -> None:
    """Expansion talks open and done, referral asks near and far: the merged query's cases."""
    with book.read() as s:
        ids = list(s.execute(select(Account.id).order_by(Account.id).limit(4)).scalars())
    rows = [
        {"account_id": ids[0], "kind": "expansion", "due": TODAY - timedelta(days=5)},
        {
            "account_id": ids[1],
            "kind": "expansion",
            "due": TODAY - timedelta(days=50),
            "status": "done",
            "completed_on": TODAY - timedelta(days=40),
        },
        {"account_id": ids[2], "kind": "referral_ask", "due": TODAY + timedelta(days=45)},
        {"account_id": ids[3], "kind": "referral_ask", "due": TODAY + timedelta(days=10)},
    ]
    with book.write() as s:
        s.execute(
            insert(Touchpoint),
            [{"status": "open", "origin": "manual", "note": "", **r} for r in rows],
        )


@pytest.mark.parametrize("as_of", DAYS)
def test_states_equal_the_previous_queries(demo_book, as_of):
    _snooze_some(demo_book)
    _extra_touchpoints(demo_book)
    with demo_book.read() as s:
        ids = list(s.execute(select(Account.id)).scalars())
        for account_ids in (None, ids, ids[:3], [ids[5]], []):
            for include_churned in (True, False):
                got = load_states(s, as_of, DEFAULT, account_ids, include_churned)
                want = old.old_load_states(s, as_of, DEFAULT, account_ids, include_churned)
                assert canon(got) == canon(want)


def test_touchpoints_due_the_same_day_pick_the_same_next_either_way(demo_book, monkeypatch):
    """A screenful's states read the open touchpoints through the account index, the whole
    book's through the status index: equal due dates still give the same next touchpoint
    (and the previous code's)."""
    from bookkeeper_tui.store import state

    day = TODAY - timedelta(days=90)
    with demo_book.write() as s:
        aids = list(s.execute(select(Account.id).where(Account.status == "active")).scalars())
        rows = []
        for aid in aids[:4]:
            for kind, due, status, until in (
                ("email", day, "snoozed", day),  # the lowest id, but snoozed
                ("call", day, "open", None),
                ("meeting", day, "open", None),
            ):
                rows.append(
                    {
                        "account_id": aid,
                        "kind": kind,
                        "due": due,
                        "status": status,
                        "snoozed_until": until,
                        "origin": "manual",
                        "note": kind,
                    }
                )
        s.execute(insert(Touchpoint), rows)
    monkeypatch.setattr(state, "BULK_ACCOUNTS", 1)
    with demo_book.read() as s:
        whole = load_states(s, TODAY, DEFAULT)
        want = old.old_load_states(s, TODAY, DEFAULT, aids[:4])
        for aid in aids[:4]:
            one = load_states(s, TODAY, DEFAULT, [aid])[aid]
            assert one.next_touchpoint == whole[aid].next_touchpoint
            assert canon(one.next_touchpoint) == canon(want[aid].next_touchpoint)
            assert one.next_touchpoint.kind == "call"  # open before snoozed, then by id
            assert one.overdue == whole[aid].overdue


@pytest.mark.parametrize("part", [7, 2_000])
def test_whole_book_states_equal_one_by_one(demo_book, monkeypatch, part):
    """A book read in parts (store.state._parts: their values shared from part to part)
    agrees account by account with one account read alone, and with the reference."""
    from bookkeeper_tui.store import state

    monkeypatch.setattr(state, "BULK_ACCOUNTS", 1)  # even 40 accounts take the bulk path
    monkeypatch.setattr(state, "PART_ACCOUNTS", part)
    with demo_book.read() as s:
        whole = load_states(s, TODAY, DEFAULT)
        assert canon(whole) == canon(old.old_load_states(s, TODAY, DEFAULT, None, True))
        for aid, st_ in whole.items():
            assert canon(load_states(s, TODAY, DEFAULT, [aid])[aid]) == canon(st_)


@pytest.mark.parametrize("name", ["Acme Corp", "Initech", "Black Mesa"])
def test_show_keeps_its_answer(demo_book, name):
    with demo_book.read() as s:
        acc = demo_book.find_account(s, name)
        want = old.old_load_states(s, TODAY, DEFAULT, [acc.id])[acc.id]
        got = load_states(s, TODAY, DEFAULT, [acc.id])[acc.id]
    assert canon(got) == canon(want)
    shown = demo_book.show(name, TODAY)
    assert shown.health.score == want.health.score
    assert [f.code for f in shown.flags] == [f.code for f in want.flags]


class _Seen(list):
    """(collector enabled, objects frozen) per state built; ``counted``: see below."""

    counted: int | None = None


def _watch_the_collector(monkeypatch, counted: int | None = None) -> _Seen:
    """(collector enabled, objects frozen) as each account's state is built.

    ``gc.get_freeze_count()`` walks every frozen object: late in a full suite run that is
    millions of them, and counting at each of the demo book's 40 accounts took 14 s. So
    only the first ``seen.counted`` builds (all if None) are counted, as many as the test
    compares; the later ones record None.
    """
    from bookkeeper_tui.store import state

    seen = _Seen()
    seen.counted = counted
    build = state._state

    def watched(*args, **kwargs):
        count = seen.counted is None or len(seen) < seen.counted
        seen.append((gc.isenabled(), gc.get_freeze_count() if count else None))
        return build(*args, **kwargs)

    monkeypatch.setattr(state, "_state", watched)
    monkeypatch.setattr(state, "BULK_ACCOUNTS", 1)  # the demo book takes the bulk path
    monkeypatch.setattr(state, "FREEZE_EVERY", 7)
    return seen


def test_a_bulk_load_keeps_the_collector_running_and_thaws_what_it_froze(demo_book, monkeypatch):
    """Issue 15: no process-wide gc.disable(): the whole book's states are built with the
    collector on, what is built so far frozen out of its way, and thawed at the end."""
    seen = _watch_the_collector(monkeypatch, counted=8)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with demo_book.read() as s:
        states = load_states(s, TODAY, DEFAULT)
    assert len(seen) == len(states) > 7
    assert all(enabled for enabled, _ in seen)
    assert seen[0][1] > 0  # the heap as it was and the facts read: out of the way
    assert seen[7][1] > seen[6][1]  # and the states built, every FREEZE_EVERY
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_bulk_load_leaves_a_freeze_it_did_not_make_and_a_stopped_collector(
    demo_book, monkeypatch
):
    seen = _watch_the_collector(monkeypatch, counted=0)  # nothing compared: no count
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with demo_book.read() as s:
            load_states(s, TODAY, DEFAULT)
        assert gc.get_freeze_count() >= frozen  # someone else's freeze stays
    finally:
        gc.unfreeze()
    seen.clear()
    seen.counted = None  # every build: nothing is frozen now, so each count is instant
    gc.disable()  # as the app runs it: collections when the user pauses
    try:
        with demo_book.read() as s:
            load_states(s, TODAY, DEFAULT)
        assert seen and all(not enabled and frozen == 0 for enabled, frozen in seen)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_few_accounts_freeze_nothing(demo_book, monkeypatch):
    seen = _watch_the_collector(monkeypatch)
    from bookkeeper_tui.store import state

    monkeypatch.setattr(state, "BULK_ACCOUNTS", 500)
    with demo_book.read() as s:
        ids = list(load_states(s, TODAY, DEFAULT))[:3]
        seen.clear()
        load_states(s, TODAY, DEFAULT, ids)
    assert seen == [(True, 0)] * 3


def test_churn_spans_are_fresh_lists():
    text = "it is too expensive, we may cancel"
    first = churn_spans(text, DEFAULT.churn_words)
    first.clear()
    assert churn_spans(text, DEFAULT.churn_words) != []
    assert churn_terms(text, list(DEFAULT.churn_words)) == ["too expensive", "cancel"]


# -- KPI panel --------------------------------------------------------------------------
def _book_with(demo_book: Book, config: Config) -> Book:
    return Book(demo_book.engine, demo_book.location, config)


FRACTIONAL = dataclasses.replace(
    DEFAULT,
    nps=NpsConfig(role_weights={"economic_buyer": 0.3, "champion": 0.7, "admin": 0.1}),
)
NEGATIVE = dataclasses.replace(DEFAULT, nps=NpsConfig(role_weights={"champion": -1.0}))


@pytest.mark.parametrize("as_of", DAYS)
@pytest.mark.parametrize("period", ["12m", "90d", "1m", "2y", "1w"])
@pytest.mark.parametrize("config", [DEFAULT, FRACTIONAL], ids=["counted", "read"])
def test_kpi_equals_the_previous_code(demo_book, as_of, period, config):
    book = _book_with(demo_book, config)
    assert same(book.kpi(as_of, period)) == same(old.old_kpi(book, as_of, period))


def test_kpi_nps_with_anonymous_answers_and_same_day_repeats(demo_book):
    with demo_book.read() as s:
        acc, contact = s.execute(select(Contact.account_id, Contact.id).limit(1)).one()
    with demo_book.write() as s:
        s.execute(
            insert(Score),
            [
                {"account_id": acc, "contact_id": None, "kind": "nps", "value": v, "day": TODAY}
                for v in (0.0, 9.5, 10.0)
            ]
            + [
                # Same contact, same day: the later one is the latest.
                {"account_id": acc, "contact_id": contact, "kind": "nps", "value": v, "day": TODAY}
                for v in (2.0, 6.9, 9.0)
            ],
        )
    for config in (DEFAULT, FRACTIONAL):
        book = _book_with(demo_book, config)
        assert same(book.kpi(TODAY, "12m")) == same(old.old_kpi(book, TODAY, "12m"))


@pytest.mark.parametrize("value", [11.0, -1.0, 10.99, -0.5])
def test_kpi_nps_edge_values_behave_as_before(demo_book, value):
    with demo_book.read() as s:
        acc = s.execute(select(Account.id).limit(1)).scalar_one()
    with demo_book.write() as s:
        s.execute(
            insert(Score),
            [{"account_id": acc, "contact_id": None, "kind": "nps", "value": value, "day": TODAY}],
        )
    try:
        want = old.old_kpi(demo_book, TODAY, "12m")
    except ValueError as exc:
        with pytest.raises(ValueError, match=re.escape(str(exc))):
            demo_book.kpi(TODAY, "12m")
    else:
        assert same(demo_book.kpi(TODAY, "12m")) == same(want)


def test_kpi_negative_role_weight_fails_as_before(demo_book):
    book = _book_with(demo_book, NEGATIVE)
    with pytest.raises(ValueError) as before:
        old.old_kpi(book, TODAY, "12m")
    with pytest.raises(ValueError, match=re.escape(str(before.value))):
        book.kpi(TODAY, "12m")


# -- pure helpers -----------------------------------------------------------------------
days = st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31))
mrr = st.sampled_from([0.0, 0.0, 100.0, 250.5, 1000.0, 0.1, 0.2, 1e9 + 0.3])
histories = st.dictionaries(
    st.integers(1, 60),
    st.lists(st.tuples(days, mrr), max_size=5),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(histories, days, st.integers(0, 800))
def test_revenue_and_movements_equal_the_previous_code(history, end, length):
    start = end - timedelta(days=length)
    rev = kpis.revenue_kpis(history, start, end)
    moves = kpis.mrr_movements_by_month(history, start, end)
    # Issue 12 #8 changed what the movements are (every change inside the period, not
    # endpoint differences of the cohort); the cohort ratios and the MRR totals are unchanged.
    before = old.old_revenue_kpis(history, start, end)
    for key in (
        "cohort_size",
        "starting_mrr",
        "cohort_ending_mrr",
        "nrr",
        "grr",
        "logo_retention",
        "logo_churn",
        "ending_mrr",
        "churned_logos",
    ):
        assert getattr(rev, key) == getattr(before, key), key
    old_moves = old.old_mrr_movements_by_month(history, start, end)
    assert [m["month"] for m in moves] == [m["month"] for m in old_moves]
    for got, was in zip(moves, old_moves, strict=True):
        assert math.isclose(got["mrr"], was["mrr"], rel_tol=1e-9, abs_tol=1e-3)
    assert canon(kpis.revenue_and_movements(history, start, end)) == canon((rev, moves))


@pytest.mark.parametrize(
    "levels",
    [[], [(date(2026, 1, 1), 5.0)], iter([(date(2026, 2, 1), 1.0), (date(2026, 1, 1), 2.0)])],
)
def test_mrr_on_takes_any_iterable(levels):
    items = list(levels) if not isinstance(levels, list) else levels
    assert kpis.mrr_on(iter(items), date(2026, 3, 1)) == kpis.mrr_on(items, date(2026, 3, 1))


answers = st.lists(
    st.tuples(
        st.integers(1, 4),  # account
        st.one_of(st.none(), st.integers(1, 6)),  # contact
        st.sampled_from(["champion", "economic_buyer", "admin", "end_user", "other", " Admin "]),
        st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 3, 31)),
        st.integers(0, 10),
    ),
    max_size=40,
)
weights = st.sampled_from(
    [
        DEFAULT.nps.role_weights,
        {"champion": 3.0, "admin": 0.0},
        {"economic_buyer": 0.3, "champion": 0.7, "other": 0.1},
        {"champion": 2.5, "other": 1e17},
    ]
)


@settings(max_examples=300, deadline=None)
@given(answers, weights)
def test_period_nps_equals_the_three_functions(rows, role_weights):
    start, end = date(2026, 1, 15), date(2026, 3, 15)
    responses = [npsm.NpsResponse(*r) for r in rows]
    expected = (
        old.old_portfolio_nps(responses, start, end),
        old.old_account_nps(responses, start, end, role_weights),
        old.old_user_nps(responses, start, end),
    )
    got = npsm.period_nps(iter(rows), start, end, role_weights)
    assert (got.portfolio, got.account, got.user) == expected
    assert got.answers == len(rows)
    # The same from per-role counts, whenever those can be exact.
    window = sorted(
        ((i, r) for i, r in enumerate(rows) if start <= r[3] <= end),
        key=lambda ir: (ir[1][3], ir[0]),  # the store reads them by day, then id
    )
    ordered = [r for _, r in window]
    latest: dict = {}
    for i, r in enumerate(ordered):
        latest[(r[0], r[1]) if r[1] is not None else i] = i
    kept = set(latest.values())
    by_role: dict[str, list[int]] = {}
    for i, r in enumerate(ordered):
        c = by_role.setdefault(r[2], [0] * 6)
        c[0] += 1
        c[1] += r[4] >= 9
        c[2] += r[4] <= 6
        c[3] += i in kept
        c[4] += i in kept and r[4] >= 9
        c[5] += i in kept and r[4] <= 6
    counted = npsm.period_nps_from_counts(
        [npsm.RoleCounts(role, *c) for role, c in by_role.items()], role_weights
    )
    ordered_expected = (
        old.old_portfolio_nps([npsm.NpsResponse(*r) for r in ordered], start, end),
        old.old_account_nps([npsm.NpsResponse(*r) for r in ordered], start, end, role_weights),
        old.old_user_nps([npsm.NpsResponse(*r) for r in ordered], start, end),
    )
    whole = all(
        npsm.role_weight(role, role_weights).is_integer()
        and npsm.role_weight(role, role_weights) < 2**53
        for role, c in by_role.items()
        if c[3]
    )
    if whole:
        assert counted is not None
    if counted is not None:
        assert (counted.portfolio, counted.account, counted.user) == ordered_expected
        assert counted.answers == len(ordered)


@pytest.mark.parametrize(
    ("values", "weights"),
    [
        ([], None),
        ([9, 10, 0, 6, 7, 8], None),
        ([9, 10, 0], [3.0, 1.0, 0.5]),
        ([9.5, 6.5, 7.0], None),
        ([True, 9], None),
        ([11, 9], None),
        ([-1], None),
        ([9, 3], [1.0, -1.0]),
        ([9, 3], [1.0]),
        ([float("nan"), 9], None),
        ([9, 3], [0.0, 0.0]),
    ],
)
def test_nps_of_equals_the_previous_code(values, weights):
    try:
        expected = old.old_nps_of(values, weights)
    except ValueError as exc:
        with pytest.raises(ValueError, match=re.escape(str(exc))):
            npsm.nps_of(values, weights)
    else:
        assert npsm.nps_of(values, weights) == expected
