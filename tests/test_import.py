"""The CSV importer (docs/import.md): every kind, dialect, date form, bad input and re-import."""

from __future__ import annotations

import csv
import json
import string
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import SQLModel

from bookkeeper_tui.core.kpi import mrr_on
from bookkeeper_tui.io.csvfile import read_csv, rejects_path_for
from bookkeeper_tui.io.fields import KINDS
from bookkeeper_tui.io.importer import (
    MAX_REPORTED,
    PARSERS,
    Bad,
    import_file,
    parse_date,
    preview,
)
from bookkeeper_tui.store.book import BookError
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
from tests.conftest import TODAY

pytestmark = pytest.mark.both_backends

ACCOUNTS = """external_id,name,tier,start,mrr
A1,Acme Corp,,2025-01-15,
A2,Globex,enterprise,2024-06-01,
A3,Initech,,2025-03-01,900
"""

SUBSCRIPTIONS = """subscription_id,account_id,start_date,end_date,mrr_amount,is_trial
S1,A1,2025-01-15,,1000,False
S2,A1,2025-06-01,2026-06-01,500,False
S3,A2,2024-06-01,,5000,no
S4,A2,2024-05-01,2024-06-01,0,yes
"""


# -- helpers ------------------------------------------------------------------------------
def put(tmp_path: Path, text: str, name: str = "in.csv", *, bom: bool = False, crlf: bool = False):
    path = tmp_path / name
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def imp(book, kind, path, **kw):
    return import_file(book, kind, path, today=kw.pop("today", TODAY), **kw)


def dump(book) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: 'the book exactly as it was'."""
    out = {}
    with book.read() as s:
        for table in SQLModel.metadata.sorted_tables:
            pk = list(table.primary_key.columns)
            out[table.name] = [tuple(r) for r in s.execute(select(table).order_by(*pk))]
    return out


def count(book, model) -> int:
    with book.read() as s:
        return len(s.execute(select(model.id)).all())


def account(book, name) -> Account:
    with book.read() as s:
        return s.execute(select(Account).where(Account.name == name)).scalar_one()


def touchpoints(book, name) -> list[Touchpoint]:
    acc = account(book, name)
    with book.read() as s:
        q = select(Touchpoint).where(Touchpoint.account_id == acc.id).order_by(Touchpoint.due)
        return list(s.execute(q).scalars())


def mrr(book, name, day) -> float:
    acc = account(book, name)
    with book.read() as s:
        levels = s.execute(
            select(MrrLevel.effective, MrrLevel.mrr).where(MrrLevel.account_id == acc.id)
        ).all()
    return mrr_on([tuple(lv) for lv in levels], day)


@pytest.fixture
def seeded(book, tmp_path):
    """Three accounts (ids A1-A3) and four subscriptions (S1-S4)."""
    r = imp(book, "accounts", put(tmp_path, ACCOUNTS, "accounts.csv"))
    assert (r.created, r.rejected) == (3, [])
    r = imp(book, "subscriptions", put(tmp_path, SUBSCRIPTIONS, "subs.csv"))
    assert (r.created, r.rejected) == (4, [])
    return book


def test_every_field_has_a_parser():
    for kind, fields in KINDS.items():
        assert set(PARSERS[kind]) == {f.name for f in fields}, kind


# -- each kind ------------------------------------------------------------------------------
KIND_CASES = [
    ("accounts", "name,owner,industry\nUmbrella,Dana,Biotech\nHooli,,\n", Account, 2),
    (
        "contacts",
        "account,name,email,role\nAcme Corp,Dana Scully,dana@acme.test,Champion\n"
        "A2,Fox Mulder,,economic buyer\n",
        Contact,
        2,
    ),
    (
        "subscriptions",
        "account,start,mrr,end,external_id,trial\nInitech,2025-03-01,900,,S9,0\n"
        "A3,2025-09-01,100,2026-03-01,,1\n",
        Subscription,
        2,
    ),
    (
        "interactions",
        "account,date,kind,summary,notes,contact\n"
        "Acme Corp,2026-11-01,call,Renewal chat,they mentioned a competitor,Dana Scully\n"
        "A2,2026-10-03 14:30:00,meeting,QBR prep,,\n",
        Interaction,
        2,
    ),
    (
        "scores",
        "account,date,kind,value,contact\nAcme Corp,2026-11-02,nps,9,Dana\nA2,2026-10-01,csat,4,\n",
        Score,
        2,
    ),
    (
        "tickets",
        "ticket_id,account_id,submitted_at,closed_at,priority,satisfaction_score\n"
        "T1,A1,2026-11-20,2026-11-21 10:00:00,high,2.0\nT2,A1,2026-11-22,,low,\n",
        Ticket,
        2,
    ),
    (
        "usage",
        "usage_id,subscription_id,usage_date,usage_count\nU1,S1,2026-11-20,5\nU2,S3,2026-11-21,\n",
        UsageEvent,
        2,
    ),
]


@pytest.mark.parametrize(("kind", "text", "model", "n"), KIND_CASES, ids=[c[0] for c in KIND_CASES])
def test_each_kind_imports_and_reimports_as_a_no_op(seeded, tmp_path, kind, text, model, n):
    before = count(seeded, model)
    path = put(tmp_path, text)
    r = imp(seeded, kind, path)
    assert r.rejected == []
    assert (r.rows, r.created, r.updated, r.unchanged) == (n, n, 0, 0)
    assert r.written and not r.dry_run
    assert count(seeded, model) == before + n
    snapshot = dump(seeded)
    again = imp(seeded, kind, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, n)
    assert dump(seeded) == snapshot


def test_contacts_fields_and_roles(seeded, tmp_path):
    imp(seeded, "contacts", put(tmp_path, KIND_CASES[1][1]))
    with seeded.read() as s:
        rows = {c.name: c for c in s.execute(select(Contact)).scalars()}
    assert rows["Dana Scully"].role == "champion"
    assert rows["Dana Scully"].email == "dana@acme.test"
    assert rows["Fox Mulder"].role == "economic_buyer"
    bad = imp(seeded, "contacts", put(tmp_path, "account,name,role\nA1,Walter,boss\n"))
    assert not bad.written and "unknown role 'boss'" in bad.rejected[0].reason


def test_interactions_create_contacts_and_are_scanned_for_churn_language(seeded, tmp_path):
    imp(seeded, "interactions", put(tmp_path, KIND_CASES[3][1]))
    with seeded.read() as s:
        it = s.execute(select(Interaction).where(Interaction.kind == "call")).scalar_one()
        contact = s.get(Contact, it.contact_id)
    assert contact.name == "Dana Scully"
    assert it.day == date(2026, 11, 1)
    shown = seeded.show("Acme Corp", TODAY)
    entry = next(e for e in shown.timeline if getattr(e, "summary", None) == "Renewal chat")
    assert "competitor" in entry.churn_terms
    st_ = seeded.states(TODAY)[account(seeded, "Acme Corp").id]
    assert "competitor" in st_.churn_terms


def test_interaction_kind_defaults_to_note_and_set_gives_a_constant(seeded, tmp_path):
    path = put(
        tmp_path,
        "account_id,churn_date,feedback_text,reason_code\nA1,2026-01-05,too pricey,pricing\n",
    )
    r = imp(seeded, "interactions", path)
    assert r.created == 1
    with seeded.read() as s:
        it = s.execute(select(Interaction)).scalar_one()
    assert (it.kind, it.summary, it.notes) == ("note", "too pricey", "pricing")
    r = imp(seeded, "interactions", path, constants={"kind": "email"})
    assert (r.created, r.updated) == (1, 0)  # another kind is another natural key
    with pytest.raises(BookError, match="unknown interaction kind 'gossip'"):
        imp(seeded, "interactions", path, constants={"kind": "gossip"})


def test_scores_are_range_checked(seeded, tmp_path):
    text = (
        "account,date,kind,value\n"
        "A1,2026-11-01,nps,11\nA1,2026-11-01,csat,3.5\nA1,2026-11-01,mood,3\n"
    )
    r = imp(seeded, "scores", put(tmp_path, text))
    assert not r.written
    reasons = [e.reason for e in r.rejected]
    assert "out of range for nps" in reasons[0]
    assert "not a whole number" in reasons[1]
    assert "unknown score kind 'mood'" in reasons[2]


# -- dialects -------------------------------------------------------------------------------
QUOTED = (
    'name,industry,owner\n"Acme, Inc.","Widgets; ""deluxe""","Dana\nScully"\nGlobex,Energy,Hank\n'
)


@pytest.mark.parametrize(
    ("text", "bom", "crlf", "delimiter"),
    [
        ("name,industry\nAcme,Widgets\nGlobex,Energy\n", False, False, ","),
        ("name,industry\nAcme,Widgets\nGlobex,Energy\n", True, False, ","),
        ("name,industry\nAcme,Widgets\nGlobex,Energy\n", False, True, ","),
        ("name;industry\nAcme;Widgets\nGlobex;Energy\n", True, True, ";"),
        ("name\tindustry\nAcme\tWidgets\nGlobex\tEnergy\n", False, False, "\t"),
        ("name;industry\nAcme, Inc;Widgets, tools\nGlobex;Energy\n", False, False, ";"),
        ("name,industry\nAcme,Widgets\nGlobex,Energy", False, False, ","),  # no final newline
    ],
    ids=["lf", "bom", "crlf", "semicolon-bom-crlf", "tab", "semicolon-with-commas", "no-eol"],
)
def test_dialects(book, tmp_path, text, bom, crlf, delimiter):
    path = put(tmp_path, text, bom=bom, crlf=crlf)
    p = preview(path, "accounts")
    assert p.delimiter == delimiter
    assert p.columns == ["name", "industry"]
    assert ("BOM" in p.encoding_note) == bom
    r = imp(book, "accounts", path)
    assert (r.created, r.rejected) == (2, [])
    with book.read() as s:
        got = dict(s.execute(select(Account.name, Account.industry)).all())
    assert got["Globex"] == "Energy"
    assert len(got) == 2


def test_quoted_fields_with_delimiters_quotes_and_newlines(book, tmp_path):
    path = put(tmp_path, QUOTED, crlf=True)
    r = imp(book, "accounts", path)
    assert (r.created, r.rejected) == (2, [])
    acc = account(book, "Acme, Inc.")
    assert acc.industry == 'Widgets; "deluxe"'
    assert acc.owner == "Dana Scully"  # names and owners are one line
    data = read_csv(path)
    assert [line for line, _ in data.rows] == [2, 4]  # the record after a 2-line cell


def test_bad_line_numbers_count_physical_lines(book, tmp_path):
    text = 'name,start\n"Acme\nCorp",2025-01-01\n\nGlobex,01/02/2025\n'
    r = imp(book, "accounts", put(tmp_path, text))
    assert [(e.line, e.column) for e in r.rejected] == [(5, "start")]


# -- cell values ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-04", date(2026, 3, 4)),
        ("2026-03-04 13:45:00", date(2026, 3, 4)),
        ("2026-03-04T13:45:00Z", date(2026, 3, 4)),
        ("2026-03-04T13:45:00.123+02:00", date(2026, 3, 4)),
    ],
)
def test_dates_accepted(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("03/04/2026", "ambiguous"),
        ("3.4.2026", "ambiguous"),
        ("13/04/2026", "YYYY-MM-DD"),
        ("2026-02-30", "not a real day"),
        ("yesterday", "not a date"),
        ("0202-01-01", "out of range"),
    ],
)
def test_dates_refused(text, reason):
    with pytest.raises(Bad, match=reason):
        parse_date(text)


def test_ambiguous_date_is_refused_in_a_file(book, tmp_path):
    r = imp(book, "accounts", put(tmp_path, "name,start\nAcme,03/04/2026\nGlobex,2026-02-30\n"))
    assert not r.written
    assert [(e.line, e.column) for e in r.rejected] == [(2, "start"), (3, "start")]
    assert "ambiguous" in r.rejected[0].reason
    assert "not a real day" in r.rejected[1].reason
    assert count(book, Account) == 0


def test_booleans(seeded, tmp_path):
    rows = "".join(
        f"X{i},A3,2026-0{i + 1}-01,10,{word}\n"
        for i, word in enumerate(["True", "false", "YES", "no", "1", "0"])
    )
    path = put(tmp_path, "external_id,account,start,mrr,trial\n" + rows)
    assert imp(seeded, "subscriptions", path).created == 6
    with seeded.read() as s:
        got = dict(
            s.execute(
                select(Subscription.external_id, Subscription.trial).where(
                    Subscription.external_id.like("X%")
                )
            ).all()
        )
    assert got == {"X0": True, "X1": False, "X2": True, "X3": False, "X4": True, "X5": False}
    bad = imp(
        seeded, "subscriptions", put(tmp_path, "account,start,mrr,trial\nA3,2026-01-01,1,maybe\n")
    )
    assert "not true or false" in bad.rejected[0].reason


def test_amounts(book, tmp_path):
    text = 'name,mrr\nA,1500.50\nB,$200\nC,"1,500"\nD,-5\nE,lots\n'
    r = imp(book, "accounts", put(tmp_path, text))
    assert [e.line for e in r.rejected] == [4, 5, 6]
    assert "comma" in r.rejected[0].reason
    assert "negative" in r.rejected[1].reason
    assert "not a number" in r.rejected[2].reason


def test_blank_optional_fields_are_fine(book, tmp_path):
    r = imp(book, "accounts", put(tmp_path, "name,tier,start,renewal,owner,mrr\nAcme,,,,,\n"))
    assert (r.created, r.rejected) == (1, [])
    acc = account(book, "Acme")
    a_year_ago = date(2025, 11, 24)  # blank start: an existing customer, see docs/import.md
    assert (acc.tier, acc.tier_manual, acc.start, acc.owner) == ("smb", False, a_year_ago, None)


# -- mapping ---------------------------------------------------------------------------------
def test_auto_mapping_by_synonyms_case_insensitively(tmp_path):
    path = put(
        tmp_path,
        "Account ID,Account Name,SIGNUP-DATE,Referral Source,Plan Tier\n"
        "A-1,Acme,2024-01-02,partner,Pro\n",
    )
    p = preview(path, "accounts")
    assert p.mapping["external_id"] == "Account ID"
    assert p.mapping["name"] == "Account Name"
    assert p.mapping["start"] == "SIGNUP-DATE"
    assert p.mapping["source"] == "Referral Source"
    assert p.mapping["tier"] is None  # plan tiers are not tiers
    assert p.unmapped_required == []
    assert p.rows == [["A-1", "Acme", "2024-01-02", "partner", "Pro"]]


def test_own_export_columns_need_no_map(book, tmp_path):
    header = ",".join(f.name for f in KINDS["accounts"])
    path = put(
        tmp_path,
        header
        + "\nAcme,ACME-1,enterprise,2025-01-01,2026-01-01,Dana,Retail,2000,vip key,referral\n",
    )
    r = imp(book, "accounts", path)
    assert (r.created, r.rejected) == (1, [])
    acc = account(book, "Acme")
    assert (acc.external_id, acc.tier, acc.tier_manual, acc.tags, acc.source) == (
        "ACME-1",
        "enterprise",
        True,
        "vip key",
        "referral",
    )
    assert mrr(book, "Acme", TODAY) == 2000


def test_map_and_set(book, tmp_path):
    path = put(tmp_path, "Customer Label,Since\nAcme,2024-05-06\n")
    p = preview(path, "accounts")
    assert p.unmapped_required == ["name"]
    with pytest.raises(BookError, match="no column for the required field 'name'"):
        imp(book, "accounts", path)
    r = imp(book, "accounts", path, mapping={"name": "customer label"}, constants={"owner": "Dana"})
    assert (r.created, r.rejected) == (1, [])
    acc = account(book, "Acme")
    assert (acc.start, acc.owner) == (date(2024, 5, 6), "Dana")


def test_set_blank_unmaps_an_auto_mapped_column(seeded, tmp_path):
    path = put(
        tmp_path, "usage_id,subscription_id,usage_date\nU1,S1,2026-11-01\nU1,S1,2026-11-02\n"
    )
    assert not imp(seeded, "usage", path).written  # the same id twice
    r = imp(seeded, "usage", path, constants={"external_id": ""})
    assert (r.created, r.rejected) == (2, [])
    assert imp(seeded, "usage", path, constants={"external_id": ""}).unchanged == 2


# -- matching ---------------------------------------------------------------------------------
def test_account_matched_by_external_id_then_by_name(book, tmp_path):
    imp(book, "accounts", put(tmp_path, ACCOUNTS))
    # By external id: a new name is a rename.
    r = imp(book, "accounts", put(tmp_path, "external_id,name\nA1,Acme Corporation\n"))
    assert (r.updated, r.created) == (1, 0)
    assert account(book, "Acme Corporation").external_id == "A1"
    # By name, case- and space-insensitively, when the row has no (known) external id.
    r = imp(book, "accounts", put(tmp_path, "name,owner\n  GLOBEX ,Hank\n"))
    assert (r.updated, r.created) == (1, 0)
    assert account(book, "GLOBEX").owner == "Hank"  # the file's spelling of the name
    # An account without an external id gets one from the file.
    imp(book, "accounts", put(tmp_path, "name\nHooli\n"))
    r = imp(book, "accounts", put(tmp_path, "external_id,name\nH-9,hooli\n"))
    assert r.updated == 1 and account(book, "hooli").external_id == "H-9"
    # Conflicts are bad rows, not merges.
    r = imp(book, "accounts", put(tmp_path, "external_id,name\nZZ,Initech\nA1,Globex\n"))
    assert not r.written
    assert "has external id 'A3', not 'ZZ'" in r.rejected[0].reason
    assert "belongs to another account" in r.rejected[1].reason


def test_references_resolve_by_external_id_then_name(seeded, tmp_path):
    text = "account,name\nA1,One\nacme corp,Two\nglobex,Three\nNobody,Four\n"
    r = imp(seeded, "contacts", put(tmp_path, text))
    assert [e.line for e in r.rejected] == [5]
    assert "no account 'Nobody'" in r.rejected[0].reason


def test_a_changed_row_updates_its_record(seeded, tmp_path):
    snapshot = dump(seeded)
    changed = SUBSCRIPTIONS.replace(
        "S2,A1,2025-06-01,2026-06-01,500", "S2,A1,2025-06-01,2026-03-01,500"
    )
    r = imp(seeded, "subscriptions", put(tmp_path, changed))
    assert (r.created, r.updated, r.unchanged) == (0, 1, 3)
    assert dump(seeded) != snapshot
    assert mrr(seeded, "Acme Corp", date(2026, 4, 1)) == 1000
    version = account(seeded, "Globex").version
    changed = ACCOUNTS.replace("A2,Globex,enterprise,2024-06-01,", "A2,Globex,smb,2024-06-01,")
    r = imp(seeded, "accounts", put(tmp_path, changed))
    assert (r.created, r.updated, r.unchanged) == (0, 1, 2)
    acc = account(seeded, "Globex")
    assert (acc.tier, acc.tier_manual, acc.version) == ("smb", True, version + 1)
    # Its first subscription (a trial) started before the file's start date.
    assert acc.start == date(2024, 5, 1)


def test_natural_keys_without_external_ids(seeded, tmp_path):
    # Two identical subscriptions are two records, and stay two on re-import.
    text = "account,start,mrr,end\nA3,2026-01-01,50,\nA3,2026-01-01,50,\n"
    path = put(tmp_path, text)
    assert imp(seeded, "subscriptions", path).created == 2
    snapshot = dump(seeded)
    r = imp(seeded, "subscriptions", path)
    assert (r.created, r.unchanged) == (0, 2)
    assert dump(seeded) == snapshot
    # A changed non-key field updates one of them.
    r = imp(
        seeded,
        "subscriptions",
        put(tmp_path, "account,start,mrr,end\nA3,2026-01-01,50,2026-06-01\n"),
    )
    assert (r.created, r.updated, r.unchanged) == (0, 1, 0)
    # Re-importing with ids attaches them to the matching records.
    r = imp(
        seeded,
        "subscriptions",
        put(tmp_path, "external_id,account,start,mrr,end\nN1,A3,2026-01-01,50,\n"),
    )
    assert (r.created, r.updated, r.unchanged) == (0, 1, 0)


def test_duplicates_in_one_file_are_bad_rows(seeded, tmp_path):
    r = imp(seeded, "accounts", put(tmp_path, "name\nUmbrella\numbrella\n"))
    assert [e.line for e in r.rejected] == [3]
    assert "same account as line 2" in r.rejected[0].reason
    r = imp(
        seeded,
        "tickets",
        put(tmp_path, "ticket_id,account,opened\nT1,A1,2026-01-01\nT1,A2,2026-01-02\n"),
    )
    assert "already used on line 2" in r.rejected[0].reason
    r = imp(seeded, "contacts", put(tmp_path, "account,name\nA1,Dana\nacme corp,DANA\n"))
    assert "same contact as line 2" in r.rejected[0].reason


# -- bad input ----------------------------------------------------------------------------------
BAD_FILES = [
    ("missing", None, [], "does not exist"),
    ("latin1", "name\nCaf\xe9\n".encode("latin-1"), [], "not UTF-8"),
    ("utf16", "name\nAcme\n".encode("utf-16"), [], "UTF-16"),
    ("empty", b"", [], "is empty"),
    ("blank", b"\n\n  \n", [], "is empty"),
    ("xlsx", b"PK\x03\x04rest", [], "spreadsheet"),
    ("nul", b"name\nA\x00B\n", [], "NUL"),
    ("unknown-field", b"name\nAcme\n", ["--map", "colour=name"], "unknown field 'colour'"),
    ("unknown-column", b"name\nAcme\n", ["--map", "name=Company"], "no column 'Company'"),
    ("no-required", b"owner\nDana\n", [], "required field 'name'"),
    ("bad-set", b"name\nAcme\n", ["--set", "tier=gold"], "unknown tier 'gold'"),
    ("bad-map-shape", b"name\nAcme\n", ["--map", "name"], "not FIELD=COLUMN"),
    ("map-and-set", b"name\nAcme\n", ["--map", "name=name", "--set", "name=X"], "both"),
]


@pytest.mark.parametrize(
    ("label", "data", "extra", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES]
)
def test_file_level_problems_are_one_sentence_and_exit_2(
    seeded, cli, tmp_path, label, data, extra, message
):
    path = tmp_path / f"{label}.csv"
    if data is not None:
        path.write_bytes(data)
    before = dump(seeded)
    r = cli("import", "accounts", str(path), *extra)
    assert r.code == 2
    assert message in r.err
    assert r.err.startswith("bookkeeper: ") and r.err.count("\n") == 1
    assert "Traceback" not in r.err
    assert dump(seeded) == before


def test_bad_rows_write_nothing_and_are_named(seeded, cli, tmp_path):
    text = (
        "name,start,renewal,tier\nGood,2025-01-01,,\nBad1,03/04/2025,,\n,2025-01-01,,\n"
        "Bad3,2025-05-01,2025-01-01,gold\n"
    )
    path = put(tmp_path, text)
    before = dump(seeded)
    r = cli("import", "accounts", str(path))
    assert r.code == 2
    assert dump(seeded) == before
    assert "3 of 4 accounts" in r.err and "nothing was imported" in r.err
    assert "line 3, column start: '03/04/2025' is ambiguous" in r.err
    assert "line 4, column name: empty, but name is required" in r.err
    assert "line 5, column tier: unknown tier 'gold'" in r.err
    assert not rejects_path_for(path).exists()
    # The renewal check runs on rows whose cells parse.
    r2 = imp(seeded, "accounts", put(tmp_path, "name,start,renewal\nX,2025-05-01,2025-01-01\n"))
    assert "before the start date" in r2.rejected[0].reason


def test_bad_row_report_is_cut_after_20(book, cli, tmp_path):
    rows = "".join(f"Acct{i},2025/13/{i}\n" for i in range(30))
    r = cli("import", "accounts", str(put(tmp_path, "name,start\n" + rows)))
    assert r.code == 2
    assert r.err.count("\n  line ") == MAX_REPORTED
    assert "and 10 more" in r.err
    j = cli("import", "accounts", str(tmp_path / "in.csv"), "--json")
    assert j.code == 2
    assert len(j.json()["rejected"]) == 30 and j.json()["written"] is False


def test_extra_cells_are_a_bad_row(book, tmp_path):
    r = imp(book, "accounts", put(tmp_path, "name,owner\nAcme,Dana,surplus\nGlobex,Hank,,\n"))
    assert [e.line for e in r.rejected] == [2]
    assert "3 cells but the header has 2" in r.rejected[0].reason


def test_skip_invalid_writes_the_valid_rows_and_a_rejects_file(book, cli, tmp_path):
    text = 'name,start\nGood,2025-01-01\nBad,03/04/2025\n"Multi\nLine",2025-02-30\nAlso good,\n'
    path = put(tmp_path, text, "accounts.csv")
    r = cli("import", "accounts", str(path), "--skip-invalid")
    assert r.code == 0, r.err
    assert "Imported 2 accounts" in r.out and "Skipped 2 invalid rows" in r.out
    assert sorted(book.account_names()) == ["Also good", "Good"]
    rejects = tmp_path / "accounts.rejects.csv"
    with rejects.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["name"] for r in rows] == ["Bad", "Multi\nLine"]
    assert [r["line"] for r in rows] == ["3", "4"]
    assert "ambiguous" in rows[0]["reason"] and rows[0]["reason"].startswith("start: ")
    # Fixed, the rejects file imports with the same command (line/reason are ignored).
    rejects.write_text("name,start,line,reason\nBad,2025-04-03,3,x\n", encoding="utf-8")
    assert cli("import", "accounts", str(rejects)).code == 0
    assert "Bad" in book.account_names()


def test_skip_invalid_json_and_api(seeded, tmp_path):
    path = put(tmp_path, "account,name\nA1,Dana\nNobody,Fox\n", "contacts.csv")
    r = imp(seeded, "contacts", path, skip_invalid=True, rejects_to=tmp_path / "out.csv")
    assert r.written and r.created == 1 and r.rejected_rows == 1
    assert r.rejects_path == tmp_path / "out.csv" and r.rejects_path.exists()
    assert not (tmp_path / "contacts.rejects.csv").exists()


def test_dry_run_writes_nothing(seeded, cli, tmp_path):
    before = dump(seeded)
    path = put(tmp_path, "name,owner\nAcme Corp,Dana\nNew One,Hank\n", "accounts.csv")
    r = cli("import", "accounts", str(path), "--dry-run")
    assert r.code == 0, r.err
    assert "Dry run" in r.out and "would create 1, update 1" in r.out
    assert dump(seeded) == before
    j = cli("import", "accounts", str(path), "--dry-run", "--json").json()
    assert (j["created"], j["updated"], j["dry_run"], j["written"]) == (1, 1, True, False)
    bad = put(tmp_path, "name,start\nX,03/04/2025\n", "bad.csv")
    r = cli("import", "accounts", str(bad), "--dry-run", "--skip-invalid")
    assert r.code == 0 and "would be skipped" in r.out
    assert not rejects_path_for(bad).exists()
    assert dump(seeded) == before


def test_cli_summary_and_json(book, cli, tmp_path):
    path = put(tmp_path, ACCOUNTS, "accounts.csv")
    r = cli("import", "accounts", str(path))
    assert r.code == 0, r.err
    assert r.out.startswith(
        "Imported 3 accounts from accounts.csv: 3 created, 0 updated, 0 unchanged ("
    )
    j = cli("import", "accounts", str(path), "--json").json()
    assert {k: j[k] for k in ("kind", "rows", "created", "updated", "unchanged")} == {
        "kind": "accounts",
        "rows": 3,
        "created": 0,
        "updated": 0,
        "unchanged": 3,
    }
    assert j["rejected"] == [] and j["written"] is True
    assert j["mapping"]["name"] == "name"
    json.dumps(j)


def test_failed_write_leaves_the_book_as_it_was(seeded, tmp_path, monkeypatch):
    before = dump(seeded)

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(seeded, "rederive_levels", boom)
    with pytest.raises(RuntimeError):
        imp(seeded, "subscriptions", put(tmp_path, "account,start,mrr\nA3,2026-01-01,5\n"))
    assert dump(seeded) == before


# -- what imports drive ----------------------------------------------------------------------
def test_subscriptions_drive_mrr_with_overlaps_trials_and_ends(seeded):
    d = date
    # Acme: S1 1000 from 2025-01-15 (open), S2 500 2025-06-01 .. 2026-06-01 (end exclusive).
    assert mrr(seeded, "Acme Corp", d(2025, 1, 14)) == 0
    assert mrr(seeded, "Acme Corp", d(2025, 1, 15)) == 1000
    assert mrr(seeded, "Acme Corp", d(2025, 6, 1)) == 1500
    assert mrr(seeded, "Acme Corp", d(2026, 5, 31)) == 1500
    assert mrr(seeded, "Acme Corp", d(2026, 6, 1)) == 1000
    # Globex: a trial before the paid subscription counts 0.
    assert mrr(seeded, "Globex", d(2024, 5, 15)) == 0
    assert mrr(seeded, "Globex", d(2024, 6, 1)) == 5000
    with seeded.read() as s:
        sources = set(s.execute(select(MrrLevel.source)).scalars())
    assert "subscriptions" in sources


def test_an_account_whose_subscriptions_all_ended_is_churned(seeded, tmp_path):
    imp(
        seeded,
        "subscriptions",
        put(tmp_path, "account,start,end,mrr\nA3,2025-03-01,2025-09-01,900\n"),
    )
    # Initech had a manual level of 900 from its start; subscriptions now own its MRR.
    assert mrr(seeded, "Initech", date(2025, 8, 31)) == 900
    assert mrr(seeded, "Initech", date(2025, 9, 1)) == 0
    assert account(seeded, "Initech").status == "churned"


def test_tier_follows_arr_unless_set_by_hand(seeded, tmp_path):
    acme, globex, initech = (account(seeded, n) for n in ("Acme Corp", "Globex", "Initech"))
    # Acme: current MRR 1000 (ARR 12k) -> mid-market, from its subscriptions, as of today.
    assert (acme.tier, acme.tier_manual) == ("mid-market", False)
    # Globex: tier given in the file (enterprise) is kept even though ARR says so too.
    assert (globex.tier, globex.tier_manual) == ("enterprise", True)
    # Initech: mrr 900 in the accounts file -> ARR 10,800 -> mid-market.
    assert (initech.tier, initech.tier_manual) == ("mid-market", False)
    imp(seeded, "subscriptions", put(tmp_path, "account,start,mrr\nA1,2026-01-01,4000\n"))
    assert account(seeded, "Acme Corp").tier == "enterprise"  # ARR 60k
    # The import day is what "current" means.
    imp(
        seeded,
        "subscriptions",
        put(tmp_path, "account,start,mrr\nA2,2027-01-01,1\n"),
        today=date(2027, 2, 1),
    )
    assert account(seeded, "Globex").tier == "enterprise"


def test_account_start_defaults_to_first_subscription_else_a_year_ago(book, tmp_path):
    imp(book, "accounts", put(tmp_path, "external_id,name\nB1,Beta\nB2,Gamma\n"))
    a_year_ago = date(2025, 11, 24)  # the start of the default KPI window (12m)
    assert account(book, "Beta").start == a_year_ago
    imp(book, "subscriptions", put(tmp_path, "account,start,mrr\nB1,2024-02-03,10\n"))
    assert account(book, "Beta").start == date(2024, 2, 3)
    assert account(book, "Gamma").start == a_year_ago
    # Re-importing the accounts keeps it (a start is never after the first subscription).
    r = imp(book, "accounts", put(tmp_path, "external_id,name,start\nB1,Beta,2025-01-01\n"))
    assert r.unchanged == 1 and account(book, "Beta").start == date(2024, 2, 3)


def test_accounts_mrr_column(book, tmp_path):
    path = put(tmp_path, "name,start,mrr\nAcme,2025-01-01,5000\nGone,2025-01-01,0\n")
    imp(book, "accounts", path)
    assert mrr(book, "Acme", date(2025, 1, 1)) == 5000
    assert account(book, "Acme").tier == "enterprise"
    assert account(book, "Gone").status == "churned"
    assert imp(book, "accounts", path).unchanged == 2
    r = imp(book, "accounts", put(tmp_path, "name,mrr\nAcme,2000\n"))
    assert r.updated == 1
    assert mrr(book, "Acme", TODAY - timedelta(days=1)) == 5000
    assert mrr(book, "Acme", TODAY) == 2000
    assert account(book, "Acme").tier == "mid-market"


def test_tickets_feed_support_and_csat(seeded, tmp_path):
    path = put(tmp_path, KIND_CASES[5][1])
    imp(seeded, "tickets", path)
    with seeded.read() as s:
        scores = s.execute(select(Score.external_id, Score.kind, Score.value, Score.day)).all()
    assert scores == [("ticket:T1", "csat", 2.0, date(2026, 11, 21))]
    comps = {c.name: c.value for c in seeded.show("Acme Corp", TODAY).health.components}
    assert comps["support"] == 60  # two tickets in the last 30 days
    assert comps["survey"] == 25  # CSAT 2 -> (2-1) x 25
    # A changed CSAT updates the score; a removed one deletes it.
    r = imp(seeded, "tickets", put(tmp_path, KIND_CASES[5][1].replace("high,2.0", "high,5")))
    assert r.updated == 1
    with seeded.read() as s:
        assert s.execute(select(Score.value)).scalar_one() == 5.0
    imp(seeded, "tickets", put(tmp_path, KIND_CASES[5][1].replace("high,2.0", "high,")))
    assert count(seeded, Score) == 0
    bad = imp(
        seeded,
        "tickets",
        put(tmp_path, "account,opened,closed,csat\nA1,2026-01-05,2026-01-04,\nA1,2026-01-05,,9\n"),
    )
    assert ["closed" in e.reason for e in bad.rejected] == [True, False]
    assert "out of range" in bad.rejected[1].reason


def test_tickets_without_ids_get_a_csat_score_keyed_by_ticket(seeded, tmp_path):
    path = put(tmp_path, "account,opened,priority,csat\nA2,2026-11-01,low,4\n")
    imp(seeded, "tickets", path)
    with seeded.read() as s:
        tid = s.execute(select(Ticket.id)).scalar_one()
        assert s.execute(select(Score.external_id)).scalar_one() == f"ticket#{tid}"
    snapshot = dump(seeded)
    assert imp(seeded, "tickets", path).unchanged == 1
    assert dump(seeded) == snapshot


def test_usage_becomes_usage_events(seeded, tmp_path):
    text = (
        "usage_id,subscription_id,account_id,usage_date,usage_count\n"
        "U1,S1,,2026-11-20,5\nU2,,Globex,2026-11-21,2\nU3,S3,A1,2026-11-21,1\n"
        "U4,S404,,2026-11-21,1\nU5,,,2026-11-21,1\n"
    )
    r = imp(seeded, "usage", put(tmp_path, text))
    assert [e.line for e in r.rejected] == [4, 5, 6]
    assert "belongs to another account" in r.rejected[0].reason
    assert "no subscription with external id 'S404'" in r.rejected[1].reason
    assert "neither an account nor a subscription" in r.rejected[2].reason
    r = imp(seeded, "usage", put(tmp_path, "\n".join(text.splitlines()[:3]) + "\n"))
    assert r.created == 2
    with seeded.read() as s:
        rows = s.execute(
            select(
                UsageEvent.external_id,
                UsageEvent.account_id,
                UsageEvent.subscription_id,
                UsageEvent.count,
            ).order_by(UsageEvent.external_id)
        ).all()
        sub1 = s.execute(select(Subscription.id).where(Subscription.external_id == "S1")).scalar()
    acme, globex = account(seeded, "Acme Corp").id, account(seeded, "Globex").id
    assert rows == [("U1", acme, sub1, 5.0), ("U2", globex, None, 2.0)]
    comps = {c.name for c in seeded.show("Acme Corp", TODAY).health.components}
    assert "usage" in comps


def test_the_next_sync_plans_touchpoints_for_imported_accounts(book, tmp_path):
    book.add_account("Old", "smb", TODAY)
    book.sync(TODAY)  # the day is already planned...
    imp(book, "accounts", put(tmp_path, f"name,start\nFresh,{TODAY.isoformat()}\n"))
    assert not any(row.account == "Fresh" for row in book.today(TODAY, ahead_days=10))
    assert book.sync(TODAY) is True  # ...but the imported account is stale: re-planned
    assert any(row.account == "Fresh" for row in book.today(TODAY, ahead_days=10))
    assert book.sync(TODAY) is False  # and only once


def test_cli_views_after_an_import_show_the_plan(cli, tmp_path):
    path = put(tmp_path, f"name,start\nFresh,{TODAY.isoformat()}\n")
    assert cli("import", "accounts", str(path), "--as-of", TODAY.isoformat()).code == 0
    rows = cli("today", "--json", "--ahead", "10", "--as-of", TODAY.isoformat()).json()
    assert any(r["account"] == "Fresh" for r in rows)


def test_progress_is_reported(book, tmp_path):
    calls = []
    rows = "".join(f"Acct{i}\n" for i in range(4500))
    imp(
        book, "accounts", put(tmp_path, "name\n" + rows), progress=lambda d, t: calls.append((d, t))
    )
    assert calls[0] == (0, 4500) and calls[-1] == (4500, 4500)
    assert len(calls) >= 3


def test_preview_of_a_file(seeded, tmp_path):
    path = put(tmp_path, SUBSCRIPTIONS, bom=True, crlf=True)
    p = preview(path, "subscriptions", rows=2)
    assert p.columns[0] == "subscription_id"
    assert p.mapping == {
        "account": "account_id",
        "start": "start_date",
        "mrr": "mrr_amount",
        "end": "end_date",
        "external_id": "subscription_id",
        "trial": "is_trial",
    }
    assert len(p.rows) == 2 and p.total_rows == 4
    assert p.encoding_note.startswith("UTF-8 with BOM, CRLF")
    usage = preview(put(tmp_path, "day,count\n2026-01-01,3\n"), "usage")
    assert usage.unmapped_required == ["account"]
    with pytest.raises(BookError, match="unknown import kind"):
        preview(path, "widgets")


# -- garbage never crashes and never writes ----------------------------------------------------
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400), kind=st.sampled_from(sorted(KINDS)))
def test_random_bytes_never_crash_or_write(book, tmp_path, data, kind):
    path = tmp_path / "garbage.csv"
    path.write_bytes(data)
    before = dump(book)
    try:
        r = imp(book, kind, path)
    except BookError:
        assert dump(book) == before
        return
    if not r.written or not (r.created or r.updated):
        assert dump(book) == before


CELL = st.text(alphabet=string.printable + "éü€\ufeff\u2028", max_size=12)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.lists(
        st.sampled_from(["account", "start", "mrr", "end", "trial", "id", "x;y", '"q"']),
        min_size=1,
        max_size=6,
    ),
    rows=st.lists(st.lists(CELL, max_size=7), max_size=8),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_garbage_csv_is_a_report_or_a_file_error_and_writes_nothing(
    book, tmp_path, header, rows, delimiter
):
    # The book has no accounts, so no subscription row can be valid: nothing may be written.
    path = tmp_path / "garbage.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    before = dump(book)
    try:
        r = imp(book, "subscriptions", path, skip_invalid=True, rejects_to=tmp_path / "rej.csv")
    except BookError as exc:
        assert str(exc) and "\n" not in exc.message
    else:
        assert r.created == r.updated == 0
        assert all(e.line >= 2 and e.reason for e in r.rejected)
    assert dump(book) == before


# -- closed loop from imported answers (issue 12.6) -------------------------------------------
def loop_tps(book) -> list[tuple[str, date]]:
    with book.read() as s:
        rows = s.execute(
            select(Touchpoint.kind, Touchpoint.due)
            .where(Touchpoint.origin == "loop")
            .order_by(Touchpoint.due, Touchpoint.kind)
        ).all()
    return [tuple(r) for r in rows]


def _det(day: date) -> list[tuple[str, date]]:
    return [("follow_up", day + timedelta(days=1)), ("resolution_check", day + timedelta(days=7))]


@pytest.mark.parametrize(
    ("kind", "value", "day", "expected"),
    [
        ("nps", 3, "2026-11-20", _det(date(2026, 11, 20))),
        ("csat", 1, "2026-11-24", _det(date(2026, 11, 24))),
        ("nps", 10, "2026-11-20", [("referral_ask", date(2026, 11, 23))]),
        ("nps", 8, "2026-11-20", []),
        ("csat", 4, "2026-11-20", []),
        ("nps", 2, "2026-10-25", _det(date(2026, 10, 25))),  # 30 days: inside
        ("nps", 2, "2026-10-24", []),  # 31 days old: history, no loop
        ("nps", 10, "2026-06-01", []),
    ],
)
def test_imported_scores_in_the_loop_window_fire_the_closed_loop(
    seeded, tmp_path, kind, value, day, expected
):
    path = put(tmp_path, f"account,date,kind,value\nAcme Corp,{day},{kind},{value}\n")
    r = imp(seeded, "scores", path)
    assert (r.created, r.rejected) == (1, [])
    assert loop_tps(seeded) == expected
    imp(seeded, "scores", path)  # a re-import does not fire it twice
    assert loop_tps(seeded) == expected


@pytest.mark.parametrize(
    ("closed", "csat", "expected"),
    [
        ("2026-11-22", 2, _det(date(2026, 11, 22))),
        ("2026-11-22", 5, []),
        ("2026-09-01", 1, []),  # closed long ago
    ],
)
def test_imported_ticket_csat_fires_the_closed_loop(seeded, tmp_path, closed, csat, expected):
    text = f"account,opened,closed,csat,external_id\nAcme Corp,2026-08-30,{closed},{csat},T9\n"
    imp(seeded, "tickets", put(tmp_path, text))
    assert loop_tps(seeded) == expected
    imp(seeded, "tickets", put(tmp_path, text))
    assert loop_tps(seeded) == expected


# -- runaway quotes, duplicate headers, huge lines (issue 13, point 4) -----------------------
def _many_accounts(n: int, stray_at: int | None = None) -> str:
    # The stray quote opens the last cell, a column no field reads: before, the rest of
    # the file vanished into it and "Imported 5 accounts" looked like success.
    lines = ["name,owner,comment"]
    for i in range(2, n + 2):
        comment = '"oops' if i == stray_at else "fine"
        lines.append(f"Account {i},Dana,{comment}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("stray_at", [5, 990])
def test_a_stray_quote_is_refused_with_the_line_it_opened_on(book, tmp_path, stray_at):
    before = dump(book)
    path = put(tmp_path, _many_accounts(1000, stray_at))
    with pytest.raises(BookError) as exc:
        imp(book, "accounts", path)
    msg = exc.value.message
    assert f"line {stray_at}" in msg and "quote" in msg
    assert dump(book) == before


def test_a_stray_quote_through_the_cli_is_exit_2_and_writes_nothing(book, cli, tmp_path):
    path = put(tmp_path, _many_accounts(1000, 7))
    r = cli("import", "accounts", str(path))
    assert r.code == 2 and "line 7" in r.err and "Imported" not in r.out
    assert book.account_names() == []


def test_legitimate_multi_line_cells_still_import(book, tmp_path):
    note = "\n".join(f"line {i}" for i in range(30))
    path = put(
        tmp_path,
        f'name,owner,comment\nAcme,Dana,"a\nb"\nGlobex,Hank,"{note}"\nInitech,Dana,5" screen\n',
    )
    assert imp(book, "accounts", path).created == 3


@pytest.mark.parametrize(
    "header,named", [("name,owner,Name", "name"), ("name,owner,owner", "owner")]
)
def test_duplicate_headers_are_an_error_naming_them(book, tmp_path, header, named):
    path = put(tmp_path, f"{header}\nAcme,Dana,x\n")
    with pytest.raises(BookError) as exc:
        read_csv(path)
    assert "more than once" in exc.value.message and f"'{named}'" in exc.value.message.lower()


def test_a_huge_line_is_refused_without_reading_it_whole(book, tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("w") as fh:
        fh.write("name,owner\nAcme,Dana\n")
        fh.write("x" * 5_000_000 + ",Dana\n")
    with pytest.raises(BookError) as exc:
        imp(book, "accounts", path)
    assert "line 3" in exc.value.message and "long" in exc.value.message
    assert book.account_names() == []


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_is_refused_quickly(book, tmp_path):
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(BookError):
            imp(book, "accounts", Path("/dev/zero"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024


# -- imported customers are existing customers (issue 12.3) ---------------------------
def test_imported_account_without_start_is_an_existing_customer(book, tmp_path):
    imp(book, "accounts", put(tmp_path, "name,mrr\nOldco,3000\n"))
    book.sync(TODAY)
    kinds = {t.kind for t in touchpoints(book, "Oldco")}
    assert not kinds & {"welcome", "check_in", "mini_qbr"}
    # Dated at the start of the default KPI window (12 months): the starting cohort.
    assert account(book, "Oldco").start == date(2025, 11, 24)
    k = book.kpi(TODAY, "12m")
    assert (k.new_mrr, k.starting_mrr) == (0, 3000)


@pytest.mark.parametrize("start", ["2025-10-10", "2026-11-01", ""])
def test_import_plans_forward_from_the_import_day(book, tmp_path, start):
    imp(book, "accounts", put(tmp_path, f"name,start,tier\nOldco,{start},enterprise\n"))
    book.sync(TODAY)
    tps = touchpoints(book, "Oldco")
    assert tps, "the next due recurring touchpoints are planned"
    assert [t for t in tps if t.due < TODAY] == []
    assert [r for r in book.today(TODAY) if r.days_overdue > 0] == []


def test_import_report_says_what_was_planned(book, tmp_path):
    path = put(tmp_path, "name,start,tier\nOldco,,enterprise\nNewco,2026-11-20,smb\n")
    r = imp(book, "accounts", path)
    assert r.onboarding_skipped == 1  # Oldco: an existing customer; Newco started 4 days ago
    book.sync(TODAY)
    horizon = TODAY + timedelta(days=book.config.playbook.horizon_days)
    created: dict[str, int] = {}
    for name in ("Oldco", "Newco"):
        for t in touchpoints(book, name):
            if t.origin == "playbook" and TODAY <= t.due <= horizon:
                created[t.kind] = created.get(t.kind, 0) + 1
    assert r.planned == created and sum(created.values()) > 0
    assert "welcome" not in created  # Newco's welcome (D+1) was before the import day


def test_cli_import_report_lists_planned_touchpoints(cli, tmp_path):
    path = put(tmp_path, "name,start,tier\nOldco,,enterprise\nNewco,2026-11-20,smb\n")
    res = cli("import", "accounts", str(path), "--as-of", TODAY.isoformat())
    assert res.code == 0
    assert "Planned " in res.out and "touchpoints for the next 90 days" in res.out
    assert "onboarding skipped for 1 existing customer" in res.out
    path2 = put(tmp_path, "name,tier\nThirdco,smb\n")
    data = cli("import", "accounts", str(path2), "--json", "--as-of", TODAY.isoformat()).json()
    assert data["onboarding_skipped"] == 1 and sum(data["planned"].values()) > 0
