"""Issue 13 point 2: dates outside 1900..2200 and absurd numbers are refused at every
edge, never half-saved; a book already holding such a row still opens; accounts can be
deleted (CLI and app)."""

from __future__ import annotations

import math
from datetime import date

import pytest
from sqlalchemy import select

from bookkeeper_tui.core.bounds import check_date, check_mrr, clamp
from bookkeeper_tui.core.quicklog import QuickLogError, parse_quicklog
from bookkeeper_tui.store.book import Book, BookError
from bookkeeper_tui.store.models import Account

from .conftest import TODAY


def n_accounts(db: str) -> int:
    b = Book.open(db)
    try:
        with b.read() as s:
            return len(s.execute(select(Account)).all())
    finally:
        b.close()


# -- core ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "ok"),
    [
        (date(1899, 12, 31), False),
        (date(1900, 1, 1), True),
        (date(2026, 11, 24), True),
        (date(2200, 12, 31), True),
        (date(2201, 1, 1), False),
        (date(9999, 12, 31), False),
        (date(1, 1, 1), False),
    ],
)
def test_check_date_range(day, ok):
    if ok:
        assert check_date(day) == day
    else:
        with pytest.raises(ValueError, match=r"out of range; use a date in the years 1900 to 2200"):
            check_date(day, "the start date")


@pytest.mark.parametrize(
    ("mrr", "ok"),
    [
        (0, True),
        (1500.5, True),
        (999_999_999, True),
        (1e9, False),
        (-1, False),
        (math.inf, False),
        (math.nan, False),
        (-math.inf, False),
    ],
)
def test_check_mrr_range(mrr, ok):
    if ok:
        assert check_mrr(mrr) == mrr
    else:
        with pytest.raises(ValueError, match="MRR"):
            check_mrr(mrr)


@pytest.mark.parametrize(
    ("day", "clamped"),
    [(date(9999, 12, 31), date(2200, 12, 31)), (date(1, 1, 1), date(1900, 1, 1)), (TODAY, TODAY)],
)
def test_clamp(day, clamped):
    assert clamp(day) == clamped


@pytest.mark.parametrize(
    "line",
    [
        "acme call next qbr 9999-12-31",
        "acme call @1850-01-01",
        "acme call next qbr +500y",
        "acme call next qbr 2201-01-01",
    ],
)
def test_quicklog_refuses_dates_out_of_range(line):
    with pytest.raises(QuickLogError, match="1900 to 2200"):
        parse_quicklog(line, ["Acme"], TODAY)


def test_quicklog_accepts_edge_of_range():
    q = parse_quicklog("acme call next qbr 2200-12-31", ["Acme"], TODAY)
    assert q.next.due == date(2200, 12, 31)


# -- store ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": date(9999, 12, 31)}, "start date 9999-12-31 is out of range"),
        ({"start": date(1800, 1, 1)}, "start date 1800-01-01 is out of range"),
        ({"renewal": date(9999, 12, 31)}, "renewal date 9999-12-31 is out of range"),
        ({"mrr": 1e12}, "MRR 1e\\+12 is out of range"),
        ({"mrr": math.inf}, "not a finite number"),
        ({"mrr": math.nan}, "not a finite number"),
    ],
)
def test_add_account_refuses_out_of_range(book, db, kwargs, message):
    args = {"name": "Poison", "tier": "smb", "start": TODAY} | kwargs
    with pytest.raises(BookError, match=message):
        book.add_account(**args)
    assert n_accounts(db) == 0


def test_edit_refuses_renewal_out_of_range(book):
    book.add_account("Acme", "smb", TODAY)
    _, version = book.account_for_edit("Acme")
    with pytest.raises(BookError, match="1900 to 2200"):
        book.update_account("Acme", {"renewal": "9999-12-31"}, version)


# -- CLI ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--start", "9999-12-31"), "9999-12-31 is out of range"),
        (("--start", "2026-01-01", "--renewal", "9999-12-31"), "9999-12-31 is out of range"),
        (("--start", "2026-01-01", "--mrr", "inf"), "not a finite number"),
        (("--start", "2026-01-01", "--mrr", "nan"), "not a finite number"),
        (("--start", "2026-01-01", "--mrr", "1e15"), "out of range"),
    ],
)
def test_cli_add_refuses_out_of_range_and_saves_nothing(cli, db, args, words):
    r = cli("add", "Poison", *args)
    assert r.code == 2, r.err
    assert words in r.err
    assert "Traceback" not in r.err
    assert n_accounts(db) == 0


def test_cli_log_refuses_far_due_date(cli):
    assert cli("add", "Acme", "--start", "2026-01-01").code == 0
    r = cli("log", "acme call next qbr 9999-12-31", "--as-of", "2026-11-24")
    assert r.code == 2
    assert "1900 to 2200" in r.err
    assert cli("export", "ics").code == 0


# -- forms and importers ------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["9999-12-31", "1899-12-31", "2201-01-01"])
def test_form_date_parser_refuses_out_of_range(raw):
    from bookkeeper_tui.store.book import parse_iso

    with pytest.raises(BookError, match="1900 to 2200"):
        parse_iso(raw, "the start date")


@pytest.mark.parametrize("raw", ["1e12", "1000000000"])
def test_form_mrr_parser_refuses_huge(raw):
    from bookkeeper_tui.screens.add_account import FieldError, parse_mrr

    with pytest.raises(FieldError, match="out of range"):
        parse_mrr(raw)


@pytest.mark.parametrize(
    ("parser", "raw", "ok"),
    [
        ("parse_date", "2200-12-31", True),
        ("parse_date", "9999-12-31", False),
        ("parse_date", "1899-12-31", False),
        ("parse_amount", "999999999", True),
        ("parse_amount", "1e12", False),
        ("parse_amount", "inf", False),
        ("parse_amount", "nan", False),
    ],
)
def test_import_field_parsers_bounds(parser, raw, ok):
    from bookkeeper_tui.io import importer

    fn = getattr(importer, parser)
    if ok:
        fn(raw)
    else:
        with pytest.raises(importer.Bad):
            fn(raw)


def test_import_refuses_poison_rows_and_writes_nothing(cli, db, tmp_path):
    f = tmp_path / "accounts.csv"
    f.write_text(
        "name,start,mrr\nGood,2026-01-01,100\nPoison,9999-12-31,100\nRich,2026-01-01,1e12\n"
    )
    r = cli("import", "accounts", str(f))
    assert r.code != 0
    assert n_accounts(db) == 0


# -- a book that already holds such rows still opens ----------------------------------------
@pytest.fixture
def poisoned(cli, db):
    """Acme is fine; Poison was saved (before the check) with start and renewal 9999-12-31,
    and Acme has an open touchpoint due 9999-12-31 (from a quick log before the check)."""
    from sqlalchemy import text

    assert cli("add", "Acme", "--start", "2025-01-01", "--mrr", "1000").code == 0
    assert cli("add", "Poison", "--start", "2025-01-01", "--mrr", "500").code == 0
    b = Book.open(db)
    try:
        with b.write() as s:
            s.execute(
                text(
                    "UPDATE account SET start = '9999-12-31', renewal = '9999-12-31' "
                    "WHERE name = 'Poison'"
                )
            )
            s.execute(
                text(
                    "UPDATE mrr_level SET effective = '9999-12-31' WHERE account_id = "
                    "(SELECT id FROM account WHERE name = 'Poison')"
                )
            )
            s.execute(
                text(
                    "UPDATE touchpoint SET due = '9999-12-31' WHERE id = "
                    "(SELECT MIN(id) FROM touchpoint)"
                )
            )
            s.execute(text("DELETE FROM meta WHERE key = 'synced_on'"))
    finally:
        b.close()
    return cli


@pytest.mark.parametrize(
    "args",
    [
        ("accounts",),
        ("accounts", "--json"),
        ("show", "Poison"),
        ("show", "Poison", "--json"),
        ("show", "Acme"),
        ("today",),
        ("today", "--json"),
        ("kpi",),
        ("export", "ics"),
        ("export", "accounts"),
    ],
)
def test_book_with_out_of_range_rows_still_opens(poisoned, args):
    r = poisoned(*args)
    assert r.code == 0, r.err
    assert "Traceback" not in r.err


def test_cli_add_failing_after_insert_saves_nothing(cli, db, monkeypatch):
    """The original fault: the account was committed, then planning it failed."""

    def boom(*_a, **_k):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(Book, "_sync_playbook", boom)
    r = cli("add", "Acme", "--start", "2026-01-01")
    assert r.code == 1
    assert "nothing was half-saved" in r.err
    monkeypatch.undo()
    assert n_accounts(db) == 0


# -- delete ------------------------------------------------------------------------------
@pytest.fixture
def two(cli):
    assert cli("add", "Acme", "--start", "2025-01-01", "--mrr", "1000").code == 0
    assert cli("add", "Globex", "--start", "2025-01-01", "--mrr", "500").code == 0
    assert cli("log", "acme call with Ann nps 9 next qbr +2w", "--as-of", "2026-11-24").code == 0
    return cli


def all_rows(db: str) -> dict[str, int]:
    from bookkeeper_tui.store.book import _ACCOUNT_ROWS

    b = Book.open(db)
    try:
        with b.read() as s:
            out = {k: len(s.execute(select(t)).all()) for k, t in _ACCOUNT_ROWS}
            out["accounts"] = len(s.execute(select(Account)).all())
            return out
    finally:
        b.close()


def test_store_delete_account_removes_it_and_all_its_rows(two, db):
    before = all_rows(db)
    b = Book.open(db)
    try:
        removed = b.delete_account("acme")
        assert removed.account == "Acme"
        assert removed.count("contacts") == 1 and removed.count("interactions") == 1
        assert removed.count("scores") == 1 and removed.count("touchpoints") >= 1
        assert b.account_names() == ["Globex"]
        with pytest.raises(BookError):
            b.delete_account("Acme")
    finally:
        b.close()
    after = all_rows(db)
    for key, n in removed.counts:
        assert after[key] == before[key] - n
    assert after["accounts"] == 1
    assert after["mrr_levels"] == 1  # Globex keeps its own rows


def test_store_delete_is_one_transaction(two, db, monkeypatch):
    # delete_account lives in store/book/accounts.py (the book is a package since issue 15)
    from bookkeeper_tui.store.book import accounts as book_mod

    b = Book.open(db)
    before = all_rows(db)
    real = book_mod.delete

    def failing(table):
        if table is Account:
            raise RuntimeError("disk on fire")
        return real(table)

    monkeypatch.setattr(book_mod, "delete", failing)
    try:
        with pytest.raises(RuntimeError):
            b.delete_account("Acme")
    finally:
        b.close()
    monkeypatch.undo()
    assert all_rows(db) == before


def test_cli_delete_without_tty_or_yes_refuses(two, db):
    r = two("delete", "Acme")
    assert r.code == 2
    assert "--yes" in r.err
    assert all_rows(db)["accounts"] == 2


def test_cli_delete_yes_prints_what_was_removed(two, db):
    r = two("delete", "Acme", "--yes")
    assert r.code == 0, r.err
    assert r.out.startswith("Deleted Acme and its ")
    assert "1 interaction" in r.out and "1 contact" in r.out
    assert all_rows(db)["accounts"] == 1
    assert two("show", "Acme").code == 2
    assert two("accounts").code == 0


def test_cli_delete_json(two):
    r = two("delete", "Globex", "--yes", "--json")
    assert r.code == 0
    d = r.json()
    assert d["deleted"] == "Globex"
    assert d["rows"]["mrr_levels"] == 1


def test_cli_delete_unknown_account(two):
    r = two("delete", "Nobody", "--yes")
    assert r.code == 2
    assert "Nobody" in r.err


@pytest.mark.parametrize(("answer", "deleted"), [("y", True), ("", False), ("no", False)])
def test_cli_delete_asks_on_a_tty(two, db, monkeypatch, answer, deleted):
    import sys

    prompts = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda p: prompts.append(p) or answer)
    r = two("delete", "Acme")
    assert r.code == 0
    assert prompts and "Delete Acme" in prompts[0] and "1 interaction" in prompts[0]
    assert all_rows(db)["accounts"] == (1 if deleted else 2)
    assert ("Deleted Acme" in r.out) == deleted


def test_cli_delete_cleans_a_poisoned_book(poisoned, db):
    assert poisoned("delete", "Poison", "--yes").code == 0
    assert n_accounts(db) == 1


# -- the app -------------------------------------------------------------------------------
async def test_app_book_screen_opens_on_a_poisoned_book(poisoned, db, make_app):
    from bookkeeper_tui.screens.accounts import BookScreen
    from bookkeeper_tui.widgets.vtable import VTable

    from .conftest import settle

    b = Book.open(db)
    try:
        app = make_app(b)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("b")
            await settle(pilot)
            assert isinstance(app.screen, BookScreen)
            table = app.screen.query_one("#book-table", VTable)
            names = [
                table.get_row_at(i)[0].plain
                for i in range(table.row_count)
                if table.row_key(i).startswith("a:")
            ]
            assert sorted(names) == ["Acme", "Poison"]
    finally:
        b.close()


async def test_app_delete_account_with_real_keys(demo_book, make_app):
    from bookkeeper_tui.screens.account import AccountScreen
    from bookkeeper_tui.screens.delete_account import DeleteAccountScreen

    from .conftest import settle

    counts = demo_book.account_rows("Acme Corp")
    app = make_app(demo_book)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = app.screen
        app.open_account("Acme Corp")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, DeleteAccountScreen)
        title = str(app.screen.query_one(".dialog-title").content)
        assert "Acme Corp" in title and f"{counts.count('interactions')} interactions" in title
        await pilot.press("n")  # changed my mind
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert "Acme Corp" in demo_book.account_names()
        await pilot.press("D")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is before
    assert "Acme Corp" not in demo_book.account_names()
    with demo_book.read() as s:
        from bookkeeper_tui.store.models import Interaction

        acme_id_rows = s.execute(select(Interaction)).all()
    assert len(acme_id_rows) > 0  # the other accounts keep theirs


async def test_app_delete_from_the_book_screen(demo_book, make_app):
    from bookkeeper_tui.screens.accounts import BookScreen
    from bookkeeper_tui.screens.delete_account import DeleteAccountScreen
    from bookkeeper_tui.widgets.vtable import VTable

    from .conftest import settle

    app = make_app(demo_book)
    n = len(demo_book.account_names())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, BookScreen)
        name = app.screen.current().account.name
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, DeleteAccountScreen)
        assert name in str(app.screen.query_one(".dialog-title").content)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, BookScreen)
        table = app.screen.query_one("#book-table", VTable)
        shown = [
            table.get_row_at(i)[0].plain
            for i in range(table.row_count)
            if table.row_key(i).startswith("a:")
        ]
        assert name not in shown and len(shown) == n - 1
    assert name not in demo_book.account_names()
