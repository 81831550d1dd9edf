"""The quick log's write side: parse, log and record a line, snooze and skip."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session

from bookkeeper_tui.core.content import clean_ticked, dump_ticked
from bookkeeper_tui.core.loop import score_touchpoints
from bookkeeper_tui.core.playbook import PlannedTouchpoint
from bookkeeper_tui.core.quicklog import QuickLog, QuickLogError, parse_quicklog
from bookkeeper_tui.core.signals import churn_spans
from bookkeeper_tui.core.vocab import SCORE_COMPLETES
from bookkeeper_tui.store.book.common import (
    COMPLETE_AHEAD_DAYS,
    FIRST_VALUE_TAG,
    LogResult,
)
from bookkeeper_tui.store.errors import BookError
from bookkeeper_tui.store.fast_log import record_pooled
from bookkeeper_tui.store.log_result import line_match, referral_match
from bookkeeper_tui.store.models import (
    Account,
    Contact,
    HealthSnapshot,
    Interaction,
    MrrLevel,
    Score,
    Subscription,
    Touchpoint,
    name_key,
)


class WriteMixin:
    """Mixed into ``Book``: see the module docstring."""

    # -- quick log ----------------------------------------------------------------------
    def parse(self, line: str, today: date) -> QuickLog:
        try:
            return parse_quicklog(line, self.account_names(), today)
        except QuickLogError as exc:
            raise BookError(exc.message, exc.start, exc.end) from None

    def log(
        self,
        line: str,
        today: date,
        now: datetime | None = None,
        touchpoint_id: int | None = None,
        checklist: list[str] | None = None,
    ) -> LogResult:
        """Record a quick-log line in one transaction and bring its account up to date.

        *touchpoint_id* completes that touchpoint (logging from a Today row) instead of
        the earliest matching one. *checklist*: the touchpoint checklist items ticked,
        saved with the interaction (core/content.py).
        """
        parsed = self.parse(line, today)
        return self.record(parsed, today, now, touchpoint_id, checklist)

    def record(
        self,
        q: QuickLog,
        today: date,
        now: datetime | None = None,
        touchpoint_id: int | None = None,
        checklist: list[str] | None = None,
    ) -> LogResult:
        try:
            ticked = clean_ticked(checklist or [])
        except ValueError as exc:
            raise BookError(f"nothing was saved: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            plain = self._record_plain(q, today, now, touchpoint_id, ticked)
            if plain is not None:
                return plain
        with self.write() as s:
            acc = _line_account(s, q)
            closing = self._closing_renewal(s, acc, q) if q.outcome is not None else None
            if closing is not None and closing["subscriptions"]:
                q = self._outcome_without_mrr(acc, q)
            contact, created_contact = self._line_contact(s, acc, q)
            first_value_set = self._line_first_value(acc, q)
            it = self._add_interaction(s, acc, q, contact, now, ticked)
            completed: list[tuple[str, date]] = []
            role_change, left_on, rel_created = self._line_contact_change(
                s, acc, q, contact, created_contact, today, it.id, completed
            )
            created: list[tuple[str, date, str]] = [(p.kind, p.due, p.origin) for p in rel_created]
            # What was open before this line: touchpoints the line itself creates
            # (a referral ask for a promoter) must not be completed by it.
            open_tps = _open_touchpoints(s, acc.id)
            self._line_scores(s, acc, q, contact, it.id, created)
            mrr_before, mrr_after = self._line_mrr(s, acc, q, it.id)
            outcome = None
            if closing is not None:
                outcome = self._save_outcome(s, acc, q, it.id, closing, today)
                if outcome["next_renewal"] is not None:  # plan the next renewal's touchpoints
                    self._sync_playbook(s, max(today, q.when), [acc.id])
            # Complete what this interaction (and its scores) fulfils.
            done_ids = self._line_completes(q, open_tps, touchpoint_id, it.id, completed)
            if outcome is not None:
                self._close_renewal_touchpoints(s, acc.id, open_tps, done_ids, outcome, q, it.id)
                for kind, due in outcome.pop("_completed"):
                    completed.append((kind, due))
            nxt = _add_next(s, acc, q)
            s.flush()
            snap, prev_band = self._line_health(s, acc, max(today, q.when), created)
            terms = list(
                dict.fromkeys(t for _, _, t in churn_spans(q.summary, self.config.churn_words))
            )
            return LogResult(
                account=acc.name,
                interaction_id=it.id,
                kind=q.kind,
                day=q.when,
                summary=q.summary,
                contact=contact.name if contact is not None else None,
                contact_created=created_contact,
                scores=[(sc.kind, sc.value) for sc in q.scores],
                mrr_before=mrr_before,
                mrr_after=mrr_after,
                completed=completed,
                created=created,
                next=nxt,
                tags=list(q.tags),
                churn_terms=terms,
                health=snap[0] if snap else None,
                band=snap[1] if snap else None,
                previous_band=prev_band,
                checklist=ticked,
                # The app drops these from Today at once (not part of the --json shape).
                extra={"completed_ids": sorted(done_ids)},
                role_change=role_change,
                contact_left=left_on if q.contact_left else None,
                first_value=acc.first_value if FIRST_VALUE_TAG in q.tags else None,
                first_value_set=first_value_set,
                outcome=outcome,
            )

    def _record_plain(
        self,
        q: QuickLog,
        today: date,
        now: datetime | None,
        touchpoint_id: int | None,
        ticked: list[str],
    ) -> LogResult | None:
        """A plain line written with plain SQL on a connection of the book's pool
        (``store.fast_log.record_pooled``: the same rows as the ORM path, without its
        ~10 ms); None (nothing written) for any other line."""
        return record_pooled(
            self._write_engine.raw_connection, q, today, self.config, now, touchpoint_id, ticked
        )

    @staticmethod
    def _outcome_without_mrr(acc: Account, q: QuickLog) -> QuickLog:
        """A renewal outcome on an account whose MRR comes from subscriptions: no `mrr N`."""
        if q.outcome != "churned" and q.mrr is not None:
            raise BookError(
                f"{acc.name}'s MRR comes from its imported subscriptions; import the "
                "billing change (bookkeeper import subscriptions FILE) and log "
                f"`renewal {q.outcome}` without `mrr N`"
            )
        # A churn there is kept as an outcome; the MRR follows the subscriptions.
        return dataclasses.replace(q, mrr=None)

    def _line_contact(self, s: Session, acc: Account, q: QuickLog) -> tuple[Contact | None, bool]:
        """The line's `with NAME` contact (created when new) and whether it was created."""
        if not q.contact:
            return None, False
        key = name_key(q.contact)
        contact = self._match_contact(s, acc, key)
        if contact is not None:
            return contact, False
        contact = Contact(account_id=acc.id, name=" ".join(q.contact.split()), name_key=key)
        s.add(contact)
        s.flush()
        return contact, True

    @staticmethod
    def _line_first_value(acc: Account, q: QuickLog) -> bool:
        """`#first-value`: record the account's first value (the earliest one wins)."""
        if FIRST_VALUE_TAG in q.tags and (acc.first_value is None or q.when < acc.first_value):
            acc.first_value = q.when
            acc.version += 1
            acc.updated_at = datetime.now(UTC)
            return True
        return False

    @staticmethod
    def _add_interaction(
        s: Session,
        acc: Account,
        q: QuickLog,
        contact: Contact | None,
        now: datetime | None,
        ticked: list[str],
    ) -> Interaction:
        at = None if q.dated else (now or datetime.now(UTC))
        it = Interaction(
            account_id=acc.id,
            contact_id=contact.id if contact is not None else None,
            kind=q.kind,
            day=q.when,
            at=at,
            summary=q.summary,
            tags=" ".join(q.tags),
            checklist=dump_ticked(ticked),
        )
        s.add(it)
        s.flush()
        return it

    def _line_contact_change(
        self,
        s: Session,
        acc: Account,
        q: QuickLog,
        contact: Contact | None,
        created_contact: bool,
        today: date,
        interaction_id: int,
        completed: list[tuple[str, date]],
    ) -> tuple[tuple[str | None, str] | None, date | None, list[PlannedTouchpoint]]:
        """`with NAME (ROLE)` / `(left)`: the role change, the departure day and the
        touchpoints that calls for (completed ones are added to *completed*)."""
        if contact is None or (q.contact_role is None and not q.contact_left):
            return None, None, []
        before = None if created_contact else contact.role
        left_on = contact.left_on
        if q.contact_left and (left_on is None or left_on > q.when):
            left_on = q.when  # an earlier recorded departure is kept
        rel_created = self._apply_contact(
            s,
            acc,
            contact,
            q.contact_role or contact.role,
            left_on,
            today,
            interaction_id,
            completed,
        )
        role_change = (before, contact.role) if q.contact_role is not None else None
        return role_change, left_on, rel_created

    def _line_scores(
        self,
        s: Session,
        acc: Account,
        q: QuickLog,
        contact: Contact | None,
        interaction_id: int,
        created: list[tuple[str, date, str]],
    ) -> None:
        """Save the line's scores and plan what they call for (added to *created*)."""
        for sc in q.scores:
            score = Score(
                account_id=acc.id,
                contact_id=contact.id if contact is not None else None,
                interaction_id=interaction_id,
                kind=sc.kind,
                value=float(sc.value),
                day=q.when,
            )
            s.add(score)
            s.flush()
            recent_ref = s.execute(
                select(func.count(Touchpoint.id))
                .where(Touchpoint.account_id == acc.id)
                .where(Touchpoint.kind == "referral_ask")
                .where(
                    Touchpoint.due
                    > q.when - timedelta(days=self.config.signals.referral_quiet_days)
                )
            ).scalar_one()
            planned = score_touchpoints(
                sc.kind,
                sc.value,
                q.when,
                str(score.id),
                self.config.loop,
                referral_asked_recently=bool(recent_ref),
            )
            for p in self._insert_planned(s, acc.id, planned):
                created.append((p.kind, p.due, p.origin))

    @staticmethod
    def _line_mrr(
        s: Session, acc: Account, q: QuickLog, interaction_id: int
    ) -> tuple[float | None, float | None]:
        """`mrr N`: set the MRR level on the line's day; the MRR before and after."""
        if q.mrr is None:
            return None, None
        if s.execute(
            select(Subscription.id).where(Subscription.account_id == acc.id).limit(1)
        ).first():
            raise BookError(
                f"{acc.name}'s MRR comes from its imported subscriptions; import the "
                "billing change (bookkeeper import subscriptions FILE) instead of `mrr N`"
            )
        levels = list(
            s.execute(
                select(MrrLevel).where(MrrLevel.account_id == acc.id).order_by(MrrLevel.effective)
            ).scalars()
        )
        mrr_before = 0.0
        for lv in levels:
            if lv.effective <= q.when:
                mrr_before = lv.mrr
        same = next((lv for lv in levels if lv.effective == q.when), None)
        if same is not None:
            same.mrr = float(q.mrr)
            same.interaction_id = interaction_id
        else:
            s.add(
                MrrLevel(
                    account_id=acc.id,
                    effective=q.when,
                    mrr=float(q.mrr),
                    interaction_id=interaction_id,
                )
            )
        latest = max([lv.effective for lv in levels] + [q.when])
        if latest == q.when:
            acc.status = "churned" if q.mrr == 0 else "active"
        acc.version += 1
        acc.updated_at = datetime.now(UTC)
        return mrr_before, float(q.mrr)

    def _line_completes(
        self,
        q: QuickLog,
        open_tps: list[Touchpoint],
        touchpoint_id: int | None,
        interaction_id: int,
        completed: list[tuple[str, date]],
    ) -> set[int]:
        """Complete the open touchpoints the line (and its scores) fulfils; their ids."""
        done_ids: set[int] = set()

        def done(tp: Touchpoint) -> None:
            self._complete(tp, q.when, interaction_id)
            completed.append((tp.kind, tp.due))
            done_ids.add(tp.id)

        if touchpoint_id is not None:
            target = next((t for t in open_tps if t.id == touchpoint_id), None)
            if target is None:
                raise BookError("that touchpoint is no longer open; refresh and try again")
            done(target)
        else:
            match = self._line_match(q, open_tps)
            if match is not None:
                done(match)
            ref = referral_match(q, open_tps, done_ids)
            if ref is not None:
                done(ref)
        for sc in q.scores:
            kinds = SCORE_COMPLETES.get(sc.kind, frozenset())
            horizon = q.when + timedelta(days=COMPLETE_AHEAD_DAYS)
            match = next(
                (
                    t
                    for t in open_tps
                    if t.kind in kinds and t.due <= horizon and t.id not in done_ids
                ),
                None,
            )
            if match is not None:
                done(match)
        return done_ids

    def _line_match(self, q: QuickLog, open_tps: list[Touchpoint]) -> Touchpoint | None:
        """The open touchpoint a line of its kind completes (store.log_result.line_match)."""
        return line_match(q, open_tps, self.config.loop, self.config.churn_words)

    def _line_health(
        self, s: Session, acc: Account, as_of: date, created: list[tuple[str, date, str]]
    ) -> tuple[tuple[float, str] | None, str | None]:
        """Health on *as_of* (None for a churned account) and the band before it; an
        intervention planned because it fell into red is added to *created*."""
        interventions = select(Touchpoint.id).where(
            Touchpoint.account_id == acc.id, Touchpoint.kind == "intervention"
        )
        had = set(s.execute(interventions).scalars())
        self._sync_health(s, as_of, [acc.id])
        snap = s.execute(
            select(HealthSnapshot.score, HealthSnapshot.band)
            .where(HealthSnapshot.account_id == acc.id)
            .where(HealthSnapshot.day == as_of)
        ).first()
        if acc.status == "churned":
            snap = None  # a churned account has no health to report
        prev_band = s.execute(
            select(HealthSnapshot.band)
            .where(HealthSnapshot.account_id == acc.id)
            .where(HealthSnapshot.day < as_of)
            .order_by(HealthSnapshot.day.desc())
            .limit(1)
        ).scalar()
        for tp in s.execute(
            select(Touchpoint)
            .where(Touchpoint.account_id == acc.id)
            .where(Touchpoint.kind == "intervention")
        ).scalars():
            if tp.id not in had:
                created.append((tp.kind, tp.due, tp.origin))
        return snap, prev_band

    @staticmethod
    def _complete(tp: Touchpoint, day: date, interaction_id: int) -> None:
        tp.status = "done"
        tp.completed_on = day
        tp.interaction_id = interaction_id
        tp.snoozed_until = None

    # -- touchpoint actions (TUI) ---------------------------------------------------------
    def snooze(self, touchpoint_id: int, until: date) -> None:
        with self.write() as s:
            n = s.execute(
                update(Touchpoint)
                .where(Touchpoint.id == touchpoint_id)
                .where(Touchpoint.status.in_(("open", "snoozed")))
                .values(status="snoozed", snoozed_until=until)
            ).rowcount
            if not n:
                raise BookError("that touchpoint is no longer open")

    def skip(self, touchpoint_id: int, reason: str, day: date) -> None:
        if not reason.strip():
            raise BookError("give a reason for skipping, e.g. 'customer on holiday'")
        with self.write() as s:
            n = s.execute(
                update(Touchpoint)
                .where(Touchpoint.id == touchpoint_id)
                .where(Touchpoint.status.in_(("open", "snoozed")))
                .values(status="skipped", skip_reason=reason.strip(), completed_on=day)
            ).rowcount
            if not n:
                raise BookError("that touchpoint is no longer open")


def _line_account(s: Session, q: QuickLog) -> Account:
    """The line's account, found through the name_key index (a unique key of the name),
    not by walking every account."""
    acc = s.execute(
        select(Account).where(Account.name_key == name_key(q.account), Account.name == q.account)
    ).scalar_one_or_none()
    if acc is None:
        raise BookError(f"the account '{q.account}' no longer exists; check the name")
    return acc


def _open_touchpoints(s: Session, account_id: int) -> list[Touchpoint]:
    """The account's open and snoozed touchpoints, earliest due first."""
    return list(
        s.execute(
            select(Touchpoint)
            .where(Touchpoint.account_id == account_id)
            .where(Touchpoint.status.in_(("open", "snoozed")))
            .order_by(Touchpoint.due, Touchpoint.id)
        ).scalars()
    )


def _add_next(s: Session, acc: Account, q: QuickLog) -> tuple[str, date] | None:
    """`next KIND in N days`: plan that touchpoint; what was planned."""
    nxt = None
    if q.next is not None:
        s.add(
            Touchpoint(
                account_id=acc.id,
                kind=q.next.kind,
                due=q.next.due,
                origin="manual",
                note=q.summary[:200],
            )
        )
        nxt = (q.next.kind, q.next.due)
    return nxt
