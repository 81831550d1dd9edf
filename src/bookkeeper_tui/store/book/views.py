"""The account view (``show``) and the short account brief."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bookkeeper_tui.core.content import load_ticked
from bookkeeper_tui.core.relationships import days_to_value, onboarding_completion, onboarding_kinds
from bookkeeper_tui.core.signals import churn_spans
from bookkeeper_tui.store.book.common import _explain, _movement
from bookkeeper_tui.store.models import Account, Contact, Interaction, MrrLevel, Score, Touchpoint
from bookkeeper_tui.store.state import AccountState, effective_due, load_states


class ViewsMixin:
    """Mixed into ``Book``: see the module docstring."""

    def show(self, query: str, as_of: date) -> dict:
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
        return {
            **_account_json(acc, st),
            "contacts": [
                {
                    "name": c.name,
                    "role": c.role,
                    "email": c.email,
                    "left_on": c.left_on.isoformat() if c.left_on else None,
                    "scores": latest.get(c.id, {}),
                }
                for c in contacts
            ],
            "first_value": acc.first_value.isoformat() if acc.first_value else None,
            "days_to_value": days_to_value(acc.start, acc.first_value),
            "onboarding": None if onboarding is None else onboarding.as_json(),
            "touchpoints": [
                {
                    "id": tp.id,
                    "kind": tp.kind,
                    "due": effective_due(tp).isoformat(),
                    "status": tp.status,
                    "origin": tp.origin,
                    "note": tp.note,
                }
                for tp in sorted(
                    (t for t in tps if t.status in ("open", "snoozed")), key=effective_due
                )
            ],
            "timeline": timeline,
        }

    def _show_timeline(
        self,
        st: AccountState,
        interactions: list[Interaction],
        scores: list[Score],
        tps: list[Touchpoint],
        by_id: dict[int, Contact],
    ) -> list[dict]:
        """The account's timeline, newest first: interactions, scores, MRR changes and
        closed touchpoints."""
        words = self.config.churn_words
        timeline: list[dict] = []
        for it in interactions:
            text = f"{it.summary}\n{it.notes}"
            spans = churn_spans(text, words)
            timeline.append(
                {
                    "type": "interaction",
                    "date": it.day.isoformat(),
                    "kind": it.kind,
                    "summary": it.summary,
                    "notes": it.notes,
                    "contact": by_id[it.contact_id].name if it.contact_id in by_id else None,
                    "tags": it.tags.split(),
                    "churn_terms": list(dict.fromkeys(t for _, _, t in spans)),
                    "checklist": load_ticked(it.checklist),
                    "_order": (it.day, 2, it.id),
                }
            )
        for sc in scores:
            timeline.append(
                {
                    "type": "score",
                    "date": sc.day.isoformat(),
                    "kind": sc.kind,
                    "value": sc.value,
                    "contact": by_id[sc.contact_id].name if sc.contact_id in by_id else None,
                    "_order": (sc.day, 1, sc.id),
                }
            )
        prev = 0.0
        for eff, mrr in st.levels:
            timeline.append(
                {
                    "type": "mrr",
                    "date": eff.isoformat(),
                    "from": prev,
                    "to": mrr,
                    "movement": _movement(prev, mrr, seen=prev > 0 or eff != st.levels[0][0]),
                    "_order": (eff, 0, 0),
                }
            )
            prev = mrr
        for tp in tps:
            if tp.status in ("done", "skipped"):
                day = tp.completed_on or tp.due
                timeline.append(
                    {
                        "type": "touchpoint",
                        "date": day.isoformat(),
                        "kind": tp.kind,
                        "status": tp.status,
                        "due": tp.due.isoformat(),
                        "reason": tp.skip_reason,
                        "_order": (day, 0, tp.id),
                    }
                )
        timeline.sort(key=lambda e: e["_order"], reverse=True)
        for e in timeline:
            del e["_order"]
        return timeline

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


def _account_json(acc: Account, st: AccountState) -> dict:
    """The account view's head: the account's fields, health, flags and NPS."""
    h = st.health
    return {
        "name": acc.name,
        "external_id": acc.external_id,
        "tier": acc.tier,
        "status": acc.status,
        "start": acc.start.isoformat(),
        "renewal": acc.renewal.isoformat() if acc.renewal else None,
        "owner": acc.owner,
        "industry": acc.industry,
        "tags": acc.tags.split(),
        "mrr": st.mrr,
        "health": {
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
            "changes": _explain(st),
        },
        "flags": [
            {"code": f.code, "kind": f.kind, "label": f.label, "detail": f.detail} for f in st.flags
        ],
        "nps": {
            "account_mean": st.nps.account_mean,
            "user_mean": st.nps.user_mean,
            "gap": st.nps.gap,
            "flagged": st.nps.flagged,
            "buyer_side_mean": st.nps.buyer_side_mean,
            "user_side_mean": st.nps.user_side_mean,
        },
    }
