"""The ``--json`` shapes of the store's typed results (docs/interfaces.md), made here and
nowhere else: the store and the core return dataclasses; the command line turns them into
the documented JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bookkeeper_tui.core.renewals import OutcomeFacts, RenewalDesk

if TYPE_CHECKING:
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
