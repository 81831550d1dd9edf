"""Role-weighted NPS of docs/domain.md: worked examples and range properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bookkeeper_tui.config import NpsConfig
from bookkeeper_tui.core.nps import (
    NpsResponse,
    account_nps,
    account_nps_detail,
    latest_per_contact,
    nps_of,
    portfolio_nps,
    user_nps,
)

D = date.fromisoformat
WEIGHTS = NpsConfig().role_weights
START, END = D("2026-01-01"), D("2026-03-31")


def r(value, role="end_user", contact="x", on="2026-02-01", account="acme"):
    return NpsResponse(account=account, contact=contact, role=role, on=D(on), value=value)


# --- nps_of -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "weights", "expected"),
    [
        ([], None, None),
        ([9], None, 100.0),
        ([10], None, 100.0),
        ([0], None, -100.0),
        ([6], None, -100.0),
        ([7, 8], None, 0.0),  # passives only
        ([10, 9, 8, 7, 6, 0], None, 0.0),
        ([9, 9, 9, 5], None, 50.0),
        ([9, 4], [3, 1], 50.0),  # (3 - 1) / 4
        ([9, 4], [1, 3], -50.0),
        ([9, 4], [0, 0], None),  # no weight, no signal
        ([9, 4], [1, 0], 100.0),
    ],
)
def test_nps_of(values, weights, expected):
    assert nps_of(values, weights) == expected


@pytest.mark.parametrize(
    ("values", "weights", "match"),
    [
        ([11], None, "0 to 10"),
        ([-1], None, "0 to 10"),
        ([9, 4], [1], "weights"),
        ([9], [-1], "negative"),
    ],
)
def test_nps_of_rejects(values, weights, match):
    with pytest.raises(ValueError, match=match):
        nps_of(values, weights)


# --- latest_per_contact -------------------------------------------------------------------


def test_latest_per_contact_replaces_older_answers():
    old = r(5, contact="dana", on="2026-01-10")
    new = r(9, contact="dana", on="2026-02-10")
    bob = r(4, contact="bob", on="2026-01-05")
    assert latest_per_contact([new, bob, old], START, END) == [new, bob]


def test_latest_per_contact_window_and_ties():
    before = r(2, contact="dana", on="2025-12-31")
    inside = r(7, contact="dana", on="2026-03-31")  # end inclusive
    after = r(10, contact="dana", on="2026-04-01")  # outside: does not replace
    assert latest_per_contact([before, inside, after], START, END) == [inside]
    first = r(3, contact="bob", on="2026-02-01")
    second = r(8, contact="bob", on="2026-02-01")  # same day: later in input wins
    assert latest_per_contact([first, second], START, END) == [second]


def test_latest_per_contact_keys_by_account_and_keeps_anonymous_apart():
    same_id_other_account = r(9, contact="dana", account="globex")
    dana = r(5, contact="dana")
    anon1 = r(10, contact=None)
    anon2 = r(0, contact=None)
    got = latest_per_contact([dana, same_id_other_account, anon1, anon2], START, END)
    assert got == [dana, same_id_other_account, anon1, anon2]


# --- portfolio / user / account NPS -------------------------------------------------------

BOOK = [
    r(5, role="champion", contact="dana", on="2026-01-10"),
    r(9, role="champion", contact="dana", on="2026-02-10"),
    r(4, role="end_user", contact="bob"),
    r(10, role="end_user", contact=None),
    r(10, role="end_user", contact=None),
    r(0, role="admin", contact="eve", on="2025-06-01"),  # outside the period
]


def test_portfolio_nps_uses_latest_per_contact():
    # latest: 9, 4, 10, 10 -> 3 promoters, 1 detractor of 4
    assert portfolio_nps(BOOK, START, END) == 50.0


def test_user_nps_counts_every_answer():
    # 5, 9, 4, 10, 10 -> 3 promoters, 2 detractors of 5
    assert user_nps(BOOK, START, END) == 20.0


def test_account_nps_weights_by_role():
    # latest: champion 9 (w3), end users 4, 10, 10 (w1 each) -> (3 + 2 - 1) / 6
    assert account_nps(BOOK, START, END, WEIGHTS) == pytest.approx(400 / 6)


def test_champion_and_end_user_tell_two_stories():
    rs = [r(9, role="champion", contact="dana"), r(4, role="end_user", contact="bob")]
    assert user_nps(rs, START, END) == 0.0
    assert portfolio_nps(rs, START, END) == 0.0
    assert account_nps(rs, START, END, WEIGHTS) == 50.0


@pytest.mark.parametrize("fn", [portfolio_nps, user_nps])
def test_empty_period_is_none(fn):
    assert fn(BOOK, D("2027-01-01"), D("2027-03-31")) is None


def test_account_nps_empty_is_none():
    assert account_nps([], START, END, WEIGHTS) is None


# --- account_nps_detail -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("responses", "gap_flag", "account_mean", "user_mean", "flagged"),
    [
        # champion 9 + end user 4: (27 + 4) / 4 vs (9 + 4) / 2
        ([r(9, "champion", "dana"), r(4, "end_user", "bob")], 2.0, 7.75, 6.5, True),
        ([r(9, "champion", "dana"), r(4, "end_user", "bob")], 6.0, 7.75, 6.5, False),
        # one champion at 10, two end users at 0: 30 / 5 vs 10 / 3
        (
            [r(10, "champion", "dana"), r(0, "end_user", "bob"), r(0, "end_user", "carl")],
            2.0,
            6.0,
            10 / 3,
            True,
        ),
        # the end user's older answers count for the user mean, only the latest for the account
        (
            [
                r(2, "end_user", "bob", on="2026-01-05"),
                r(2, "end_user", "bob", on="2026-01-20"),
                r(4, "end_user", "bob", on="2026-03-01"),
                r(9, "champion", "dana"),
            ],
            2.0,
            7.75,
            4.25,
            True,
        ),
        # unknown role weighs like "other" and sits on the user side
        ([r(9, "champion", "dana"), r(4, "cto", "bob")], 2.0, 7.75, 6.5, True),
        # anonymous answers are each their own contact
        (
            [r(9, "economic_buyer", "ann"), r(3, "end_user", None), r(3, "end_user", None)],
            2.0,
            33 / 5,
            5.0,
            True,
        ),
    ],
)
def test_account_nps_detail(responses, gap_flag, account_mean, user_mean, flagged):
    got = account_nps_detail(responses, START, END, WEIGHTS, gap_flag)
    assert got.account_mean == pytest.approx(account_mean)
    assert got.user_mean == pytest.approx(user_mean)
    assert got.flagged is flagged
    assert got.responses == len(responses)


@pytest.mark.parametrize(
    ("responses", "buyer_side", "user_side", "gap", "flagged"),
    [
        # one contact changing their own score is not a buyer-vs-user gap
        (
            [r(10, "end_user", "bob", on="2026-01-05"), r(2, "end_user", "bob")],
            None,
            2,
            None,
            False,
        ),
        (
            [r(10, "champion", "dana", on="2026-01-05"), r(1, "champion", "dana")],
            1,
            None,
            None,
            False,
        ),
        # only one side answered: no gap, whatever the spread inside that side
        ([r(10, "economic_buyer", "ann"), r(2, "champion", "dana")], 6, None, None, False),
        (
            [r(10, "admin", "al"), r(0, "end_user", "bob"), r(0, "other", "oz")],
            None,
            10 / 3,
            None,
            False,
        ),
        # each contact's latest answer once: bob's old 0 does not count
        (
            [
                r(8, "champion", "dana"),
                r(0, "end_user", "bob", on="2026-01-05"),
                r(7, "end_user", "bob"),
            ],
            8,
            7,
            1,
            False,
        ),
        # buyer side = economic_buyer + champion, user side = admin + end_user + other
        (
            [
                r(9, "economic_buyer", "ann"),
                r(7, "champion", "dana"),
                r(6, "admin", "al"),
                r(4, "end_user", "bob"),
            ],
            8,
            5,
            3,
            True,
        ),
        # a gap of exactly 2 flags, in either direction
        ([r(8, "champion", "dana"), r(6, "end_user", "bob")], 8, 6, 2, True),
        ([r(4, "champion", "dana"), r(6, "end_user", "bob")], 4, 6, -2, True),
        ([r(8, "Champion ", "dana"), r(7, "end_user", "bob")], 8, 7, 1, False),
    ],
)
def test_account_nps_gap_is_between_role_groups(responses, buyer_side, user_side, gap, flagged):
    got = account_nps_detail(responses, START, END, WEIGHTS, 2.0)
    assert got.buyer_side_mean == (None if buyer_side is None else pytest.approx(buyer_side))
    assert got.user_side_mean == (None if user_side is None else pytest.approx(user_side))
    assert got.gap == (None if gap is None else pytest.approx(gap))
    assert got.flagged is flagged


def test_account_nps_detail_empty_and_windowed():
    empty = account_nps_detail([], START, END, WEIGHTS)
    assert (empty.account_mean, empty.user_mean, empty.gap, empty.flagged, empty.responses) == (
        None,
        None,
        None,
        False,
        0,
    )
    outside = account_nps_detail([r(9, on="2025-01-01")], START, END, WEIGHTS)
    assert outside.responses == 0 and outside.gap is None


def test_account_nps_detail_custom_weights():
    equal = dict.fromkeys(WEIGHTS, 1.0)
    rs = [r(9, "champion", "dana"), r(4, "end_user", "bob")]
    got = account_nps_detail(rs, START, END, equal)
    assert got.account_mean == got.user_mean == 6.5
    # the gap is between role groups, so weights do not move it: champion 9 vs end user 4
    assert got.gap == 5.0 and got.flagged


# --- properties ---------------------------------------------------------------------------

responses = st.lists(
    st.builds(
        NpsResponse,
        account=st.sampled_from(["acme", "globex"]),
        contact=st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
        role=st.sampled_from([*WEIGHTS, "cto"]),
        on=st.integers(min_value=0, max_value=120).map(lambda n: D("2025-12-01") + timedelta(n)),
        value=st.integers(min_value=0, max_value=10),
    ),
    max_size=20,
)


@given(
    st.lists(st.tuples(st.integers(0, 10), st.floats(0, 10, allow_nan=False, allow_infinity=False)))
)
def test_nps_of_in_range(pairs):
    for got in (nps_of(v for v, _ in pairs), nps_of([v for v, _ in pairs], [w for _, w in pairs])):
        assert got is None or -100 <= got <= 100


@given(responses)
def test_nps_levels_in_range(rs):
    for got in (
        portfolio_nps(rs, START, END),
        user_nps(rs, START, END),
        account_nps(rs, START, END, WEIGHTS),
    ):
        assert got is None or -100 <= got <= 100
    detail = account_nps_detail(rs, START, END, WEIGHTS)
    for mean in (detail.account_mean, detail.user_mean):
        assert mean is None or 0 <= mean <= 10
    assert len(latest_per_contact(rs, START, END)) <= detail.responses
