"""Churn language matching, the triple signal, and every risk and opportunity flag."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

import pytest

from bookkeeper_tui.config import DEFAULT, SignalConfig
from bookkeeper_tui.core.signals import (
    Flag,
    FlagFacts,
    account_flags,
    churn_spans,
    churn_terms,
    triple_signal,
)

AS_OF = date(2026, 11, 24)
CFG = SignalConfig()
WORDS = DEFAULT.churn_words


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def matched(text: str, words: tuple[str, ...] = WORDS) -> list[str]:
    """The matched text of every span, checked against its (start, end) offsets."""
    return [text[s:e] for s, e, _ in churn_spans(text, words)]


# --------------------------------------------------------------------------- churn language


@pytest.mark.parametrize(
    ("text", "texts", "terms"),
    [
        ("They said it is too expensive.", ["too expensive"], ["too expensive"]),
        ("Too expensive, they said", ["Too expensive"], ["too expensive"]),  # case, comma
        ("TOO\n   EXPENSIVE!", ["TOO\n   EXPENSIVE"], ["too expensive"]),  # any whitespace
        (
            "expensive; looking at a competitor",
            ["expensive", "competitor"],
            ["expensive", "competitor"],
        ),
        (
            "not renewing (budget cut)",
            ["not renewing", "budget cut"],
            ["not renewing", "budget cut"],
        ),
        ("the competitor's offer", ["competitor"], ["competitor"]),
        ("price increase next year", ["price increase"], ["price increase"]),
        ("no budget, no budget, NO BUDGET", ["no budget"] * 2 + ["NO BUDGET"], ["no budget"]),
        ("expensiveness of the switchboard", [], []),  # not inside other words
        # inflections of a listed word match (issue 12 #9)
        ("they cancelled and are switching", ["cancelled", "switching"], ["cancel", "switch"]),
        ("alternatives", ["alternatives"], ["alternative"]),
        ("re-cancel", ["cancel"], ["cancel"]),  # a hyphen is a word boundary
        ("", [], []),
        ("all good, happy customer", [], []),
    ],
)
def test_churn_spans_default_words(text: str, texts: list[str], terms: list[str]) -> None:
    assert matched(text) == texts
    assert churn_terms(text, WORDS) == terms


def test_longer_term_wins_over_overlapping_shorter() -> None:
    spans = churn_spans("Honestly too expensive for us", WORDS)
    assert spans == [(9, 22, "too expensive")]


def test_longer_term_wins_even_when_shorter_starts_first() -> None:
    words = ("switch", "switch to competitor", "competitor")
    text = "may switch to competitor soon"
    assert churn_spans(text, words) == [(4, 24, "switch to competitor")]
    words = ("budget", "cut", "budget cut costs")
    assert churn_terms("a budget cut costs jobs", words) == ["budget cut costs"]
    # overlapping terms that start at different places: the longer one wins
    words = ("price increase", "increase in budget")
    assert churn_terms("a price increase in budget", words) == ["increase in budget"]
    assert churn_terms("a price increase, budget", words) == ["price increase"]


def test_spans_sorted_and_non_overlapping() -> None:
    text = "Budget cut: too expensive, cancel, switch, downgrade, alternative."
    spans = churn_spans(text, WORDS)
    assert [t for *_, t in spans] == [
        "budget cut",
        "too expensive",
        "cancel",
        "switch",
        "downgrade",
        "alternative",
    ]
    assert all(a[1] <= b[0] for a, b in pairwise(spans))


def test_user_listed_inflections_and_odd_terms() -> None:
    words = ("cancel", "cancelled", "  ", "c++ rewrite")
    assert churn_terms("We cancelled. Cancel it.", words) == ["cancelled", "cancel"]
    assert churn_terms("a C++   rewrite", words) == ["c++ rewrite"]
    assert churn_spans("anything", ()) == []


# --------------------------------------------------------------------------- triple signal

FELL_NPS = [(ago(120), 9.0), (ago(10), 5.0)]
FELL_USAGE = [(ago(80), 80.0), (ago(5), 35.0)]
ROSE_TICKETS = [ago(70), ago(30), ago(20), ago(5)]
FLAT_NPS = [(ago(120), 7.0), (ago(10), 7.0)]
ROSE_USAGE = [(ago(80), 30.0), (ago(5), 35.0)]
FLAT_TICKETS = [ago(70), ago(5)]


@pytest.mark.parametrize(
    ("nps", "usage", "tickets", "expected"),
    [
        (FELL_NPS, FELL_USAGE, ROSE_TICKETS, True),
        (FLAT_NPS, FELL_USAGE, ROSE_TICKETS, False),
        (FELL_NPS, ROSE_USAGE, ROSE_TICKETS, False),
        (FELL_NPS, FELL_USAGE, FLAT_TICKETS, False),
        (FELL_NPS, [], ROSE_TICKETS, False),
        ([], [], [], False),
        # baseline is the earliest in the window when nothing precedes it
        ([(ago(60), 9.0), (ago(30), 3.0)], FELL_USAGE, ROSE_TICKETS, True),
        # a single point in the window cannot fall
        ([(ago(30), 3.0)], FELL_USAGE, ROSE_TICKETS, False),
        # the fall happened before the window: nothing fell inside it
        ([(ago(200), 9.0), (ago(150), 3.0)], FELL_USAGE, ROSE_TICKETS, False),
        # a recovery at the end of the window: latest is not below the baseline
        ([(ago(120), 8.0), (ago(40), 3.0), (ago(2), 8.0)], FELL_USAGE, ROSE_TICKETS, False),
        # data after as_of is ignored
        ([(ago(120), 9.0), (AS_OF + timedelta(days=1), 1.0)], FELL_USAGE, ROSE_TICKETS, False),
    ],
)
def test_triple_signal(
    nps: list[tuple[date, float]],
    usage: list[tuple[date, float]],
    tickets: list[date],
    expected: bool,
) -> None:
    assert triple_signal(nps, usage, tickets, AS_OF) is expected


def test_triple_signal_window_length() -> None:
    assert triple_signal(FELL_NPS, FELL_USAGE, ROSE_TICKETS, AS_OF, days=90)
    # 60 days: the baselines are the values from before the window (NPS 9, usage 80) and
    # tickets go from 1 (days -60..-30) to 2 (the last 30 days)
    assert triple_signal(FELL_NPS, FELL_USAGE, ROSE_TICKETS, AS_OF, days=60)
    # 40 days: tickets 2 (days -40..-20) then 1 -> they did not rise
    assert not triple_signal(FELL_NPS, FELL_USAGE, ROSE_TICKETS, AS_OF, days=40)
    # usage 80 at day -80 only; in 4 days nothing happened
    assert not triple_signal(FELL_NPS, FELL_USAGE, ROSE_TICKETS, AS_OF, days=4)


# --------------------------------------------------------------------------- flags


def codes(facts: FlagFacts, cfg: SignalConfig = CFG) -> list[str]:
    return [f.code for f in account_flags(facts, AS_OF, cfg)]


def flag(facts: FlagFacts, code: str) -> Flag:
    found = [f for f in account_flags(facts, AS_OF, CFG) if f.code == code]
    assert len(found) == 1, found
    return found[0]


def test_no_facts_no_flags() -> None:
    assert account_flags(FlagFacts(), AS_OF, CFG) == []


def test_churn_language_flag() -> None:
    f = flag(
        FlagFacts(churn_terms_recent=["too expensive", "competitor", "competitor"]),
        "churn_language",
    )
    assert (f.kind, f.label) == ("risk", "churn language")
    assert f.detail == 'Recent notes say "too expensive", "competitor".'


def test_triple_signal_flag() -> None:
    facts = FlagFacts(nps=FELL_NPS, usage=FELL_USAGE, tickets=ROSE_TICKETS)
    assert codes(facts) == ["triple_signal"]
    assert codes(replace(facts, usage=ROSE_USAGE)) == []
    assert codes(facts, replace(CFG, triple_signal_days=4)) == []


@pytest.mark.parametrize(
    ("history", "current", "expected"),
    [
        ([(ago(30), 80.0)], 65.0, True),  # exactly 15 points
        ([(ago(30), 80.0)], 65.1, False),
        ([(ago(30), 80.0), (ago(0), 60.0)], None, True),  # latest snapshot as current
        ([(ago(31), 90.0), (ago(30), 70.0)], 60.0, False),  # baseline is the one at -30
        ([(ago(60), 90.0)], 60.0, False),  # older than the window: not "in 30 days"
        ([(ago(10), 90.0)], 70.0, True),  # young history: closest available in the window
        ([(ago(30), 60.0)], 80.0, False),  # a rise is no risk
        ([], 40.0, False),
        ([(ago(0), 40.0)], None, False),  # nothing to compare with
        ([(ago(20), 90.0), (AS_OF + timedelta(days=1), 10.0)], None, False),
    ],
)
def test_health_drop(
    history: list[tuple[date, float]], current: float | None, expected: bool
) -> None:
    facts = FlagFacts(health_history=history, current_score=current)
    assert ("health_drop" in codes(facts)) is expected


def test_health_drop_label() -> None:
    f = flag(FlagFacts(health_history=[(ago(30), 80.0)], current_score=62.0), "health_drop")
    assert f.label == "health -18 in 30d"
    assert f.detail.startswith(f"Health fell from 80 on {ago(30).isoformat()} to 62")


def test_champion_left_flag() -> None:
    assert codes(FlagFacts(champion_left=True)) == ["champion_left"]


@pytest.mark.parametrize(
    ("renewal", "band", "label"),
    [
        (AS_OF + timedelta(days=42), "yellow", "renewal in 42d, not green"),
        (AS_OF + timedelta(days=60), "red", "renewal in 60d, not green"),
        (AS_OF, "red", "renewal today, not green"),
        (AS_OF + timedelta(days=10), None, "renewal in 10d, not green"),  # unknown is not green
        (AS_OF + timedelta(days=61), "red", None),
        (AS_OF + timedelta(days=10), "green", None),
        (AS_OF - timedelta(days=1), "red", None),  # past: the renewal touchpoint's business
        (None, "red", None),
    ],
)
def test_renewal_risk(renewal: date | None, band: str | None, label: str | None) -> None:
    flags = [
        f
        for f in account_flags(FlagFacts(renewal=renewal, band=band), AS_OF, CFG)
        if f.code == "renewal_risk"
    ]
    assert [f.label for f in flags] == ([label] if label else [])


@pytest.mark.parametrize(("n", "label"), [(0, None), (1, "1 overdue"), (3, "3 overdue")])
def test_overdue(n: int, label: str | None) -> None:
    flags = account_flags(FlagFacts(overdue_touchpoints=n), AS_OF, CFG)
    assert [f.label for f in flags] == ([label] if label else [])


def test_nps_gap_flag() -> None:
    assert codes(FlagFacts(nps_gap_flagged=True)) == ["nps_gap"]


@pytest.mark.parametrize(
    ("nps", "last_ask", "expected"),
    [
        ([(ago(10), 9.0)], None, True),
        ([(ago(10), 10.0)], ago(91), True),
        ([(ago(10), 9.0)], ago(90), True),  # the quiet period is the last 90 days
        ([(ago(10), 9.0)], ago(89), False),
        ([(ago(10), 9.0)], AS_OF + timedelta(days=3), False),  # an ask already scheduled
        ([(ago(10), 8.0)], None, False),
        ([(ago(100), 10.0), (ago(10), 6.0)], None, False),  # latest answer decides
        ([(ago(100), 6.0), (ago(10), 9.0)], None, True),
        ([(AS_OF + timedelta(days=1), 10.0)], None, False),
    ],
)
def test_referral_opportunity(
    nps: list[tuple[date, float]], last_ask: date | None, expected: bool
) -> None:
    facts = FlagFacts(nps=nps, last_referral_ask=last_ask)
    assert ("referral_opportunity" in codes(facts)) is expected
    if expected:
        assert flag(facts, "referral_opportunity").kind == "opportunity"


@pytest.mark.parametrize(
    ("pct", "expected"),
    [(None, None), (89.9, None), (90.0, "usage 90% of plan"), (104.5, "usage 104.5% of plan")],
)
def test_usage_limit_opportunity(pct: float | None, expected: str | None) -> None:
    flags = account_flags(FlagFacts(usage_limit_pct=pct), AS_OF, CFG)
    assert [f.label for f in flags] == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("start", "band", "talk", "expected"),
    [
        (ago(180), "green", None, True),  # exactly D+180
        (ago(179), "green", None, False),
        (ago(400), "green", ago(100), False),
        (ago(400), "green", ago(180), True),  # the last talk is 180+ days old: due again
        (ago(400), "yellow", None, False),
        (ago(400), None, None, False),
        (None, "green", None, False),
    ],
)
def test_expansion_after_day_180(
    start: date | None, band: str | None, talk: date | None, expected: bool
) -> None:
    facts = FlagFacts(start=start, band=band, last_expansion_talk=talk)
    assert ("expansion_opportunity" in codes(facts)) is expected
    if expected:
        assert flag(facts, "expansion_opportunity").label == "green, expansion talk due"


def test_both_expansion_reasons_make_one_flag() -> None:
    facts = FlagFacts(start=ago(400), band="green", usage_limit_pct=95.0)
    f = flag(facts, "expansion_opportunity")
    assert f.label == "usage 95% of plan"
    assert "plan limit" in f.detail and "past day 180" in f.detail


def test_order_risks_then_opportunities() -> None:
    facts = FlagFacts(
        start=ago(400),
        renewal=AS_OF + timedelta(days=30),
        band="yellow",
        health_history=[(ago(30), 90.0)],
        current_score=70.0,
        nps=[(ago(120), 10.0), (ago(10), 9.0)],
        usage=FELL_USAGE,
        tickets=ROSE_TICKETS,
        churn_terms_recent=["budget"],
        champion_left=True,
        overdue_touchpoints=2,
        nps_gap_flagged=True,
        usage_limit_pct=92.0,
    )
    flags = account_flags(facts, AS_OF, CFG)
    assert [f.code for f in flags] == [
        "churn_language",
        "triple_signal",
        "health_drop",
        "champion_left",
        "renewal_risk",
        "overdue",
        "nps_gap",
        "referral_opportunity",
        "expansion_opportunity",
    ]
    kinds = [f.kind for f in flags]
    assert kinds == ["risk"] * 7 + ["opportunity"] * 2
    assert all(f.label and f.detail.endswith(".") for f in flags)


# --------------------------------------------------------------------------- issue 12 #9
@pytest.mark.parametrize(
    ("text", "terms"),
    [
        # reassurance is not churn language: a negator a few words before the term
        ("No plans to cancel.", []),
        ("We will not switch.", []),
        ("we won't be switching vendors", []),
        ("They don't want an alternative", []),
        ("never looked at a competitor", []),
        ("no price increase this year", []),
        # ... but only inside its own clause and within a few words
        ("No issues so far, but they will cancel", ["cancel"]),
        ("not happy: evaluating alternatives", ["alternative"]),
        ("no complaints from the team about anything; cancel", ["cancel"]),
        # inflections and plurals of the listed terms
        ("evaluating alternatives", ["alternative"]),
        ("looking at competitors", ["competitor"]),
        ("switching vendors", ["switch"]),
        ("they cancelled", ["cancel"]),
        ("contract canceled", ["cancel"]),
        ("he switches to X", ["switch"]),
        ("downgrading to basic", ["downgrade"]),
        ("still not renewing", ["not renewing"]),  # a term that is itself negative
        # budget: a mention is neutral, a lack or a cut is a signal
        ("wants SSO; budget approved", []),
        ("budget approved for next year", []),
        ("there is no budget", ["no budget"]),
        ("budget cut 40% in March", ["budget cut"]),
        ("budget cuts across the board", ["budget cut"]),
        ("budget freeze until Q2", ["budget freeze"]),
        ("they are out of budget", ["out of budget"]),
        # still whole words
        ("expensiveness of the switchboard", []),
        ("the competition is fierce", []),
    ],
)
def test_churn_language_negation_inflections_and_budget(text: str, terms: list[str]) -> None:
    assert churn_terms(text, DEFAULT.churn_words) == terms
    # the timeline highlights exactly these matches
    assert [t for *_, t in churn_spans(text, DEFAULT.churn_words)] == terms


def test_highlight_spans_cover_the_inflected_words() -> None:
    text = "Evaluating alternatives; cancelled the pilot"
    assert matched(text, DEFAULT.churn_words) == ["alternatives", "cancelled"]


def test_a_user_word_list_gets_the_same_rules() -> None:
    words = ("churn", "leave")
    assert churn_terms("they are leaving us", words) == ["leave"]
    assert churn_terms("they are not leaving us", words) == []


@pytest.mark.parametrize("joint", ["\n", " — ", " – ", ". "])
def test_a_negator_in_the_summary_does_not_reach_the_notes(joint: str) -> None:
    # the flags scan "summary\nnotes", the timeline shows "summary — notes": same matches
    assert churn_terms(f"no issues{joint}cancel", DEFAULT.churn_words) == ["cancel"]
