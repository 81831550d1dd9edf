"""The KPI panel's NPS: counted by the database per role, or read answer by answer."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select, true
from sqlalchemy.engine import Connection

from bookkeeper_tui.core import nps as npsm
from bookkeeper_tui.store.models import Contact, Score
from bookkeeper_tui.store.state import stream


class KpiNpsMixin:
    """Mixed into ``Book`` through ``KpiMixin``: see the module docstring."""

    def _period_nps(
        self, s: Connection, start: date, as_of: date, ids: list[int] | None = None
    ) -> npsm.PeriodNps:
        """Portfolio, account and user NPS of [start, as_of], as npsm.period_nps gives them.

        The database counts the answers per role (every answer, and each contact's latest
        one: latest day, then latest id, like the ordered list read one by one) unless an
        answer is not a valid NPS value or the role weights would make the counts differ
        in the last bit (npsm.period_nps_from_counts); then the answers are read.
        """
        role = case((Contact.role.is_(None) | (Contact.role == ""), "other"), else_=Contact.role)
        rank = func.row_number().over(
            partition_by=(Score.account_id, Score.contact_id),
            order_by=(Score.day.desc(), Score.id.desc()),
        )
        answers = (
            select(
                Score.value.label("value"),
                Score.contact_id.label("contact_id"),
                role.label("role"),
                rank.label("rank"),
            )
            .join(Contact, Contact.id == Score.contact_id, isouter=True)
            .where(Score.kind == "nps")
            .where(Score.day >= start)
            .where(Score.day <= as_of)
        )
        if ids is not None:  # a KPI cut: only these accounts' answers
            answers = answers.where(Score.account_id.in_(ids))
        answers = answers.subquery()
        a = answers.c
        latest = (a.rank == 1) | a.contact_id.is_(None)
        # The answer is int(value) (as read one by one): valid when -1 < value < 11.
        promoter = a.value >= npsm.PROMOTER_MIN
        detractor = a.value < npsm.DETRACTOR_MAX + 1
        invalid = (a.value <= -1) | (a.value >= 11)

        def count(condition):
            return func.sum(case((condition, 1), else_=0))

        rows = s.execute(
            select(
                a.role,
                func.count(),
                count(promoter),
                count(detractor),
                count(invalid),
                count(latest),
                count(latest & promoter),
                count(latest & detractor),
            ).group_by(a.role)
        ).all()
        if not any(bad for _, _, _, _, bad, _, _, _ in rows):
            counted = npsm.period_nps_from_counts(
                [
                    npsm.RoleCounts(
                        role=r,
                        answers=n,
                        promoters=p,
                        detractors=d,
                        latest=k,
                        latest_promoters=kp,
                        latest_detractors=kd,
                    )
                    for r, n, p, d, _, k, kp, kd in rows
                ],
                self.config.nps.role_weights,
            )
            if counted is not None:
                return counted
        return self._nps_one_by_one(s, start, as_of, ids)

    def _nps_one_by_one(
        self, s: Connection, start: date, as_of: date, ids: list[int] | None
    ) -> npsm.PeriodNps:
        """The period's NPS from the answers read one by one (npsm.period_nps)."""
        return npsm.period_nps(
            (
                (aid, cid, role or "other", day, int(value))
                for aid, cid, role, day, value in stream(
                    s.execute(
                        select(
                            Score.account_id,
                            Score.contact_id,
                            Contact.role,
                            Score.day,
                            Score.value,
                        )
                        .join(Contact, Contact.id == Score.contact_id, isouter=True)
                        .where(Score.kind == "nps")
                        .where(Score.day >= start)
                        .where(Score.day <= as_of)
                        .where(Score.account_id.in_(ids) if ids is not None else true())
                        .order_by(Score.day, Score.id)
                    )
                )
            ),
            start,
            as_of,
            self.config.nps.role_weights,
        )
