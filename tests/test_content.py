"""Touchpoint content: a checklist and talk track per planned kind, plays by band, config."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bookkeeper_tui.config import DEFAULT, ConfigError, LoopConfig, PlaybookConfig, parse_config
from bookkeeper_tui.core.content import (
    DEFAULT_CONTENT,
    DEFAULT_PLAYS,
    MAX_ITEM_CHARS,
    clean_ticked,
    dump_ticked,
    guide,
    load_ticked,
)
from bookkeeper_tui.core.loop import score_touchpoints
from bookkeeper_tui.core.playbook import playbook_touchpoints
from bookkeeper_tui.core.vocab import BANDS, QUICKLOG_KINDS, TOUCHPOINT_KINDS

START = date(2025, 1, 15)


def planned_kinds() -> set[str]:
    """Every kind the playbook and the closed loop can plan, found by planning them."""
    kinds: set[str] = set()
    window = (START, START + timedelta(days=800))
    for tier in ("enterprise", "mid-market", "smb"):
        for renewal in (None, date(2026, 1, 15)):
            for p in playbook_touchpoints(tier, START, renewal, window, PlaybookConfig()):
                kinds.add(p.kind)
    loop = LoopConfig()
    for kind, value in (("nps", 2), ("nps", 10), ("csat", 1)):
        kinds |= {p.kind for p in score_touchpoints(kind, value, START, "k", loop)}
    kinds.add("intervention")  # planned when health falls into red (store/book/sync.py)
    return kinds


def test_every_planned_kind_has_a_checklist_and_a_talk_track() -> None:
    kinds = planned_kinds() | (set(TOUCHPOINT_KINDS) - set(QUICKLOG_KINDS))
    assert {"welcome", "check_in", "mini_qbr", "qbr", "expansion", "renewal"} <= kinds
    assert {"follow_up", "resolution_check", "referral_ask", "intervention"} <= kinds
    for kind in sorted(kinds):
        c = DEFAULT_CONTENT.get(kind)
        assert c is not None, f"no content for the planned touchpoint kind {kind!r}"
        assert 3 <= len(c.checklist) <= 6, kind
        sentences = [s for s in c.talk.replace("?", ".").split(".") if s.strip()]
        assert 2 <= len(sentences) <= 4, (kind, c.talk)
        assert c.name
        assert all(len(i) <= MAX_ITEM_CHARS and i == i.strip() for i in c.checklist)
        assert len(set(c.checklist)) == len(c.checklist)


def test_every_touchpoint_kind_can_be_configured() -> None:
    assert set(DEFAULT_CONTENT) == set(TOUCHPOINT_KINDS)
    assert set(DEFAULT_PLAYS) == set(BANDS)


@pytest.mark.parametrize(
    ("band", "expect"),
    [
        ("green", "referral"),
        ("yellow", "training"),
        ("red", "save plan"),
    ],
)
def test_the_band_play_is_added_to_the_touchpoint(band: str, expect: str) -> None:
    g = guide("qbr", band)
    assert g.items[: len(DEFAULT_CONTENT["qbr"].checklist)] == DEFAULT_CONTENT["qbr"].checklist
    assert g.play is DEFAULT_PLAYS[band]
    assert any(expect in i.lower() for i in g.items[len(DEFAULT_CONTENT["qbr"].checklist) :])
    assert g.as_json()["play"]["band"] == band


def test_plays_are_named_as_the_issue_says() -> None:
    assert DEFAULT_PLAYS["green"].name == "advocacy ask"
    assert DEFAULT_PLAYS["yellow"].name == "nurture"
    assert DEFAULT_PLAYS["red"].name == "executive outreach / save plan"


def test_no_band_no_play_and_a_free_kind_gets_only_the_play() -> None:
    assert guide("welcome", None).play is None
    assert guide("welcome", None).items == DEFAULT_CONTENT["welcome"].checklist
    free = guide("call", "red")
    assert free.items == DEFAULT_PLAYS["red"].checklist
    assert guide("call", None).empty
    assert guide("no-such-kind", "green").items == DEFAULT_PLAYS["green"].checklist


def test_an_item_in_both_the_touchpoint_and_the_play_is_listed_once() -> None:
    cfg = parse_config(
        '[content.qbr]\nchecklist = ["Agenda sent", "Risks"]\n'
        '[plays.red]\nchecklist = ["Risks", "Exec sponsor"]\n'
    )
    assert guide("qbr", "red", cfg.content, cfg.plays).items == (
        "Agenda sent",
        "Risks",
        "Exec sponsor",
    )


# -- config ------------------------------------------------------------------------------
def test_defaults_are_in_the_config() -> None:
    assert DEFAULT.content == DEFAULT_CONTENT
    assert DEFAULT.plays == DEFAULT_PLAYS


def test_config_overrides_a_kind_and_keeps_the_rest() -> None:
    cfg = parse_config(
        "[content.qbr]\n"
        'checklist = ["Agenda sent", "Exec sponsor present"]\n'
        'talk = "Open with their goals."\n'
        "[content.call]\n"
        'checklist = ["Notes sent"]\n'
        "[plays.green]\n"
        'talk = "Ask for a case study."\n'
    )
    assert cfg.content["qbr"].checklist == ("Agenda sent", "Exec sponsor present")
    assert cfg.content["qbr"].talk == "Open with their goals."
    assert cfg.content["qbr"].name == DEFAULT_CONTENT["qbr"].name
    assert cfg.content["welcome"] == DEFAULT_CONTENT["welcome"]
    assert cfg.content["call"].checklist == ("Notes sent",)
    assert cfg.plays["green"].talk == "Ask for a case study."
    assert cfg.plays["green"].checklist == DEFAULT_PLAYS["green"].checklist
    g = guide("qbr", "green", cfg.content, cfg.plays)
    assert g.items[:2] == ("Agenda sent", "Exec sponsor present")


def test_an_empty_checklist_switches_it_off() -> None:
    cfg = parse_config('[plays.red]\nchecklist = []\ntalk = ""\n')
    assert guide("qbr", "red", cfg.content, cfg.plays).play is None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[content.demo]\ntalk = 'x'\n", "content.demo"),
        ("[content.qbr]\nscript = 'x'\n", "content.qbr.script"),
        ("[plays.blue]\ntalk = 'x'\n", "plays.blue"),
        ("[plays.red]\nitems = []\n", "plays.red.items"),
        ("[content.qbr]\nchecklist = 'agenda'\n", "content.qbr.checklist"),
        ("[content.qbr]\nchecklist = [1, 2]\n", "content.qbr.checklist"),
        ("[content.qbr]\ntalk = 5\n", "content.qbr.talk"),
        ("[content.qbr]\ntalk = ['a']\n", "content.qbr.talk"),
        ("[plays.green]\nname = true\n", "plays.green.name"),
        ("content = 5\n", "content"),
        ("[content]\nqbr = 'agenda'\n", "content.qbr"),
        ("[plays]\nred = 3\n", "plays.red"),
    ],
)
def test_bad_content_config_names_the_key(text: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert f"'{key}'" in str(err.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[content.qbr]\nchecklist = ["ok", " "]\n', "content.qbr.checklist item 2 is empty"),
        (
            f'[content.qbr]\nchecklist = ["{"x" * 200}"]\n',
            "content.qbr.checklist item 1 is longer than",
        ),
        ('[plays.red]\nchecklist = ["A", "a"]\n', "plays.red.checklist lists 'a' twice"),
        (f'[plays.red]\ntalk = "{"x" * 900}"\n', "plays.red.talk is longer than"),
        (
            "[content.welcome]\nchecklist = [" + ", ".join(f'"i{n}"' for n in range(13)) + "]\n",
            "content.welcome.checklist has more than 12 items",
        ),
        ('[content.qbr]\nchecklist = ["tab\\there"]\n', "content.qbr.checklist item 1 contains"),
    ],
)
def test_unusable_content_is_a_config_error(text: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert words in str(err.value)


# -- what is stored ----------------------------------------------------------------------
def test_ticked_items_are_cleaned_and_round_trip() -> None:
    items = clean_ticked(["  agenda   sent ", "agenda sent", "NPS asked"])
    assert items == ["agenda sent", "NPS asked"]
    assert load_ticked(dump_ticked(items)) == items
    assert dump_ticked([]) == ""


@pytest.mark.parametrize(
    "bad", [[""], ["   "], ["x" * (MAX_ITEM_CHARS + 1)], [f"i{n}" for n in range(25)]]
)
def test_bad_ticked_items_are_refused(bad: list[str]) -> None:
    with pytest.raises(ValueError):
        clean_ticked(bad)


@pytest.mark.parametrize("raw", ["", "not json", "{}", '"text"', "[1, null]", "[" * 5000])
def test_a_damaged_checklist_reads_as_nothing_ticked(raw: str) -> None:
    assert load_ticked(raw) == []


# -- the store and the command line ------------------------------------------------------
TODAY = date(2026, 11, 24)


@pytest.fixture
def acme(book):
    book.add_account("Acme Corp", "enterprise", TODAY - timedelta(days=400), mrr=5000)
    return book


def stored_checklist(book, interaction_id: int) -> str:
    from bookkeeper_tui.store.models import Interaction

    with book.read() as s:
        return s.get(Interaction, interaction_id).checklist


@pytest.mark.both_backends
def test_log_saves_the_ticked_items_with_the_interaction(acme) -> None:
    res = acme.log(
        "acme qbr with Dana", TODAY, checklist=["Agenda sent", " Risks  surfaced ", "Agenda sent"]
    )
    assert load_ticked(stored_checklist(acme, res.interaction_id)) == [
        "Agenda sent",
        "Risks surfaced",
    ]
    assert res.as_json()["checklist"] == ["Agenda sent", "Risks surfaced"]
    entry = next(e for e in acme.show("acme", TODAY).timeline if e.type == "interaction")
    assert entry.checklist == ("Agenda sent", "Risks surfaced")
    # Without ticks nothing is stored, and the timeline says so with an empty list.
    plain = acme.log("acme call", TODAY)
    assert stored_checklist(acme, plain.interaction_id) == ""
    entry = next(e for e in acme.show("acme", TODAY).timeline if e.type == "interaction")
    assert entry.checklist == ()  # the newest: the line without ticks


@pytest.mark.both_backends
def test_a_bad_checklist_item_saves_nothing(acme) -> None:
    from bookkeeper_tui.store.book import BookError

    before = len(acme.show("acme", TODAY).timeline)
    with pytest.raises(BookError, match="checklist item"):
        acme.log("acme call nps 9", TODAY, checklist=["ok", ""])
    assert len(acme.show("acme", TODAY).timeline) == before


def test_cli_log_check_and_show(cli) -> None:
    assert cli("add", "Acme", "--tier", "smb", "--start", "2026-01-05").code == 0
    r = cli("log", "acme call", "--check", "agenda sent", "--check", "NPS asked", "--json")
    assert r.code == 0, r.err
    assert r.json()["checklist"] == ["agenda sent", "NPS asked"]
    shown = cli("show", "acme", "--json").json()
    entry = next(e for e in shown["timeline"] if e["type"] == "interaction")
    assert entry["checklist"] == ["agenda sent", "NPS asked"]
    text = cli("show", "acme")
    assert "✓ agenda sent" in text.out and "✓ NPS asked" in text.out
    plain = cli("log", "acme call", "--check", "agenda sent")
    assert "checked: agenda sent" in plain.out


@pytest.mark.parametrize("bad", ["", "   ", "x" * 200])
def test_cli_log_bad_check_is_exit_2_and_saves_nothing(cli, bad: str) -> None:
    assert cli("add", "Acme", "--tier", "smb", "--start", "2026-01-05").code == 0
    r = cli("log", "acme call", "--check", bad)
    assert r.code == 2
    assert "checklist item" in r.err and "Traceback" not in r.err
    assert not [
        e for e in cli("show", "acme", "--json").json()["timeline"] if e["type"] == "interaction"
    ]


def test_cli_playbook_lists_kinds_and_shows_one(cli) -> None:
    r = cli("playbook")
    assert r.code == 0
    for kind in ("welcome", "check_in", "qbr", "renewal", "referral_ask", "follow_up"):
        assert kind in r.out
    one = cli("playbook", "qbr", "--band", "red")
    assert one.code == 0
    assert DEFAULT_CONTENT["qbr"].checklist[0] in one.out
    assert "executive outreach / save plan" in one.out
    data = cli("playbook", "qbr", "--band", "green", "--json").json()
    assert data["kind"] == "qbr"
    assert data["checklist"] == list(DEFAULT_CONTENT["qbr"].checklist)
    assert data["play"]["name"] == "advocacy ask"
    assert data["items"][-1] == DEFAULT_PLAYS["green"].checklist[-1]
    everything = cli("playbook", "--json").json()
    assert set(everything["content"]) == set(DEFAULT_CONTENT)
    assert set(everything["plays"]) == {"green", "yellow", "red"}
    # Spelled as in a quick-log `next`: check-in, referral.
    assert cli("playbook", "check-in", "--json").json()["kind"] == "check_in"


@pytest.mark.parametrize("args", [("nonsense",), ("qbr", "--band", "blue")])
def test_cli_playbook_bad_input_is_exit_2(cli, args) -> None:
    r = cli("playbook", *args)
    assert r.code == 2
    assert "Traceback" not in r.err and r.err.strip()


def test_cli_playbook_uses_the_config(cli, tmp_path, monkeypatch) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[content.qbr]\nchecklist = ["Agenda sent"]\ntalk = "Open with goals."\n')
    monkeypatch.setenv("BOOKKEEPER_CONFIG", str(path))
    data = cli("playbook", "qbr", "--json").json()
    assert data["checklist"] == ["Agenda sent"] and data["talk"] == "Open with goals."
    path.write_text("[content.qbr]\nchecklist = 5\n")
    r = cli("playbook", "qbr")
    assert r.code == 2 and "content.qbr.checklist" in r.err


def test_a_real_v3_book_shows_its_logged_checklist(tmp_path) -> None:
    """The JSON list the schema-3 fixture holds is the format written and read here."""
    import sqlite3
    from pathlib import Path

    from bookkeeper_tui.store.book import Book

    path = tmp_path / "book.db"
    with sqlite3.connect(path) as c:
        c.executescript((Path(__file__).parent / "fixtures" / "book_v3.sql").read_text())
    b = Book.open(str(path))
    try:
        timeline = b.show("Acme Corp", TODAY).timeline
    finally:
        b.close()
    ticked = [e.checklist for e in timeline if e.type == "interaction" and e.checklist]
    assert ticked == [("agenda sent", "success plan agreed")]
