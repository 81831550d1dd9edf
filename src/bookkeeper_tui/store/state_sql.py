"""The queries behind ``store.state.load_states``: built once, with bound parameters.

A statement object built once keeps its SQLAlchemy cache key, so running it again costs
the execution only: one account's states (a quick-log save, the account view) are a
dozen small queries where building them used to cost as much as running them.
``statements(filtered)`` gives them all; *filtered* adds ``account_id IN :ids``.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from sqlalchemy import Date, Float, Select, and_, bindparam, case, func, or_, select

from bookkeeper_tui.core.vocab import TWO_WAY_KINDS
from bookkeeper_tui.store.models import (
    Contact,
    HealthSnapshot,
    Interaction,
    MrrLevel,
    Score,
    Ticket,
    Touchpoint,
    UsageEvent,
)

AS_OF = bindparam("as_of", type_=Date)


class Statements(NamedTuple):
    levels: Select
    interactions: Select
    recent_interactions: Select
    tickets: Select
    ticket_accounts: Select
    usage_events: Select
    scores: Select
    contacts: Select
    feed_ends: Select
    open_touchpoints: Select
    touchpoint_dates: Select
    health: Select


def _where_ids(stmt: Select, col, filtered: bool) -> Select:
    return stmt.where(col.in_(bindparam("ids", expanding=True))) if filtered else stmt


@cache
def statements(filtered: bool) -> Statements:
    """load_states' queries (for the accounts in ``:ids`` when *filtered*)."""
    return Statements(
        **_activity(filtered),
        **_feeds(filtered),
        **_signals(filtered),
        **_touchpoints(filtered),
    )


def _activity(filtered: bool) -> dict[str, Select]:
    """MRR levels, the last two-way talk and touch, and the recent interactions."""
    recent = bindparam("recent", type_=Date)
    two_way = sorted(TWO_WAY_KINDS)
    # Conversations that carry a detractor answer (NPS/CSAT at or below loop.detractor_*):
    # they do not refresh engagement, so a complaint call cannot lift health (rules.md).
    # For some accounts, only their own scores: SQLite reads them through the account
    # index instead of walking the whole score table (at 10,000 accounts: 7 ms -> 0.01 ms).
    detractor_talks = _where_ids(select(Score.interaction_id), Score.account_id, filtered).where(
        Score.interaction_id.is_not(None),
        or_(
            and_(Score.kind == "nps", Score.value <= bindparam("det_nps", type_=Float)),
            and_(Score.kind == "csat", Score.value <= bindparam("det_csat", type_=Float)),
        ),
    )
    last_two_way = case(
        (
            Interaction.kind.in_(two_way)
            & (Interaction.day <= AS_OF)
            & Interaction.id.not_in(detractor_talks),
            Interaction.day,
        )
    )
    last_touch = case(
        ((Interaction.kind != "ticket") & (Interaction.day <= AS_OF), Interaction.day)
    )
    tracks_tickets = case((Interaction.kind == "ticket", 1), else_=0)
    return {
        "levels": _where_ids(
            select(MrrLevel.account_id, MrrLevel.effective, MrrLevel.mrr),
            MrrLevel.account_id,
            filtered,
        ).order_by(MrrLevel.account_id, MrrLevel.effective),
        # Last two-way interaction and last touch on or before as_of, and whether the
        # account tracks tickets at all (any ticket interaction, any day): one pass.
        "interactions": _where_ids(
            select(
                Interaction.account_id,
                func.max(last_two_way),
                func.max(last_touch),
                func.max(tracks_tickets),
            ),
            Interaction.account_id,
            filtered,
        ).group_by(Interaction.account_id),
        "recent_interactions": _where_ids(
            select(
                Interaction.account_id,
                Interaction.kind,
                Interaction.day,
                Interaction.summary,
                Interaction.notes,
            ),
            Interaction.account_id,
            filtered,
        )
        .where(Interaction.day > recent)
        .where(Interaction.day <= AS_OF),
    }


def _feeds(filtered: bool) -> dict[str, Select]:
    """The imported feeds: recent tickets, usage event windows and where each feed ends."""
    recent = bindparam("recent", type_=Date)
    day, count = UsageEvent.day, UsageEvent.count
    usage_recent = bindparam("usage_recent", type_=Date)
    usage_base = bindparam("usage_base", type_=Date)
    return {
        "tickets": _where_ids(select(Ticket.account_id, Ticket.opened), Ticket.account_id, filtered)
        .where(Ticket.opened > recent)
        .where(Ticket.opened <= AS_OF),
        "ticket_accounts": _where_ids(
            select(Ticket.account_id), Ticket.account_id, filtered
        ).distinct(),
        "usage_events": _where_ids(
            select(
                UsageEvent.account_id,
                func.sum(case((day > usage_recent, count), else_=0)),
                func.sum(case(((day > usage_base) & (day <= usage_recent), count), else_=0)),
                func.sum(case((day <= usage_recent, 1), else_=0)),
            ),
            UsageEvent.account_id,
            filtered,
        )
        .where(day <= AS_OF)
        .group_by(UsageEvent.account_id),
        # The newest imported ticket and usage event in the whole book (never filtered by
        # account, so one account's view agrees with the whole book's): a feed that ended
        # long ago is stale for every account (core.health.feed_is_current).
        "feed_ends": select(
            select(func.max(Ticket.opened)).where(Ticket.opened <= AS_OF).scalar_subquery(),
            select(func.max(UsageEvent.day)).where(UsageEvent.day <= AS_OF).scalar_subquery(),
        ),
    }


def _signals(filtered: bool) -> dict[str, Select]:
    """Score signals, contacts and the recent health snapshots."""
    return {
        # Every score signal, with the answering contact's role for the NPS responses.
        "scores": _where_ids(
            select(
                Score.account_id,
                Score.kind,
                Score.day,
                Score.value,
                Score.contact_id,
                Contact.role,
            ).join(Contact, Contact.id == Score.contact_id, isouter=True),
            Score.account_id,
            filtered,
        )
        .where(Score.day > bindparam("since", type_=Date))
        .where(Score.day <= AS_OF)
        .order_by(Score.day, Score.id),
        # Every contact's role and departure, for the relationship flags.
        "contacts": _where_ids(
            select(Contact.account_id, Contact.role, Contact.left_on),
            Contact.account_id,
            filtered,
        ),
        "health": _where_ids(
            select(
                HealthSnapshot.account_id,
                HealthSnapshot.day,
                HealthSnapshot.score,
                HealthSnapshot.band,
                HealthSnapshot.components,
            ),
            HealthSnapshot.account_id,
            filtered,
        )
        .where(HealthSnapshot.day > bindparam("snapshots_after", type_=Date))
        .where(HealthSnapshot.day <= AS_OF)
        .order_by(HealthSnapshot.day),
    }


def _touchpoints(filtered: bool) -> dict[str, Select]:
    """Open touchpoints, the latest referral ask and the latest expansion talk."""
    referral = (Touchpoint.kind == "referral_ask") & (
        Touchpoint.due <= bindparam("referral_until", type_=Date)
    )
    expansion = (Touchpoint.kind == "expansion") & (Touchpoint.status == "done")
    # For some accounts, the status is compared as ``status || ''``: SQLite then reads the
    # accounts' own rows (ix_touchpoint_account_rule) instead of walking every open
    # touchpoint of the book through the status index (a screenful: 22 ms -> 0.3 ms).
    # Equal due dates come in status and id order, as that index gave them before.
    status = Touchpoint.status + "" if filtered else Touchpoint.status
    return {
        "open_touchpoints": _where_ids(
            select(
                Touchpoint.id,
                Touchpoint.account_id,
                Touchpoint.kind,
                Touchpoint.due,
                Touchpoint.status,
                Touchpoint.snoozed_until,
                Touchpoint.note,
            ),
            Touchpoint.account_id,
            filtered,
        )
        .where(status.in_(("open", "snoozed")))
        .order_by(Touchpoint.due, Touchpoint.status, Touchpoint.id),
        # Latest referral ask (due up to a month ahead) and latest expansion talk done.
        # "done" is tested inside the aggregate, not in WHERE: an equality on status
        # would make SQLite walk the status index over every done touchpoint in the book
        # instead of the account's own rows.
        "touchpoint_dates": _where_ids(
            select(
                Touchpoint.account_id,
                func.max(case((referral, Touchpoint.due))),
                func.max(case((expansion, Touchpoint.completed_on))),
            ),
            Touchpoint.account_id,
            filtered,
        )
        .where(Touchpoint.kind.in_(("referral_ask", "expansion")))
        .group_by(Touchpoint.account_id),
    }
