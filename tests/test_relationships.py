"""Relationships and time-to-value (issue 14 #3): roles typed in a quick-log line, the
single-threaded / no-economic-buyer flags, the champion-left search, time-to-value and
onboarding completion. Core rules table-driven with fixed dates."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bookkeeper_tui.config import DEFAULT, SignalConfig
from bookkeeper_tui.core.quicklog import QuickLogError, parse_quicklog
from bookkeeper_tui.core.relationships import (
    ContactFact,
    champion_search,
    days_to_value,
    median_days,
    onboarding_completion,
    onboarding_kinds,
    parse_role,
    relationship_flags,
)
from bookkeeper_tui.core.signals import FlagFacts, account_flags

AS_OF = date(2026, 11, 24)
NAMES = ["Acme Corp", "Globex"]
TIERS = {
    "single_threaded": ("enterprise", "mid-market", "smb"),
    "no_economic_buyer": ("enterprise", "mid-market"),
}


# --------------------------------------------------------------------------- roles


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("champion", "champion"),
        ("Champion", "champion"),
        ("champ", "champion"),
        ("economic_buyer", "economic_buyer"),
        ("economic buyer", "economic_buyer"),
        ("Economic  Buyer", "economic_buyer"),
        ("economic-buyer", "economic_buyer"),
        ("buyer", "economic_buyer"),
        ("eb", "economic_buyer"),
        ("EB", "economic_buyer"),
        ("admin", "admin"),
        ("end_user", "end_user"),
        ("end user", "end_user"),
        ("user", "end_user"),
        ("other", "other"),
        ("chief", None),
        ("", None),
        ("left", None),
    ],
)
def test_parse_role(text, role):
    assert parse_role(text) == role


@pytest.mark.parametrize(
    ("line", "contact", "role", "left", "summary"),
    [
        ('acme call with Priya (champion) "kickoff"', "Priya", "champion", False, "kickoff"),
        ('acme call with "Priya Rao" (champion)', "Priya Rao", "champion", False, ""),
        ("acme call with Priya (economic buyer)", "Priya", "economic_buyer", False, ""),
        ("acme call with Priya (buyer) budget ok", "Priya", "economic_buyer", False, "budget ok"),
        ("acme call with Priya (eb)", "Priya", "economic_buyer", False, ""),
        ("acme call with Priya (user)", "Priya", "end_user", False, ""),
        ("acme call with Priya(champion)", "Priya", "champion", False, ""),
        ('acme call with "Priya Rao"(admin)', "Priya Rao", "admin", False, ""),
        ("acme call with Priya ( champion )", "Priya", "champion", False, ""),
        ('acme note "Priya moved on" with Priya (left)', "Priya", None, True, "Priya moved on"),
        ("acme note with Priya (LEFT)", "Priya", None, True, ""),
        ("acme call with Priya", "Priya", None, False, ""),
        # a parenthesis elsewhere is summary text, as before
        ("acme call (champion) said hi", None, None, False, "(champion) said hi"),
        ('acme call "with Priya (champion)"', None, None, False, "with Priya (champion)"),
    ],
)
def test_quicklog_reads_the_role_after_with(line, contact, role, left, summary):
    q = parse_quicklog(line, NAMES, AS_OF)
    assert (q.contact, q.contact_role, q.contact_left, q.summary) == (contact, role, left, summary)


@pytest.mark.parametrize(
    ("line", "token", "words"),
    [
        ("acme call with Priya (chief)", "(chief)", ["unknown role 'chief'", "champion", "eb"]),
        ("acme call with Priya ()", "()", ["needs a role"]),
        ("acme call with Priya (champion", "(champion", ["never closed"]),
        ("acme call with Priya (end user", "(end user", ["never closed"]),
        ("acme call with Priya (champion) (admin)", "(admin)", ["one role"]),
    ],
)
def test_quicklog_role_errors_name_the_token(line, token, words):
    with pytest.raises(QuickLogError) as err:
        parse_quicklog(line, NAMES, AS_OF)
    e = err.value
    for w in words:
        assert w in e.message, e.message
    assert line[e.start : e.end] == token


# --------------------------------------------------------------------------- flags

E, EB, C, U = "enterprise", "economic_buyer", "champion", "end_user"
GONE = date(2026, 10, 1)
LATER = date(2026, 12, 15)


@pytest.mark.parametrize(
    ("tier", "contacts", "codes", "labels"),
    [
        (E, [], [], []),  # nobody recorded: unknown, not a risk
        (E, [(C, None)], ["single_threaded", "no_economic_buyer"], ["single-threaded"]),
        (E, [(EB, None)], ["single_threaded"], ["single-threaded"]),
        (E, [(EB, None), (C, None)], [], []),
        (E, [(EB, GONE), (C, None), (U, None)], ["no_economic_buyer"], []),
        (E, [(EB, LATER), (C, None)], [], []),  # leaves later: still active today
        (E, [(EB, GONE), (C, GONE)], ["single_threaded", "no_economic_buyer"], ["no active"]),
        (E, [(EB, None), (C, GONE)], ["single_threaded"], []),
        ("mid-market", [(C, None), (U, None)], ["no_economic_buyer"], []),
        ("smb", [(C, None), (U, None)], [], []),  # the champion signs in a small company
        ("smb", [(C, None)], ["single_threaded"], []),
        ("smb", [(EB, GONE)], ["single_threaded"], ["no active contact"]),
    ],
)
def test_relationship_flags(tier, contacts, codes, labels):
    facts = [ContactFact(role, left) for role, left in contacts]
    flags = relationship_flags(tier, facts, AS_OF, TIERS)
    assert [f.code for f in flags] == codes
    for text in labels:
        assert any(text in f.label for f in flags), flags


def test_flags_join_the_account_risks_and_follow_the_config():
    facts = FlagFacts(tier="mid-market", contacts=[ContactFact(C)])
    flags = account_flags(facts, AS_OF, SignalConfig())
    assert [(f.code, f.kind) for f in flags] == [
        ("single_threaded", "risk"),
        ("no_economic_buyer", "risk"),
    ]
    off = SignalConfig(single_threaded_tiers=(), no_economic_buyer_tiers=("smb",))
    assert account_flags(facts, AS_OF, off) == []


def test_config_names_an_unknown_tier():
    from bookkeeper_tui.config import ConfigError, parse_config

    cfg = parse_config('[signals]\nno_economic_buyer_tiers = ["enterprise"]\n')
    assert cfg.signals.no_economic_buyer_tiers == ("enterprise",)
    with pytest.raises(ConfigError, match="unknown tier 'big'"):
        parse_config('[signals]\nsingle_threaded_tiers = ["big"]\n')


# --------------------------------------------------------------------------- champion left


@pytest.mark.parametrize(
    ("left_on", "today", "due"),
    [
        (date(2026, 11, 20), date(2026, 11, 20), date(2026, 11, 27)),
        (date(2026, 11, 1), date(2026, 11, 24), date(2026, 12, 1)),  # learnt late: from today
        (date(2026, 12, 1), date(2026, 11, 24), date(2026, 12, 8)),  # leaving later
    ],
)
def test_champion_search_is_due_a_week_after(left_on, today, due):
    tp = champion_search("Priya Rao", "priya rao", left_on, today, 7)
    assert (tp.kind, tp.due, tp.origin) == ("champion_search", due, "loop")
    assert tp.rule == f"rel:champion_search:priya rao:{left_on.isoformat()}"
    assert "Priya Rao" in tp.note and "new champion" in tp.note


# --------------------------------------------------------------------------- time to value


@pytest.mark.parametrize(
    ("start", "first", "days"),
    [
        (date(2026, 1, 1), None, None),
        (date(2026, 1, 1), date(2026, 1, 1), 0),
        (date(2026, 1, 1), date(2026, 2, 15), 45),
        (date(2026, 1, 1), date(2025, 12, 1), 0),  # before the start: on day 0
    ],
)
def test_days_to_value(start, first, days):
    assert days_to_value(start, first) == days


def test_onboarding_kinds_are_those_inside_onboarding():
    pb = DEFAULT.playbook
    assert onboarding_kinds(pb.onboarding, pb.onboarding_days) == (
        "welcome",
        "check_in",
        "mini_qbr",
    )


@pytest.mark.parametrize(
    ("statuses", "done", "total", "share"),
    [
        ({}, None, None, None),  # never planned (imported late): unknown
        ({"welcome": "done", "check_in": "open", "mini_qbr": "open"}, 1, 3, 1 / 3),
        ({"welcome": "done", "check_in": "done", "mini_qbr": "done"}, 3, 3, 1.0),
        ({"welcome": "skipped", "check_in": "done"}, 1, 2, 0.5),
        ({"qbr": "done"}, None, None, None),  # not an onboarding touchpoint
    ],
)
def test_onboarding_completion(statuses, done, total, share):
    got = onboarding_completion(statuses, ("welcome", "check_in", "mini_qbr"))
    if done is None:
        assert got is None
    else:
        assert (got.done, got.total) == (done, total)
        assert got.share == pytest.approx(share)


@pytest.mark.parametrize(
    ("values", "median"),
    [([], None), ([5], 5.0), ([30, 10], 20.0), ([9, 1, 40], 9.0)],
)
def test_median_days(values, median):
    assert median_days(values) == median


@pytest.mark.parametrize(
    ("others", "planned"),
    [
        ([], True),
        ([ContactFact("end_user")], True),
        ([ContactFact("champion")], False),  # the account still has a champion
        ([ContactFact("champion", date(2026, 11, 1))], True),  # who left too
        ([ContactFact("champion", date(2026, 12, 31))], False),  # leaving later: still there
    ],
)
def test_no_search_while_another_champion_stays(others, planned):
    tp = champion_search("Priya", "priya", date(2026, 11, 20), AS_OF, 7, others)
    assert (tp is not None) == planned


# Any mix of `with`, names and parentheses is read or refused with a message naming a
# token; never a crash ("please report this bug").
PIECES = [
    "with", "Priya", '"Priya Rao"', "(", ")", "()", "(champion)", "(champion", "buyer)",
    "(economic", "(left)", "Priya(eb)", "Priya(", "(x)", "call", "nps", "9", "@mon", "#t",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=8))
def test_parentheses_never_crash_the_parser(pieces):
    line = " ".join(["acme", *pieces])
    try:
        q = parse_quicklog(line, NAMES, AS_OF)
    except QuickLogError as exc:
        assert "please report this bug" not in exc.message, line
        if exc.start is not None:
            assert 0 <= exc.start < exc.end <= len(line), line
    else:
        assert q.contact_role is None or q.contact is not None
