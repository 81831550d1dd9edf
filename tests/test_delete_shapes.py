"""``bookkeeper delete`` prints exactly what it printed before ``Book.account_rows`` and
``Book.delete_account`` returned a typed ``AccountRows`` (issue 15 #3): the text, the
``--json`` and the question asked on a terminal, byte for byte."""

from __future__ import annotations

import sys
from datetime import date

from bookkeeper_tui.store.book import Book

TODAY = date(2026, 11, 24)


def _book(cli, db):
    """Two accounts, planned and logged at a fixed day (the row counts do not depend on
    when the test runs)."""
    b = Book.open(db)
    try:
        b.add_account("Acme", "smb", date(2025, 1, 1), mrr=1000, plan_on=TODAY)
        b.add_account("Globex", "smb", date(2025, 1, 1), mrr=500, plan_on=TODAY)
        b.log("acme call with Ann nps 9 next qbr +2w", TODAY)
        b.log("acme email with Bo csat 4", TODAY)
    finally:
        b.close()
    return cli


def test_delete_json_is_unchanged(cli, db):
    r = _book(cli, db)("delete", "Acme", "--yes", "--json")
    assert r.code == 0, r.err
    assert r.out == (
        "{\n"
        '  "deleted": "Acme",\n'
        '  "rows": {\n'
        '    "usage_events": 0,\n'
        '    "tickets": 0,\n'
        '    "subscriptions": 0,\n'
        '    "scores": 2,\n'
        '    "mrr_levels": 1,\n'
        '    "touchpoints": 7,\n'
        '    "health_snapshots": 1,\n'
        '    "renewal_outcomes": 0,\n'
        '    "interactions": 2,\n'
        '    "contacts": 2\n'
        "  }\n"
        "}\n"
    )


def test_delete_text_and_question_are_unchanged(cli, db, monkeypatch):
    _book(cli, db)
    prompts: list[str] = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda p: prompts.append(p) or "y")
    r = cli("delete", "Acme")
    assert r.code == 0, r.err
    said = "2 scores, 1 mrr level, 7 touchpoints, 1 health snapshot, 2 interactions, 2 contacts"
    assert prompts == [f"Delete Acme and its {said}? This cannot be undone. [y/N] "]
    assert r.out == f"Deleted Acme and its {said}.\n"
    r = cli("delete", "Globex", "--yes")
    assert r.out == "Deleted Globex and its 1 mrr level, 5 touchpoints, 1 health snapshot.\n"
