"""One account as ``Book.show`` returns it (issue 15 #3): typed parts, no JSON.

The store fills these; the account screen and ``bookkeeper show`` read their attributes;
``bookkeeper show --json`` is made from them once, in ``cli/shapes.py``
(``account_view_json``). Days are ``date`` objects here (the JSON writes them ISO).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from bookkeeper_tui.core.health import Health
from bookkeeper_tui.core.nps import AccountNps
from bookkeeper_tui.core.relationships import Onboarding
from bookkeeper_tui.core.signals import Flag


@dataclass(frozen=True, slots=True)
class ContactView:
    """One contact of the account, with the latest answer of each score kind."""

    name: str
    role: str
    email: str | None
    left_on: date | None
    #: (kind, value) of each kind's latest answer up to the day, in the order first answered.
    scores: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class OpenStep:
    """An open or snoozed touchpoint: ``due`` is when it is due now (after a snooze)."""

    id: int
    kind: str
    due: date
    status: str
    origin: str
    note: str


@dataclass(frozen=True, slots=True)
class InteractionEntry:
    """A logged call, meeting, email... on the timeline."""

    type: ClassVar[str] = "interaction"
    day: date
    kind: str
    summary: str
    notes: str
    contact: str | None
    tags: tuple[str, ...]
    #: The churn words found in the summary and notes, each once, in reading order.
    churn_terms: tuple[str, ...]
    #: The touchpoint checklist items ticked when it was logged (core/content.py).
    checklist: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScoreEntry:
    """A score (NPS, CSAT, usage...) on the timeline."""

    type: ClassVar[str] = "score"
    day: date
    kind: str
    value: float
    contact: str | None


@dataclass(frozen=True, slots=True)
class MrrEntry:
    """An MRR level change: from *before* to *after*, and what kind of movement it is."""

    type: ClassVar[str] = "mrr"
    day: date
    before: float
    after: float
    movement: str
    #: Only interactions and scores name a contact.
    contact: ClassVar[None] = None


@dataclass(frozen=True, slots=True)
class TouchpointEntry:
    """A touchpoint done or skipped (*day*: when, else its due day)."""

    type: ClassVar[str] = "touchpoint"
    day: date
    kind: str
    status: str
    due: date
    reason: str | None
    #: Only interactions and scores name a contact.
    contact: ClassVar[None] = None


TimelineEntry = InteractionEntry | ScoreEntry | MrrEntry | TouchpointEntry


@dataclass(frozen=True, slots=True)
class AccountView:
    """Everything about one account on one day: the account's fields, health with its
    breakdown, flags, NPS, contacts, time to value, open touchpoints and the timeline
    (newest first)."""

    name: str
    external_id: str | None
    tier: str
    status: str
    start: date
    renewal: date | None
    owner: str | None
    industry: str | None
    tags: tuple[str, ...]
    mrr: float
    health: Health
    #: What moved the score since the last snapshot (core.health.explain_change).
    changes: tuple[str, ...]
    flags: tuple[Flag, ...]
    nps: AccountNps
    contacts: tuple[ContactView, ...]
    first_value: date | None
    days_to_value: int | None
    onboarding: Onboarding | None
    touchpoints: tuple[OpenStep, ...]
    timeline: tuple[TimelineEntry, ...]

    @property
    def churned_on(self) -> date | None:
        """The day of the newest MRR change to 0, if any."""
        return next(
            (e.day for e in self.timeline if isinstance(e, MrrEntry) and e.after == 0), None
        )
