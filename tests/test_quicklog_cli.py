"""`bookkeeper log` and the account name: a typo never writes to another account (issue 12)."""

from __future__ import annotations

import pytest

AS_OF = "2026-11-24"


@pytest.fixture
def two(cli):
    for name in ("Globex Ltd", "Radiantfield Energy"):
        r = cli("add", name, "--tier", "smb", "--start", "2026-01-01")
        assert r.code == 0, r.err
    return cli


def _timeline(cli, name: str) -> list:
    r = cli("show", name, "--json", "--as-of", AS_OF)
    assert r.code == 0, r.err
    return [e for e in r.json()["timeline"] if e["type"] == "interaction"]


def test_close_spelling_is_refused_and_saves_nothing(two):
    before = _timeline(two, "Globex Ltd"), _timeline(two, "Radiantfield Energy")
    r = two("log", 'glbex call "left voicemail"', "--as-of", AS_OF)
    assert r.code == 2, (r.out, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "did you mean Globex Ltd?" in lines[0], r.err
    assert "--yes" in lines[0] and "nothing was saved" in lines[0]
    assert "Saved" not in r.out
    assert (_timeline(two, "Globex Ltd"), _timeline(two, "Radiantfield Energy")) == before


def test_close_spelling_with_yes_is_saved(two):
    r = two("log", 'glbex call "left voicemail"', "--yes", "--as-of", AS_OF, "--json")
    assert r.code == 0, r.err
    assert r.json()["account"] == "Globex Ltd"
    assert [e["summary"] for e in _timeline(two, "Globex Ltd")] == ["left voicemail"]


@pytest.mark.parametrize(
    "line",
    [
        'globex call "left voicemail"',
        'GLOBEX LTD call "left voicemail"',
        'glob call "left voicemail"',
    ],
)
def test_exact_and_prefix_names_log_as_before(two, line):
    r = two("log", line, "--as-of", AS_OF)
    assert r.code == 0, r.err
    assert [e["summary"] for e in _timeline(two, "Globex Ltd")] == ["left voicemail"]


@pytest.mark.parametrize(
    "args",
    [
        ('radiantfield energy call "left voicemail"',),
        ("radiantfield", "energy", "call", "left voicemail"),
        ('radiantfield ener call "left voicemail"',),
    ],
)
def test_multi_word_account_name(two, args):
    r = two("log", *args, "--as-of", AS_OF)
    assert r.code == 0, r.err
    assert "Radiantfield Energy" in r.out
    assert [e["summary"] for e in _timeline(two, "Radiantfield Energy")] == ["left voicemail"]
