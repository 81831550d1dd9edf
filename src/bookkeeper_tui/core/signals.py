"""Risk and opportunity flags: shown beside the health score, never inside it (docs/domain.md).

Flags are facts a CSM acts on ("churn language", "renewal in 42d, not green"), each with a
stable code for filters and a sentence saying why. Churn language is matched on whole words
with their inflections ("cancelled", "switching"; "switchboard" never reads as "switch"), and
not when a negator shortly precedes it ("no plans to cancel"). Pure functions: the caller
passes ``as_of``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from bookkeeper_tui.core.relationships import (
    NO_ECONOMIC_BUYER,
    SINGLE_THREADED,
    ContactFact,
    relationship_flags,
)
from bookkeeper_tui.core.settings import SignalConfig

#: NPS at or above this is a promoter (docs/domain.md "Closed loop").
PROMOTER_NPS = 9.0
#: Usage at or above this percentage of the plan limit is an expansion opportunity.
USAGE_LIMIT_PCT = 90.0


# --------------------------------------------------------------------------- churn language


#: Words that turn a following churn term into reassurance ("no plans to cancel").
NEGATORS = frozenset(
    [
        "no",
        "not",
        "never",
        "none",
        "nobody",
        "nothing",
        "neither",
        "nor",
        "without",
        "cannot",
        "won't",
        "wont",
        "don't",
        "dont",
        "doesn't",
        "doesnt",
        "didn't",
        "didnt",
        "isn't",
        "isnt",
        "aren't",
        "arent",
        "wasn't",
        "wasnt",
        "can't",
        "cant",
        "shouldn't",
        "wouldn't",
    ]
)
#: How many words before a term a negator still applies to.
NEGATION_WINDOW = 4
#: A negator does not reach past a clause boundary: punctuation, a dash (the timeline joins
#: summary and notes with " — " where the flags use a line break) or "but".
_CLAUSE_END = re.compile(r"[.;:!?,()\[\]\n—–]|\s-\s|\bbut\b|\bhowever\b", re.IGNORECASE)
_WORD = re.compile(r"[\w'’]+")


def _word_pattern(word: str) -> str:
    """A word of a term with its plurals and inflections: the last letters may vary.

    "cancel" also matches cancels, canceled, cancelled, cancelling, cancellation;
    "alternative" matches alternatives; "switch" matches switches, switched, switching;
    "downgrade" matches downgraded, downgrading. Only these endings are added, so the
    match stays whole-word: "switchboard" and "expensiveness" do not match.
    """
    if not word[-1:].isalpha():
        return re.escape(word)
    if word[-1:].lower() == "e":
        return re.escape(word[:-1]) + r"(?:e|es|ed|ing|ation|ations)"
    double = re.escape(word[-1])
    return re.escape(word) + rf"(?:s|es|ed|ing|ation|ations|{double}ed|{double}ing|{double}ation)?"


def _term_pattern(term: str) -> re.Pattern[str] | None:
    """Whole-word, case-insensitive pattern; words of a multi-word term match across any space."""
    words = term.split()
    if not words:
        return None
    body = r"\s+".join(_word_pattern(w) for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def _negated(text: str, start: int) -> bool:
    """Is there a negator among the few words before *start*, in the same clause?"""
    before = text[max(0, start - 200) : start]
    boundaries = list(_CLAUSE_END.finditer(before))
    if boundaries:
        before = before[boundaries[-1].end() :]
    words = _WORD.findall(before)[-NEGATION_WINDOW:]
    return any(w.lower().replace("’", "'") in NEGATORS for w in words)


@lru_cache(maxsize=8)
def _compiled(
    words: tuple[str, ...],
) -> tuple[re.Pattern[str] | None, list[tuple[re.Pattern[str], str]]]:
    """Patterns for a word list, compiled once: scanning thousands of notes stays cheap.

    The first pattern matches any term and lets text without churn language (most of
    it) skip the per-term scan.
    """
    patterns: list[tuple[re.Pattern[str], str]] = []
    seen: set[str] = set()
    for term in words:
        key = " ".join(term.lower().split())
        if key in seen:
            continue
        seen.add(key)
        pattern = _term_pattern(term)
        if pattern is not None:
            patterns.append((pattern, term))
    if not patterns:
        return None, []
    any_term = re.compile("|".join(f"(?:{p.pattern})" for p, _ in patterns), re.IGNORECASE)
    return any_term, patterns


def churn_spans(text: str, words: Sequence[str]) -> list[tuple[int, int, str]]:
    """Every churn term in *text* as ``(start, end, term)``, sorted by start, non-overlapping.

    Matches whole words and their inflections ("cancelled" matches "cancel"; "expensiveness"
    and "switchboard" do not), and drops a match with a negator among the NEGATION_WINDOW
    words before it in the same clause ("no plans to cancel"). When matches overlap the
    longest wins, so "too expensive" is not also reported as "expensive"; on equal length the
    earlier one wins. The term is returned as configured, for the highlight legend.
    """
    return list(_spans(text, tuple(words)))


@lru_cache(maxsize=16_384)
def _spans(text: str, words: tuple[str, ...]) -> tuple[tuple[int, int, str], ...]:
    """churn_spans, remembered: the book view and every save rescan the same notes."""
    any_term, patterns = _compiled(words)
    if any_term is None or any_term.search(text) is None:
        return ()
    candidates: list[tuple[int, int, str]] = []
    for pattern, term in patterns:
        candidates.extend((m.start(), m.end(), term) for m in pattern.finditer(text))
    # Longest first, then earliest; on the same span a term written exactly as the text
    # (a user-listed inflection such as "cancelled") wins over an inflected shorter one.
    candidates.sort(
        key=lambda c: (
            -(c[1] - c[0]),
            c[0],
            " ".join(text[c[0] : c[1]].lower().split()) != c[2].lower(),
        )
    )
    chosen: list[tuple[int, int, str]] = []
    for start, end, term in candidates:
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, term))
    # A negated term ("no plans to cancel") is reassurance: it is dropped after the longest
    # match was chosen, so "no budget" is one term rather than a negated "budget".
    chosen = [c for c in chosen if not _negated(text, c[0])]
    chosen.sort(key=lambda c: c[0])
    return tuple(chosen)


def churn_terms(text: str, words: Sequence[str]) -> list[str]:
    """The churn terms found in *text*, each once, in order of first appearance."""
    out: list[str] = []
    for _, _, term in _spans(text, tuple(words)):
        if term not in out:
            out.append(term)
    return out


# --------------------------------------------------------------------------- flags


@dataclass(frozen=True)
class Flag:
    """One risk or opportunity: a stable code, a short label for a cell, and why."""

    code: str
    kind: str
    label: str
    detail: str


@dataclass(frozen=True)
class FlagFacts:
    """What the store knows about one account, reduced to what the flags need."""

    start: date | None = None
    renewal: date | None = None
    band: str | None = None
    health_history: Sequence[tuple[date, float]] = ()
    current_score: float | None = None
    nps: Sequence[tuple[date, float]] = ()
    usage: Sequence[tuple[date, float]] = ()
    tickets: Sequence[date] = ()
    churn_terms_recent: Sequence[str] = ()
    champion_left: bool = False
    overdue_touchpoints: int = 0
    nps_gap_flagged: bool = False
    last_referral_ask: date | None = None
    last_expansion_talk: date | None = None
    #: Usage as a percentage of the plan limit (94.0 = 94%), when the book knows the limit.
    usage_limit_pct: float | None = None
    #: The account's tier and contacts, for the relationship flags (core.relationships).
    tier: str | None = None
    contacts: Sequence[ContactFact] = ()


def _num(x: float) -> str:
    r = round(float(x), 1)
    return str(int(r)) if r == int(r) else f"{r:.1f}"


def _fell(points: Sequence[tuple[date, float]], start: date, as_of: date) -> bool:
    """True when the latest value in (start, as_of] is below the baseline.

    The baseline is the latest value at or before *start* (where things stood when the window
    opened), else the earliest value inside the window. One point alone cannot fall.
    """
    ordered = sorted(((d, i, v) for i, (d, v) in enumerate(points)), key=lambda p: p[:2])
    inside = [p for p in ordered if start < p[0] <= as_of]
    if not inside:
        return False
    before = [p for p in ordered if p[0] <= start]
    baseline = before[-1] if before else inside[0]
    latest = inside[-1]
    return latest is not baseline and latest[2] < baseline[2]


def triple_signal(
    nps: Sequence[tuple[date, float]],
    usage: Sequence[tuple[date, float]],
    tickets: Sequence[date],
    as_of: date,
    days: int = 90,
) -> bool:
    """NPS fell AND usage fell AND tickets rose within (as_of - days, as_of].

    Any one of these alone is noise; together they are the classic pre-churn pattern. Tickets
    "rose" when the later half of the window holds more tickets than the earlier half.
    """
    start = as_of - timedelta(days=days)
    mid = as_of - timedelta(days=days // 2)
    first = sum(1 for d in tickets if start < d <= mid)
    second = sum(1 for d in tickets if mid < d <= as_of)
    return second > first and _fell(nps, start, as_of) and _fell(usage, start, as_of)


def _health_drop(facts: FlagFacts, as_of: date, cfg: SignalConfig) -> Flag | None:
    """Current score (or the latest snapshot) against the earliest snapshot in the window.

    Only snapshots in [as_of - days, now) are baselines, so a sparse history never passes off a
    drop over months as a drop "in 30 days".
    """
    history = sorted((p for p in facts.health_history if p[0] <= as_of), key=lambda p: p[0])
    if facts.current_score is not None:
        now_day, now_score = as_of, float(facts.current_score)
    elif history:
        now_day, now_score = history[-1]
    else:
        return None
    target = as_of - timedelta(days=cfg.health_drop_days)
    candidates = [p for p in history if target <= p[0] < now_day]
    if not candidates:
        return None
    then_day, then_score = min(candidates, key=lambda p: (abs((p[0] - target).days), p[0]))
    drop = then_score - now_score
    if drop < cfg.health_drop_points:
        return None
    return Flag(
        "health_drop",
        "risk",
        f"health -{_num(drop)} in {cfg.health_drop_days}d",
        f"Health fell from {_num(then_score)} on {then_day.isoformat()} to {_num(now_score)} "
        f"({_num(cfg.health_drop_points)}+ points in {cfg.health_drop_days} days).",
    )


def _risks(facts: FlagFacts, as_of: date, cfg: SignalConfig) -> list[Flag]:
    flags: list[Flag] = []
    if facts.churn_terms_recent:
        quoted = ", ".join(f'"{t}"' for t in dict.fromkeys(facts.churn_terms_recent))
        flags.append(
            Flag("churn_language", "risk", "churn language", f"Recent notes say {quoted}.")
        )
    if triple_signal(facts.nps, facts.usage, facts.tickets, as_of, cfg.triple_signal_days):
        flags.append(
            Flag(
                "triple_signal",
                "risk",
                "NPS down, usage down, tickets up",
                f"In the last {cfg.triple_signal_days} days NPS fell, usage fell and tickets "
                "rose: together, a renewal risk.",
            )
        )
    drop = _health_drop(facts, as_of, cfg)
    if drop is not None:
        flags.append(drop)
    if facts.champion_left:
        flags.append(
            Flag(
                "champion_left",
                "risk",
                "champion left",
                "The champion has left the company; find and win a new one.",
            )
        )
    if facts.tier is not None and facts.contacts:
        tiers = {
            SINGLE_THREADED: cfg.single_threaded_tiers,
            NO_ECONOMIC_BUYER: cfg.no_economic_buyer_tiers,
        }
        for rf in relationship_flags(facts.tier, facts.contacts, as_of, tiers):
            flags.append(Flag(rf.code, "risk", rf.label, rf.detail))
    if facts.renewal is not None and facts.band != "green":
        days = (facts.renewal - as_of).days
        # A renewal already past is the renewal touchpoint's business, not a forecast.
        if 0 <= days <= cfg.renewal_risk_days:
            when = "today" if days == 0 else f"in {days}d"
            state = f"health {facts.band}" if facts.band else "health unknown"
            flags.append(
                Flag(
                    "renewal_risk",
                    "risk",
                    f"renewal {when}, not green",
                    f"Renews on {facts.renewal.isoformat()} with {state}.",
                )
            )
    if facts.overdue_touchpoints > 0:
        n = facts.overdue_touchpoints
        flags.append(
            Flag(
                "overdue",
                "risk",
                f"{n} overdue",
                f"{n} planned touchpoint{'s are' if n != 1 else ' is'} past due.",
            )
        )
    if facts.nps_gap_flagged:
        flags.append(
            Flag(
                "nps_gap",
                "risk",
                "NPS gap",
                "Buyers and champions answer NPS far apart from the other contacts: "
                "buyers and users tell different stories.",
            )
        )
    return flags


def _opportunities(facts: FlagFacts, as_of: date, cfg: SignalConfig) -> list[Flag]:
    flags: list[Flag] = []
    answers = sorted(
        ((d, i, v) for i, (d, v) in enumerate(facts.nps) if d <= as_of), key=lambda p: p[:2]
    )
    quiet_since = as_of - timedelta(days=cfg.referral_quiet_days)
    # An ask in the quiet period, or one already scheduled (a future date), means it is handled.
    asked = facts.last_referral_ask is not None and facts.last_referral_ask > quiet_since
    if answers and answers[-1][2] >= PROMOTER_NPS and not asked:
        when, _, score = answers[-1]
        flags.append(
            Flag(
                "referral_opportunity",
                "opportunity",
                "promoter, ask for a referral",
                f"NPS {_num(score)} on {when.isoformat()} and no referral ask in the last "
                f"{cfg.referral_quiet_days} days.",
            )
        )

    # Both expansion reasons share one code so an account carries at most one expansion flag.
    reasons: list[str] = []
    label = ""
    pct = facts.usage_limit_pct
    if pct is not None and pct >= USAGE_LIMIT_PCT:
        label = f"usage {_num(pct)}% of plan"
        reasons.append(f"usage is at {_num(pct)}% of the plan limit")
    due = facts.start is not None and as_of >= facts.start + timedelta(
        days=cfg.expansion_after_days
    )
    # Recurring: a green account is due another expansion talk every expansion_after_days.
    talked_since = as_of - timedelta(days=cfg.expansion_after_days)
    talked = facts.last_expansion_talk is not None and facts.last_expansion_talk > talked_since
    if facts.band == "green" and due and not talked:
        label = label or "green, expansion talk due"
        reasons.append(
            f"the account is green, past day {cfg.expansion_after_days}, and had no expansion "
            f"conversation in the last {cfg.expansion_after_days} days"
        )
    if reasons:
        text = " and ".join(reasons)
        detail = text[0].upper() + text[1:] + "."
        flags.append(Flag("expansion_opportunity", "opportunity", label, detail))
    return flags


def account_flags(facts: FlagFacts, as_of: date, cfg: SignalConfig) -> list[Flag]:
    """Every flag for one account on *as_of*: risks first (most urgent kinds first), then
    opportunities. Each code appears at most once."""
    return risk_flags(facts, as_of, cfg) + _opportunities(facts, as_of, cfg)


def risk_flags(facts: FlagFacts, as_of: date, cfg: SignalConfig) -> list[Flag]:
    """The risks of :func:`account_flags` alone (the renewal desk shows no opportunities)."""
    return _risks(facts, as_of, cfg)
