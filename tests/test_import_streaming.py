"""The importer streams (issue 13, point 4): a file is read, parsed, planned and written a
chunk at a time inside one transaction, so memory does not grow with the file, and a
problem found further down still leaves the book exactly as it was."""

from __future__ import annotations

import csv
import gc
import json
import tracemalloc

import pytest

from bookkeeper_tui.io import csvfile
from bookkeeper_tui.io.importer import run as import_run
from bookkeeper_tui.io.importer.planners.accounts import _AccountPlanner
from bookkeeper_tui.store.book import BookError
from bookkeeper_tui.store.models import Account, Contact, Interaction, MrrLevel
from tests.test_import import count, dump, imp, mrr, put

pytestmark = pytest.mark.both_backends

CHUNK = 50


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(import_run, "CHUNK_ROWS", CHUNK)


def _accounts(n: int, bad: dict[int, str] | None = None, extra: str = "") -> str:
    """n accounts A0.. (line = index + 2); *bad* replaces the row on a line."""
    lines = ["external_id,name,start,mrr"]
    for i in range(n):
        lines.append(f"A{i},Account {i:05d},2025-01-01,{100 + i}")
    for line, text in (bad or {}).items():
        lines[line - 1] = text
    return "\n".join(lines) + "\n" + extra


def test_rows_are_planned_before_the_file_is_read_whole(book, tmp_path, small_chunks, monkeypatch):
    path = put(tmp_path, _accounts(6000))  # ~190 KB: the sniffer reads the first 64 KB
    pulled = {"lines": 0}
    real_lines = csvfile._lines

    def counting(fh, name):
        for line in real_lines(fh, name):
            pulled["lines"] += 1
            yield line

    monkeypatch.setattr(csvfile, "_lines", counting)
    planned: list[tuple[int, int]] = []  # (rows in the chunk, lines read so far)
    real_plan = _AccountPlanner.plan

    def spy(self, rows):
        planned.append((len(rows), pulled["lines"]))
        return real_plan(self, rows)

    monkeypatch.setattr(_AccountPlanner, "plan", spy)
    r = imp(book, "accounts", path)
    assert (r.created, r.rows, r.written) == (6000, 6000, True)
    assert count(book, Account) == 6000
    assert max(n for n, _ in planned) <= CHUNK
    assert len(planned) >= 6000 // CHUNK
    # When the first chunk is planned, most of the file is still unread.
    assert planned[0][1] < 3000, planned[:3]


def _peak(book, path) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        imp(book, "interactions", path, dry_run=True)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.sqlite_only
def test_memory_does_not_grow_with_the_file(book, tmp_path, monkeypatch):
    monkeypatch.setattr(import_run, "CHUNK_ROWS", 500)
    imp(book, "accounts", put(tmp_path, _accounts(3), name="a.csv"))

    def interactions(n: int, name: str):
        with (tmp_path / name).open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["account", "day", "kind", "summary", "notes"])
            for i in range(n):
                w.writerow([f"A{i % 3}", "2026-01-05", "call", f"call {i}", "n" * 300 + str(i)])
        return tmp_path / name

    small, large = interactions(2_000, "small.csv"), interactions(8_000, "large.csv")
    _peak(book, small)  # warm caches (compiled statements, parsers) before measuring
    ratio = _peak(book, large) / _peak(book, small)
    # Holding every row (the old importer) makes this about 4; streaming keeps it near 1.
    assert ratio < 1.6, ratio


def test_an_invalid_row_after_written_chunks_writes_nothing(book, tmp_path, small_chunks):
    before = dump(book)
    path = put(tmp_path, _accounts(300, {280: "A278,Account late,2025-13-45,100"}))
    r = imp(book, "accounts", path)
    assert r.written is False and r.rejected_rows == 1
    assert [e.line for e in r.rejected] == [280]
    assert r.created == 299  # what would have been created
    assert dump(book) == before


def test_a_runaway_quote_at_the_end_rolls_back_written_chunks(book, tmp_path, small_chunks):
    before = dump(book)
    path = put(tmp_path, _accounts(300, extra='A9999,"Never closed,2025-01-01,1\n'))
    with pytest.raises(BookError) as exc:
        imp(book, "accounts", path)
    assert "line 302" in exc.value.message and "quote" in exc.value.message
    assert dump(book) == before


def test_skip_invalid_streams_the_rejects_of_every_chunk(book, tmp_path, small_chunks):
    bad = {10: "A8,Bad one,someday,1", 120: "A118,,2025-01-01,1", 260: "A258,Bad three,x,1"}
    path = put(tmp_path, _accounts(300, bad))
    r = imp(book, "accounts", path, skip_invalid=True)
    assert r.written and r.created == 297 and r.rejected_rows == 3
    assert count(book, Account) == 297
    with r.rejects_path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][-2:] == ["line", "reason"]
    assert [row[4] for row in rows[1:]] == ["10", "120", "260"]
    assert oct(r.rejects_path.stat().st_mode & 0o777) == "0o600"


def test_skip_invalid_with_no_bad_row_writes_no_rejects_file(book, tmp_path, small_chunks):
    path = put(tmp_path, _accounts(120))
    r = imp(book, "accounts", path, skip_invalid=True)
    assert r.written and r.rejects_path is None
    assert not csvfile.rejects_path_for(path).exists()


def test_duplicates_are_found_across_chunks(book, tmp_path, small_chunks):
    path = put(
        tmp_path,
        _accounts(
            200, {150: "A3,Someone else,2025-01-01,1", 180: "A900,Account 00005,2025-01-01,1"}
        ),
    )
    r = imp(book, "accounts", path)
    assert r.written is False
    reasons = {e.line: e.reason for e in r.rejected}
    assert "already used on line 5" in reasons[150]
    assert "line 7" in reasons[180]  # the same name as Account 00005, on line 7


def test_a_new_contact_is_created_once_across_chunks(book, tmp_path, small_chunks):
    imp(book, "accounts", put(tmp_path, _accounts(2), name="a.csv"))
    lines = ["account,day,kind,summary,contact"]
    for i in range(180):
        lines.append(f"A{i % 2},2026-01-{1 + i % 28:02d},call,call {i},Priya Raman")
    r = imp(book, "interactions", put(tmp_path, "\n".join(lines) + "\n"))
    assert r.written and r.created == 180
    assert count(book, Contact) == 2  # one Priya per account, not one per chunk
    assert count(book, Interaction) == 180
    # Importing it again changes nothing: every row finds its record.
    again = imp(book, "interactions", put(tmp_path, "\n".join(lines) + "\n", name="b.csv"))
    assert (again.unchanged, again.created, count(book, Contact)) == (180, 0, 2)


def test_subscriptions_in_several_chunks_derive_mrr_once_from_all(book, tmp_path, small_chunks):
    imp(book, "accounts", put(tmp_path, "external_id,name\nA1,Acme\nA2,Globex\n", name="a.csv"))
    lines = ["subscription_id,account_id,start_date,end_date,mrr_amount"]
    for i in range(150):
        # Acme's subscriptions are spread over all three chunks.
        acc = "A1" if i % 3 == 0 else "A2"
        lines.append(f"S{i},{acc},2025-01-01,,10")
    r = imp(book, "subscriptions", put(tmp_path, "\n".join(lines) + "\n"))
    assert r.written and r.created == 150
    from datetime import date

    assert mrr(book, "Acme", date(2026, 1, 1)) == 500
    assert mrr(book, "Globex", date(2026, 1, 1)) == 1000
    assert count(book, MrrLevel) >= 2


def test_the_report_keeps_the_first_problems_and_counts_them_all(
    book, cli, tmp_path, small_chunks, monkeypatch
):
    monkeypatch.setattr(import_run, "MAX_KEPT_PROBLEMS", 5)
    bad = {line: f"A{line},Bad {line},notadate,1" for line in range(2, 122, 4)}  # 30 rows
    path = put(tmp_path, _accounts(130, bad))
    r = imp(book, "accounts", path)
    assert len(r.rejected) == 5 and r.problems == 30 and r.rejected_rows == 30
    js = r.as_json()
    assert js["rejected_truncated"] is True and js["rejected_rows"] == 30
    out = cli("import", "accounts", str(path))
    assert out.code != 0 and "30 of 130" in out.err.replace(",", ""), out.err
    assert "and 10 more" in out.err  # 20 shown of the 30
    assert count(book, Account) == 0


def test_a_dry_run_streams_too_and_reports_like_the_import(book, tmp_path, small_chunks):
    path = put(tmp_path, _accounts(230))
    dry = imp(book, "accounts", path, dry_run=True)
    assert (dry.created, dry.rows, dry.written) == (230, 230, False)
    assert count(book, Account) == 0
    real = imp(book, "accounts", path)
    assert (real.created, real.planned) == (dry.created, dry.planned)
    assert json.dumps(real.as_json())  # serialisable
