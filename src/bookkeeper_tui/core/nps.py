"""NPS at three levels (docs/domain.md "Role-weighted NPS"): portfolio, user and account.

One account can tell several stories at once: the champion answers 9 while end users answer
4. User-level numbers count every answer; account-level numbers keep each contact's latest
answer and weigh it by role, because a buyer's opinion decides the renewal. The gap between
the two is itself a signal. Pure functions, dates passed in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

#: Promoters answer 9-10, detractors 0-6 (the standard NPS bands).
PROMOTER_MIN = 9
DETRACTOR_MAX = 6
#: Float slack for the gap flag, so a gap that is exactly 2.0 on paper but 1.9999999 in
#: binary still flags.
_EPSILON = 1e-9


@dataclass(frozen=True)
class NpsResponse:
    """One NPS answer."""

    account: Hashable
    #: None = anonymous: each anonymous response is its own "contact".
    contact: Hashable | None
    #: One of vocab.ROLES; unknown roles weigh like "other".
    role: str
    on: date
    #: 0..10
    value: int


def _check_value(value: int) -> None:
    if isinstance(value, bool) or not 0 <= value <= 10:
        raise ValueError(f"an NPS answer must be a whole number from 0 to 10, got {value!r}")


def nps_of(values: Iterable[int], weights: Iterable[float] | None = None) -> float | None:
    """% promoters minus % detractors, from -100 to 100; ``None`` when there is nothing.

    With *weights*, the shares are weighted shares (a weight-3 promoter counts three times).
    ``None`` rather than 0 for no answers (or zero total weight), because "no data" and
    "as many promoters as detractors" are different things on the KPI panel.
    """
    values = list(values)
    checked = _plain_answers(values)
    if weights is None and checked:
        # Every weight is 1.0, so the weighted sums are exact counts.
        counts = Counter(values)
        return nps_from_sums(
            float(sum(n for v, n in counts.items() if v >= PROMOTER_MIN)),
            float(sum(n for v, n in counts.items() if v <= DETRACTOR_MAX)),
            float(len(values)),
        )
    weights = [1.0] * len(values) if weights is None else [float(w) for w in weights]
    if len(weights) != len(values):
        raise ValueError(f"got {len(values)} NPS answers but {len(weights)} weights")
    promoters = detractors = total = 0.0
    for value, weight in zip(values, weights, strict=True):
        if not checked:
            _check_value(value)
        if weight < 0:
            raise ValueError(f"an NPS weight must not be negative, got {weight!r}")
        total += weight
        if value >= PROMOTER_MIN:
            promoters += weight
        elif value <= DETRACTOR_MAX:
            detractors += weight
    return nps_from_sums(promoters, detractors, total)


def nps_from_sums(promoters: float, detractors: float, total: float) -> float | None:
    """nps_of's last step, from the (weighted) promoter, detractor and total sums."""
    if total <= 0:
        return None
    # Divide before scaling and clamp: float rounding must never show -100.00000000000001.
    return max(-100.0, min(100.0, 100.0 * ((promoters - detractors) / total)))


def _plain_answers(values: list) -> bool:
    """True when every value is an int from 0 to 10 (what _check_value accepts, fast)."""
    if not values:
        return True
    return set(map(type, values)) == {int} and min(values) >= 0 and max(values) <= 10


def _in_window(responses: Iterable[NpsResponse], start: date, end: date) -> list[NpsResponse]:
    return [r for r in responses if start <= r.on <= end]


def latest_per_contact(
    responses: Iterable[NpsResponse], start: date, end: date
) -> list[NpsResponse]:
    """Each contact's latest answer dated in [start, end], in input order.

    A contact who answered twice has changed their mind; the older answer no longer
    describes the account. Contacts are keyed by (account, contact) so the same person id in
    two accounts stays two contacts. Same-day answers: the later one in the input wins.
    Anonymous answers cannot be matched to anyone, so each one stands alone.
    """
    latest: dict[Hashable, tuple[int, NpsResponse]] = {}
    for position, response in enumerate(_in_window(responses, start, end)):
        key: Hashable = (
            ("contact", response.account, response.contact)
            if response.contact is not None
            else ("anonymous", position)
        )
        kept = latest.get(key)
        if kept is None or response.on >= kept[1].on:
            latest[key] = (position, response)
    return [response for _, response in sorted(latest.values(), key=lambda kept: kept[0])]


def role_weight(role: str, role_weights: Mapping[str, float]) -> float:
    """Weight of a role; unknown roles weigh like "other" (1.0 if "other" is not set)."""
    key = role.strip().casefold() if isinstance(role, str) else role
    if key in role_weights:
        return float(role_weights[key])
    return float(role_weights.get("other", 1.0))


def portfolio_nps(responses: Iterable[NpsResponse], start: date, end: date) -> float | None:
    """The KPI "nps": unweighted NPS over each contact's latest answer in the period."""
    return nps_of(r.value for r in latest_per_contact(responses, start, end))


def user_nps(responses: Iterable[NpsResponse], start: date, end: date) -> float | None:
    """NPS over every answer in the period, each once (the end users' voice, undamped)."""
    return nps_of(r.value for r in _in_window(responses, start, end))


def account_nps(
    responses: Iterable[NpsResponse],
    start: date,
    end: date,
    role_weights: Mapping[str, float],
) -> float | None:
    """NPS over each contact's latest answer, weighted by role (config.NpsConfig.role_weights)."""
    latest = latest_per_contact(responses, start, end)
    return nps_of((r.value for r in latest), (role_weight(r.role, role_weights) for r in latest))


class PeriodNps(NamedTuple):
    """The three NPS numbers of the KPI panel, and how many answers were read."""

    portfolio: float | None
    account: float | None
    user: float | None
    answers: int


def period_nps(
    answers: Iterable[tuple[Hashable, Hashable | None, str, date, int]],
    start: date,
    end: date,
    role_weights: Mapping[str, float],
) -> PeriodNps:
    """``portfolio_nps``, ``account_nps`` and ``user_nps`` of the same answers, in one pass.

    Each answer is the fields of an :class:`NpsResponse` as a plain tuple
    ``(account, contact, role, on, value)``, and *answers* may be a generator: the KPI
    panel streams tens of thousands of them from the database without keeping them. The
    numbers are exactly those of the three functions called one by one.
    """
    # The answers in the window, by position, as parallel lists (no object per answer).
    values: list[int] = []
    roles: list[str] = []
    days: list[date] = []
    # latest_per_contact: (account, contact) -> position of the latest answer; an anonymous
    # answer stands alone under its position (an int never equals a tuple key). Same-day
    # answers: the later one wins.
    latest: dict[Hashable, int] = {}
    count = 0
    for account, contact, role, on, value in answers:
        count += 1
        if not start <= on <= end:
            continue
        position = len(values)
        values.append(value)
        roles.append(role)
        days.append(on)
        key: Hashable = (account, contact) if contact is not None else position
        kept = latest.get(key)
        if kept is None or on >= days[kept]:
            latest[key] = position
    kept_positions = sorted(latest.values())  # input order of the kept answers
    kept_values = [values[p] for p in kept_positions]
    portfolio = nps_of(kept_values)
    weight_of: dict[str, float] = {}
    weights: list[float] = []
    for p in kept_positions:
        role = roles[p]
        weight = weight_of.get(role)
        if weight is None:
            weight = weight_of[role] = role_weight(role, role_weights)
        weights.append(weight)
    account_nps_value = nps_of(kept_values, weights)
    return PeriodNps(portfolio, account_nps_value, nps_of(values), count)


#: Integer sums of floats are exact below this (2**53): any order gives the same float.
_EXACT = 2**53


@dataclass(frozen=True)
class RoleCounts:
    """Counts of a period's NPS answers from contacts of one role (for period_nps_from_counts).

    ``answers``/``promoters``/``detractors`` count every answer in the period; the
    ``latest_*`` ones count each contact's latest answer (anonymous answers each count).
    """

    role: str
    answers: int
    promoters: int
    detractors: int
    latest: int
    latest_promoters: int
    latest_detractors: int


def period_nps_from_counts(
    counts: Iterable[RoleCounts], role_weights: Mapping[str, float]
) -> PeriodNps | None:
    """:func:`period_nps` from per-role counts (a database can count them), or None.

    None when the counts cannot give exactly the same floats as :func:`period_nps` over
    the answers themselves: a role weight that is not a whole number (its weighted sum
    would depend on the order of the answers), negative (nps_of refuses it) or sums too
    large to be exact. The caller then reads the answers. Invalid answers are the
    caller's to rule out (they make nps_of raise).
    """
    counts = list(counts)
    answers = sum(c.answers for c in counts)
    weighted = weighted_promoters = weighted_detractors = 0
    for c in counts:
        if not c.latest:
            continue
        weight = role_weight(c.role, role_weights)
        if not (weight >= 0 and weight.is_integer()):
            return None
        w = int(weight)
        weighted += w * c.latest
        weighted_promoters += w * c.latest_promoters
        weighted_detractors += w * c.latest_detractors
    if max(weighted, answers) >= _EXACT:
        return None
    return PeriodNps(
        portfolio=nps_from_sums(
            float(sum(c.latest_promoters for c in counts)),
            float(sum(c.latest_detractors for c in counts)),
            float(sum(c.latest for c in counts)),
        ),
        account=nps_from_sums(
            float(weighted_promoters), float(weighted_detractors), float(weighted)
        ),
        user=nps_from_sums(
            float(sum(c.promoters for c in counts)),
            float(sum(c.detractors for c in counts)),
            float(answers),
        ),
        answers=answers,
    )


#: The buyer side of an account (docs/domain.md): the people who decide the renewal.
BUYER_ROLES: frozenset[str] = frozenset({"economic_buyer", "champion"})


def is_buyer_role(role: str) -> bool:
    """True for economic_buyer and champion; every other role (and unknown ones) is a user."""
    key = role.strip().casefold() if isinstance(role, str) else role
    return key in BUYER_ROLES


@dataclass(frozen=True)
class AccountNps:
    """One account's buyer-weighted vs user-level view of its survey answers."""

    #: Role-weighted mean (0-10) of each contact's latest response in the window.
    account_mean: float | None
    #: Plain mean (0-10) of every response in the window.
    user_mean: float | None
    #: buyer_side_mean - user_side_mean: positive when buyers are happier than users; None
    #: when either side has no answer (one contact changing their mind is not a gap).
    gap: float | None
    #: abs(gap) >= gap_flag.
    flagged: bool
    #: Responses in the window (every one, not just the latest per contact).
    responses: int
    #: Plain mean (0-10) of the latest answer of each economic buyer and champion.
    buyer_side_mean: float | None = None
    #: Plain mean (0-10) of the latest answer of each admin, end user and other contact.
    user_side_mean: float | None = None


def _weighted_mean(values: list[int], weights: list[float]) -> float | None:
    total = sum(weights)
    if total <= 0:
        return None
    return sum(v * w for v, w in zip(values, weights, strict=True)) / total


def account_nps_detail(
    responses_of_one_account: Iterable[NpsResponse],
    start: date,
    end: date,
    role_weights: Mapping[str, float],
    gap_flag: float = 2.0,
) -> AccountNps:
    """Account mean vs user mean for one account, and whether the gap is wide enough to flag.

    Means on the 0-10 scale rather than NPS percentages, because with a handful of answers
    per account a single answer swings an NPS by tens of points while the mean moves gently;
    the domain's gap threshold (2 points) is stated on the mean. The caller passes one
    account's responses; contacts are still keyed by (account, contact), so mixing accounts
    would not merge people, but the means would then describe no single account.

    The gap compares two groups of people, not answers: the buyer side (economic buyers and
    champions) against the user side (admins, end users, everyone else), each contact's
    latest answer once. A contact who changed their own score is not a buyer-vs-user gap,
    and with nobody on one side there is no gap to flag.
    """
    window = _in_window(responses_of_one_account, start, end)
    for r in window:
        _check_value(r.value)
    latest = latest_per_contact(window, start, end)
    account_mean = _weighted_mean(
        [r.value for r in latest], [role_weight(r.role, role_weights) for r in latest]
    )
    user_mean = sum(r.value for r in window) / len(window) if window else None
    buyers = [r.value for r in latest if is_buyer_role(r.role)]
    users = [r.value for r in latest if not is_buyer_role(r.role)]
    buyer_side = sum(buyers) / len(buyers) if buyers else None
    user_side = sum(users) / len(users) if users else None
    gap = buyer_side - user_side if buyer_side is not None and user_side is not None else None
    return AccountNps(
        account_mean=account_mean,
        user_mean=user_mean,
        gap=gap,
        flagged=gap is not None and abs(gap) >= gap_flag - _EPSILON,
        responses=len(window),
        buyer_side_mean=buyer_side,
        user_side_mean=user_side,
    )
