"""The ``--json`` shapes of the store's typed results (docs/interfaces.md), made here and
nowhere else: the store and the core return dataclasses; the command line turns them into
the documented JSON."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bookkeeper_tui.core.account_view import (
    AccountView,
    InteractionEntry,
    MrrEntry,
    ScoreEntry,
    TimelineEntry,
)
from bookkeeper_tui.core.kpi_panel import KpiPanel
from bookkeeper_tui.core.renewals import OutcomeFacts, RenewalDesk

if TYPE_CHECKING:
    from bookkeeper_tui.core.health import Health
    from bookkeeper_tui.store.book.common import AccountRows
    from bookkeeper_tui.store.state import AccountState


def renewal_desk_json(desk: RenewalDesk) -> dict:
    """``bookkeeper renewals --json``."""
    return {
        "as_of": desk.as_of.isoformat(),
        "within_days": desk.within_days,
        "since": desk.since.isoformat(),
        "renewals": [r.as_json() for r in desk.renewals],
        "forecast": desk.forecast.as_json(),
        "churn_reasons": [c.as_json() for c in desk.churn_reasons],
        "accuracy": None if desk.accuracy is None else [m.as_json() for m in desk.accuracy],
        "outcomes": None if desk.outcomes is None else [_outcome(o) for o in desk.outcomes],
    }


def _outcome(o: OutcomeFacts) -> dict:
    return {
        "account": o.account,
        "renewal": o.renewal.isoformat(),
        "day": o.day.isoformat(),
        "outcome": o.outcome,
        "mrr_before": o.mrr_before,
        "mrr_after": o.mrr_after,
        "reason": o.reason,
    }


def account_row_json(st: AccountState) -> dict:
    """One account of ``bookkeeper accounts --json``."""
    acc = st.account
    nxt = st.next_touchpoint
    return {
        "name": acc.name,
        "external_id": acc.external_id,
        "tier": acc.tier,
        "status": acc.status,
        "mrr": st.mrr,
        "health": st.health.score,
        "band": st.health.band,
        "last_touch": st.last_touch,
        "next_touchpoint": None if nxt is None else {"kind": nxt.kind, "due": nxt.due},
        "renewal": acc.renewal,
        "owner": acc.owner,
        "flags": [f.code for f in st.flags],
    }


def kpi_json(k: KpiPanel) -> dict:
    """``bookkeeper kpi --json`` (without its ``cut``, which the command adds)."""
    return {
        "period": {"start": k.start.isoformat(), "end": k.end.isoformat()},
        "starting_mrr": k.starting_mrr,
        "ending_mrr": k.ending_mrr,
        "nrr": k.nrr,
        "grr": k.grr,
        "logo_retention": k.logo_retention,
        "logo_churn": k.logo_churn,
        "cohort_size": k.cohort_size,
        "churned_logos": k.churned_logos,
        "period_days": k.period_days,
        "logo_churn_annualised": k.logo_churn_annualised,
        "reactivation_mrr": k.reactivation_mrr,
        "expansion_mrr": k.expansion_mrr,
        "contraction_mrr": k.contraction_mrr,
        "churned_mrr": k.churned_mrr,
        "new_mrr": k.new_mrr,
        "expansion_share": k.expansion_share,
        "nps": k.nps,
        "account_nps": k.account_nps,
        "user_nps": k.user_nps,
        "nps_responses": k.nps_responses,
        "health": {"green": k.health.green, "yellow": k.health.yellow, "red": k.health.red},
        "accounts_scored": k.accounts_scored,
        "qbr_completion": k.qbr_completion,
        "qbr_accounts": k.qbr_accounts,
        "on_time_rate": k.on_time_rate,
        "referral_rate": k.referral_rate,
        "green_trend": [{"date": p.day.isoformat(), "green": p.green} for p in k.green_trend],
        "mrr_by_month": [
            {
                "month": m.month,
                "new": m.new,
                "expansion": m.expansion,
                "contraction": m.contraction,
                "churned": m.churned,
                "reactivation": m.reactivation,
                "mrr": m.mrr,
            }
            for m in k.mrr_by_month
        ],
        "median_days_to_value": k.median_days_to_value,
        "first_value_accounts": k.first_value_accounts,
    }


def account_view_json(v: AccountView) -> dict:
    """``bookkeeper show --json``: one account (docs/interfaces.md)."""
    return {
        "name": v.name,
        "external_id": v.external_id,
        "tier": v.tier,
        "status": v.status,
        "start": v.start.isoformat(),
        "renewal": _iso(v.renewal),
        "owner": v.owner,
        "industry": v.industry,
        "tags": list(v.tags),
        "mrr": v.mrr,
        "health": _health_json(v.health, v.changes),
        "flags": [
            {"code": f.code, "kind": f.kind, "label": f.label, "detail": f.detail} for f in v.flags
        ],
        "nps": {
            "account_mean": v.nps.account_mean,
            "user_mean": v.nps.user_mean,
            "gap": v.nps.gap,
            "flagged": v.nps.flagged,
            "buyer_side_mean": v.nps.buyer_side_mean,
            "user_side_mean": v.nps.user_side_mean,
        },
        "contacts": [
            {
                "name": c.name,
                "role": c.role,
                "email": c.email,
                "left_on": _iso(c.left_on),
                "scores": dict(c.scores),
            }
            for c in v.contacts
        ],
        "first_value": _iso(v.first_value),
        "days_to_value": v.days_to_value,
        "onboarding": None if v.onboarding is None else v.onboarding.as_json(),
        "touchpoints": [
            {
                "id": t.id,
                "kind": t.kind,
                "due": t.due.isoformat(),
                "status": t.status,
                "origin": t.origin,
                "note": t.note,
            }
            for t in v.touchpoints
        ],
        "timeline": [_timeline_entry_json(e) for e in v.timeline],
    }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _health_json(h: Health, changes: tuple[str, ...]) -> dict:
    return {
        "score": h.score,
        "band": h.band,
        "overridden": h.overridden,
        "components": [
            {
                "name": c.name,
                "value": c.value,
                "weight": c.weight,
                "share": round(c.share, 4),
                "detail": c.detail,
            }
            for c in h.components
        ],
        "missing": list(h.missing),
        # Components unknown because their imported feed ended: where it ends.
        "stale": {name: day.isoformat() for name, day in h.stale},
        "changes": list(changes),
    }


def _timeline_entry_json(e: TimelineEntry) -> dict:
    day = e.day.isoformat()
    if isinstance(e, InteractionEntry):
        return {
            "type": e.type,
            "date": day,
            "kind": e.kind,
            "summary": e.summary,
            "notes": e.notes,
            "contact": e.contact,
            "tags": list(e.tags),
            "churn_terms": list(e.churn_terms),
            "checklist": list(e.checklist),
        }
    if isinstance(e, ScoreEntry):
        return {"type": e.type, "date": day, "kind": e.kind, "value": e.value, "contact": e.contact}
    if isinstance(e, MrrEntry):
        return {
            "type": e.type,
            "date": day,
            "from": e.before,
            "to": e.after,
            "movement": e.movement,
        }
    return {
        "type": e.type,
        "date": day,
        "kind": e.kind,
        "status": e.status,
        "due": e.due.isoformat(),
        "reason": e.reason,
    }


def deleted_json(removed: AccountRows) -> dict:
    """``bookkeeper delete --json``: the account deleted and its rows by table."""
    return {"deleted": removed.account, "rows": dict(removed.counts)}
