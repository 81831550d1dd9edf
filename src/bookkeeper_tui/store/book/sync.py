"""Sync: the playbook plan, the renewal roll, health snapshots, the score loop
and re-deriving MRR levels from subscriptions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Session

from bookkeeper_tui.core.loop import band_touchpoints, score_touchpoints
from bookkeeper_tui.core.playbook import (
    PlannedTouchpoint,
    next_renewal,
    playbook_touchpoints,
    renewal_term_months,
)
from bookkeeper_tui.core.revenue import Sub, levels_from_subscriptions
from bookkeeper_tui.store.book.common import PLAYBOOK_LOOKBACK_DAYS, RENEWAL_LOG_DAYS
from bookkeeper_tui.store.models import (
    Account,
    HealthSnapshot,
    Interaction,
    Meta,
    MrrLevel,
    RenewalOutcome,
    Subscription,
    Touchpoint,
)
from bookkeeper_tui.store.state import AccountState, load_states

#: Accounts an import touched are re-planned this many per transaction, so the write
#: lock is released between batches and other writers wait seconds, not minutes.
REPLAN_BATCH = 200


class SyncMixin:
    """Mixed into ``Book``: see the module docstring."""

    # -- playbook and health sync -------------------------------------------------------
    def sync(
        self, as_of: date, force: bool = False, account_ids: Sequence[int] | None = None
    ) -> bool:
        """Bring planned touchpoints and today's health snapshots up to *as_of*.

        Runs once per day for the whole book (``meta.synced_on``) and again for the
        accounts a write touched. Returns True when it did any work.
        """
        replan_on: date | None = None
        with self.write() as s:
            stale_meta = s.get(Meta, "stale_accounts")
            stale = json.loads(stale_meta.value) if stale_meta is not None else []
            if account_ids is None and not force:
                mark = s.get(Meta, "synced_on")
                # Never plan backwards: a report `--as-of` last year must not create
                # last year's touchpoints as open (they would haunt Today as overdue).
                if mark is not None and mark.value >= as_of.isoformat():
                    if not stale:
                        return False
                    # Accounts an import touched: re-plan them on the last synced day,
                    # in batches (below), each its own short transaction.
                    replan_on = date.fromisoformat(mark.value)
            if replan_on is None:
                self._sync_playbook(s, as_of, account_ids)
                self._sync_health(s, as_of, account_ids)
                if account_ids is None:
                    s.merge(Meta(key="synced_on", value=as_of.isoformat()))
                    if stale_meta is not None:
                        s.delete(stale_meta)
        if replan_on is not None:
            self._replan_stale(replan_on)
        return True

    #: Called after each committed re-plan batch with the number of accounts still
    #: waiting (tests use it to write from another connection between batches).
    on_replan_batch = None

    def _replan_stale(self, day: date) -> None:
        """Re-plan the accounts in ``meta.stale_accounts`` on *day*, REPLAN_BATCH at a
        time: each batch commits and drops its ids from the list, so the lock is free
        between batches and an interrupted re-plan resumes where it stopped."""
        while True:
            with self.write() as s:
                meta = s.get(Meta, "stale_accounts")
                if meta is None:
                    return
                ids = json.loads(meta.value)
                batch, rest = ids[:REPLAN_BATCH], ids[REPLAN_BATCH:]
                self._sync_playbook(s, day, batch)
                self._sync_health(s, day, batch)
                if rest:
                    meta.value = json.dumps(rest)
                else:
                    s.delete(meta)
            if self.on_replan_batch is not None:
                self.on_replan_batch(len(rest))
            if not rest:
                return

    def mark_stale(self, s: Session, account_ids) -> None:
        """Remember accounts whose plan and health must be recomputed by the next sync."""
        ids = {int(i) for i in account_ids}
        if not ids:
            return
        meta = s.get(Meta, "stale_accounts")
        if meta is not None:
            ids |= set(json.loads(meta.value))
        s.merge(Meta(key="stale_accounts", value=json.dumps(sorted(ids))))

    def plan_from(self, s: Session, account_ids: Sequence[int], day: date) -> None:
        """Never plan playbook touchpoints due before *day* for these (imported) accounts.

        Kept in ``meta.plan_from`` until the sync window no longer reaches back before it.
        """
        if not account_ids:
            return
        meta = s.get(Meta, "plan_from")
        floors = json.loads(meta.value) if meta is not None else {}
        for aid in account_ids:
            floors[str(int(aid))] = day.isoformat()
        s.merge(Meta(key="plan_from", value=json.dumps(floors, sort_keys=True)))

    def _plan_floors(self, s: Session, lo: date) -> dict[int, date]:
        meta = s.get(Meta, "plan_from")
        if meta is None:
            return {}
        floors = {int(k): date.fromisoformat(v) for k, v in json.loads(meta.value).items()}
        keep = {k: v for k, v in floors.items() if v > lo}
        if len(keep) != len(floors):
            if keep:
                value = {str(k): v.isoformat() for k, v in keep.items()}
                s.merge(Meta(key="plan_from", value=json.dumps(value, sort_keys=True)))
            else:
                s.delete(meta)
        return keep

    def _insert_planned(
        self, s: Session, account_id: int, planned: Sequence[PlannedTouchpoint]
    ) -> list[PlannedTouchpoint]:
        if not planned:
            return []
        rules = [p.rule for p in planned]
        existing = set(
            s.execute(
                select(Touchpoint.rule)
                .where(Touchpoint.account_id == account_id)
                .where(Touchpoint.rule.in_(rules))
            ).scalars()
        )
        new = [p for p in planned if p.rule not in existing]
        if new:
            s.execute(
                insert(Touchpoint),
                [
                    {
                        "account_id": account_id,
                        "kind": p.kind,
                        "due": p.due,
                        "status": "open",
                        "origin": p.origin,
                        "rule": p.rule,
                        "note": p.note,
                        "created_at": datetime.now(UTC),
                    }
                    for p in new
                ],
            )
        return new

    def fire_score_loop(
        self, s: Session, scores: Sequence[tuple[int, int, str, float, date]], today: date
    ) -> None:
        """The closed loop for recorded answers (id, account id, kind, value, day).

        Used for imported scores and ticket CSAT: an answer dated within
        ``loop.window_days`` before *today* (or later) gets the same touchpoints as a
        quick-logged one, keyed by the score's id so a re-import never doubles them;
        older answers are history and fire nothing.
        """
        lc = self.config.loop
        oldest = today - timedelta(days=lc.window_days)
        quiet = self.config.signals.referral_quiet_days
        for sid, aid, kind, value, day in sorted(scores, key=lambda r: (r[4], r[0])):
            if day < oldest:
                continue
            recent_ref = s.execute(
                select(func.count(Touchpoint.id))
                .where(Touchpoint.account_id == aid)
                .where(Touchpoint.kind == "referral_ask")
                .where(Touchpoint.rule != f"loop:referral_ask:{sid}")
                .where(Touchpoint.due > day - timedelta(days=quiet))
            ).scalar_one()
            planned = score_touchpoints(
                kind, value, day, str(sid), lc, referral_asked_recently=bool(recent_ref)
            )
            self._insert_planned(s, aid, planned)

    def _sync_playbook(self, s: Session, as_of: date, account_ids: Sequence[int] | None) -> None:
        pc = self.config.playbook
        window = (
            as_of - timedelta(days=PLAYBOOK_LOOKBACK_DAYS),
            as_of + timedelta(days=pc.horizon_days),
        )
        q = select(
            Account.id, Account.tier, Account.start, Account.renewal, Account.term_months
        ).where(Account.status == "active")
        if account_ids is not None:
            q = q.where(Account.id.in_(account_ids))
        accounts = s.execute(q).all()
        if not accounts:
            return
        ids = [a.id for a in accounts] if account_ids is not None else None
        existing: dict[int, dict[str, tuple[int, str, date]]] = {}
        rq = select(
            Touchpoint.account_id, Touchpoint.rule, Touchpoint.id, Touchpoint.status, Touchpoint.due
        ).where(Touchpoint.origin == "playbook")
        if ids is not None:
            rq = rq.where(Touchpoint.account_id.in_(ids))
        for aid, rule, tid, status, due in s.execute(rq):
            existing.setdefault(aid, {})[rule] = (tid, status, due)
        rows: list[dict] = []
        stale: list[int] = []
        now = datetime.now(UTC)
        moved = self._roll_renewals(s, as_of, accounts)
        floors = self._plan_floors(s, window[0])
        for aid, tier, start, renewal, term in accounts:
            renewal = moved.get(aid, renewal)
            planned = playbook_touchpoints(tier, start, renewal, window, pc, term)
            floor = floors.get(aid)
            if floor is not None:
                planned = [p for p in planned if p.due >= floor]
            have = existing.get(aid, {})
            wanted = {p.rule for p in planned}
            for p in planned:
                if p.rule not in have:
                    rows.append(
                        {
                            "account_id": aid,
                            "kind": p.kind,
                            "due": p.due,
                            "status": "open",
                            "origin": "playbook",
                            "rule": p.rule,
                            "note": p.note,
                            "created_at": now,
                        }
                    )
            # Follow tier changes: open recurring touchpoints the tier no longer plans go.
            for rule, (tid, status, due) in have.items():
                if (
                    rule.startswith("cad:")
                    and status == "open"
                    and due > as_of
                    and due <= window[1]
                    and rule not in wanted
                ):
                    stale.append(tid)
        if rows:
            s.execute(insert(Touchpoint), rows)
        if stale:
            s.execute(delete(Touchpoint).where(Touchpoint.id.in_(stale)))

    def _roll_renewals(self, s: Session, as_of: date, accounts) -> dict[int, date]:
        """Move renewal dates that passed, or whose renewal was logged, on by one term.

        A renewal is taken as logged by an interaction of kind ``renewal`` dated from
        ``RENEWAL_LOG_DAYS`` before the renewal date up to *as_of*. Returns the new date
        per account id (and stores it, bumping the account's version). A renewal outcome
        line (`renewal renewed ...`) moved the date itself when it was saved: it is not
        taken as a logged renewal here, or the date would move twice.
        """
        due = {aid: (start, renewal, term) for aid, _, start, renewal, term in accounts if renewal}
        if not due:
            return {}
        logged: dict[int, date] = {}
        lq = (
            select(Interaction.account_id, func.max(Interaction.day))
            .where(Interaction.kind == "renewal")
            .where(Interaction.day <= as_of)
            .where(
                Interaction.id.not_in(
                    select(RenewalOutcome.interaction_id).where(
                        RenewalOutcome.interaction_id.is_not(None)
                    )
                )
            )
            .group_by(Interaction.account_id)
        )
        if len(due) < 500:
            lq = lq.where(Interaction.account_id.in_(list(due)))
        for aid, day in s.execute(lq):
            if aid in due and day is not None:
                logged[aid] = day if isinstance(day, date) else date.fromisoformat(str(day))
        moved: dict[int, date] = {}
        for aid, (start, renewal, term) in due.items():
            new = next_renewal(start, renewal, as_of, term)
            day = logged.get(aid)
            if (
                day is not None
                and renewal - timedelta(days=RENEWAL_LOG_DAYS) <= day
                and (new == renewal)
            ):
                new = renewal + relativedelta(months=renewal_term_months(start, renewal, term))
            if new != renewal:
                moved[aid] = new
        for aid, new in moved.items():
            s.execute(
                update(Account)
                .where(Account.id == aid)
                .values(renewal=new, version=Account.version + 1, updated_at=datetime.now(UTC))
            )
        return moved

    def _sync_health(self, s: Session, as_of: date, account_ids: Sequence[int] | None) -> None:
        states = self._snapshot_health(s, as_of, account_ids)
        lc = self.config.loop
        for aid, st in states.items():
            planned = band_touchpoints(st.previous_band, st.health.band, as_of, lc)
            if planned:
                has_open = s.execute(
                    select(func.count(Touchpoint.id))
                    .where(Touchpoint.account_id == aid)
                    .where(Touchpoint.kind == "intervention")
                    .where(Touchpoint.status.in_(("open", "snoozed")))
                ).scalar_one()
                if not has_open:
                    self._insert_planned(s, aid, planned)

    def _snapshot_health(
        self, s: Session, as_of: date, account_ids: Sequence[int] | None
    ) -> dict[int, AccountState]:
        """Store each active account's health on *as_of* (one snapshot a day, replaced)."""
        states = load_states(s, as_of, self.config, account_ids, include_churned=False)
        states = {aid: st for aid, st in states.items() if st.account.start <= as_of}
        if not states:
            return states
        ids = list(states)
        s.execute(
            delete(HealthSnapshot)
            .where(HealthSnapshot.day == as_of)
            .where(HealthSnapshot.account_id.in_(ids))
        )
        s.execute(
            insert(HealthSnapshot),
            [
                {
                    "account_id": aid,
                    "day": as_of,
                    "score": st.health.score,
                    "band": st.health.band,
                    "components": json.dumps([[c.name, c.value] for c in st.health.components]),
                }
                for aid, st in states.items()
            ],
        )
        return states

    def rederive_levels(self, s: Session, account_ids: Sequence[int]) -> None:
        """Rewrite the MRR levels of accounts that have subscriptions from those subscriptions.

        Their MRR is then exactly the subscription definition on every day; the account is
        churned when its latest level is 0 (and active again when it comes back).
        """
        subs: dict[int, list[Sub]] = {aid: [] for aid in account_ids}
        for aid, start, end, mrr, trial in s.execute(
            select(
                Subscription.account_id,
                Subscription.start,
                Subscription.end,
                Subscription.mrr,
                Subscription.trial,
            ).where(Subscription.account_id.in_(list(account_ids)))
        ):
            subs[aid].append(Sub(start, end, mrr, bool(trial)))
        with_subs = [aid for aid, items in subs.items() if items]
        if not with_subs:
            return
        s.execute(delete(MrrLevel).where(MrrLevel.account_id.in_(with_subs)))
        rows = []
        churned: list[int] = []
        active: list[int] = []
        for aid in with_subs:
            levels = levels_from_subscriptions(subs[aid])
            rows += [
                {"account_id": aid, "effective": d, "mrr": v, "source": "subscriptions"}
                for d, v in levels
            ]
            (churned if levels and levels[-1][1] == 0 else active).append(aid)
        for status, ids in (("churned", churned), ("active", active)):
            if ids:
                s.execute(update(Account).where(Account.id.in_(ids)).values(status=status))
        if rows:
            s.execute(insert(MrrLevel.__table__), rows)
