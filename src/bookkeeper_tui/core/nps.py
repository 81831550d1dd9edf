"""NPS at three levels (docs/domain.md "Role-weighted NPS"): portfolio, user and account.

One account can tell several stories at once: the champion answers 9 while end users answer
4. User-level numbers count every answer; account-level numbers keep each contact's latest
answer and weigh it by role, because a buyer's opinion decides the renewal. The gap between
the two is itself a signal. Pure functions, dates passed in.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

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
    weights = [1.0] * len(values) if weights is None else [float(w) for w in weights]
    if len(weights) != len(values):
        raise ValueError(f"got {len(values)} NPS answers but {len(weights)} weights")
    promoters = detractors = total = 0.0
    for value, weight in zip(values, weights, strict=True):
        _check_value(value)
        if weight < 0:
            raise ValueError(f"an NPS weight must not be negative, got {weight!r}")
        total += weight
        if value >= PROMOTER_MIN:
            promoters += weight
        elif value <= DETRACTOR_MAX:
            detractors += weight
    if total <= 0:
        return None
    # Divide before scaling and clamp: float rounding must never show -100.00000000000001.
    return max(-100.0, min(100.0, 100.0 * ((promoters - detractors) / total)))


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


@dataclass(frozen=True)
class AccountNps:
    """One account's buyer-weighted vs user-level view of its survey answers."""

    #: Role-weighted mean (0-10) of each contact's latest response in the window.
    account_mean: float | None
    #: Plain mean (0-10) of every response in the window.
    user_mean: float | None
    #: account_mean - user_mean: positive when buyers are happier than users.
    gap: float | None
    #: abs(gap) >= gap_flag.
    flagged: bool
    #: Responses in the window (every one, not just the latest per contact).
    responses: int


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
    """
    window = _in_window(responses_of_one_account, start, end)
    for r in window:
        _check_value(r.value)
    latest = latest_per_contact(window, start, end)
    account_mean = _weighted_mean(
        [r.value for r in latest], [role_weight(r.role, role_weights) for r in latest]
    )
    user_mean = sum(r.value for r in window) / len(window) if window else None
    gap = account_mean - user_mean if account_mean is not None and user_mean is not None else None
    return AccountNps(
        account_mean=account_mean,
        user_mean=user_mean,
        gap=gap,
        flagged=gap is not None and abs(gap) >= gap_flag - _EPSILON,
        responses=len(window),
    )
