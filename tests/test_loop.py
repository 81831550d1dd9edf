"""Closed loop: survey answers and band changes in, follow-up touchpoints out."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from bookkeeper_tui.config import LoopConfig
from bookkeeper_tui.core.loop import band_touchpoints, score_touchpoints
from bookkeeper_tui.store.models import Touchpoint
from tests.conftest import TODAY

CFG = LoopConfig()
DAY = date(2026, 5, 14)
KEY = "score:42"

DETRACTOR = [("follow_up", 1), ("resolution_check", 7)]
PROMOTER = [("referral_ask", 3)]


def plan(
    kind: str, value: float, *, referral_asked_recently: bool = False
) -> list[tuple[str, int]]:
    got = score_touchpoints(
        kind, value, DAY, KEY, CFG, referral_asked_recently=referral_asked_recently
    )
    return [(p.kind, (p.due - DAY).days) for p in got]


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        *[("nps", v, DETRACTOR) for v in range(0, 7)],
        ("nps", 7, []),
        ("nps", 8, []),
        ("nps", 9, PROMOTER),
        ("nps", 10, PROMOTER),
        ("csat", 1, DETRACTOR),
        ("csat", 2, DETRACTOR),
        ("csat", 3, DETRACTOR),
        ("csat", 4, []),
        ("csat", 5, []),
        *[("ces", v, []) for v in range(1, 8)],
    ],
)
def test_score_touchpoints(kind: str, value: int, expected: list[tuple[str, int]]) -> None:
    assert plan(kind, value) == expected


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("nps", 0, DETRACTOR),  # a detractor is followed up regardless
        ("nps", 6, DETRACTOR),
        ("csat", 2, DETRACTOR),
        ("nps", 8, []),
        ("nps", 9, []),  # promoter asked recently: no second ask
        ("nps", 10, []),
    ],
)
def test_referral_asked_recently(kind: str, value: int, expected: list[tuple[str, int]]) -> None:
    assert plan(kind, value, referral_asked_recently=True) == expected


@pytest.mark.parametrize(("kind", "value"), [("nps", 3), ("csat", 1), ("nps", 10)])
def test_score_touchpoint_fields(kind: str, value: int) -> None:
    got = score_touchpoints(kind, value, DAY, KEY, CFG)
    assert got
    rules = [p.rule for p in got]
    assert len(set(rules)) == len(rules)
    for p in got:
        assert KEY in p.rule
        assert p.origin == "loop"
        assert p.note
    # Same input, same keys (a replayed save never doubles them); another score, other keys.
    assert [p.rule for p in score_touchpoints(kind, value, DAY, KEY, CFG)] == rules
    other = score_touchpoints(kind, value, DAY, "score:43", CFG)
    assert not {p.rule for p in other} & set(rules)


def test_score_due_dates_cross_month_end() -> None:
    day = date(2026, 12, 31)
    got = score_touchpoints("nps", 2, day, KEY, CFG)
    assert [p.due for p in got] == [date(2027, 1, 1), date(2027, 1, 7)]


def test_loop_config_overrides() -> None:
    cfg = replace(
        CFG,
        detractor_nps_max=5,
        detractor_csat_max=2,
        promoter_nps_min=10,
        follow_up_days=2,
        resolution_check_days=14,
        referral_ask_days=5,
    )

    def run(kind: str, value: int) -> list[tuple[str, int]]:
        return [(p.kind, (p.due - DAY).days) for p in score_touchpoints(kind, value, DAY, KEY, cfg)]

    assert run("nps", 5) == [("follow_up", 2), ("resolution_check", 14)]
    assert run("nps", 6) == []
    assert run("csat", 3) == []
    assert run("csat", 2) == [("follow_up", 2), ("resolution_check", 14)]
    assert run("nps", 9) == []
    assert run("nps", 10) == [("referral_ask", 5)]


BANDS = ["green", "yellow", "red", None]


@pytest.mark.parametrize(
    ("previous", "band", "intervene"),
    [(prev, band, band == "red" and prev != "red") for prev in BANDS for band in BANDS],
)
def test_band_touchpoints(previous: str | None, band: str | None, intervene: bool) -> None:
    got = band_touchpoints(previous, band, DAY, CFG)
    if not intervene:
        assert got == []
        return
    assert [(p.kind, p.due) for p in got] == [("intervention", DAY + timedelta(days=2))]
    assert got[0].origin == "loop"
    assert got[0].rule == band_touchpoints(previous, band, DAY, CFG)[0].rule


def test_band_intervention_rule_tied_to_day() -> None:
    a = band_touchpoints("green", "red", DAY, CFG)[0]
    b = band_touchpoints("yellow", "red", DAY, CFG)[0]
    c = band_touchpoints("green", "red", DAY + timedelta(days=1), CFG)[0]
    assert a.rule == b.rule
    assert a.rule != c.rule


def test_band_intervention_days_configurable() -> None:
    got = band_touchpoints("green", "red", DAY, replace(CFG, intervention_days=5))
    assert [p.due for p in got] == [DAY + timedelta(days=5)]


# -- what a logged line completes (issue 12.6) ------------------------------------------------


@pytest.fixture
def planned(book):
    """Acme with exactly two open touchpoints: a referral ask and an expansion conversation."""
    book.add_account("Acme Corp", "smb", date(2024, 1, 10))
    book.sync(TODAY, force=True)
    with book.write() as s:
        s.execute(delete(Touchpoint))
        for kind, days in (("referral_ask", 1), ("expansion", 5)):
            s.add(
                Touchpoint(
                    account_id=1,
                    kind=kind,
                    due=TODAY + timedelta(days=days),
                    status="open",
                    origin="loop" if kind == "referral_ask" else "playbook",
                    rule=f"test:{kind}",
                )
            )
    return book


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('acme email "sent the intro deck"', ["referral_ask"]),
        ('acme call "asked for a referral, they will think"', ["expansion", "referral_ask"]),
        ('acme meeting "two Referrals promised" ', ["expansion", "referral_ask"]),
        ('acme note "referral intro to Hooli"', ["referral_ask"]),
        ("acme note #referral", ["referral_ask"]),
        ('acme call "referee meeting"', ["expansion"]),
        ('acme call "went fine"', ["expansion"]),
        ('acme call nps 8 "went fine"', ["expansion"]),
        ('acme call nps 9 "loves it"', ["expansion"]),
        # A detractor call is not the planned expansion conversation.
        ('acme call nps 3 "unhappy with support"', []),
        ('acme meeting csat 2 "rough quarter"', []),
        ('acme call "they want to cancel"', []),
        ('acme call nps 4 "but gave a referral"', ["referral_ask"]),
    ],
)
def test_logged_line_completes(planned, line, expected):
    res = planned.log(line, TODAY)
    assert sorted(k for k, _ in res.completed) == expected
    with planned.read() as s:
        done = s.execute(
            select(Touchpoint.kind).where(Touchpoint.status == "done").order_by(Touchpoint.kind)
        ).scalars()
        assert list(done) == expected


def test_detractor_call_does_not_lift_health_from_red_to_green(book):
    book.add_account("Acme Corp", "smb", date(2024, 1, 10), mrr=1000)
    # Engagement needs a real conversation (issue 12 #1): one long ago makes it cold.
    book.log('acme call @2024-06-01 "kick-off"', TODAY)
    book.log('acme email nps 10 @2026-11-01 "survey"', TODAY)
    book.sync(TODAY, force=True)
    assert book.show("Acme Corp", TODAY).health.band == "red"
    res = book.log('acme call nps 3 "unhappy with support"', TODAY)
    assert res.band == "red"  # its NPS 3 counts in the survey; it is not engagement
    res = book.log('acme call "sorted out, they are happy again"', TODAY)
    assert res.band == "green"  # an ordinary conversation still refreshes engagement
