"""The one terminal cleaner (core/text.py) and every CLI path that echoes user or file
text through it (issue 13, point 7): no ESC, CSI or other control byte reaches the
terminal, and the user can see that something was there."""

from __future__ import annotations

from datetime import date

import pytest

from bookkeeper_tui.core.text import printable

CSI_RED = "\x1b[31m"
OSC_TITLE = "\x1b]0;pwned\x07"


def raw_controls(text: str) -> list[str]:
    """C0 controls (but the line break), DEL, C1 controls and bidi controls in *text*."""
    bidi = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    return sorted(
        {
            f"U+{ord(c):04X}"
            for c in text
            if (c != "\n" and (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F)) or c in bidi
        }
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (None, ""),
        ("", ""),
        ("Acme Corp", "Acme Corp"),
        ("Acme\x1b[31mRed", "Acme\\x1b[31mRed"),
        (OSC_TITLE, "\\x1b]0;pwned\\x07"),
        ("csi \x9b2J", "csi \\x9b2J"),
        ("del\x7f nul\x00", "del\\x7f nul\\x00"),
        ("next\x85line", "next\\x85line"),
        ("a\tb", "a b"),
        ("two\nlines\r\n", "two\\nlines\\r\\n"),
        ("abc \u202eevil\u202c", "abc \\u202eevil\\u202c"),
        ("iso \u2066x\u2069 lrm\u200e", "iso \\u2066x\\u2069 lrm\\u200e"),
        ("sep\u2028arator", "sep\\u2028arator"),
        ("lone \ud800", "lone \\ud800"),
        # a byte that was not UTF-8 (Python's surrogateescape, e.g. in argv): the byte
        ("byte \udc9b", "byte \\x9b"),
        # kept: other scripts, RTL letters, combining marks, emoji with joiners, odd spaces
        ("שלום مرحبا Ωmega", "שלום مرحبا Ωmega"),
        ("Z\u0336a\u0301 👩\u200d👧 🏳️\u200d🌈", "Z\u0336a\u0301 👩\u200d👧 🏳️\u200d🌈"),
        ("no\u00a0break\u3000wide", "no\u00a0break\u3000wide"),
    ],
)
def test_printable_shows_controls_as_visible_escapes(text, shown):
    assert printable(text) == shown
    assert not raw_controls(printable(text))


@pytest.mark.parametrize(
    ("text", "mark", "newlines", "shown"),
    [
        ("a\x1b[2Jb", "\ufffd", False, "a\ufffd[2Jb"),
        ("a\x1b[2Jb\u202e", "", False, "a[2Jb"),
        ("one\r\ntwo\nthree\x07", "?", True, "one\ntwo\nthree?"),
        ("one\ntwo", "?", False, "one?two"),
        ("one\r\ntwo\x1b", None, True, "one\ntwo\\x1b"),
    ],
)
def test_printable_marks_and_line_breaks(text, mark, newlines, shown):
    assert printable(text, mark=mark, newlines=newlines) == shown


def test_printable_with_a_mark_keeps_the_length():
    text = "note \x1b[31mred\x1b[0m \x9b2J \x07\x08\u202e \udc80 " + "مرحبا"
    assert len(printable(text, mark="\ufffd")) == len(text)


def test_the_other_cleaners_delegate_to_it():
    from bookkeeper_tui.cli import _clean
    from bookkeeper_tui.io.calendar import clean_text
    from bookkeeper_tui.widgets.render import safe

    hostile = f"Acme\u00a0{CSI_RED}{OSC_TITLE}\u202e\u200e\tx"
    assert _clean(hostile) == printable(hostile)
    assert safe(hostile) == printable(hostile, mark="\ufffd")
    assert clean_text(hostile) == "Acme [31m]0;pwned x"


# -- every CLI path that echoes user or file text -------------------------------------------
def assert_no_raw_controls(r) -> None:
    assert not raw_controls(r.out), f"stdout: {raw_controls(r.out)} in {r.out!r}"
    assert not raw_controls(r.err), f"stderr: {raw_controls(r.err)} in {r.err!r}"


@pytest.mark.parametrize("evil", [CSI_RED, OSC_TITLE, "\x9b2J", "\u202e"])
def test_add_says_the_name_it_added_safely(cli, evil):
    r = cli("add", f"Evil{evil} Corp", "--start", "2025-01-01", "--mrr", "100")
    assert r.code == 0, r.err
    assert_no_raw_controls(r)
    assert r.out.startswith("Added Evil")
    assert "\\x" in r.out or "\\u" in r.out


def _csv(tmp_path, text: str):
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_dry_run_shows_hostile_headers_safely(cli, tmp_path):
    path = _csv(
        tmp_path,
        f"name,start,Notes{CSI_RED},{OSC_TITLE}x\nAcme,2025-01-01,a,b\n",
    )
    r = cli("import", "accounts", str(path), "--dry-run")
    assert r.code == 0, r.err
    assert_no_raw_controls(r)
    assert "Not imported: Notes\\x1b[31m, \\x1b]0;pwned\\x07x." in r.out


def test_import_dry_run_shows_a_hostile_mapped_column_and_set_value_safely(cli, tmp_path):
    path = _csv(tmp_path, f"Company{CSI_RED},start\nAcme,2025-01-01\n")
    r = cli(
        "import", "accounts", str(path), "--dry-run",
        "--map", f"name=Company{CSI_RED}", "--set", f"industry=Retail{OSC_TITLE}",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert_no_raw_controls(r)
    assert "name <- Company\\x1b[31m" in r.out and "Retail\\x1b]0;pwned\\x07" in r.out


def test_import_errors_show_hostile_cells_safely(cli, tmp_path):
    path = _csv(
        tmp_path,
        f"name,start,tier\nAcme,2025-01-01,gold{CSI_RED}\nGlobex,03/04{OSC_TITLE},smb\n",
    )
    r = cli("import", "accounts", str(path))
    assert r.code == 2
    assert_no_raw_controls(r)
    assert "gold\\x1b[31m" in r.err and "\\x1b]0;pwned\\x07" in r.err


def test_import_skip_invalid_shows_hostile_cells_safely(cli, tmp_path):
    path = _csv(tmp_path, f"name,start,tier\nAcme,2025-01-01,smb\nBad,2025-01-01,x{CSI_RED}\n")
    r = cli("import", "accounts", str(path), "--skip-invalid")
    assert r.code == 0, r.err
    assert_no_raw_controls(r)
    assert "x\\x1b[31m" in r.out


@pytest.mark.parametrize(
    "option",
    [
        ("--map", f"name=Nope{CSI_RED}"),
        ("--map", f"nme{OSC_TITLE}=name"),
        ("--map", f"bad{CSI_RED}"),
        ("--set", f"industry{OSC_TITLE}=x"),
    ],
    ids=["map-column", "map-field", "map-shape", "set-field"],
)
def test_map_and_set_errors_show_hostile_text_safely(cli, tmp_path, option):
    path = _csv(tmp_path, f"name,start,Other{CSI_RED}\nAcme,2025-01-01,x\n")
    r = cli("import", "accounts", str(path), *option)
    assert r.code == 2
    assert_no_raw_controls(r)
    assert "\\x1b" in r.err


def test_unknown_config_keys_are_named_safely(cli, tmp_path, monkeypatch):
    cfg = tmp_path / "config.toml"
    # TOML has no raw control characters, but its escapes make them: "\u001b".
    cfg.write_text('"me\\u001b[31m" = 1\n', encoding="utf-8")
    monkeypatch.setenv("BOOKKEEPER_CONFIG", str(cfg))
    r = cli("accounts")
    assert r.code == 2
    assert_no_raw_controls(r)
    assert "me\\x1b[31m" in r.err


def test_unknown_nested_config_key_is_named_safely(cli, tmp_path, monkeypatch):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[health]\n"x\\u001b]0;pwned\\u0007\\u009b" = 2\n', encoding="utf-8")
    monkeypatch.setenv("BOOKKEEPER_CONFIG", str(cfg))
    r = cli("accounts")
    assert r.code == 2
    assert_no_raw_controls(r)
    assert "x\\x1b]0;pwned\\x07\\x9b" in r.err


def test_log_and_its_errors_show_hostile_text_safely(cli, book):
    book.add_account(f"Evil{CSI_RED} Corp", None, date(2025, 1, 1), mrr=100)
    book.close()
    r = cli("log", "evil", "call", f'"hi {OSC_TITLE}"', "--as-of", "2026-01-05")
    assert r.code == 0, r.err
    assert_no_raw_controls(r)
    r = cli("log", f"nobody{OSC_TITLE}", "call", "--as-of", "2026-01-05")
    assert r.code == 2
    assert_no_raw_controls(r)


def test_show_unknown_account_error_is_safe(cli, book):
    book.add_account("Acme", None, date(2025, 1, 1), mrr=100)
    book.close()
    r = cli("show", f"Nobody{CSI_RED}")
    assert r.code == 2
    assert_no_raw_controls(r)


def test_export_to_a_hostile_file_name_is_said_safely(cli, book, tmp_path):
    book.add_account("Acme", None, date(2025, 1, 1), mrr=100)
    book.close()
    out = tmp_path / f"out{CSI_RED}.csv"
    r = cli("export", "accounts", "-o", str(out))
    assert r.code == 0, r.err
    assert_no_raw_controls(r)
    assert out.is_file()


# -- JSON output: lossless, and still nothing raw ---------------------------------------------
JSON_EVIL = f"Evil{CSI_RED} \x9b2J \x7f \u202eabc\u2066 Ωmega 😀"


def test_json_output_escapes_every_control_and_keeps_the_data(cli, book):
    book.add_account(JSON_EVIL, None, date(2025, 1, 1), mrr=100)
    book.close()
    for args in (("show", "evil", "--json"), ("accounts", "--json")):
        r = cli(*args)
        assert r.code == 0, r.err
        assert_no_raw_controls(r)
        assert "\\u009b" in r.out and "\\u202e" in r.out
    assert cli("show", "evil", "--json").json()["name"] == JSON_EVIL
    r = cli("export", "accounts", "--format", "json")
    assert r.code == 0, r.err
    assert_no_raw_controls(r)
    assert r.json()[0]["name"] == JSON_EVIL


def test_the_pattern_and_the_rule_agree_on_every_bmp_character():
    from bookkeeper_tui.core.text import JSON_RAW_UNSAFE, is_unsafe

    for code in range(0x10000):
        ch = chr(code)
        assert bool(ch < " " or JSON_RAW_UNSAFE.match(ch)) == is_unsafe(ch), f"U+{code:04X}"


def test_command_line_bytes_that_are_not_utf8_are_bad_input(cli, book):
    """bash's $'\\x9b' is the byte 0x9b, not UTF-8: Python keeps it as U+DC9B, which no
    database can store. Exit 2 with the byte shown, not an 'unexpected error'."""
    book.add_account("Evil Corp", None, date(2025, 1, 1), mrr=100)
    book.close()
    r = cli("log", "evil", "call", '"hi \udc9b2J"', "--as-of", "2026-01-05")
    assert r.code == 2, r.err
    assert_no_raw_controls(r)
    # The argument check names it with the byte shown (as \x9b or as the replacement mark).
    assert "UTF-8" in r.err and "unexpected" not in r.err
    assert "hi \\x9b2J" in r.err or "hi \ufffd2J" in r.err
    r = cli("add", "A\udcff", "--start", "2025-01-01")
    assert r.code == 2 and ("A\\xff" in r.err or "A\ufffd" in r.err)
