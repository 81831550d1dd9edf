"""`bookkeeper log`'s fast path (store/fast_log.py, issue 16): a plain line on a book
brought up to the day is recorded with sqlite3 alone, and the book ends up exactly as the
full path (Book.record) leaves it, row for row; any other line takes the full path."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest

from bookkeeper_tui.cli import log_cmd, main
from bookkeeper_tui.store import fast_log
from bookkeeper_tui.store.backup import daily_backup
from tests.conftest import TODAY

#: Written at the moment of the write: the only columns allowed to differ.
CLOCK_COLUMNS = {"created_at", "updated_at", "at"}


def _copy(src, dst) -> str:
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    with b:
        a.backup(b)
    a.close()
    b.close()
    daily_backup(dst, date.today())  # the full path makes it on its first command
    return str(dst)


def _dump(path: str) -> dict:
    con = sqlite3.connect(path)
    out = {}
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in sorted(tables):
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
        keep = [c for c in cols if c not in CLOCK_COLUMNS]
        out[table] = sorted(
            con.execute(f"SELECT {', '.join(keep)} FROM {table}").fetchall(), key=repr
        )
    con.close()
    return out


def _log(db: str, line: str, capsys, *extra: str):
    code = main(["log", line, "--as-of", TODAY.isoformat(), "--db", db, *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def pair(demo_template, tmp_path):
    return _copy(demo_template, tmp_path / "full.db"), _copy(demo_template, tmp_path / "fast.db")


def _names(db: str, active: bool = False) -> list[str]:
    con = sqlite3.connect(db)
    where = f"WHERE status = 'active' AND start <= '{TODAY.isoformat()}'" if active else ""
    names = [r[0] for r in con.execute(f"SELECT name FROM account {where} ORDER BY id")]
    con.close()
    return names


def _both(pair, lines, monkeypatch, capsys, *extra: str) -> list[bool]:
    full, fast = pair
    taken: list[bool] = []
    real = fast_log.log_fast

    def spy(*args, **kwargs):
        res = real(*args, **kwargs)
        taken.append(res is not None)
        return res

    for line in lines:
        monkeypatch.setattr(log_cmd, "_log_fast", lambda args: None)
        slow = _log(full, line, capsys, *extra)
        monkeypatch.setattr(fast_log, "log_fast", spy)
        monkeypatch.undo()
        monkeypatch.setattr(fast_log, "log_fast", spy)
        quick = _log(fast, line, capsys, *extra)
        monkeypatch.undo()
        assert quick == slow, line
    assert _dump(fast) == _dump(full)
    return taken


def test_plain_lines_leave_the_book_exactly_as_the_full_path(pair, monkeypatch, capsys):
    lines = [f'"{n}" call' for n in _names(pair[0])]  # every account, every band
    names = _names(pair[0], active=True)
    lines += [
        f'"{names[0]}" qbr "quarterly review; they may cancel" #renewal',
        f'"{names[1]}" meeting @yesterday next call +2w',
        f'"{names[2]}" email "asked for a referral" next +1w',
        f'"{names[3]}" onboarding "kick-off" #a #b @2026-11-20',
        f'"{names[4]}" call next intervention tomorrow',
        f'"{names[5]}" renewal "talked renewal terms"',
    ]
    taken = _both(pair, lines, monkeypatch, capsys, "--json")
    # A churned account (its health is not kept) takes the full path: the others do not.
    assert sum(taken) >= len(taken) * 3 // 4, taken
    assert all(taken[-6:]), taken


def test_the_text_output_is_the_same(pair, monkeypatch, capsys):
    names = _names(pair[0])
    taken = _both(pair, [f'"{n}" call "hello"' for n in names[:8]], monkeypatch, capsys)
    assert sum(taken) >= 6, taken


def test_other_lines_take_the_full_path_with_the_same_result(pair, monkeypatch, capsys):
    names = _names(pair[0])
    lines = [
        f'"{names[0]}" call nps 3',
        f'"{names[1]}" call with Dana',
        f'"{names[2]}" call mrr 1500',
        f'"{names[3]}" call #first-value',
        f'"{names[4]}" renewal renewed',
        f'"{names[5]}" call 12',  # an error: the full path says what to fix
        "nosuchaccount call",
    ]
    taken = _both(pair, lines, monkeypatch, capsys, "--json")
    assert not any(taken), taken


def test_a_new_day_takes_the_full_path(pair, monkeypatch, capsys):
    full, fast = pair
    names = _names(full)
    for db in pair:
        code = main(["log", f'"{names[0]}" call', "--as-of", "2026-11-25", "--db", db])
        assert code == 0
    capsys.readouterr()
    con = sqlite3.connect(fast)
    assert con.execute("SELECT value FROM meta WHERE key='synced_on'").fetchone() == ("2026-11-25",)
    con.close()


def test_the_daily_backup_path_is_store_backups(tmp_path):
    book = tmp_path / "sales.db"
    sqlite3.connect(book).close()
    made = daily_backup(book, date.today())
    assert made == fast_log.daily_backup_path(book, date.today())


def test_the_fast_path_imports_no_sqlalchemy(pair):
    import subprocess
    import sys

    names = _names(pair[1])
    code = (
        "import sys; from bookkeeper_tui.cli import main; "
        f"rc = main(['log', {json.dumps(names[0])} + ' call', '--as-of', "
        f"'{TODAY.isoformat()}', '--db', {json.dumps(pair[1])}]); "
        "assert rc == 0; assert 'sqlalchemy' not in sys.modules, 'sqlalchemy imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _sql(pair, sql: str, *params) -> list:
    rows = []
    for db in pair:
        con = sqlite3.connect(db)
        with con:
            rows = con.execute(sql, params).fetchall()
        con.close()
    return rows


def test_falling_into_red_plans_the_same_intervention(pair, monkeypatch, capsys):
    """The weakest account, made to look as if it was green before today with no
    intervention yet: a line that leaves it red plans one, on both paths alike."""
    day = TODAY.isoformat()
    ((aid, name),) = _sql(
        pair,
        "SELECT a.id, a.name FROM health_snapshot h JOIN account a ON a.id = h.account_id "
        "WHERE h.day = ? AND a.status = 'active' AND h.score IS NOT NULL "
        "ORDER BY h.score LIMIT 1",
        day,
    )
    _sql(pair, "DELETE FROM touchpoint WHERE account_id = ? AND kind = 'intervention'", aid)
    _sql(
        pair, "UPDATE health_snapshot SET band = 'green' WHERE account_id = ? AND day < ?", aid, day
    )
    taken = _both(pair, [f'"{name}" email "sent the agenda"'], monkeypatch, capsys, "--json")
    assert taken == [True]
    (band,) = _sql(
        pair, "SELECT band FROM health_snapshot WHERE account_id = ? AND day = ?", aid, day
    )
    if band == ("red",):
        assert _sql(
            pair,
            "SELECT count(*) FROM touchpoint WHERE account_id = ? AND kind = 'intervention'",
            aid,
        ) == [(1,)]


def test_a_detractor_call_does_not_count_as_engagement_on_either_path(pair, monkeypatch, capsys):
    names = _names(pair[0], active=True)
    for n in names[:3]:  # no earlier conversation: only the detractor call could count
        _sql(
            pair,
            "DELETE FROM interaction WHERE account_id = (SELECT id FROM account WHERE name = ?)",
            n,
        )
    lines = [f'"{n}" call nps 2' for n in names[:6]]  # the full path (a score)
    lines += [f'"{n}" email "following up"' for n in names[:6]]  # the fast path
    taken = _both(pair, lines, monkeypatch, capsys, "--json")
    assert taken == [False] * 6 + [True] * 6
