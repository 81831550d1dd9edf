"""Renewal outcomes from the quick log: what a line closes, saves and completes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlmodel import Session

from bookkeeper_tui.core.playbook import renewal_term_months
from bookkeeper_tui.core.quicklog import QuickLog
from bookkeeper_tui.store.book.common import OUTCOME_WINDOW_DAYS
from bookkeeper_tui.store.errors import BookError
from bookkeeper_tui.store.models import Account, MrrLevel, RenewalOutcome, Subscription, Touchpoint


class OutcomesMixin:
    """Mixed into ``Book``: see the module docstring."""

    def _closing_renewal(self, s: Session, acc: Account, q: QuickLog) -> dict:
        """Check a renewal outcome line against the account; return what it closes.

        It closes the renewal date nearest to the line's day among the account's current
        renewal date and the one a term before it, when the playbook planned for that one
        (the sync moves a date on once it passed, so an outcome logged a few days late
        still closes the right one), that have no outcome yet, within OUTCOME_WINDOW_DAYS
        of the day.
        """
        said = f"`renewal {q.outcome}`"
        if acc.status == "churned":
            raise BookError(
                f"{acc.name} has churned, so there is no renewal to log; if they came back, "
                "log `mrr N` first"
            )
        if acc.renewal is None:
            raise BookError(
                f"{acc.name} has no renewal date, so {said} has no renewal to close; set its "
                "renewal date first (e on the account in the app, or import it with a "
                "renewal column)"
            )
        term_now = renewal_term_months(acc.start, acc.renewal, acc.term_months)
        previous = acc.renewal - relativedelta(months=term_now)
        closed = set(
            s.execute(
                select(RenewalOutcome.renewal).where(RenewalOutcome.account_id == acc.id)
            ).scalars()
        )
        # The previous date was a renewal in force only if the playbook planned for it.
        was_planned = s.execute(
            select(Touchpoint.id)
            .where(Touchpoint.account_id == acc.id)
            .where(Touchpoint.rule == f"renewal:{previous}")
            .limit(1)
        ).first()
        options = [
            d
            for d in ((previous, acc.renewal) if was_planned else (acc.renewal,))
            if d > acc.start and d not in closed
        ]
        if not options:
            raise BookError(
                f"{acc.name}'s renewal on {acc.renewal} has an outcome logged already; "
                "nothing was saved"
            )
        renewal = min(options, key=lambda d: (abs((d - q.when).days), d))
        gap = (renewal - q.when).days
        if abs(gap) > OUTCOME_WINDOW_DAYS:
            when = f"{gap} days after" if gap > 0 else f"{-gap} days before"
            raise BookError(
                f"{acc.name}'s next renewal is on {renewal}, {when} {q.when}; an outcome is "
                f"logged within {OUTCOME_WINDOW_DAYS} days of its renewal date (use @DATE "
                "for when it was decided, or fix the renewal date)"
            )
        before = self._mrr_on(s, acc.id, q.when)
        if q.outcome == "downgraded" and q.mrr is not None and before > 0 and q.mrr >= before:
            raise BookError(
                f"a downgrade lowers the MRR, but {acc.name}'s MRR is {before:,.0f} and the "
                f"line says {q.mrr:,.0f}; write `renewal renewed mrr {q.mrr:,.0f}` instead"
            )
        if q.outcome == "renewed" and q.mrr is not None and q.mrr < before:
            raise BookError(
                f"that lowers {acc.name}'s MRR from {before:,.0f} to {q.mrr:,.0f}: write "
                f"`renewal downgraded mrr {q.mrr:,.0f}` instead"
            )
        subscriptions = (
            s.execute(
                select(Subscription.id).where(Subscription.account_id == acc.id).limit(1)
            ).first()
            is not None
        )
        return {
            "renewal": renewal,
            "mrr_before": before,
            "term_now": term_now,
            "subscriptions": subscriptions,
        }

    def _save_outcome(
        self, s: Session, acc: Account, q: QuickLog, interaction_id: int, closing: dict, today
    ) -> dict:
        """Store the outcome row and plan the next renewal (renewed/downgraded)."""
        renewal: date = closing["renewal"]
        before: float = closing["mrr_before"]
        after = 0.0 if q.outcome == "churned" else (q.mrr if q.mrr is not None else before)
        term = None
        next_renewal_on = None
        if q.outcome == "churned":
            acc.status = "churned"
        else:
            term = q.term_months or closing["term_now"]
            next_renewal_on = renewal + relativedelta(months=term)
            acc.renewal = next_renewal_on
            # Kept on the account: the next roll and the playbook use this term.
            acc.term_months = term
        acc.version += 1
        acc.updated_at = datetime.now(UTC)
        s.add(
            RenewalOutcome(
                account_id=acc.id,
                renewal=renewal,
                day=q.when,
                outcome=q.outcome or "",
                mrr_before=before,
                mrr_after=after,
                term_months=term,
                reason=q.summary if q.outcome != "renewed" else "",
                interaction_id=interaction_id,
            )
        )
        s.flush()
        return {
            "outcome": q.outcome,
            "renewal": renewal,
            "mrr_before": before,
            "mrr_after": after,
            "term_months": term,
            "next_renewal": next_renewal_on,
            "reason": q.summary if q.outcome != "renewed" else "",
            "_completed": [],
        }

    def _close_renewal_touchpoints(
        self,
        s: Session,
        account_id: int,
        open_tps: Sequence[Touchpoint],
        done_ids: set[int],
        outcome: dict,
        q: QuickLog,
        interaction_id: int,
    ) -> None:
        """The closed renewal's open touchpoints: its renewal touchpoint is done (unless
        the line completed one already), its pre-renewal CES check is skipped."""
        renewal: date = outcome["renewal"]
        live = [t for t in open_tps if t.id not in done_ids]
        if not any(t.kind == "renewal" for t in open_tps if t.id in done_ids):
            tp = next(
                (
                    t
                    for t in live
                    if t.kind == "renewal" and (t.rule == f"renewal:{renewal}" or t.due <= renewal)
                ),
                None,
            )
            if tp is not None:
                self._complete(tp, q.when, interaction_id)
                done_ids.add(tp.id)
                outcome["_completed"].append((tp.kind, tp.due))
        for t in live:
            if t.kind == "ces_check" and t.rule == f"ces:{renewal}" and t.id not in done_ids:
                t.status = "skipped"
                t.skip_reason = f"renewal {outcome['outcome']} on {q.when}"
                t.completed_on = q.when
                t.snoozed_until = None
                done_ids.add(t.id)

    # -- renewal outcomes ------------------------------------------------------------------
    @staticmethod
    def _mrr_on(s: Session, account_id: int, day: date) -> float:
        value = s.execute(
            select(MrrLevel.mrr)
            .where(MrrLevel.account_id == account_id)
            .where(MrrLevel.effective <= day)
            .order_by(MrrLevel.effective.desc())
            .limit(1)
        ).scalar()
        return float(value or 0.0)
