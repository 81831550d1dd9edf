"""The account view (``show``) and the short account brief."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bookkeeper_tui.core.account_view import (
    AccountView,
    ContactView,
    InteractionEntry,
    MrrEntry,
    OpenStep,
    ScoreEntry,
    TimelineEntry,
    TouchpointEntry,
)
from bookkeeper_tui.core.content import load_ticked
from bookkeeper_tui.core.relationships import days_to_value, onboarding_completion, onboarding_kinds
from bookkeeper_tui.core.signals import churn_spans
from bookkeeper_tui.store.book.common import _explain, _movement
from bookkeeper_tui.store.models import Account, Contact, Interaction, MrrLevel, Score, Touchpoint
from bookkeeper_tui.store.state import AccountState, effective_due, load_states


class ViewsMixin:
    """Mixed into ``Book``: see the module docstring."""

    def show(self, query: str, as_of: date) -> AccountView:
        """One account: health with its breakdown, contacts, open touchpoints, timeline."""
        with self.read() as s:
            acc = self.find_account(s, query)
            st = load_states(s, as_of, self.config, [acc.id])[acc.id]
            contacts = list(
                s.execute(
                    select(Contact).where(Contact.account_id == acc.id).order_by(Contact.name)
                ).scalars()
            )
            by_id = {c.id: c for c in contacts}
            latest: dict[int, dict[str, float]] = {}
            scores = list(
                s.execute(
                    select(Score).where(Score.account_id == acc.id).order_by(Score.day, Score.id)
                ).scalars()
            )
            for sc in scores:
                if sc.contact_id is not None and sc.day <= as_of:
                    latest.setdefault(sc.contact_id, {})[sc.kind] = sc.value
            interactions = list(
                s.execute(select(Interaction).where(Interaction.account_id == acc.id)).scalars()
            )
            tps = list(
                s.execute(
                    select(Touchpoint)
                    .where(Touchpoint.account_id == acc.id)
                    .order_by(Touchpoint.due)
                ).scalars()
            )
        timeline = self._show_timeline(st, interactions, scores, tps, by_id)
        pc = self.config.playbook
        onboarding = onboarding_completion(
            {tp.rule[4:]: tp.status for tp in tps if tp.rule and tp.rule.startswith("onb:")},
            onboarding_kinds(pc.onboarding, pc.onboarding_days),
        )
        return AccountView(
            name=acc.name,
            external_id=acc.external_id,
            tier=acc.tier,
            status=acc.status,
            start=acc.start,
            renewal=acc.renewal,
            owner=acc.owner,
            industry=acc.industry,
            tags=tuple(acc.tags.split()),
            mrr=st.mrr,
            health=st.health,
            changes=tuple(_explain(st)),
            flags=tuple(st.flags),
            nps=st.nps,
            contacts=tuple(
                ContactView(c.name, c.role, c.email, c.left_on, tuple(latest.get(c.id, {}).items()))
                for c in contacts
            ),
            first_value=acc.first_value,
            days_to_value=days_to_value(acc.start, acc.first_value),
            onboarding=onboarding,
            touchpoints=tuple(
                OpenStep(tp.id, tp.kind, effective_due(tp), tp.status, tp.origin, tp.note)
                for tp in sorted(
                    (t for t in tps if t.status in ("open", "snoozed")), key=effective_due
                )
            ),
            timeline=timeline,
        )

    def _show_timeline(
        self,
        st: AccountState,
        interactions: list[Interaction],
        scores: list[Score],
        tps: list[Touchpoint],
        by_id: dict[int, Contact],
    ) -> tuple[TimelineEntry, ...]:
        """The account's timeline, newest first: interactions, scores, MRR changes and
        closed touchpoints."""
        words = self.config.churn_words

        def who(contact_id: int | None) -> str | None:
            return by_id[contact_id].name if contact_id in by_id else None

        timeline: list[tuple[tuple, TimelineEntry]] = []
        for it in interactions:
            spans = churn_spans(f"{it.summary}\n{it.notes}", words)
            entry = InteractionEntry(
                day=it.day,
                kind=it.kind,
                summary=it.summary,
                notes=it.notes,
                contact=who(it.contact_id),
                tags=tuple(it.tags.split()),
                churn_terms=tuple(dict.fromkeys(t for _, _, t in spans)),
                checklist=tuple(load_ticked(it.checklist)),
            )
            timeline.append(((it.day, 2, it.id), entry))
        for sc in scores:
            entry_s = ScoreEntry(sc.day, sc.kind, sc.value, who(sc.contact_id))
            timeline.append(((sc.day, 1, sc.id), entry_s))
        prev = 0.0
        for eff, mrr in st.levels:
            movement = _movement(prev, mrr, seen=prev > 0 or eff != st.levels[0][0])
            timeline.append(((eff, 0, 0), MrrEntry(eff, prev, mrr, movement)))
            prev = mrr
        for tp in tps:
            if tp.status in ("done", "skipped"):
                day = tp.completed_on or tp.due
                entry_t = TouchpointEntry(day, tp.kind, tp.status, tp.due, tp.skip_reason)
                timeline.append(((day, 0, tp.id), entry_t))
        timeline.sort(key=lambda pair: pair[0], reverse=True)
        return tuple(entry for _, entry in timeline)

    def account_brief(self, name: str, as_of: date) -> dict:
        """What the quick-log preview shows about an account: tier, MRR, contacts by key."""
        with self.read() as s:
            acc = s.execute(select(Account).where(Account.name == name)).scalar_one_or_none()
            if acc is None:
                return {}
            mrr = s.execute(
                select(MrrLevel.mrr)
                .where(MrrLevel.account_id == acc.id)
                .where(MrrLevel.effective <= as_of)
                .order_by(MrrLevel.effective.desc())
                .limit(1)
            ).scalar()
            contacts = {
                key: (cname, role)
                for key, cname, role in s.execute(
                    select(Contact.name_key, Contact.name, Contact.role).where(
                        Contact.account_id == acc.id
                    )
                )
            }
        return {
            "name": acc.name,
            "tier": acc.tier,
            "status": acc.status,
            "mrr": mrr or 0.0,
            "contacts": contacts,
        }
