"""MRR from subscriptions equals the definition on every day; the usage rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bookkeeper_tui.core.kpi import mrr_on
from bookkeeper_tui.core.revenue import (
    Sub,
    levels_from_subscriptions,
    mrr_from_subscriptions,
    usage_score,
)

D = date(2025, 1, 1)


def test_overlapping_trial_and_ended_subscriptions():
    subs = [
        Sub(D, D + timedelta(days=100), 500),
        Sub(D + timedelta(days=50), None, 300),
        Sub(D + timedelta(days=10), D + timedelta(days=40), 999, trial=True),
        Sub(D + timedelta(days=100), None, 200),
    ]
    assert levels_from_subscriptions(subs) == [
        (D, 500),
        (D + timedelta(days=50), 800),
        (D + timedelta(days=100), 500),
    ]


def test_end_is_exclusive_and_no_subscriptions_means_zero():
    subs = [Sub(D, D + timedelta(days=30), 100)]
    levels = levels_from_subscriptions(subs)
    assert mrr_on(levels, D + timedelta(days=29)) == 100
    assert mrr_on(levels, D + timedelta(days=30)) == 0
    assert levels_from_subscriptions([]) == []


subs_strategy = st.lists(
    st.builds(
        lambda s, length, mrr, trial: Sub(
            D + timedelta(days=s),
            None if length is None else D + timedelta(days=s + length),
            mrr,
            trial,
        ),
        st.integers(0, 400),
        st.one_of(st.none(), st.integers(0, 300)),
        st.integers(0, 5000).map(float),
        st.booleans(),
    ),
    max_size=8,
)


@given(subs_strategy, st.integers(-5, 800))
def test_levels_equal_the_definition_on_every_day(subs, offset):
    day = D + timedelta(days=offset)
    assert mrr_on(levels_from_subscriptions(subs), day) == pytest.approx(
        mrr_from_subscriptions(subs, day)
    )


@pytest.mark.parametrize(
    ("recent", "baseline_total", "earlier", "score"),
    [
        (30, 90, True, 75.0),
        (40, 90, True, 100.0),
        (15, 90, True, 37.5),
        (100, 90, True, 100.0),
        (5, 0, False, 75.0),
        (0, 0, True, 0.0),
        (0, 0, False, None),
        (0, 90, True, 0.0),
    ],
)
def test_usage_score(recent, baseline_total, earlier, score):
    assert usage_score(recent, baseline_total, earlier) == score
