"""``bookkeeper show`` (text and ``--json``) byte for byte as recorded before ``Book.show``
returned a typed ``AccountView`` (issue 15 #3): the demo book's every account at a fixed
day, and a small book of awkward accounts (no contacts, churned, nulls, snoozed and
reason-less skipped touchpoints, a contact who left, first value, onboarding)."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pytest

from bookkeeper_tui.cli import main
from bookkeeper_tui.store.book import Book

GOLDEN = Path(__file__).parent / "fixtures" / "show_golden"
AS_OF = "2026-11-24"
# Shown in full in the recorded files (the rest of the demo book: by digest).
IN_FULL = ("Initech", "Novaview Media Ltd", "Stark Industries", "Globex Ltd")


def _run(capsys, db: str, *args: str) -> str:
    assert main([*args, "--db", db]) == 0
    return capsys.readouterr().out


def _both(capsys, db: str, name: str) -> str:
    text = _run(capsys, db, "show", name, "--as-of", AS_OF)
    js = _run(capsys, db, "show", name, "--json", "--as-of", AS_OF)
    return f"=== {name} (text)\n{text}=== {name} (json)\n{js}"


def build_awkward(db: str) -> None:
    """Accounts with the shapes the demo book lacks."""
    for args in (
        ("add", "Legacy", "--tier", "smb", "--start", "2024-01-01", "--mrr", "500"),
        ("add", "Bare", "--tier", "smb", "--start", "2026-11-01"),
        (
            "add",
            "Gone Co",
            *[
                "--tier",
                "enterprise",
                "--start",
                "2025-02-01",
                "--mrr",
                "9000",
                "--renewal",
                "2027-02-01",
            ],
            *["--owner", "sam", "--industry", "Retail", "--external-id", "X-9"],
        ),
        ("log", 'gone co call with Dana nps 3 "they may cancel; budget cut" @2026-09-01 #risk'),
        ("log", 'gone co email with Lee csat 4 "sent the plan" @2026-09-20 #first-value'),
        ("log", "gone co note with Lee (left) @2026-10-01"),
        ("log", 'gone co meeting "lost them" mrr 0 @2026-10-15'),
    ):
        assert main([*args, "--db", db]) == 0, args
    from sqlalchemy import select

    from bookkeeper_tui.store.models import Account, Touchpoint

    b = Book.open(db)
    try:
        b.sync(date.fromisoformat(AS_OF))
        with b.read() as s:
            ids = list(
                s.execute(
                    select(Touchpoint.id)
                    .join(Account, Account.id == Touchpoint.account_id)
                    .where(Account.name == "Bare", Touchpoint.status == "open")
                    .order_by(Touchpoint.due, Touchpoint.id)
                ).scalars()
            )
        b.snooze(ids[0], date(2026, 12, 20))
        b.skip(ids[1], "on holiday", date(2026, 11, 20))
        with b.write() as s:  # as an old book may hold it: skipped, no reason, no day
            tp = s.get(Touchpoint, ids[2])
            tp.status, tp.skip_reason, tp.completed_on = "skipped", None, None
    finally:
        b.close()


@pytest.fixture
def demo_db(demo_template, tmp_path) -> str:
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    return str(path)


def test_show_on_the_demo_book_is_unchanged(demo_db, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    names = Book.open(demo_db)
    try:
        every = names.account_names()
    finally:
        names.close()
    digests = []
    for name in every:
        out = _both(capsys, demo_db, name)
        if name in IN_FULL:
            assert out == (GOLDEN / f"{name}.txt").read_text(encoding="utf-8"), name
        digests.append(f"{name}\t{hashlib.sha256(out.encode()).hexdigest()}\n")
    assert "".join(digests) == (GOLDEN / "demo.sha256").read_text(encoding="utf-8")


def test_show_on_awkward_accounts_is_unchanged(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    db = str(tmp_path / "book.db")
    build_awkward(db)
    capsys.readouterr()
    for name in ("Legacy", "Bare", "Gone Co"):
        out = _both(capsys, db, name)
        assert out == (GOLDEN / f"awkward-{name}.txt").read_text(encoding="utf-8"), name
