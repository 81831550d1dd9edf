"""The book's tables (SQLModel), as in docs/domain.md.

Portable across SQLAlchemy backends (SQLite now, PostgreSQL later): no SQLite-only
types, case-insensitive uniqueness through a normalised ``name_key`` column rather
than ``COLLATE NOCASE``. MRR is never stored on the account: it is derived from the
dated levels in ``mrr_level``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bookkeeper_tui.core.names import name_key  # noqa: F401  (re-exported for the store)


def utcnow() -> datetime:
    """Timestamps are stored as aware UTC datetimes (portable across backends)."""
    return datetime.now(UTC)


class Meta(SQLModel, table=True):
    """Key/value facts about the book itself; ``schema_version`` lives here."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="")


class Account(SQLModel, table=True):
    __tablename__ = "account"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, unique=True, index=True)
    external_id: str | None = Field(default=None, max_length=100, unique=True)
    tier: str = Field(default="smb", max_length=20, index=True)
    tier_manual: bool = Field(default=True)
    start: date
    renewal: date | None = None
    owner: str | None = Field(default=None, max_length=100)
    industry: str | None = Field(default=None, max_length=100)
    tags: str = Field(default="")  # space-separated, lowercase
    status: str = Field(default="active", max_length=20)  # active / churned
    source: str | None = Field(default=None, max_length=50)  # e.g. referral
    #: The renewal term in whole months (None: from the start-to-renewal gap, else 12).
    term_months: int | None = None
    #: The day the customer first got value from the product (time-to-value).
    first_value: date | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    #: Bumped on every edit so a later save can detect a change it never saw.
    version: int = Field(default=1)


class Contact(SQLModel, table=True):
    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("account_id", "name_key"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=200)
    role: str = Field(default="other", max_length=20)
    left_on: date | None = None


class Interaction(SQLModel, table=True):
    __tablename__ = "interaction"
    __table_args__ = (Index("ix_interaction_account_day", "account_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    kind: str = Field(default="call", max_length=20)
    day: date
    at: datetime | None = None
    summary: str = Field(default="")
    notes: str = Field(default="")
    sentiment: int | None = None  # -1, 0, 1
    tags: str = Field(default="")
    external_id: str | None = Field(default=None, max_length=100, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    #: JSON list of the touchpoint checklist items ticked when this was logged.
    checklist: str = Field(default="")


class Touchpoint(SQLModel, table=True):
    __tablename__ = "touchpoint"
    __table_args__ = (
        Index("ix_touchpoint_status_due", "status", "due"),
        Index("ix_touchpoint_account_rule", "account_id", "rule"),
        # The KPI panel's on-time rate, counted from the index alone (schema v4).
        Index("ix_touchpoint_due_status_completed", "due", "status", "completed_on"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    kind: str = Field(max_length=30)
    due: date
    status: str = Field(default="open", max_length=20)
    snoozed_until: date | None = None
    origin: str = Field(default="manual", max_length=20)  # playbook / loop / manual
    #: Stable key of the rule occurrence that produced it (idempotent generation).
    rule: str | None = Field(default=None, max_length=100)
    note: str = Field(default="")
    completed_on: date | None = None
    interaction_id: int | None = Field(
        default=None, foreign_key="interaction.id", ondelete="SET NULL"
    )
    skip_reason: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Score(SQLModel, table=True):
    __tablename__ = "score"
    __table_args__ = (Index("ix_score_account_kind_day", "account_id", "kind", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    interaction_id: int | None = Field(
        default=None, foreign_key="interaction.id", ondelete="SET NULL"
    )
    kind: str = Field(max_length=20)
    value: float
    day: date
    external_id: str | None = Field(default=None, max_length=100, index=True)


# The KPI panel's NPS: the answers in the order it ranks each contact's latest (latest
# day, then latest id), so the database sorts nothing (schema v4). Declared here, on
# the columns, because two of them are descending.
_score = Score.__table__.c  # type: ignore[attr-defined]
Index(
    "ix_score_kind_contact_latest",
    _score.kind,
    _score.account_id,
    _score.contact_id,
    _score.day.desc(),
    _score.id.desc(),
    _score.value,
)


class MrrLevel(SQLModel, table=True):
    """An account's MRR from ``effective`` (inclusive) until the next level."""

    __tablename__ = "mrr_level"
    __table_args__ = (
        UniqueConstraint("account_id", "effective"),
        # The revenue history (KPI panel, Book) read in order from the index alone (v4).
        Index("ix_mrr_level_account_effective_mrr", "account_id", "effective", "mrr"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    effective: date
    mrr: float
    interaction_id: int | None = Field(
        default=None, foreign_key="interaction.id", ondelete="SET NULL"
    )
    #: "manual" (typed or `bookkeeper add`) or "subscriptions" (derived from imported
    #: subscriptions, rewritten whenever they change).
    source: str = Field(default="manual", max_length=20)


class Subscription(SQLModel, table=True):
    """A billing subscription; an account's MRR on a day is the sum of its non-trial
    subscriptions with start <= day < end (a blank end means still active)."""

    __tablename__ = "subscription"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    external_id: str | None = Field(default=None, max_length=100, unique=True)
    start: date
    end: date | None = None
    mrr: float
    trial: bool = False


class Ticket(SQLModel, table=True):
    """A support ticket: feeds the support component; its CSAT feeds the survey one."""

    __tablename__ = "ticket"
    __table_args__ = (Index("ix_ticket_account_opened", "account_id", "opened"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    external_id: str | None = Field(default=None, max_length=100, unique=True)
    opened: date
    closed: date | None = None
    priority: str | None = Field(default=None, max_length=20)
    csat: float | None = None


class UsageEvent(SQLModel, table=True):
    """Product usage counted on a day (e.g. feature uses), aggregated into the usage component."""

    __tablename__ = "usage_event"
    __table_args__ = (Index("ix_usage_account_day", "account_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    subscription_id: int | None = Field(
        default=None, foreign_key="subscription.id", ondelete="SET NULL"
    )
    external_id: str | None = Field(default=None, max_length=100, unique=True)
    day: date
    count: float = 0


class RenewalOutcome(SQLModel, table=True):
    """How one renewal ended: renewed, downgraded or churned (with the reason)."""

    __tablename__ = "renewal_outcome"
    __table_args__ = (Index("ix_renewal_outcome_account_day", "account_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    #: The renewal date this outcome closes.
    renewal: date
    #: The day the outcome was logged.
    day: date
    outcome: str = Field(max_length=20)  # renewed / downgraded / churned
    mrr_before: float | None = None
    mrr_after: float | None = None
    term_months: int | None = None
    reason: str = Field(default="")
    interaction_id: int | None = Field(
        default=None, foreign_key="interaction.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow)


class HealthSnapshot(SQLModel, table=True):
    __tablename__ = "health_snapshot"
    __table_args__ = (
        UniqueConstraint("account_id", "day"),
        # The KPI panel's % green trend, counted from the index alone (schema v4).
        Index("ix_health_snapshot_day_band", "day", "band"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    day: date
    score: float | None = None
    band: str | None = Field(default=None, max_length=10)
    #: JSON list of [component, value] pairs: what the score was made of that day.
    components: str = Field(default="[]")
