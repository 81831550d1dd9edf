"""The health score: a weighted, explainable 0-100 number per account (docs/domain.md).

Every component is scored 0-100 from the latest data dated on or before ``as_of`` and comes
with a sentence saying why, so the UI can show the breakdown instead of a bare number. A
component without data is left out and the remaining weights are renormalised: missing data
is unknown, not red. Engagement is unknown until the first two-way conversation, and an
account whose only known component is account strength (an MRR trend) has not enough data:
score and band are None. Pure functions only: the caller passes ``as_of``, nothing reads the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bookkeeper_tui.core.settings import HealthConfig

#: Canonical component order; breaks ties between equal weights so the order is stable.
COMPONENTS: tuple[str, ...] = ("usage", "engagement", "support", "survey", "strength")
#: Components that are shown in the breakdown but cannot make a score on their own.
CONTEXT_ONLY: frozenset[str] = frozenset({"strength"})


@dataclass(frozen=True)
class HealthFacts:
    """What the store knows about one account, reduced to what the score needs."""

    tier: str
    start: date | None
    usage: Sequence[tuple[date, float]] = ()
    two_way: Sequence[date] = ()
    #: None means the book does not track tickets for this account (support is then unknown).
    tickets: Sequence[date] | None = None
    ticket_counts: Sequence[tuple[date, float]] = ()
    surveys: Sequence[tuple[date, str, float]] = ()
    mrr_levels: Sequence[tuple[date, float]] = ()
    override: tuple[date, float] | None = None
    #: Imported feeds that ended long ago: (component, the feed's newest record). The store
    #: leaves their data out; the breakdown says where the feed ends.
    stale: tuple[tuple[str, date], ...] = ()


def feed_is_current(newest: date | None, as_of: date, cfg: HealthConfig) -> bool:
    """True when an imported feed's newest record is recent enough to speak for *as_of*.

    A help-desk export or a usage extract that stopped months ago says nothing about an
    account today: "no tickets in 30 days" would read as a perfect 100 and "no use in 30
    days" as 0. A feed with nothing on or before *as_of* is not current either.
    """
    return newest is not None and (as_of - newest).days <= cfg.feed_stale_days


#: What each imported feed is called when it has gone stale.
FEED_NAMES = {"support": "ticket log", "usage": "usage log"}


def stale_words(component: str, newest: str | date) -> str:
    """'the imported ticket log ends 2024-12-30: too old to count' (show and the app)."""
    day = newest.isoformat() if isinstance(newest, date) else newest
    feed = FEED_NAMES.get(component, "feed")
    return f"the imported {feed} ends {day}: too old to count; import a fresh one"


@dataclass(frozen=True, slots=True)
class Component:
    """One line of the breakdown: a value, its weight, its share of the score, and why."""

    name: str
    value: float
    weight: float
    share: float
    detail: str


@dataclass(frozen=True, slots=True)
class Health:
    """A score with its breakdown; ``score`` is None when there is not enough data to score."""

    score: float | None
    band: str | None
    components: tuple[Component, ...]
    missing: tuple[str, ...]
    overridden: bool = False
    #: Missing components whose imported feed ended long ago: (component, newest record).
    stale: tuple[tuple[str, date], ...] = ()


def band_of(score: float | None, cfg: HealthConfig) -> str | None:
    """Green / yellow / red by the configured thresholds; None stays None (unknown, not red)."""
    if score is None:
        return None
    if score >= cfg.green:
        return "green"
    if score >= cfg.yellow:
        return "yellow"
    return "red"


def _mrr_on(levels: Sequence[tuple[date, float]], day: date) -> float:
    """MRR on *day*: a level applies from its date (inclusive) until the next; 0 before the first.

    Private on purpose so health does not depend on the KPI module.
    """
    value = 0.0
    for when, level in sorted(levels, key=lambda p: p[0]):
        if when > day:
            break
        value = float(level)
    return value


def _num(x: float) -> str:
    """A number the way a person writes it: ``4`` not ``4.0``, ``12.5`` stays."""
    r = round(float(x), 1)
    return str(int(r)) if r == int(r) else f"{r:.1f}"


def _plural(n: float, word: str) -> str:
    return f"{_num(n)} {word}" + ("" if n == 1 else "s")


def _clamp(x: float) -> float:
    return max(0.0, min(100.0, float(x)))


def _within(d: date, as_of: date, days: int) -> bool:
    """True when *d* is in the last *days* days: (as_of - days, as_of].

    Half-open so a 30-day window holds exactly 30 calendar days, the same rule everywhere.
    """
    return as_of - timedelta(days=days) < d <= as_of


def _latest(points: Sequence[tuple[date, float]], as_of: date) -> tuple[date, float] | None:
    """The latest point dated on or before *as_of*; on a tie the later one in input order."""
    best: tuple[date, float] | None = None
    for when, value in points:
        if when <= as_of and (best is None or when >= best[0]):
            best = (when, value)
    return best


def _usage(facts: HealthFacts, as_of: date) -> tuple[float, str] | None:
    latest = _latest(facts.usage, as_of)
    if latest is None:
        return None
    when, value = latest
    detail = f"usage {_num(value)}% (latest signal {when.isoformat()}"
    # Name the previous signal when it differs: "usage fell from 80 to 35" is the story.
    earlier = _latest([p for p in facts.usage if p[0] < when], as_of)
    if earlier is not None and abs(earlier[1] - value) >= 1:
        detail += f", was {_num(earlier[1])}% on {earlier[0].isoformat()}"
    return _clamp(value), detail + ")"


def _engagement(facts: HealthFacts, as_of: date, cfg: HealthConfig) -> tuple[float, str] | None:
    talks = [d for d in facts.two_way if d <= as_of]
    if not talks:
        # No two-way conversation yet: engagement is unknown. The days-since-start clock must
        # not score on its own, or every imported account would read as cold (and a brand
        # new one as perfectly engaged).
        return None
    last_talk = max(talks)
    start = facts.start if facts.start is not None and facts.start <= as_of else None
    # The clock starts at the start date: a pre-sales call must not make a new account look cold.
    if start is not None and start > last_talk:
        since, what = start, "since the start"
    else:
        since, what = last_talk, "since the last conversation"
    # An unknown tier gets the longest cadence: lenient, because a bad tier is not a bad account.
    cadence = cfg.cadence_days.get(facts.tier)
    if cadence is None:
        cadence = max(cfg.cadence_days.values(), default=30)
    cadence = max(1, int(cadence))  # a zero cadence in a config must not divide by zero
    days = (as_of - since).days
    if days <= cadence:
        value = 100.0
    elif cfg.engagement_zero_at <= 1:
        value = 0.0
    else:
        span = (cfg.engagement_zero_at - 1) * cadence
        value = max(0.0, 100.0 * (cfg.engagement_zero_at * cadence - days) / span)
    return value, f"{_plural(days, 'day')} {what} (cadence {cadence})"


def _support(facts: HealthFacts, as_of: date, cfg: HealthConfig) -> tuple[float, str] | None:
    window = cfg.ticket_window_days
    recent_count = _latest([p for p in facts.ticket_counts if _within(p[0], as_of, window)], as_of)
    if recent_count is not None:
        when, count = recent_count
        source = f" (count of {when.isoformat()})"
    elif facts.tickets is not None:
        count = sum(1 for d in facts.tickets if _within(d, as_of, window))
        source = ""
    else:
        # Only stale counts and no ticket log: unknown, not a clean 100.
        return None
    count = max(0.0, float(count))
    value = max(0.0, 100.0 - cfg.ticket_penalty * count)
    words = "no tickets" if count == 0 else _plural(count, "ticket")
    return value, f"{words} in {window} days{source}"


def _survey(facts: HealthFacts, as_of: date, cfg: HealthConfig) -> tuple[float, str] | None:
    best: tuple[date, int, str, float] | None = None
    for when, kind, value in facts.surveys:
        k = kind.lower()
        if k not in ("nps", "csat") or not _within(when, as_of, cfg.survey_window_days):
            continue
        # Most recent wins; on the same day NPS wins (the 0-10 scale the rest of the book uses).
        key = (when, 1 if k == "nps" else 0, k, float(value))
        if best is None or key[:2] >= best[:2]:
            best = key
    if best is None:
        return None
    when, _, kind, raw = best
    value = raw * 10 if kind == "nps" else (raw - 1) * 25
    return _clamp(value), f"{kind.upper()} {_num(raw)} on {when.isoformat()}"


def _strength(facts: HealthFacts, as_of: date, cfg: HealthConfig) -> tuple[float, str] | None:
    if not facts.mrr_levels:
        return None
    days = cfg.strength_window_days
    now = _mrr_on(facts.mrr_levels, as_of)
    then = _mrr_on(facts.mrr_levels, as_of - timedelta(days=days))
    if now == 0 and then == 0:
        return None
    # Cents, so float noise in imported amounts never reads as growth.
    if round(now, 2) > round(then, 2):
        trend = "growing"
    elif round(now, 2) < round(then, 2):
        trend = "shrinking"
    else:
        trend = "flat"
    value = _clamp(cfg.strength_scores.get(trend, 0.0))
    return value, f"MRR {_num(then)} -> {_num(now)} over {days} days: {trend}"


def compute_health(facts: HealthFacts, as_of: date, cfg: HealthConfig) -> Health:
    """Score one account on *as_of*; only data dated on or before *as_of* counts.

    Components with weight 0 are switched off by the user: they are neither scored nor
    reported missing. A manual override dated on or before *as_of* replaces the score but the
    computed components are still listed, so the user sees what the override hides.
    """
    scored = {
        "usage": _usage(facts, as_of),
        "engagement": _engagement(facts, as_of, cfg),
        "support": _support(facts, as_of, cfg),
        "survey": _survey(facts, as_of, cfg),
        "strength": _strength(facts, as_of, cfg),
    }
    present: list[tuple[str, float, float, str]] = []
    missing: list[str] = []
    for name in COMPONENTS:
        weight = float(cfg.weights.get(name, 0.0))
        if weight <= 0:
            continue
        result = scored[name]
        if result is None:
            missing.append(name)
        else:
            present.append((name, round(result[0], 1), weight, result[1]))
    present.sort(key=lambda c: (-c[2], COMPONENTS.index(c[0])))
    total = sum(c[2] for c in present)
    components = tuple(
        Component(name=n, value=v, weight=w, share=w / total, detail=d) for n, v, w, d in present
    )
    score = round(sum(c.value * c.weight for c in components) / total, 1) if total else None
    # An MRR trend alone is context, not health: without one other known component the
    # account has not enough data for a score or a band (and so never calls for action).
    if not any(c.name not in CONTEXT_ONLY for c in components):
        score = None

    overridden = False
    if facts.override is not None and facts.override[0] <= as_of:
        score = round(_clamp(facts.override[1]), 1)
        overridden = True
    return Health(
        score=score,
        band=band_of(score, cfg),
        components=components,
        missing=tuple(missing),
        overridden=overridden,
        stale=tuple((n, d) for n, d in facts.stale if n in missing),
    )


def weight_words(weight: float, share: float) -> str:
    """How one component counts, the same words on the account screen and in ``show``.

    The configured weight and the effective share of the score once missing components'
    weights are spread over the rest: ``"weight 40 = 62%"``.
    """
    return f"weight {weight:g} = {share * 100:.0f}%"


NOT_ENOUGH_DATA = (
    "Not enough data for a score yet: log a call, a usage score or a survey answer "
    "(an MRR trend alone is context, not health)."
)


def explain_change(previous: Sequence[tuple[str, float]] | None, current: Health) -> list[str]:
    """What moved since the last snapshot, in words: ``["usage 80 -> 35", ...]``.

    Moves under one point are noise and left out. No previous snapshot means nothing to
    compare, hence an empty list rather than every component reported as new.
    """
    if previous is None:
        return []
    before = {name: float(value) for name, value in previous}
    lines: list[str] = []
    for comp in current.components:
        if comp.name not in before:
            lines.append(f"{comp.name} now {_num(comp.value)} (new data)")
        elif abs(comp.value - before[comp.name]) >= 1 - 1e-9:
            lines.append(f"{comp.name} {_num(before[comp.name])} -> {_num(comp.value)}")
    now = {c.name for c in current.components}
    for name in before:
        if name not in now:
            lines.append(f"{name} {_num(before[name])} -> no data")
    return lines
