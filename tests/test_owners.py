"""Team mode in the store and the CLI: owner matching, owner cuts of Today / the book, and
KPI cuts by owner and tier that equal the KPIs of a book holding only those accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from bookkeeper_tui.cli.shapes import kpi_json
from bookkeeper_tui.core.owners import (
    distinct_owners,
    owner_cut_label,
    owner_key,
    owner_label,
    owner_matches,
)
from bookkeeper_tui.core.vocab import TIERS
from bookkeeper_tui.store.book import Book, BookError
from bookkeeper_tui.store.fast import read_today

pytestmark = pytest.mark.both_backends

TODAY = date(2026, 11, 24)


# -- matching owner names ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("owner", "who", "expected"),
    [
        ("maya", "maya", True),
        ("Maya ", "maya", True),  # trailing space
        ("  MAYA", " maya  ", True),
        ("Maya  Lopez", "maya lopez", True),  # repeated inner space
        ("Maya\tLopez", "maya lopez", True),
        ("maya", "may", False),  # not a prefix match
        ("mayan", "maya", False),
        (None, "maya", False),
        ("maya", None, True),  # None: the whole team
        (None, None, True),
        (None, "", True),  # "": the accounts nobody owns
        ("   ", "", True),
        ("maya", "", False),
        ("Straße", "STRASSE", True),  # casefold, not lower
    ],
)
def test_owner_matches(owner, who, expected):
    assert owner_matches(owner, who) is expected


@pytest.mark.parametrize(
    ("who", "label"),
    [(None, "whole team"), ("", "no owner"), ("  ", "no owner"), (" Maya ", "Maya")],
)
def test_owner_label(who, label):
    assert owner_label(who) == label


def test_distinct_owners_keeps_the_first_spelling_and_drops_unowned():
    assert distinct_owners(["sam", " Maya", "maya", None, "", "Luis ", "SAM"]) == [
        "Luis",
        "Maya",
        "sam",
    ]
    assert owner_key(" Maya  Lopez ") == "maya lopez"


# -- a small book with owners --------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    name: str
    tier: str
    owner: str | None
    start: date
    mrr: float
    lines: tuple[str, ...] = ()


#: Owners typed the way people do; MRR moves, churn, NPS answers, QBRs, a new account.
ACCOUNTS = (
    Spec(
        "Acme",
        "enterprise",
        "Maya",
        date(2025, 6, 1),
        6000,
        (
            "acme qbr with Dana nps 9 mrr 7000 @2026-09-01",
            "acme call with Bob nps 4 @2026-10-01",
        ),
    ),
    Spec(
        "Globex",
        "mid-market",
        " maya ",
        date(2025, 3, 1),
        2000,
        ("globex call with Priya nps 8 mrr 0 @2026-08-01",),
    ),
    Spec(
        "Initech",
        "smb",
        "Luis",
        date(2025, 1, 15),
        500,
        ("initech call with Peter nps 10 mrr 400 @2026-05-01",),
    ),
    Spec(
        "Umbrella",
        "enterprise",
        "luis",
        date(2026, 2, 1),
        5500,
        ("umbrella qbr with Ann nps 7 @2026-10-20",),
    ),
    Spec(
        "Hooli",
        "smb",
        None,
        date(2025, 9, 1),
        300,
        ("hooli call with Gavin nps 6 mrr 450 @2026-07-01",),
    ),
    Spec(
        "Stark", "mid-market", "MAYA", date(2026, 4, 1), 1500, ("stark email with Pepper nps 10",)
    ),
    Spec(
        "Wayne",
        "mid-market",
        "  ",
        date(2025, 2, 1),
        1200,
        ("wayne call with Lucius mrr 1600 @2026-03-01",),
    ),
)


def fill(book: Book, specs) -> Book:
    for sp in specs:
        book.add_account(sp.name, sp.tier, sp.start, mrr=sp.mrr, owner=sp.owner)
    for sp in specs:
        for line in sp.lines:
            book.log(line, TODAY)
    book.sync(TODAY)
    return book


@pytest.fixture
def team_book(book):
    return fill(book, ACCOUNTS)


@pytest.fixture
def other_db(backend, request, tmp_path):
    """Another empty book on the same backend (a fresh database per call)."""
    made: list[tuple[object, str]] = []

    def new(label: str) -> str:
        if backend == "postgresql":
            server = request.getfixturevalue("pg_server")
            name = server.create_database()
            made.append((server, name))
            return server.url(name)
        return str(tmp_path / f"{label}.db")

    yield new
    for server, name in made:
        server.drop_database(name)  # type: ignore[attr-defined]


def names(rows) -> set[str]:
    return {r.account for r in rows}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("maya", {"Acme", "Stark"}),  # Globex churned: no touchpoints on Today
        ("MAYA  ", {"Acme", "Stark"}),
        ("Luis", {"Initech", "Umbrella"}),
        ("", {"Hooli", "Wayne"}),  # "" is the accounts with no owner
        ("zoe", set()),
    ],
)
def test_today_by_owner(team_book, who, expected):
    every = team_book.today(TODAY, 60)
    mine = team_book.today(TODAY, 60, owner=who)
    assert names(mine) == expected
    # The same rows, in the same order, as the whole list filtered by owner.
    assert mine == [r for r in every if owner_matches(r.owner, who)]


@pytest.mark.parametrize(
    ("who", "tier", "expected"),
    [
        ("maya", None, {"Acme", "Globex", "Stark"}),
        (" Maya", "mid-market", {"Globex", "Stark"}),
        ("luis", None, {"Initech", "Umbrella"}),
        ("", None, {"Hooli", "Wayne"}),
        ("", "smb", {"Hooli"}),
        (None, "enterprise", {"Acme", "Umbrella"}),
        ("nobody", None, set()),
    ],
)
def test_accounts_by_owner(team_book, who, tier, expected):
    states = team_book.accounts(TODAY, tier=tier, owner=who)
    assert {st.account.name for st in states} == expected


def test_owners(team_book):
    owners = team_book.owners()
    assert owners.names == ["Luis", "Maya"]
    assert (owners.unowned, owners.total) == (2, 7)


@pytest.mark.sqlite_only  # the start-up shortcut reads SQLite files only
def test_fast_path_filters_like_the_book(team_book):
    for who in (None, "maya", " MAYA ", "luis", "", "zoe"):
        fast = read_today(team_book.location, TODAY, 7, owner=who)
        assert fast == team_book.today(TODAY, 7, owner=who)
        assert [r.owner for r in fast] == [r.owner for r in team_book.today(TODAY, 7, owner=who)]


# -- KPI cuts ------------------------------------------------------------------------------
CUTS = [
    ({"owner": "maya"}, lambda sp: owner_key(sp.owner) == "maya"),
    ({"owner": " LUIS"}, lambda sp: owner_key(sp.owner) == "luis"),
    ({"owner": ""}, lambda sp: not owner_key(sp.owner)),
    ({"tier": "enterprise"}, lambda sp: sp.tier == "enterprise"),
    ({"tier": "smb"}, lambda sp: sp.tier == "smb"),
    (
        {"owner": "maya", "tier": "mid-market"},
        lambda sp: owner_key(sp.owner) == "maya" and sp.tier == "mid-market",
    ),
    ({"owner": "zoe"}, lambda sp: False),
]


@pytest.mark.parametrize("period", ["12m", "90d"])
def test_a_kpi_cut_equals_the_book_of_only_those_accounts(team_book, other_db, period):
    for i, (cut, keep) in enumerate(CUTS):
        only = Book.open(other_db(f"only{i}"))
        try:
            fill(only, [sp for sp in ACCOUNTS if keep(sp)])
            expected = only.kpi(TODAY, period)
        finally:
            only.close()
        assert team_book.kpi(TODAY, period, owner=cut.get("owner"), tier=cut.get("tier")) == (
            expected
        ), cut


MOVEMENTS = (
    "starting_mrr",
    "ending_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "new_mrr",
)


def test_the_tier_cuts_add_up_to_the_whole_book(team_book):
    whole = team_book.kpi(TODAY, "12m")
    cuts = [team_book.kpi(TODAY, "12m", tier=t) for t in TIERS]
    for key in (*MOVEMENTS, "cohort_size", "churned_logos", "accounts_scored"):
        assert sum(getattr(c, key) for c in cuts) == pytest.approx(getattr(whole, key)), key
    assert whole.expansion_mrr and whole.churned_mrr and whole.new_mrr


def test_the_owner_cuts_add_up_to_the_whole_book(team_book):
    whole = team_book.kpi(TODAY, "12m")
    cuts = [team_book.kpi(TODAY, "12m", owner=o) for o in ("maya", "luis", "")]
    for key in (*MOVEMENTS, "cohort_size", "nps_responses"):
        assert sum(getattr(c, key) for c in cuts) == pytest.approx(getattr(whole, key)), key


def test_kpi_keeps_its_positional_arguments_and_remembers_each_cut_apart(team_book):
    whole = team_book.kpi(TODAY, "12m", False)
    assert team_book.kpi(TODAY, "12m", True) == whole
    maya = team_book.kpi(TODAY, "12m", owner="maya")
    assert maya != whole
    # The cache is keyed on the cut: asking again gives each its own panel.
    assert team_book.kpi(TODAY, "12m") == whole
    assert team_book.kpi(TODAY, "12m", owner=" MAYA ") == maya
    if team_book.data_version() is not None:
        assert team_book.kpi_is_fresh(TODAY, "12m", owner="Maya")
        assert not team_book.kpi_is_fresh(TODAY, "12m", owner="luis")
        assert not team_book.kpi_is_fresh(TODAY, "12m", tier="smb")


def test_an_unknown_tier_cut_is_a_book_error(team_book):
    with pytest.raises(BookError, match="unknown tier 'gold'"):
        team_book.kpi(TODAY, "12m", tier="gold")
    assert team_book.kpi(TODAY, "12m", tier="SMB") == team_book.kpi(TODAY, "12m", tier="smb")


# -- the command line ----------------------------------------------------------------------
@pytest.fixture
def team_cli(cli, team_book, tmp_path, monkeypatch):
    """The CLI on the team book, with config `me = "maya"`."""
    config = tmp_path / "team.toml"
    config.write_text('me = "Maya"\n', encoding="utf-8")
    monkeypatch.setenv("BOOKKEEPER_CONFIG", str(config))
    return cli


@pytest.mark.parametrize("command", ["today", "accounts", "kpi"])
def test_mine_without_me_says_how_to_set_it(cli, team_book, command):
    r = cli(command, "--mine", "--as-of", TODAY.isoformat())
    assert r.code == 2
    assert r.out == ""
    err = " ".join(r.err.split())
    assert 'me = "maya"' in err and "config file" in err and "docs/config.md" in err
    assert err.count("\n") == 0 and "Traceback" not in err


def test_today_mine_and_owner(team_cli):
    every = team_cli("today", "--as-of", TODAY.isoformat(), "--ahead", "60", "--json").json()
    mine = team_cli("today", "--mine", "--as-of", TODAY.isoformat(), "--ahead", "60", "--json")
    assert mine.code == 0, mine.err
    assert {r["account"] for r in mine.json()} == {"Acme", "Stark"}
    # The --json shape is the same as without the flag.
    assert set(mine.json()[0]) == set(every[0])
    luis = team_cli("today", "--owner", "LUIS", "--as-of", TODAY.isoformat(), "--ahead", "60")
    assert luis.code == 0 and "LUIS's accounts" in luis.out and "Initech" in luis.out
    assert "Acme" not in luis.out
    both = team_cli("today", "--mine", "--owner", "luis")
    assert both.code == 2 and "not allowed with argument" in both.err


def test_accounts_mine_and_owner(team_cli):
    mine = team_cli("accounts", "--mine", "--as-of", TODAY.isoformat(), "--json")
    assert mine.code == 0, mine.err
    assert {a["name"] for a in mine.json()} == {"Acme", "Globex", "Stark"}
    unowned = team_cli("accounts", "--owner", "", "--as-of", TODAY.isoformat(), "--json").json()
    assert {a["name"] for a in unowned} == {"Hooli", "Wayne"}
    nobody = team_cli("accounts", "--owner", "zoe", "--as-of", TODAY.isoformat())
    assert nobody.code == 0
    said = " ".join(nobody.out.split())
    assert "No account is owned by 'zoe'" in said and "2 with no owner" in said


def test_kpi_cut_on_the_command_line(team_cli, team_book):
    plain = team_cli("kpi", "--as-of", TODAY.isoformat(), "--json").json()
    assert "cut" not in plain  # the default shape is unchanged
    r = team_cli("kpi", "--mine", "--tier", "mid-market", "--as-of", TODAY.isoformat(), "--json")
    assert r.code == 0, r.err
    k = r.json()
    assert k.pop("cut") == {"owner": "Maya", "tier": "mid-market"}
    assert k == kpi_json(team_book.kpi(TODAY, "12m", owner="maya", tier="mid-market"))
    human = team_cli("kpi", "--owner", "luis", "--as-of", TODAY.isoformat())
    assert human.code == 0 and "owner luis" in human.out
    bad = team_cli("kpi", "--tier", "gold")
    assert bad.code == 2 and "unknown tier 'gold'" in bad.err


@pytest.mark.parametrize(
    ("who", "label"), [("maya", "owner maya"), (" Maya  Li ", "owner Maya Li"), ("", "no owner")]
)
def test_owner_cut_label(who, label):
    assert owner_cut_label(who) == label
