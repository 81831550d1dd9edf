"""Health score: each component at its boundaries, renormalisation, bands, override, scenario 4."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from bookkeeper_tui.config import HealthConfig
from bookkeeper_tui.core.health import (
    COMPONENTS,
    Component,
    Health,
    HealthFacts,
    _mrr_on,
    band_of,
    compute_health,
    explain_change,
    feed_is_current,
    stale_words,
)

AS_OF = date(2026, 11, 24)
CFG = HealthConfig()


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def comp(health: Health, name: str) -> Component:
    found = [c for c in health.components if c.name == name]
    assert found, f"{name} not in {[c.name for c in health.components]}"
    return found[0]


def only(name: str, facts: HealthFacts) -> Component | None:
    """Score *facts* and return component *name*, or None when it was left out."""
    health = compute_health(facts, AS_OF, CFG)
    hits = [c for c in health.components if c.name == name]
    if not hits:
        assert name in health.missing
        return None
    return hits[0]


# --------------------------------------------------------------------------- _mrr_on


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 12, 31), 0.0),
        (date(2026, 1, 1), 100.0),
        (date(2026, 5, 31), 100.0),
        (date(2026, 6, 1), 250.0),
        (date(2026, 12, 1), 0.0),
    ],
)
def test_mrr_on(day: date, expected: float) -> None:
    levels = [(date(2026, 6, 1), 250.0), (date(2026, 1, 1), 100.0), (date(2026, 12, 1), 0.0)]
    assert _mrr_on(levels, day) == expected


# --------------------------------------------------------------------------- usage


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ([(ago(10), 80.0), (ago(3), 35.0)], 35.0),
        ([(ago(3), 35.0), (ago(10), 80.0)], 35.0),  # order of input does not matter
        ([(ago(3), 35.0), (AS_OF + timedelta(days=1), 99.0)], 35.0),  # future ignored
        ([(ago(0), 100.0)], 100.0),
        ([(ago(0), 0.0)], 0.0),
        ([], None),
        ([(AS_OF + timedelta(days=1), 99.0)], None),
    ],
)
def test_usage_is_latest_signal(usage: list[tuple[date, float]], expected: float | None) -> None:
    c = only("usage", HealthFacts(tier="smb", start=None, usage=usage))
    assert (c.value if c else None) == expected


def test_usage_detail_names_the_fall() -> None:
    c = only("usage", HealthFacts(tier="smb", start=None, usage=[(ago(60), 80), (ago(5), 35)]))
    assert c is not None
    assert c.detail.startswith(f"usage 35% (latest signal {ago(5).isoformat()}")
    assert "was 80%" in c.detail


# --------------------------------------------------------------------------- engagement


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0, 100.0),
        (29, 100.0),
        (30, 100.0),  # exactly one cadence
        (31, 98.3),
        (45, 75.0),
        (60, 50.0),  # two cadences
        (89, 1.7),
        (90, 0.0),  # three cadences
        (200, 0.0),  # floor
    ],
)
def test_engagement_enterprise_cadence(days: int, expected: float) -> None:
    c = only("engagement", HealthFacts(tier="enterprise", start=ago(400), two_way=[ago(days)]))
    assert c is not None and c.value == expected
    assert c.detail.endswith("since the last conversation (cadence 30)")


@pytest.mark.parametrize(("tier", "cadence"), [("mid-market", 91), ("smb", 182)])
def test_engagement_cadence_per_tier(tier: str, cadence: int) -> None:
    values = [
        compute_health(HealthFacts(tier=tier, start=None, two_way=[ago(d)]), AS_OF, CFG)
        .components[0]
        .value
        for d in (cadence, 2 * cadence, 3 * cadence)
    ]
    assert values == [100.0, 50.0, 0.0]


@pytest.mark.parametrize("days", [0, 5, 60, 1068])
def test_engagement_is_unknown_before_the_first_conversation(days: int) -> None:
    # The days-since-start clock never scores on its own: no conversation, no engagement.
    assert only("engagement", HealthFacts(tier="enterprise", start=ago(days))) is None


def test_engagement_conversation_before_start_does_not_make_new_account_cold() -> None:
    c = only("engagement", HealthFacts(tier="enterprise", start=ago(5), two_way=[ago(200)]))
    assert c is not None and c.value == 100.0


@pytest.mark.parametrize(
    "facts",
    [
        HealthFacts(tier="enterprise", start=None),
        HealthFacts(tier="enterprise", start=AS_OF + timedelta(days=3)),
        HealthFacts(tier="enterprise", start=None, two_way=[AS_OF + timedelta(days=1)]),
    ],
)
def test_engagement_without_data_is_missing(facts: HealthFacts) -> None:
    assert only("engagement", facts) is None


def test_engagement_latest_talk_wins_and_unknown_tier_is_lenient() -> None:
    c = only("engagement", HealthFacts(tier="enterprise", start=None, two_way=[ago(80), ago(10)]))
    assert c is not None and c.value == 100.0
    c = only("engagement", HealthFacts(tier="galactic", start=None, two_way=[ago(150)]))
    assert c is not None and c.value == 100.0  # longest cadence (182)


# --------------------------------------------------------------------------- support


@pytest.mark.parametrize(
    ("n", "expected", "words"),
    [
        (0, 100.0, "no tickets in 30 days"),
        (1, 80.0, "1 ticket in 30 days"),
        (4, 20.0, "4 tickets in 30 days"),
        (5, 0.0, "5 tickets in 30 days"),
        (6, 0.0, "6 tickets in 30 days"),
    ],
)
def test_support_ticket_log(n: int, expected: float, words: str) -> None:
    c = only("support", HealthFacts(tier="smb", start=None, tickets=[ago(i) for i in range(n)]))
    assert c is not None and c.value == expected and c.detail == words


def test_support_window_is_the_last_30_days() -> None:
    tickets = [ago(29), ago(30), ago(45), AS_OF + timedelta(days=1)]
    c = only("support", HealthFacts(tier="smb", start=None, tickets=tickets))
    assert c is not None and c.value == 80.0


def test_support_recent_count_signal_wins_over_log() -> None:
    facts = HealthFacts(
        tier="smb",
        start=None,
        tickets=[ago(1), ago(2), ago(3), ago(4)],
        ticket_counts=[(ago(20), 1.0), (ago(5), 2.0), (ago(40), 9.0)],
    )
    c = only("support", facts)
    assert c is not None and c.value == 60.0
    assert c.detail == f"2 tickets in 30 days (count of {ago(5).isoformat()})"


@pytest.mark.parametrize(
    ("tickets", "counts", "expected"),
    [
        (None, [], None),  # tickets not tracked
        (None, [(ago(60), 3.0)], None),  # only a stale count: unknown
        (None, [(ago(2), 3.0)], 40.0),
        ([], [(ago(60), 3.0)], 100.0),  # stale count, but the log says none
    ],
)
def test_support_presence(
    tickets: list[date] | None, counts: list[tuple[date, float]], expected: float | None
) -> None:
    c = only("support", HealthFacts(tier="smb", start=None, tickets=tickets, ticket_counts=counts))
    assert (c.value if c else None) == expected


# --------------------------------------------------------------------------- survey


@pytest.mark.parametrize(
    ("surveys", "expected", "detail"),
    [
        ([(ago(10), "nps", 8.0)], 80.0, f"NPS 8 on {ago(10).isoformat()}"),
        ([(ago(10), "csat", 4.0)], 75.0, f"CSAT 4 on {ago(10).isoformat()}"),
        ([(ago(10), "csat", 1.0)], 0.0, None),
        ([(ago(10), "csat", 5.0)], 100.0, None),
        ([(ago(20), "csat", 2.0), (ago(10), "nps", 9.0)], 90.0, None),  # NPS newer
        ([(ago(10), "csat", 2.0), (ago(20), "nps", 9.0)], 25.0, None),  # CSAT newer
        ([(ago(10), "csat", 2.0), (ago(10), "nps", 9.0)], 90.0, None),  # same day: NPS
        ([(ago(179), "nps", 4.0)], 40.0, None),
        ([(ago(180), "nps", 4.0)], None, None),  # outside the 180-day window
        ([(ago(400), "nps", 4.0), (ago(5), "ces", 7.0)], None, None),  # ces ignored
        ([(AS_OF + timedelta(days=1), "nps", 4.0)], None, None),
        ([(ago(1), "NPS", 7.0)], 70.0, None),
    ],
)
def test_survey(
    surveys: list[tuple[date, str, float]], expected: float | None, detail: str | None
) -> None:
    c = only("survey", HealthFacts(tier="smb", start=None, surveys=surveys))
    assert (c.value if c else None) == expected
    if detail:
        assert c is not None and c.detail == detail


# --------------------------------------------------------------------------- strength


@pytest.mark.parametrize(
    ("levels", "expected", "trend"),
    [
        ([(ago(200), 3500.0), (ago(30), 4200.0)], 100.0, "MRR 3500 -> 4200 over 90 days: growing"),
        ([(ago(200), 3500.0)], 70.0, "flat"),
        ([(ago(200), 3500.0), (ago(30), 3500.0)], 70.0, "flat"),
        ([(ago(200), 4200.0), (ago(30), 3500.0)], 30.0, "shrinking"),
        ([(ago(30), 1000.0)], 100.0, "growing"),  # new within the window
        ([(ago(200), 1000.0), (ago(10), 0.0)], 30.0, "shrinking"),  # churned
        ([(ago(89), 3500.0), (ago(200), 1000.0)], 100.0, "growing"),
        ([(ago(90), 3500.0), (ago(200), 1000.0)], 70.0, "flat"),  # level applies from its date
        ([(ago(200), 1000.0), (AS_OF + timedelta(days=5), 9000.0)], 70.0, "flat"),
    ],
)
def test_strength(levels: list[tuple[date, float]], expected: float, trend: str) -> None:
    c = only("strength", HealthFacts(tier="smb", start=None, mrr_levels=levels))
    assert c is not None and c.value == expected
    assert c.detail.endswith(trend)


@pytest.mark.parametrize(
    "levels",
    [[], [(ago(300), 0.0)], [(AS_OF + timedelta(days=1), 500.0)]],
)
def test_strength_without_data_is_missing(levels: list[tuple[date, float]]) -> None:
    assert only("strength", HealthFacts(tier="smb", start=None, mrr_levels=levels)) is None


# --------------------------------------------------------------------------- the score


def test_renormalises_over_present_components() -> None:
    facts = HealthFacts(tier="enterprise", start=None, usage=[(ago(1), 50.0)], two_way=[ago(3)])
    h = compute_health(facts, AS_OF, CFG)
    assert h.score == round((50 * 40 + 100 * 25) / 65, 1) == 69.2
    assert h.band == "yellow"
    assert [c.name for c in h.components] == ["usage", "engagement"]
    assert [c.share for c in h.components] == pytest.approx([40 / 65, 25 / 65])
    assert h.missing == ("support", "survey", "strength")
    assert not h.overridden


def test_all_components_full_weight() -> None:
    facts = HealthFacts(
        tier="smb",
        start=ago(400),
        usage=[(ago(1), 100.0)],
        two_way=[ago(1)],
        tickets=[],
        surveys=[(ago(1), "nps", 10.0)],
        mrr_levels=[(ago(400), 100.0), (ago(1), 200.0)],
    )
    h = compute_health(facts, AS_OF, CFG)
    assert h.score == 100.0 and h.band == "green" and h.missing == ()
    assert tuple(c.name for c in h.components) == COMPONENTS
    assert sum(c.share for c in h.components) == pytest.approx(1.0)


LEGACY = HealthFacts(tier="smb", start=date(2024, 1, 1), mrr_levels=[(date(2024, 1, 1), 500.0)])


@pytest.mark.parametrize(
    ("facts", "score", "band", "missing"),
    [
        # only MRR (an imported legacy account): the trend is context, not health
        (LEGACY, None, None, ("usage", "engagement", "support", "survey")),
        # a never-touched new account is not 100 green either
        (HealthFacts(tier="smb", start=ago(3)), None, None, COMPONENTS),
        (HealthFacts(tier="enterprise", start=ago(400)), None, None, COMPONENTS),
        # growing MRR alone is still not enough
        (
            HealthFacts(tier="smb", start=ago(400), mrr_levels=[(ago(400), 1.0), (ago(1), 9.0)]),
            None,
            None,
            ("usage", "engagement", "support", "survey"),
        ),
        # one real conversation makes engagement known, and the score with it
        # (100 * 25 + flat 70 * 5) / 30
        (replace(LEGACY, two_way=[ago(10)]), 95.0, "green", ("usage", "support", "survey")),
        # (20 * 40 + 70 * 5) / 45
        (replace(LEGACY, usage=[(ago(1), 20.0)]), 25.6, "red", ("engagement", "support", "survey")),
        # (100 * 20 + 70 * 5) / 25
        (replace(LEGACY, tickets=[]), 94.0, "green", ("usage", "engagement", "survey")),
        # (30 * 10 + 70 * 5) / 15
        (
            replace(LEGACY, surveys=[(ago(5), "nps", 3.0)]),
            43.3,
            "red",
            ("usage", "engagement", "support"),
        ),
    ],
)
def test_not_enough_data_has_no_score_and_no_band(
    facts: HealthFacts, score: float | None, band: str | None, missing: tuple[str, ...]
) -> None:
    h = compute_health(facts, AS_OF, CFG)
    assert (h.score, h.band, h.missing) == (score, band, missing)


def test_not_enough_data_still_lists_the_mrr_trend_as_context() -> None:
    h = compute_health(LEGACY, AS_OF, CFG)
    assert [c.name for c in h.components] == ["strength"]
    assert h.score is None and h.band is None


def test_override_scores_an_account_without_enough_data() -> None:
    h = compute_health(replace(LEGACY, override=(ago(1), 40.0)), AS_OF, CFG)
    assert (h.score, h.band, h.overridden) == (40.0, "red", True)


def test_no_data_at_all() -> None:
    h = compute_health(HealthFacts(tier="smb", start=None), AS_OF, CFG)
    assert h.score is None and h.band is None and h.components == ()
    assert h.missing == ("usage", "engagement", "support", "survey", "strength")


def test_zero_weight_is_switched_off_not_missing() -> None:
    cfg = replace(CFG, weights={**CFG.weights, "usage": 0.0})
    facts = HealthFacts(tier="enterprise", start=None, usage=[(ago(1), 10.0)], two_way=[ago(3)])
    h = compute_health(facts, AS_OF, cfg)
    assert [c.name for c in h.components] == ["engagement"]
    assert "usage" not in h.missing
    assert h.score == 100.0


def test_components_in_weight_order() -> None:
    cfg = replace(CFG, weights={**CFG.weights, "strength": 50.0})
    facts = HealthFacts(
        tier="smb", start=None, usage=[(ago(1), 50.0)], mrr_levels=[(ago(300), 10.0)]
    )
    h = compute_health(facts, AS_OF, cfg)
    assert [c.name for c in h.components] == ["strength", "usage"]
    assert h.score == round((70 * 50 + 50 * 40) / 90, 1)


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (None, None),
        (0.0, "red"),
        (59.9, "red"),
        (60.0, "yellow"),
        (74.9, "yellow"),
        (75.0, "green"),
        (100.0, "green"),
    ],
)
def test_bands(score: float | None, band: str | None) -> None:
    assert band_of(score, CFG) == band


def test_bands_follow_config() -> None:
    cfg = replace(CFG, green=80.0, yellow=50.0)
    assert band_of(79.9, cfg) == "yellow" and band_of(49.9, cfg) == "red"


@pytest.mark.parametrize(
    ("override", "score", "overridden"),
    [
        ((ago(2), 90.0), 90.0, True),
        ((AS_OF, 12.0), 12.0, True),
        ((AS_OF + timedelta(days=1), 90.0), 50.0, False),  # not yet in force
        (None, 50.0, False),
    ],
)
def test_override(override: tuple[date, float] | None, score: float, overridden: bool) -> None:
    facts = HealthFacts(tier="smb", start=None, usage=[(ago(1), 50.0)], override=override)
    h = compute_health(facts, AS_OF, CFG)
    assert h.score == score and h.overridden is overridden
    assert [c.name for c in h.components] == ["usage"]  # breakdown still shown
    assert h.band == band_of(score, CFG)


def test_override_without_components() -> None:
    h = compute_health(HealthFacts(tier="smb", start=None, override=(ago(1), 80.0)), AS_OF, CFG)
    assert h.score == 80.0 and h.band == "green" and h.overridden and h.components == ()


def scenario_4() -> HealthFacts:
    """docs/scenarios.md 4: usage fell 80 -> 35, 4 tickets this month, health 48 (red)."""
    return HealthFacts(
        tier="enterprise",
        start=date(2025, 3, 1),
        usage=[(date(2026, 8, 3), 80.0), (date(2026, 11, 2), 35.0)],
        two_way=[date(2026, 9, 1), date(2026, 10, 19)],  # 36 days ago: engagement 90
        tickets=[date(2026, 11, 3), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 20)],
        surveys=[(date(2026, 10, 1), "nps", 4.0)],
        mrr_levels=[(date(2025, 3, 1), 4200.0)],
    )


def test_scenario_4_red_with_breakdown() -> None:
    h = compute_health(scenario_4(), AS_OF, CFG)
    assert h.score == 48.0
    assert h.band == "red"
    assert tuple(c.name for c in h.components) == COMPONENTS
    usage, support = comp(h, "usage"), comp(h, "support")
    assert (usage.value, usage.weight) == (35.0, 40.0)
    assert "35%" in usage.detail and "80%" in usage.detail
    assert (support.value, support.weight) == (20.0, 20.0)
    assert support.detail == "4 tickets in 30 days"
    assert comp(h, "engagement").detail == "36 days since the last conversation (cadence 30)"
    assert comp(h, "survey").detail == "NPS 4 on 2026-10-01"
    assert comp(h, "strength").detail == "MRR 4200 -> 4200 over 90 days: flat"
    previous = [
        ("usage", 80.0),
        ("engagement", 90.0),
        ("support", 100.0),
        ("survey", 40.0),
        ("strength", 70.0),
    ]
    assert explain_change(previous, h) == ["usage 80 -> 35", "support 100 -> 20"]


def test_scenario_4_as_of_earlier_ignores_later_data() -> None:
    h = compute_health(scenario_4(), date(2026, 9, 1), CFG)
    assert comp(h, "usage").value == 80.0
    assert comp(h, "support").value == 100.0
    assert "survey" in h.missing


# --------------------------------------------------------------------------- explain_change


def _health(*parts: tuple[str, float]) -> Health:
    comps = tuple(Component(n, v, 1.0, 1 / len(parts), "") for n, v in parts)
    return Health(score=50.0, band="red", components=comps, missing=())


@pytest.mark.parametrize(
    ("previous", "current", "lines"),
    [
        (None, _health(("usage", 35.0)), []),
        ([("usage", 80.0)], _health(("usage", 35.0)), ["usage 80 -> 35"]),
        ([("usage", 35.0)], _health(("usage", 80.0)), ["usage 35 -> 80"]),
        ([("usage", 35.5)], _health(("usage", 35.0)), []),  # under one point: noise
        ([("usage", 36.0)], _health(("usage", 35.0)), ["usage 36 -> 35"]),  # exactly one point
        ([("engagement", 87.5)], _health(("engagement", 50.0)), ["engagement 87.5 -> 50"]),
        ([], _health(("survey", 40.0)), ["survey now 40 (new data)"]),
        ([("usage", 50.0), ("survey", 40.0)], _health(("usage", 50.0)), ["survey 40 -> no data"]),
        (
            [("support", 100.0), ("usage", 80.0)],
            _health(("usage", 35.0), ("support", 20.0), ("strength", 70.0)),
            ["usage 80 -> 35", "support 100 -> 20", "strength now 70 (new data)"],
        ),
    ],
)
def test_explain_change(
    previous: list[tuple[str, float]] | None, current: Health, lines: list[str]
) -> None:
    assert explain_change(previous, current) == lines


def test_zero_cadence_in_config_does_not_divide_by_zero() -> None:
    cfg = replace(CFG, cadence_days={**CFG.cadence_days, "smb": 0})
    facts = HealthFacts(tier="smb", start=None, two_way=[ago(2)])
    assert compute_health(facts, AS_OF, cfg).components[0].value == 50.0


@pytest.mark.parametrize(
    ("newest", "current"),
    [
        (None, False),  # no record on or before as_of
        (AS_OF, True),
        (ago(90), True),  # feed_stale_days = 90: the 90th day still counts
        (ago(91), False),
        (date(2024, 12, 31), False),  # the RavenStack export, read two years later
    ],
)
def test_an_imported_feed_is_current_for_90_days(newest: date | None, current: bool) -> None:
    assert feed_is_current(newest, AS_OF, CFG) is current


def test_a_stale_feed_is_named_among_the_missing_components() -> None:
    facts = HealthFacts(
        tier="smb",
        start=ago(800),
        two_way=[ago(20)],
        stale=(("support", date(2024, 12, 31)), ("usage", date(2024, 12, 31))),
    )
    h = compute_health(facts, AS_OF, CFG)
    assert h.score is not None  # engagement is known
    assert {"support", "usage"} <= set(h.missing)
    assert h.stale == (("support", date(2024, 12, 31)), ("usage", date(2024, 12, 31)))
    assert "ticket log ends 2024-12-31" in stale_words("support", date(2024, 12, 31))


def test_a_stale_feed_that_still_scores_is_not_reported_stale() -> None:
    # The store leaves a stale feed's data out; a count signal that is itself recent
    # still scores support, and then the component is not listed as stale.
    facts = HealthFacts(
        tier="smb",
        start=ago(800),
        ticket_counts=[(ago(3), 1.0)],
        stale=(("support", date(2024, 12, 31)),),
    )
    h = compute_health(facts, AS_OF, CFG)
    assert h.stale == ()
