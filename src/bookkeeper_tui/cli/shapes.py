"""The ``--json`` shapes of the store's typed results (docs/interfaces.md), made here and
nowhere else: the store and the core return dataclasses; the command line turns them into
the documented JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bookkeeper_tui.core.kpi_panel import KpiPanel
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
