"""Relationships and time-to-value: who we talk to at an account, and how onboarding went.

Pure rules (docs/rules.md "Relationships" and "Time-to-value"): no I/O, no clock, no
Textual. The store gathers the facts; these functions say what they mean.

* A contact's role, as typed in a quick-log line (`with Priya (champion)`), read through
  :func:`parse_role` (aliases such as `buyer`, `eb`, `user`).
* Relationship flags: *single-threaded* (one active contact, or none left) and *no economic
  buyer* (no active contact with that role), by tier (``signals.relationship_tiers``).
* A champion who leaves plans a ``champion_search`` touchpoint ("find a new champion").
* Time-to-value (days from start to the first-value date) and onboarding completion
  (the share of the first onboarding touchpoints done).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bookkeeper_tui.core.playbook import PlannedTouchpoint
from bookkeeper_tui.core.vocab import ROLES

#: How a role may be typed (lower case, spaces collapsed); each role also stands for itself.
ROLE_ALIASES: dict[str, str] = {
    "champ": "champion",
    "economic buyer": "economic_buyer",
    "economic-buyer": "economic_buyer",
    "economicbuyer": "economic_buyer",
    "buyer": "economic_buyer",
    "eb": "economic_buyer",
    "administrator": "admin",
    "end user": "end_user",
    "end-user": "end_user",
    "enduser": "end_user",
    "user": "end_user",
}

#: The word in a role's place that marks a contact as having left: `with Priya (left)`.
LEFT_WORD = "left"

#: Flag codes (they join the risk flags of core.signals).
SINGLE_THREADED = "single_threaded"
NO_ECONOMIC_BUYER = "no_economic_buyer"

#: The touchpoint a champion leaving plans.
CHAMPION_SEARCH = "champion_search"
CHAMPION_SEARCH_PURPOSE = (
    "find a new champion: who else gains from the product? win them over, share the success plan"
)


def role_words() -> str:
    """The roles as a message lists them, with their short forms."""
    return "champion, economic_buyer (or buyer, eb), admin, end_user (or user), other"


def parse_role(text: str) -> str | None:
    """The role *text* names (``"Economic Buyer"`` -> ``economic_buyer``), else None."""
    key = " ".join(text.replace("_", " ").split()).casefold()
    if not key:
        return None
    if key.replace(" ", "_") in ROLES:
        return key.replace(" ", "_")
    return ROLE_ALIASES.get(key)


def role_label(role: str | None) -> str:
    """``economic_buyer`` -> ``economic buyer`` (how a result line shows a role)."""
    return (role or "other").replace("_", " ")


@dataclass(frozen=True)
class ContactFact:
    """One contact as the relationship rules see it."""

    role: str
    left_on: date | None = None

    def active(self, as_of: date) -> bool:
        return self.left_on is None or self.left_on > as_of


@dataclass(frozen=True)
class RelationshipFlag:
    code: str
    label: str
    detail: str


def relationship_flags(
    tier: str,
    contacts: Sequence[ContactFact],
    as_of: date,
    tiers: Mapping[str, Sequence[str]],
) -> list[RelationshipFlag]:
    """Single-threaded and no-economic-buyer flags for one account on *as_of*.

    *tiers* maps a flag code to the tiers it applies to. An account with no contact
    recorded at all gets neither flag: the book knows nothing of its people, which is
    unknown, not a risk (missing data is never red). A contact counts as active until
    the day after it left.
    """
    if not contacts:
        return []
    active = [c for c in contacts if c.active(as_of)]
    out: list[RelationshipFlag] = []
    if tier in tiers.get(SINGLE_THREADED, ()) and len(active) <= 1:
        if active:
            out.append(
                RelationshipFlag(
                    SINGLE_THREADED,
                    "single-threaded",
                    "Only one active contact: if they leave, the relationship goes with "
                    "them. Meet a second person (an admin, a user, their manager).",
                )
            )
        else:
            out.append(
                RelationshipFlag(
                    SINGLE_THREADED,
                    "no active contact",
                    "Every recorded contact has left: nobody at the account knows us. "
                    "Find someone to talk to.",
                )
            )
    if tier in tiers.get(NO_ECONOMIC_BUYER, ()) and not any(
        c.role == "economic_buyer" for c in active
    ):
        out.append(
            RelationshipFlag(
                NO_ECONOMIC_BUYER,
                "no economic buyer",
                "No active contact is the economic buyer (who signs the renewal): find out "
                "who holds the budget and meet them before the renewal.",
            )
        )
    return out


def champion_search(
    contact: str,
    contact_key: str,
    left_on: date,
    today: date,
    days: int,
    others: Sequence[ContactFact] = (),
) -> PlannedTouchpoint | None:
    """The "find a new champion" touchpoint for a champion who left on *left_on*, or None
    when one of the account's *others* (its other contacts) is a champion still there.

    Due *days* after the later of the day they left and the day the book learnt it (a
    departure recorded late is not born overdue). The rule key names the contact and the
    day, so recording the same departure twice plans it once.
    """
    if any(c.role == "champion" and c.active(max(left_on, today)) for c in others):
        return None
    due = max(left_on, today) + timedelta(days=days)
    return PlannedTouchpoint(
        CHAMPION_SEARCH,
        due,
        f"rel:champion_search:{contact_key}:{left_on.isoformat()}",
        origin="loop",
        note=f"champion {contact} left on {left_on.isoformat()}: find and win a new champion",
    )


# --------------------------------------------------------------------- time-to-value


def days_to_value(start: date, first_value: date | None) -> int | None:
    """Days from the start to the first value (0 on the first day), None when unknown."""
    if first_value is None:
        return None
    return max(0, (first_value - start).days)


def onboarding_kinds(onboarding: Mapping[str, int], onboarding_days: int) -> tuple[str, ...]:
    """The playbook's onboarding touchpoints: those planned inside the onboarding period
    (by default welcome D+1, check-in D+7 and mini-QBR D+30; the D+90 QBR starts the
    recurring cadence)."""
    return tuple(
        k for k, d in sorted(onboarding.items(), key=lambda kv: kv[1]) if d < onboarding_days
    )


@dataclass(frozen=True)
class Onboarding:
    done: int
    total: int

    @property
    def share(self) -> float:
        return self.done / self.total if self.total else 0.0

    def as_json(self) -> dict:
        return {"done": self.done, "total": self.total, "share": round(self.share, 4)}


def onboarding_completion(statuses: Mapping[str, str], kinds: Sequence[str]) -> Onboarding | None:
    """How many of the onboarding touchpoints (*kinds*) are done.

    *statuses* maps each onboarding kind the book planned for the account to its status.
    Only planned ones count: an account imported long after its start never had them,
    and its onboarding is unknown (None), not 0%. Skipped counts as not done.
    """
    planned = [k for k in kinds if k in statuses]
    if not planned:
        return None
    return Onboarding(sum(1 for k in planned if statuses[k] == "done"), len(planned))


def median_days(values: Sequence[int]) -> float | None:
    """The median of *values* (the middle one, or the mean of the two middle ones)."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2
