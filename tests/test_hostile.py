"""Hostile input everywhere: every input ends in a result or a clear error, nothing crashes,
nothing partial is written, and user text never reaches the terminal raw.

Complements the fuzzing in test_quicklog.py, test_config.py and test_import.py with what they
do not cover: hostile alphabets and 100k-character lines for the quick log, the date parsers,
every import kind on a non-empty book, the config loader on raw bytes, and display safety
(escape sequences, RTL, combining marks, emoji, very long text) on every screen and in the
CLI's plain output.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import SQLModel
from textual.widgets import Input

from bookkeeper_tui.config import Config, ConfigError, load_config
from bookkeeper_tui.core import vocab
from bookkeeper_tui.core.quicklog import QuickLog, QuickLogError, parse_quicklog
from bookkeeper_tui.io.fields import KINDS
from bookkeeper_tui.io.importer import Bad, import_file, parse_date
from bookkeeper_tui.store.book import Book, BookError, parse_iso
from bookkeeper_tui.store.models import Contact, Interaction, Touchpoint
from tests.conftest import TODAY, settle

FUNCTION_FIXTURE = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

#: Characters that make text hard to handle: controls (C0, DEL, C1), bidi overrides,
#: right-to-left scripts, combining marks, emoji with joiners, odd spaces, surrogates' kin.
HOSTILE_CHARS = (
    "\x00\x01\x07\x08\t\n\r\x1b\x7f\x85\x9b\x9c"
    "\u200b\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2069\u2028\u2029\ufeff"
    "שלוםمرحبا"
    "\u0301\u0308\u0336\u20dd"
    "🚀👩‍👧🏳️‍🌈"
    "\u00a0\u3000"
)
hostile_text = st.text(
    alphabet=st.sampled_from(HOSTILE_CHARS) | st.characters(codec="utf-8"), max_size=80
)
QUICKLOG_WORDS = st.sampled_from(
    [*vocab.QUICKLOG_KINDS, "nps", "9", "mrr", "1500", "with", "next", "+2w", "@", "#x", '"']
)
NAMES = ["Acme Corp", "Globex", "Initech"]


# -- the quick-log parser ------------------------------------------------------------------
def _check_quicklog(line: str) -> None:
    try:
        result = parse_quicklog(line, NAMES, TODAY)
    except QuickLogError as exc:
        assert exc.message and "please report this bug" not in exc.message
        if exc.start is not None:
            assert exc.end is not None and 0 <= exc.start < exc.end <= len(line)
    else:
        assert isinstance(result, QuickLog)
        assert result.account in NAMES


@settings(max_examples=500, deadline=None)
@given(
    line=st.lists(
        hostile_text | QUICKLOG_WORDS | st.sampled_from(NAMES), min_size=1, max_size=10
    ).map(" ".join)
)
def test_quicklog_hostile_text_is_a_result_or_a_quicklog_error(line):
    _check_quicklog(line)


@settings(max_examples=20, deadline=None)
@given(
    head=st.sampled_from(["", "acme call ", "globex qbr nps 9 ", 'initech note "']),
    unit=st.text(alphabet=HOSTILE_CHARS + "ab \"'#@", min_size=1, max_size=8),
)
def test_quicklog_100k_character_lines(head, unit):
    line = head + unit * (100_000 // len(unit) + 1)
    assert len(line) >= 100_000
    _check_quicklog(line)


# -- date parsing (CLI and importer) ---------------------------------------------------------
DATEISH = st.one_of(
    st.text(max_size=30),
    hostile_text,
    st.dates().map(date.isoformat),
    st.from_regex(
        r"\d{1,5}[-/.]\d{1,3}[-/.]\d{1,5}([T ]\d{1,2}:\d{2}(:\d{2})?Z?)?", fullmatch=True
    ),
)


@settings(max_examples=600, deadline=None)
@given(text=DATEISH)
def test_parse_iso_is_a_date_or_a_clear_book_error(text):
    try:
        day = parse_iso(text, "--as-of")
    except BookError as exc:
        assert exc.message.startswith("--as-of '") and "YYYY-MM-DD" in exc.message
    else:
        assert isinstance(day, date)
        assert day.isoformat() == text.strip() or date.fromisoformat(text.strip()) == day


@settings(max_examples=600, deadline=None)
@given(text=DATEISH)
def test_importer_parse_date_is_a_date_or_bad(text):
    try:
        day = parse_date(text)
    except Bad as exc:
        assert str(exc) and "\n" not in str(exc).replace(text, "")
    else:
        assert isinstance(day, date)
        assert 1900 <= day.year <= 2200


# -- the CSV importer: every kind, on a book that already has data -----------------------------
def book_digest(book: Book) -> tuple[dict[str, int], str]:
    """Row counts per table and a hash of every row: 'the book exactly as it was'."""
    counts: dict[str, int] = {}
    digest = hashlib.sha256()
    with book.read() as s:
        for table in SQLModel.metadata.sorted_tables:
            pk = list(table.primary_key.columns)
            rows = [tuple(r) for r in s.execute(select(table).order_by(*pk))]
            counts[table.name] = len(rows)
            digest.update(repr((table.name, rows)).encode())
    return counts, digest.hexdigest()


@pytest.fixture
def small_book(book):
    book.add_account("Acme Corp", None, date(2025, 1, 1), mrr=1000, external_id="A1")
    book.add_account("Globex", "enterprise", date(2024, 6, 1), external_id="A2")
    book.log("acme call with Ann nps 9", TODAY)
    return book


def header_for(kind: str) -> st.SearchStrategy[list[str]]:
    names = [f.name for f in KINDS[kind]] + [s for f in KINDS[kind] for s in f.synonyms[:1]]
    return st.lists(st.sampled_from([*names, "junk", ""]) | hostile_text, min_size=1, max_size=7)


CELLS = st.sampled_from(
    ["A1", "A2", "Acme Corp", "Globex", "2025-02-30", "2026-01-01", "31/12/2025", "-5", "1e400",
     "nan", "yes", "", "enterprise", "call", "nps", "9", "x" * 300, "\x1b[2J", "\x00"]
) | hostile_text  # fmt: skip


@settings(max_examples=140, deadline=None, suppress_health_check=FUNCTION_FIXTURE)
@given(
    kind=st.sampled_from(sorted(KINDS)),
    data=st.data(),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_csvish_text_for_every_kind_is_a_report_and_failure_writes_nothing(
    small_book, tmp_path, kind, data, delimiter
):
    header = data.draw(header_for(kind))
    rows = data.draw(st.lists(st.lists(CELLS, max_size=8), max_size=6))
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(header)
    w.writerows(rows)
    path = tmp_path / "hostile.csv"
    path.write_text(buf.getvalue(), encoding="utf-8", errors="surrogatepass")
    before = book_digest(small_book)
    try:
        report = import_file(small_book, kind, path, today=TODAY)
    except BookError as exc:
        assert exc.message and "Traceback" not in exc.message
        assert book_digest(small_book) == before
        return
    if not report.written:
        assert report.rejected, "an import that wrote nothing says why"
        assert book_digest(small_book) == before
    for e in report.rejected:
        assert e.line >= 2 and e.reason  # each error names its line


#: One valid row per kind (on small_book); the fuzz corrupts some cells of some rows.
GOOD_ROWS = {
    "accounts": {"name": "New Co", "start": "2026-01-01", "mrr": "100", "tier": "smb"},
    "contacts": {"account": "A1", "name": "Bea", "role": "champion"},
    "subscriptions": {"account": "A2", "start": "2026-01-01", "mrr": "900"},
    "interactions": {"account": "Acme Corp", "date": "2026-11-01", "summary": "hi"},
    "scores": {"account": "A1", "date": "2026-11-01", "kind": "nps", "value": "8"},
    "tickets": {"account": "A2", "opened": "2026-10-01", "csat": "4"},
    "usage": {"account": "A1", "date": "2026-11-01", "count": "3"},
}


@settings(max_examples=140, deadline=None, suppress_health_check=FUNCTION_FIXTURE)
@given(kind=st.sampled_from(sorted(KINDS)), data=st.data())
def test_valid_rows_beside_a_bad_one_are_not_written_alone(small_book, tmp_path, kind, data):
    """Mostly valid files with hostile cells: all rows are written, or none."""
    good = GOOD_ROWS[kind]
    header = list(good)
    n = data.draw(st.integers(1, 5))
    rows = []
    for i in range(n):
        row = dict(good)
        if kind == "accounts":
            row["name"] = f"New Co {i}"
        for key in data.draw(st.sets(st.sampled_from(header), max_size=2)):
            row[key] = data.draw(CELLS)
        rows.append([row[k] for k in header])
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *rows])
    path = tmp_path / "mostly-good.csv"
    path.write_text(buf.getvalue(), encoding="utf-8", errors="surrogatepass")
    before = book_digest(small_book)
    try:
        report = import_file(small_book, kind, path, today=TODAY)
    except BookError as exc:
        assert exc.message
        assert book_digest(small_book) == before
        return
    if report.rejected:
        assert not report.written
        # A value with a line break is quoted and spans lines: the line named is the
        # record's physical line in the file, so only its lower bound is fixed.
        assert all(e.line >= 2 and e.reason for e in report.rejected)
        assert book_digest(small_book) == before
    else:
        assert report.written


@settings(max_examples=80, deadline=None, suppress_health_check=FUNCTION_FIXTURE)
@given(kind=st.sampled_from(sorted(KINDS)), blob=st.binary(max_size=600))
def test_random_bytes_on_a_non_empty_book_write_nothing(small_book, tmp_path, kind, blob):
    path = tmp_path / "bytes.csv"
    path.write_bytes(blob)
    before = book_digest(small_book)
    try:
        report = import_file(small_book, kind, path, today=TODAY)
    except BookError as exc:
        assert exc.message
    else:
        if report.written:
            return
        assert report.rejected
    assert book_digest(small_book) == before


# -- the config file --------------------------------------------------------------------------
@settings(max_examples=300, deadline=None, suppress_health_check=FUNCTION_FIXTURE)
@given(
    blob=st.binary(max_size=300) | hostile_text.map(lambda t: t.encode("utf-8", "surrogatepass"))
)
def test_config_file_of_random_bytes_is_a_config_or_config_error(tmp_path, blob):
    path = tmp_path / "config.toml"
    path.write_bytes(blob)
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        assert str(exc)
    else:
        assert isinstance(cfg, Config)


# -- display safety -----------------------------------------------------------------------
ESCAPES = ("\x1b[2J", "\x1b]52;c;aGk=\x07", "\x9b31m")
HOSTILE_NAMES = [
    "Evil \x1b[2J Corp",
    "Clip \x1b]52;c;aGk=\x07 Co",
    "Csi \x9b31m Ltd",
    "שלום עולם Ltd \u202eevil",
    "Zalgo Z\u0336a\u0301\u0308l\u0334g\u0335o\u20dd",
    "Emoji 🚀👩‍👩‍👧 Inc",
    "Long " + "ẅ" * 190,
]
HOSTILE_NOTE = "note \x1b[31mred\x1b[0m \x1b]52;c;aGk=\x07 \x9b2J \x07\x08 " + "مرحبا " * 50


def forbidden(text: str) -> list[str]:
    """C0 controls, DEL and C1 controls (ESC, CSI, BEL, ...) found in *text*."""
    return sorted({f"U+{ord(c):04X}" for c in text if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F})


def rendered_text(app) -> str:
    """Every character the current screen would send to the terminal (styles aside)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip if not seg.control) for strip in strips)


@pytest.fixture
def hostile_book(book):
    start = TODAY - timedelta(days=10)
    for i, name in enumerate(HOSTILE_NAMES):
        book.add_account(name, None, start, renewal=TODAY + timedelta(days=30), mrr=500 + i)
    _values, version = book.account_for_edit(HOSTILE_NAMES[0])
    book.update_account(
        HOSTILE_NAMES[0],
        {"owner": "\x1b[2J\x07own", "industry": "\x9b31m", "tags": "#\x1b[5mblink emoji🚀"},
        version,
    )
    with book.write() as s:
        for name in HOSTILE_NAMES:
            acc = book.find_account(s, name)
            contact = Contact(account_id=acc.id, name="Ann \x1b[2J\x07", name_key="ann")
            s.add(contact)
            s.flush()
            s.add(
                Interaction(
                    account_id=acc.id,
                    contact_id=contact.id,
                    kind="call",
                    day=TODAY - timedelta(days=1),
                    summary="hello \x1b]52;c;aGk=\x07 \x9b31m",
                    notes=HOSTILE_NOTE,
                    tags="\x1b[2Jtag",
                )
            )
            s.add(Touchpoint(account_id=acc.id, kind="check_in", due=TODAY, note=HOSTILE_NOTE))
    book.sync(TODAY)
    return book


def assert_clean(app, where: str) -> None:
    text = rendered_text(app)
    assert text.strip(), f"{where}: nothing rendered"
    lines = [line for line in text.split("\n") if forbidden(line)]
    assert not lines, (
        f"{where}: control characters from user data reached the screen: "
        f"{forbidden(''.join(lines))} in {lines[0]!r}"
    )


async def test_hostile_text_never_reaches_the_terminal_raw(hostile_book, make_app):
    from bookkeeper_tui.screens.account import AccountScreen

    app = make_app(hostile_book, poll_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = rendered_text(app)
        assert "Evil" in text and "Clip" in text  # the hostile accounts are on Today
        assert_clean(app, "Today")
        await pilot.press("b")
        await settle(pilot)
        assert "Csi" in rendered_text(app)
        assert_clean(app, "Book")
        for name in HOSTILE_NAMES:
            app.open_account(name)
            await settle(pilot)
            assert isinstance(app.screen, AccountScreen)
            assert app.screen.data is not None and app.screen.data.detail is not None
            assert_clean(app, f"account {name!r}")
            # The highlighted timeline entry in full, the interaction with its notes.
            await pilot.press("end")
            await settle(pilot)
            assert "hello" in rendered_text(app)
            assert_clean(app, f"account {name!r} timeline")
            await pilot.press("escape")
            await settle(pilot)


def widget_text(app, selector: str) -> str:
    """What the terminal shows inside one widget's region."""
    region = app.screen.query_one(selector).region
    strips = app.screen._compositor.render_strips()
    return "\n".join(
        "".join(seg.text for seg in strip.crop(region.x, region.right) if not seg.control)
        for strip in strips[region.y : region.bottom]
    )


def assert_widget_clean(app, selector: str, where: str) -> str:
    text = widget_text(app, selector)
    lines = [line for line in text.split("\n") if forbidden(line)]
    assert not lines, f"{where}: raw control characters {forbidden(lines[0])} in {lines[0]!r}"
    return text


QUICK_LINES = [
    pytest.param('{name} call with Ann \x1b[2J nps 9 "{note}"', id="summary-contact"),
    pytest.param("\x1b]52;c;aGk=\x07 nobody \x1b[2J", id="error-quoting-it"),
    pytest.param("{name} call #\x9b1m", id="tag"),
]


@pytest.mark.parametrize("line", QUICK_LINES)
async def test_quick_log_preview_shows_hostile_text_safely(hostile_book, make_app, line):
    from bookkeeper_tui.screens.quick_log import QuickLogScreen

    app = make_app(hostile_book, poll_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, QuickLogScreen)
        for name in HOSTILE_NAMES[:3]:
            app.screen.query_one(Input).value = line.format(name=name, note=HOSTILE_NOTE)
            await settle(pilot)
            shown = "".join(
                assert_widget_clean(app, f"#quick-log-{part}", f"quick-log {part} {name!r}")
                for part in ("preview", "error", "candidates")
            )
            assert shown.strip()


async def test_quick_log_input_shows_a_hostile_name_safely(hostile_book, make_app):
    app = make_app(hostile_book, poll_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_account(HOSTILE_NAMES[0])
        await settle(pilot)
        await pilot.press("enter")  # log a call for this account: the name is prefilled
        await settle(pilot)
        assert type(app.screen).__name__ == "QuickLogScreen"
        assert_widget_clean(app, "#quick-log-input", "quick-log input, prefilled")


async def test_edit_form_shows_hostile_values_safely(hostile_book, make_app):
    app = make_app(hostile_book, poll_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_account(HOSTILE_NAMES[0])
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert type(app.screen).__name__ == "EditAccountScreen"
        assert_clean(app, "edit form")
        # Someone saves hostile values meanwhile: the conflict question shows them safely.
        other = Book.open(hostile_book.location)
        _, version = other.account_for_edit(HOSTILE_NAMES[0])
        other.update_account(
            HOSTILE_NAMES[0], {"owner": "\x9b2J", "tags": "\x1b[2Jx \x07y"}, version
        )
        other.close()
        app.screen.query_one("#industry", Input).focus()
        await pilot.press("end", "x")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen.query_one("#conflict").display
        assert_clean(app, "edit form conflict")


@pytest.mark.parametrize(
    "args",
    [
        ("today", "--as-of", TODAY.isoformat()),
        ("accounts",),
        *(("show", name) for name in HOSTILE_NAMES),
    ],
    ids=lambda a: a[0] if isinstance(a, tuple) else str(a),
)
def test_cli_plain_output_has_no_raw_escapes(hostile_book, cli, args):
    hostile_book.close()
    r = cli(*args)
    assert r.code == 0, r.err
    assert r.out.strip()
    bad = sorted({f"U+{ord(c):04X}" for c in r.out if c != "\n" and forbidden(c)})
    assert not bad, f"`bookkeeper {' '.join(args)}` printed raw control characters: {bad}"
    bad_err = [c for c in r.err if c != "\n" and forbidden(c)]
    assert not bad_err


def test_cli_json_escapes_but_keeps_the_data(hostile_book, cli):
    hostile_book.close()
    r = cli("show", HOSTILE_NAMES[0], "--json")
    assert r.code == 0, r.err
    assert "\x1b" not in r.out and "\\u001b" in r.out
    assert r.json()["name"] == HOSTILE_NAMES[0]  # the data itself is kept, exactly


# -- files: permissions, literal paths, empty paths (issue 13, point 6) -------------------
def _mode(path) -> int:
    import os
    import stat

    return stat.S_IMODE(os.stat(path).st_mode)


def test_rejects_file_is_private(book, cli, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text("name,start\nGood,2025-01-01\nBad,03/04/2025\n", encoding="utf-8")
    r = cli("import", "accounts", str(path), "--skip-invalid")
    assert r.code == 0, r.err
    assert _mode(tmp_path / "accounts.rejects.csv") == 0o600


def test_book_behind_a_dangling_symlink_is_created_private(tmp_path, capsys):
    import os

    from bookkeeper_tui.cli import main

    target = tmp_path / "real.db"
    link = tmp_path / "link.db"
    os.symlink(target, link)
    assert main(["accounts", "--db", str(link)]) == 0, capsys.readouterr().err
    assert target.is_file() and _mode(target) == 0o600


@pytest.mark.parametrize("name", ["q?mode=ro.db", "a#b.db", "x%20y.db", "p?cache=shared&x=1.db"])
def test_db_path_is_taken_literally(tmp_path, capsys, monkeypatch, name):
    from bookkeeper_tui.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["accounts", "--db", name]) == 0, capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".db"] == [name]
    assert _mode(tmp_path / name) == 0o600
    b = Book.open(str(tmp_path / name))
    try:
        b.add_account("Acme Corp", "smb", TODAY)
    finally:
        b.close()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".db"] == [name]


def test_empty_db_path_is_refused(tmp_path, capsys, monkeypatch):
    from bookkeeper_tui.cli import main

    monkeypatch.setenv("BOOKKEEPER_DB", str(tmp_path / "env.db"))
    assert main(["accounts", "--db", ""]) == 2
    err = capsys.readouterr().err
    assert "--db" in err and "empty" in err
    assert not (tmp_path / "env.db").exists()
