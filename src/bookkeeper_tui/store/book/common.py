"""Shared pieces of the book: its constants, small value types (``Owners``,
``LogResult``), argument parsers and the helpers several parts use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from bookkeeper_tui.core.vocab import TIER_ALIASES, TIERS
from bookkeeper_tui.store.errors import BookError
from bookkeeper_tui.store.log_result import (  # noqa: F401  (re-exported)
    COMPLETE_AHEAD_DAYS,
    COMPLETE_SAME_KIND_AHEAD_DAYS,
    FIRST_VALUE_TAG,
    LogResult,
)
from bookkeeper_tui.store.models import (
    Contact,
    HealthSnapshot,
    Interaction,
    MrrLevel,
    RenewalOutcome,
    Score,
    Subscription,
    Ticket,
    Touchpoint,
    UsageEvent,
)
from bookkeeper_tui.store.state import AccountState

#: Playbook touchpoints older than this are not created when first noticed
#: (an imported five-year-old account does not get a year of overdue onboarding).
#: KPI panels remembered per book (periods and dates a user flips between).
KPI_CACHE_SIZE = 8
#: Renewal desks remembered per book (the screen's, the command line's, a few dates).
RENEWALS_MEMO_SIZE = 4
PLAYBOOK_LOOKBACK_DAYS = 30
#: A renewal interaction this many days before the renewal date (or later) renews it.
RENEWAL_LOG_DAYS = 75
#: A renewal outcome closes the renewal date nearest to its day, up to this far either side.
OUTCOME_WINDOW_DAYS = 180


#: What a KPI panel is remembered by: (as_of, period, owner key or None, tier or None).
KpiKey = tuple[date, str, str | None, str | None]


class Owners(NamedTuple):
    """Who owns the book's accounts (team mode)."""

    #: Each owner once, as first spelled, sorted by name.
    names: list[str]
    #: Accounts with no owner.
    unowned: int
    #: Every account.
    total: int


#: The account fields the edit form (``Book.update_account``) may change.
EDITABLE_FIELDS = ("tier", "renewal", "owner", "industry", "tags")


def parse_tier(value: str) -> str:
    tier = TIER_ALIASES.get(value.strip().casefold())
    if tier is None:
        raise BookError(f"unknown tier '{value}'; use one of {', '.join(TIERS)}")
    return tier


def parse_iso(value: str, what: str) -> date:
    """A YYYY-MM-DD date inside the book's years (core.bounds); BookError otherwise."""
    from bookkeeper_tui.core.bounds import MAX_YEAR, MIN_YEAR, date_problem

    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise BookError(f"{what} '{value}' is not a date; write it as YYYY-MM-DD") from None
    if date_problem(day):
        raise BookError(
            f"{what} '{value.strip()}' is out of range; write a date YYYY-MM-DD in the years "
            f"{MIN_YEAR} to {MAX_YEAR}"
        )
    return day


#: What deleting an account removes, children first; (key in the counts, table).
_ACCOUNT_ROWS = (
    ("usage_events", UsageEvent),
    ("tickets", Ticket),
    ("subscriptions", Subscription),
    ("scores", Score),
    ("mrr_levels", MrrLevel),
    ("touchpoints", Touchpoint),
    ("health_snapshots", HealthSnapshot),
    ("renewal_outcomes", RenewalOutcome),
    ("interactions", Interaction),
    ("contacts", Contact),
)


@dataclass(frozen=True, slots=True)
class AccountRows:
    """An account's rows by table (``Book.account_rows``, ``Book.delete_account``): what
    deleting it removes, or removed."""

    account: str
    #: (key, rows) for each table of ``_ACCOUNT_ROWS``, in its order.
    counts: tuple[tuple[str, int], ...]

    def count(self, key: str) -> int:
        """The rows of one table, by its key ("interactions", "touchpoints", ...)."""
        return dict(self.counts)[key]


def rows_said(rows: AccountRows) -> str:
    """'1 interaction, 12 touchpoints' from delete counts (only the non-zero ones)."""
    parts = []
    for key, n in rows.counts:
        if not n:
            continue
        word = key.replace("_", " ")
        parts.append(f"{n} {word[:-1] if n == 1 else word}")
    return ", ".join(parts) if parts else "no other rows"


def _check_bounds(
    start: date | None = None, renewal: date | None = None, mrr: float | None = None
) -> None:
    """BookError naming the first value outside the book's range (core.bounds)."""
    from bookkeeper_tui.core.bounds import date_problem, mrr_problem

    problem = (
        (start is not None and date_problem(start, "the start date"))
        or (renewal is not None and date_problem(renewal, "the renewal date"))
        or (mrr is not None and mrr_problem(mrr, "MRR"))
    )
    if problem:
        raise BookError(problem)


def int_type():
    from sqlalchemy import Integer

    return Integer


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _movement(before: float, after: float, seen: bool) -> str:
    if before == 0 and after > 0:
        return "reactivation" if seen else "new"
    if after == 0 and before > 0:
        return "churn"
    if after > before:
        return "expansion"
    if after < before:
        return "contraction"
    return "flat"


def _explain(st: AccountState) -> list[str]:
    from bookkeeper_tui.core.health import explain_change

    return explain_change(st.previous_components, st.health)
