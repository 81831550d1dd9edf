"""Tests for the quick-log parser (core/quicklog.py): table-driven cases plus properties."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bookkeeper_tui.core import vocab
from bookkeeper_tui.core.quicklog import (
    NextTouchpoint,
    QuickLog,
    QuickLogError,
    ScoreEntry,
    account_candidates,
    match_account,
    parse_due,
    parse_quicklog,
    parse_when,
)

TODAY = date(2026, 11, 24)  # a Tuesday
NAMES = [
    "Acme Corp",
    "Acme Inc",
    "Globex Ltd",
    "Initech",
    "Umbrella",
    "Stark Industries",
    "Wayne Enterprises",
    "Soylent",
]


def parse(line: str, names: list[str] | None = None, today: date = TODAY) -> QuickLog:
    return parse_quicklog(line, NAMES if names is None else names, today)


# --- well-formed lines ------------------------------------------------------------------

OK_CASES: list[tuple[str, dict[str, Any]]] = [
    # the examples of docs/interfaces.md
    (
        'acme corp qbr with Dana nps 9 "wants SSO; budget approved" next call +2w #expansion',
        {
            "account": "Acme Corp",
            "kind": "qbr",
            "contact": "Dana",
            "scores": (ScoreEntry("nps", 9),),
            "summary": "wants SSO; budget approved",
            "next": NextTouchpoint("call", date(2026, 12, 8)),
            "tags": ("expansion",),
        },
    ),
    ("umbrella next qbr +3m", {"next": NextTouchpoint("qbr", date(2027, 2, 24))}),
    (
        'globex renewal with Priya mrr 4200 "renewal looks safe" nps 9 next qbr 2027-01-15',
        {
            "account": "Globex Ltd",
            "kind": "renewal",
            "contact": "Priya",
            "mrr": 4200.0,
            "summary": "renewal looks safe",
            "scores": (ScoreEntry("nps", 9),),
            "next": NextTouchpoint("qbr", date(2027, 1, 15)),
        },
    ),
    (
        'umbrella onboarding "setup done, SSO blocked by their IT" nps 8 next call +1w',
        {
            "kind": "onboarding",
            "summary": "setup done, SSO blocked by their IT",
            "scores": (ScoreEntry("nps", 8),),
            "next": NextTouchpoint("call", date(2026, 12, 1)),
        },
    ),
    (
        'initech qbr with Bob nps 4 "too expensive, evaluating an alternative"',
        {
            "account": "Initech",
            "kind": "qbr",
            "contact": "Bob",
            "scores": (ScoreEntry("nps", 4),),
            "summary": "too expensive, evaluating an alternative",
            "next": None,
        },
    ),
    # defaults
    (
        "initech",
        {
            "kind": "call",
            "summary": "",
            "scores": (),
            "mrr": None,
            "contact": None,
            "when": TODAY,
            "dated": False,
            "next": None,
            "tags": (),
        },
    ),
    # account matching
    ("INITECH note", {"account": "Initech", "kind": "note"}),
    ("init note", {"account": "Initech"}),
    ("acme c", {"account": "Acme Corp", "summary": ""}),
    ("acme inc email", {"account": "Acme Inc", "kind": "email"}),
    ("acme i email", {"account": "Acme Inc", "kind": "email"}),
    ("stark industries call", {"account": "Stark Industries", "summary": ""}),
    ("stark call", {"account": "Stark Industries"}),
    ("globx note", {"account": "Globex Ltd"}),  # fuzzy on the first word
    ("initeck note", {"account": "Initech"}),  # fuzzy on the whole name
    ("globx ltd note", {"account": "Globex Ltd", "summary": ""}),  # fuzzy over two tokens
    ('"Wayne Enterprises" meeting', {"account": "Wayne Enterprises", "kind": "meeting"}),
    ('"wayne" meeting', {"account": "Wayne Enterprises"}),
    ("“Initech” “hi there” more words", {"account": "Initech", "summary": "hi there more words"}),
    # kinds and summaries
    ("soylent MEETING", {"kind": "meeting"}),
    ("soylent call call", {"kind": "call"}),
    ('soylent "a" "b"', {"summary": "a b"}),
    (
        'soylent champion left  the  company "bad news"',
        {"summary": "bad news champion left the company"},
    ),
    ('soylent ""', {"summary": ""}),
    ("soylent newsletter went out", {"summary": "newsletter went out"}),
    ('soylent "nps 9 is just text"', {"summary": "nps 9 is just text", "scores": ()}),
    ("soylent champion left @mon", {"summary": "champion left", "when": date(2026, 11, 23)}),
    # scores
    (
        "soylent nps 0 csat 5 ces 1",
        {"scores": (ScoreEntry("nps", 0), ScoreEntry("csat", 5), ScoreEntry("ces", 1))},
    ),
    ("soylent CES 7 NPS 10", {"scores": (ScoreEntry("ces", 7), ScoreEntry("nps", 10))}),
    # mrr forms
    ("soylent mrr 1500", {"mrr": 1500.0}),
    ("soylent mrr 1500.50", {"mrr": 1500.5}),
    ("soylent mrr 1,500", {"mrr": 1500.0}),
    ("soylent mrr $1500", {"mrr": 1500.0}),
    ("soylent mrr 1.5k", {"mrr": 1500.0}),
    ("soylent mrr 1.15K", {"mrr": 1150.0}),
    ("soylent mrr 0", {"mrr": 0.0}),
    # contact
    ('soylent with "Dana  Scully"', {"contact": "Dana Scully"}),
    ("soylent with dana", {"contact": "dana"}),
    # @DATE
    ("soylent @2026-11-01", {"when": date(2026, 11, 1), "dated": True}),
    ("soylent @today", {"when": TODAY, "dated": True}),
    ("soylent @yesterday", {"when": date(2026, 11, 23)}),
    ("soylent @mon", {"when": date(2026, 11, 23)}),
    ("soylent @tue", {"when": TODAY}),  # on or before today
    ("soylent @wednesday", {"when": date(2026, 11, 18)}),
    ("soylent @-2d", {"when": date(2026, 11, 22)}),
    ("soylent @-1w", {"when": date(2026, 11, 17)}),
    ("soylent @-3m", {"when": date(2026, 8, 24)}),
    # next
    ("soylent next follow-up tomorrow", {"next": NextTouchpoint("follow_up", date(2026, 11, 25))}),
    ("soylent next nps +1y", {"next": NextTouchpoint("nps_ask", date(2027, 11, 24))}),
    ("soylent next CheckIn tue", {"next": NextTouchpoint("check_in", date(2026, 12, 1))}),
    ("soylent next mini_qbr fri", {"next": NextTouchpoint("mini_qbr", date(2026, 11, 27))}),
    ("soylent next call today", {"next": NextTouchpoint("call", TODAY)}),
    ("soylent next +3d", {"next": NextTouchpoint("call", date(2026, 11, 27))}),
    ("soylent meeting next +3d", {"next": NextTouchpoint("meeting", date(2026, 11, 27))}),
    ("soylent next +3d qbr", {"next": NextTouchpoint("qbr", date(2026, 11, 27))}),
    ("soylent note next 2026-12-01", {"next": NextTouchpoint("call", date(2026, 12, 1))}),
    ("soylent @-1w next call +2d", {"next": NextTouchpoint("call", date(2026, 11, 26))}),
    # tags
    ("soylent #A #b #a #renewal-risk", {"tags": ("a", "b", "renewal-risk")}),
    # everything, shuffled
    (
        'wayne #x @yesterday "sso" with "Bo Li" mrr 2k csat 4 next qbr +2w email #y',
        {
            "account": "Wayne Enterprises",
            "kind": "email",
            "summary": "sso",
            "tags": ("x", "y"),
            "when": date(2026, 11, 23),
            "dated": True,
            "contact": "Bo Li",
            "mrr": 2000.0,
            "scores": (ScoreEntry("csat", 4),),
            "next": NextTouchpoint("qbr", date(2026, 12, 8)),
        },
    ),
]


@pytest.mark.parametrize(("line", "expected"), OK_CASES)
def test_parses(line: str, expected: dict[str, Any]) -> None:
    result = parse(line)
    for field, value in expected.items():
        assert getattr(result, field) == value, field


def test_month_arithmetic_clamps_to_month_end() -> None:
    today = date(2026, 1, 31)
    assert parse("initech next call +1m", today=today).next == NextTouchpoint(
        "call", date(2026, 2, 28)
    )
    assert parse_due("+1m", today) == date(2026, 2, 28)
    assert parse_when("-1m", date(2026, 3, 31)) == date(2026, 2, 28)


def test_exact_name_beats_prefix() -> None:
    names = ["Acme", "Acme Corp"]
    assert parse("acme call", names).account == "Acme"
    assert parse("acme corp call", names).account == "Acme Corp"
    assert match_account(["acme"], names) == ("Acme", 1)
    assert match_account(["acme", "corp", "x"], names) == ("Acme Corp", 2)


def test_match_account_public() -> None:
    assert match_account(["acme", "i", "call"], NAMES) == ("Acme Inc", 2)
    assert match_account(["Wayne Enterprises", "call"], NAMES) == ("Wayne Enterprises", 1)
    with pytest.raises(QuickLogError) as exc:
        match_account(["zzz"], NAMES)
    assert exc.value.token == "zzz"


# --- errors -----------------------------------------------------------------------------

# (line, the token the error names, the text its offsets cover (its last occurrence in the
# line), a fragment of the message)
ERROR_CASES: list[tuple[str, str, str, str]] = [
    ("ac call", "ac", "ac", "matches several accounts: Acme Corp, Acme Inc; type more"),
    ("acme call", "acme", "acme", "matches several accounts: Acme Corp, Acme Inc"),
    ("xyz call", "xyz", "xyz", "no account matches 'xyz'; check the spelling or add it"),
    ("acm call", "acm", "acm", "matches several accounts"),  # fuzzy, ambiguous
    ('"zzz top" call', "zzz top", '"zzz top"', "no account matches 'zzz top'"),
    ('initech "unterminated', '"', '"', "never closed"),
    ("initech “unterminated", "“", "“", "never closed"),
    ("initech call email", "email", "email", "two kinds"),
    ("initech nps", "nps", "nps", "nps needs a number after it, from 0 to 10"),
    ("initech nps 11", "11", "11", "nps must be a whole number from 0 to 10, got '11'"),
    ("initech nps 8.5", "8.5", "8.5", "nps must be a whole number from 0 to 10"),
    ("initech nps great", "great", "great", "nps must be a whole number"),
    ("initech csat 0", "0", "0", "csat must be a whole number from 1 to 5, got '0'"),
    ("initech ces 8", "8", "8", "ces must be a whole number from 1 to 7, got '8'"),
    ("initech nps 9 csat 3 NPS 7", "NPS", "NPS", "nps is given twice"),
    ("initech mrr", "mrr", "mrr", "mrr needs an amount"),
    ("initech mrr -500", "-500", "-500", "mrr cannot be negative (got '-500'); use `mrr 0`"),
    ("initech mrr $-5", "$-5", "$-5", "mrr cannot be negative"),
    ("initech mrr lots", "lots", "lots", "mrr must be an amount like 1500"),
    ("initech mrr 1000000000000", "1000000000000", "1000000000000", "too large"),
    ("initech mrr 1 mrr 2", "mrr", "mrr", "appears twice"),
    ("initech with", "with", "with", "with needs a contact name"),
    ("initech with nps 9", "with", "with", "with needs a contact name"),
    ("initech with @mon", "with", "with", "with needs a contact name"),
    ('initech with ""', "with", "with", "with needs a contact name"),
    ("initech @", "@", "@", "is not a date"),
    ("initech @someday", "@someday", "@someday", "'@someday' is not a date; use @ with YYYY-MM-DD"),
    ("initech @tomorrow", "@tomorrow", "@tomorrow", "@DATE cannot be in the future"),
    ("initech @2026-12-01", "@2026-12-01", "@2026-12-01", "@DATE cannot be in the future"),
    ("initech @+2d", "@+2d", "@+2d", "@DATE cannot be in the future"),
    ("initech @2026-02-30", "@2026-02-30", "@2026-02-30", "not a real calendar date"),
    ("initech @-99999999y", "@-99999999y", "@-99999999y", "is not a date"),
    ("initech @-9999999y", "@-9999999y", "@-9999999y", "too far from today"),
    ("initech @mon @tue", "@tue", "@tue", "a second @DATE"),
    ("initech next", "next", "next", "next needs a touchpoint kind and a date"),
    ("initech next banana +2w", "banana", "banana", "unknown touchpoint kind 'banana'"),
    ("initech next qbr", "qbr", "qbr", "next qbr needs a date"),
    ("initech next qbr soon", "soon", "soon", "'soon' is not a due date"),
    ("initech next qbr -1d", "-1d", "-1d", "before today"),
    ("initech next qbr 2026-11-01", "2026-11-01", "2026-11-01", "before today"),
    ("initech next yesterday", "yesterday", "yesterday", "before today"),
    ("initech next qbr +1w next call +2w", "next", "next", "appears twice"),
    ("initech #", "#", "#", "'#' needs a tag name"),
    ("initech nsp 9", "nsp", "nsp", "unknown token 'nsp'; did you mean 'nps'?"),
    ("initech cast 4", "cast", "cast", "did you mean 'csat'?"),
    ("initech mr 1500", "mr", "mr", "did you mean 'mrr'?"),
    ("initech nxt +2w", "nxt", "nxt", "did you mean 'next'?"),
    ("initech meetng @mon", "meetng", "meetng", "did you mean 'meeting'?"),
    ("initech 9", "9", "9", "unexpected number '9'; put it after nps/csat/ces/mrr"),
    ("initech nps 9 7", "7", "7", "unexpected number '7'"),
    ("initech +2w", "+2w", "+2w", "unexpected date '+2w'"),
]


@pytest.mark.parametrize(("line", "token", "span", "fragment"), ERROR_CASES)
def test_errors(line: str, token: str, span: str, fragment: str) -> None:
    with pytest.raises(QuickLogError) as exc:
        parse(line)
    err = exc.value
    assert fragment in err.message
    assert str(err) == err.message
    assert isinstance(err, ValueError)
    assert err.token == token
    assert err.start is not None and err.end is not None
    assert (err.start, err.end) == (line.rindex(span), line.rindex(span) + len(span))


@pytest.mark.parametrize("line", ["", "   ", "\t\n"])
def test_empty_line(line: str) -> None:
    with pytest.raises(QuickLogError, match="the line is empty; start with an account name"):
        parse(line)


def test_long_or_odd_tokens_are_shortened_in_messages() -> None:
    line = "zz\x00" + "z" * 10_000
    with pytest.raises(QuickLogError) as exc:
        parse(line)
    assert len(exc.value.message) < 200
    assert "\x00" not in exc.value.message
    assert exc.value.token == line
    assert (exc.value.start, exc.value.end) == (0, len(line))


def test_control_chars_emoji_and_rtl_are_summary_text() -> None:
    result = parse("initech \x07bell 😀 שלום #😀")
    assert (result.summary, result.tags) == ("\x07bell 😀 שלום", ("😀",))


def test_no_accounts_yet() -> None:
    with pytest.raises(QuickLogError, match="no accounts yet") as exc:
        parse("acme call", names=[])
    assert (exc.value.start, exc.value.end) == (0, 4)


def test_missing_account_with_only_a_summary() -> None:
    with pytest.raises(QuickLogError, match="no account matches 'setup done"):
        parse('"setup done, SSO blocked by their IT" nps 8 next call +1w')


def test_duplicate_names_are_ambiguous() -> None:
    with pytest.raises(QuickLogError, match="several accounts: Acme, ACME"):
        parse("acme call", names=["Acme", "ACME"])


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("today", TODAY),
        ("@yesterday", date(2026, 11, 23)),
        ("2026-01-02", date(2026, 1, 2)),
        ("mon", date(2026, 11, 23)),
        ("Tue", TODAY),
        ("sun", date(2026, 11, 22)),
        ("wed", date(2026, 11, 18)),
        ("-2d", date(2026, 11, 22)),
        ("2d", date(2026, 11, 22)),
        ("-1w", date(2026, 11, 17)),
        ("-3m", date(2026, 8, 24)),
        ("-1y", date(2025, 11, 24)),
    ],
)
def test_parse_when(token: str, expected: date) -> None:
    assert parse_when(token, TODAY) == expected


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("today", TODAY),
        ("tomorrow", date(2026, 11, 25)),
        ("2027-01-15", date(2027, 1, 15)),
        ("tue", date(2026, 12, 1)),  # strictly after today
        ("wednesday", date(2026, 11, 25)),
        ("mon", date(2026, 11, 30)),
        ("+3d", date(2026, 11, 27)),
        ("3d", date(2026, 11, 27)),
        ("+2w", date(2026, 12, 8)),
        ("+1m", date(2026, 12, 24)),
        ("+1y", date(2027, 11, 24)),
    ],
)
def test_parse_due(token: str, expected: date) -> None:
    assert parse_due(token, TODAY) == expected


@pytest.mark.parametrize("token", ["soon", "", "-1d", "yesterday", "2026-13-01", "+99999999d"])
def test_parse_due_errors(token: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        parse_due(token, TODAY)


def test_dates_near_the_calendar_edges_do_not_crash() -> None:
    with pytest.raises(ValueError, match="too far"):
        parse_when("-1d", date.min)
    with pytest.raises(ValueError, match="too far"):
        parse_due("+1y", date.max)
    with pytest.raises(QuickLogError):
        parse("initech @yesterday next +1d", today=date.min)


# --- autocompletion ---------------------------------------------------------------------


def test_account_candidates() -> None:
    assert account_candidates("ac", NAMES) == ["Acme Corp", "Acme Inc"]
    assert account_candidates("ACME I", NAMES)[0] == "Acme Inc"  # then fuzzy ones
    assert account_candidates("ent", NAMES) == ["Wayne Enterprises"]  # word start
    assert account_candidates("i", NAMES) == ["Initech", "Acme Inc", "Stark Industries"]
    assert account_candidates("glbo", NAMES) == ["Globex Ltd"]  # fuzzy
    assert account_candidates("", NAMES, limit=3) == ["Acme Corp", "Acme Inc", "Globex Ltd"]
    assert account_candidates("a", NAMES, limit=1) == ["Acme Corp"]
    assert account_candidates("a", NAMES, limit=0) == []
    assert account_candidates("zzzz", NAMES) == []
    assert account_candidates("acme", ["Acme Corp", "Acme"]) == ["Acme", "Acme Corp"]


# --- properties -------------------------------------------------------------------------

VOCAB_WORDS = st.sampled_from(
    [*vocab.QUICKLOG_KINDS, "nps", "csat", "ces", "mrr", "with", "next", "@", "#", '"', "“",
     "9", "-1", "+2w", "@mon", "@-2d", "2026-02-30", "acme", "init", "qbr", "1.5k", "$-3"]
)  # fmt: skip


@settings(max_examples=400)
@given(
    line=st.text() | st.lists(VOCAB_WORDS | st.text(max_size=6)).map(" ".join),
    names=st.just(NAMES) | st.lists(st.text(max_size=12), max_size=5),
    today=st.dates(),
)
def test_never_raises_anything_but_quicklog_error(line: str, names: list[str], today: date) -> None:
    try:
        result = parse_quicklog(line, names, today)
    except QuickLogError as exc:
        assert "please report this bug" not in exc.message
        assert exc.message
        if exc.start is not None:
            assert exc.end is not None and 0 <= exc.start < exc.end <= len(line)
    else:
        assert result.account in names
        assert result.kind in vocab.QUICKLOG_KINDS


@given(prefix=st.text(max_size=10), names=st.lists(st.text(max_size=12), max_size=8))
def test_account_candidates_are_names(prefix: str, names: list[str]) -> None:
    got = account_candidates(prefix, names, limit=5)
    assert len(got) <= 5 and len(set(got)) == len(got)
    assert all(n in names for n in got)


ACCOUNT_SPELLINGS = {
    "Acme Corp": ["Acme Corp", "acme corp", "ACME C"],
    "Acme Inc": ["acme inc", "acme i"],
    "Globex Ltd": ["globex", "Globex Ltd", "glob"],
    "Initech": ["initech", "INIT"],
    "Umbrella": ["umbrella", "umb"],
    "Stark Industries": ["stark", "stark industries"],
    "Wayne Enterprises": ["Wayne Enterprises", "wayne"],
    "Soylent": ["soy", "soylent"],
}
SAFE_WORDS = ["budget", "approved", "pilot", "blocked", "sso", "champion"]
QUOTE_PAIRS = [('"', '"'), ("“", "”")]
free_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters='"“”„'), max_size=30
)


@st.composite
def well_formed(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid line in random order, with the fields it must parse to."""
    account = draw(st.sampled_from(sorted(ACCOUNT_SPELLINGS)))
    spelled = draw(st.sampled_from(ACCOUNT_SPELLINGS[account]))
    parts: list[tuple[str, str, Any]] = []  # (what, text, value)
    kind = None
    if draw(st.booleans()):
        kind = draw(st.sampled_from(vocab.QUICKLOG_KINDS))
        parts.append(("kind", draw(st.sampled_from([kind, kind.upper()])), kind))
    for _ in range(draw(st.integers(0, 2))):
        text = draw(free_text)
        opening, closing = draw(st.sampled_from(QUOTE_PAIRS))
        parts.append(("quoted", f"{opening}{text}{closing}", text.strip()))
    for word in draw(st.lists(st.sampled_from(SAFE_WORDS), max_size=3)):
        parts.append(("word", word, word))
    scores = {}
    for kw in draw(st.lists(st.sampled_from(["nps", "csat", "ces"]), unique=True)):
        lo, hi = vocab.SCORE_RANGES[kw]
        scores[kw] = draw(st.integers(int(lo), int(hi)))
        parts.append(("score", f"{kw} {scores[kw]}", None))
    mrr = None
    if draw(st.booleans()):
        cents = draw(st.integers(0, 10**9))
        mrr = cents / 100
        text = draw(st.sampled_from([f"{mrr:.2f}", f"${mrr:.2f}", f"{mrr:,.2f}"]))
        if cents % 100_000 == 0:
            text = draw(st.sampled_from([text, f"{cents // 100_000}k", f"{cents // 100}"]))
        parts.append(("mrr", f"mrr {text}", None))
    contact = None
    if draw(st.booleans()):
        raw = draw(free_text.filter(str.strip))
        contact = " ".join(raw.split())
        parts.append(("with", f'with "{raw}"', None))
    when = TODAY
    if draw(st.booleans()):
        when = TODAY - timedelta(days=draw(st.integers(0, 3000)))
        text = draw(st.sampled_from([when.isoformat(), f"-{(TODAY - when).days}d"]))
        parts.append(("when", f"@{text}", None))
    nxt = None
    if draw(st.booleans()):
        due = TODAY + timedelta(days=draw(st.integers(0, 3000)))
        date_text = draw(st.sampled_from([due.isoformat(), f"+{(due - TODAY).days}d"]))
        tp = draw(st.sampled_from([None, *vocab.TOUCHPOINT_KINDS, *vocab.TOUCHPOINT_ALIASES]))
        parts.append(("next", f"next {tp} {date_text}" if tp else f"next {date_text}", None))
        nxt = (vocab.TOUCHPOINT_ALIASES.get(tp, tp) if tp else None, due)
    for tag in draw(st.lists(st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True), max_size=3)):
        parts.append(("tag", f"#{tag}", tag.lower()))
    parts = draw(st.permutations(parts))

    final_kind = kind or "call"
    quoted = [v for what, _, v in parts if what == "quoted" and v]
    words = [v for what, _, v in parts if what == "word"]
    expected: dict[str, Any] = {
        "account": account,
        "kind": final_kind,
        "summary": " ".join([*quoted, *([" ".join(words)] if words else [])]),
        "scores": {ScoreEntry(k, v) for k, v in scores.items()},
        "mrr": mrr,
        "contact": contact,
        "when": when,
        "dated": any(what == "when" for what, _, _ in parts),
        "next": None
        if nxt is None
        else NextTouchpoint(
            nxt[0] or (final_kind if final_kind in vocab.TOUCHPOINT_KINDS else "call"), nxt[1]
        ),
        "tags": tuple(dict.fromkeys(v for what, _, v in parts if what == "tag")),
    }
    return " ".join([spelled, *(text for _, text, _ in parts)]), expected


@settings(max_examples=300)
@given(case=well_formed())
def test_well_formed_lines_round_trip(case: tuple[str, dict[str, Any]]) -> None:
    line, expected = case
    result = parse(line)
    got = {field: getattr(result, field) for field in expected}
    got["scores"] = set(result.scores)
    assert got == expected, line


# --- how the account was found (issue 12, points 4 and 5) -------------------------------

RADIANT = [*NAMES, "Radiantfield Energy", "Radiant", "Blue Sky Solar Power"]

ACCOUNT_MATCH_CASES: list[tuple[str, str, str, str]] = [
    # line, account, how it was found, summary
    ('radiantfield energy call "left voicemail"', "Radiantfield Energy", "exact", "left voicemail"),
    ('Radiantfield  ENERGY call "ok"', "Radiantfield Energy", "exact", "ok"),
    ('radiant call "left voicemail"', "Radiant", "exact", "left voicemail"),
    ('radiantfield call "left voicemail"', "Radiantfield Energy", "prefix", "left voicemail"),
    ('radiantfield ener call "left voicemail"', "Radiantfield Energy", "prefix", "left voicemail"),
    ('blue sky solar power call "ok"', "Blue Sky Solar Power", "exact", "ok"),
    ('blue sky sol call "ok"', "Blue Sky Solar Power", "prefix", "ok"),
    ('blue call "all good"', "Blue Sky Solar Power", "prefix", "all good"),
    ("globex call", "Globex Ltd", "prefix", ""),
    ("GLOBEX LTD call", "Globex Ltd", "exact", ""),
    ("glob call", "Globex Ltd", "prefix", ""),
    ('umbr call "running late"', "Umbrella", "prefix", "running late"),
    ('glbex call "left voicemail"', "Globex Ltd", "fuzzy", "left voicemail"),
    ('umbrela call "ok"', "Umbrella", "fuzzy", "ok"),
    ('radiantfeild energy call "ok"', "Radiantfield Energy", "fuzzy", "ok"),
]


@pytest.mark.parametrize(("line", "account", "how", "summary"), ACCOUNT_MATCH_CASES)
def test_account_match_kind_and_longest_name(line: str, account: str, how: str, summary: str):
    q = parse(line, RADIANT)
    assert (q.account, q.account_match, q.summary) == (account, how, summary)


# -- renewal outcomes (issue 14 #1) -----------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "outcome", "mrr", "term", "summary"),
    [
        ("globex renewal renewed mrr 2200 term 12m", "renewed", 2200.0, 12, ""),
        ("globex renewal renewed", "renewed", None, None, ""),
        ("globex renewal renewed term 2y", "renewed", None, 24, ""),
        ("globex renewal renewed term 6", "renewed", None, 6, ""),
        ("globex renewal renewed term 18 months", "renewed", None, 18, "months"),
        ('globex renewal churned "moved to a competitor"', "churned", 0.0, None,
         "moved to a competitor"),
        ("globex renewal churned mrr 0 budget cut", "churned", 0.0, None, "budget cut"),
        ("globex renewal downgraded mrr 900", "downgraded", 900.0, None, ""),
        ('globex renewal downgraded mrr 900 term 6m "fewer seats"', "downgraded", 900.0, 6,
         "fewer seats"),
        ("globex with Priya renewal Renewed mrr 2.2k", "renewed", 2200.0, None, ""),
        # Not an outcome: the word must follow `renewal`, and `term` needs a term value.
        ('globex renewal "they renewed"', None, None, None, "they renewed"),
        ("globex renewal went well, renewed", None, None, None, "went well, renewed"),
        ("globex renewal long term plans", None, None, None, "long term plans"),
        ("globex call renewed", None, None, None, "renewed"),
    ],
)  # fmt: skip
def test_renewal_outcomes(line, outcome, mrr, term, summary) -> None:
    q = parse(line)
    assert (q.account, q.outcome, q.mrr, q.term_months, q.summary) == (
        "Globex Ltd",
        outcome,
        mrr,
        term,
        summary,
    )
    if outcome:
        assert q.kind == "renewal"


@pytest.mark.parametrize(
    ("line", "token", "fragment"),
    [
        ("globex renewal renewed term 0m", "0m", "must be from 1 to 120 months"),
        ("globex renewal renewed term 121m", "121m", "must be from 1 to 120 months"),
        ("globex renewal renewed term -1y", "-1y", "must be from 1 to 120 months"),
        ("globex renewal renewed term 12m term 6m", "term", "'term' appears twice"),
        ("globex renewal term 12m", "term", "a term goes with a renewal outcome"),
        ("globex renewal churned term 12m", "term", "a churned renewal has no next term"),
        ("globex renewal churned mrr 500", "mrr", "drop `mrr N`"),
        ("globex renewal downgraded", "downgraded", "downgraded needs the new MRR"),
        ("globex renewal downgraded mrr 0", "mrr", "is a churn"),
        ("globex renewal renewed mrr 0", "mrr", "is a churn"),
        ("globex renewal renewed renewal churned", "churned", "a second renewal outcome"),
        ("globex renewal renewed call", "call", "two kinds in one line"),
    ],
)
def test_renewal_outcome_errors(line: str, token: str, fragment: str) -> None:
    with pytest.raises(QuickLogError) as exc:
        parse(line)
    err = exc.value
    assert fragment in err.message
    assert err.token == token
    assert (err.start, err.end) == (line.rindex(token), line.rindex(token) + len(token))


def _candidates_before_issue_16(prefix, account_names, limit=10):
    """account_candidates as it was before it was made fast: the reference answer."""
    import difflib
    import re

    from bookkeeper_tui.core.quicklog import _key

    if limit <= 0:
        return []
    names = [n for n in dict.fromkeys(account_names) if _key(n)]
    p = _key(prefix)
    if not p:
        return sorted(names, key=str.casefold)[:limit]
    starts = [n for n in names if _key(n).startswith(p)]
    starts.sort(key=lambda n: (_key(n) != p, n.casefold()))
    rest = [n for n in names if n not in starts]

    def words(n):
        return [w for w in re.split(r"[\s\-_./&,()]+", _key(n)) if w]

    inner = sorted(
        (n for n in rest if any(w.startswith(p) for w in words(n)) or f" {p}" in _key(n)),
        key=str.casefold,
    )
    fuzzy = []
    for n in rest:
        if n in inner:
            continue
        k = _key(n)
        score = max(
            difflib.SequenceMatcher(None, p, x).ratio() for x in (k, k[: len(p)], *words(n))
        )
        if score >= 0.7:
            fuzzy.append((-score, n))
    fuzzy.sort(key=lambda sn: (sn[0], sn[1].casefold()))
    return [*starts, *inner, *(n for _, n in fuzzy)][:limit]


def test_fast_account_candidates_answer_exactly_as_before():
    """Issue 16: the suggestions are computed fast (indexed names, bounded difflib) and
    are exactly the reference answer, for every kind of prefix and limit."""
    import random

    from bookkeeper_tui.core.quicklog import account_candidates

    rng = random.Random(3)
    first = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Black", "Cyber", "Nova"]
    second = ["Systems", "Labs", "Health", "Foods", "Energy", "Logistics", "Media", "Mesa"]
    third = ["", " Co", " Ltd", " Inc", " GmbH", " Group"]
    names = [
        f"{rng.choice(first)}{rng.choice(['', 'light', 'path', 'field'])} "
        f"{rng.choice(second)}{rng.choice(third)}"
        for _ in range(600)
    ] + ["Acme Corp", "ACME corp ", "Globex Ltd", "Black-Mesa (EU)", " "]
    prefixes = ["", "a", "ac", "acme", "acem", "glbex", "mesa", "eu", "zzzz", "co", "b", "sys"]
    prefixes += [n.split()[0][:4] for n in rng.sample(names[:600], 20)]
    prefixes += ["".join(rng.sample(n, min(5, len(n)))) for n in rng.sample(names[:600], 20)]
    for prefix in prefixes:
        for limit in (0, 1, 6, 10, 50):
            assert account_candidates(prefix, names, limit) == _candidates_before_issue_16(
                prefix, names, limit
            ), (prefix, limit)
