"""The quick log's write side: parse, log and record a line, snooze and skip."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import (
    func,
    select,
    update,
)
from sqlmodel import Session

from bookkeeper_tui.core.content import clean_ticked, dump_ticked
from bookkeeper_tui.core.loop import (
    is_detractor_line,
    says_referral,
    score_touchpoints,
)
from bookkeeper_tui.core.playbook import (
    PlannedTouchpoint,
)
from bookkeeper_tui.core.quicklog import QuickLog, QuickLogError, parse_quicklog
from bookkeeper_tui.core.relationships import (
    CHAMPION_SEARCH,
    ContactFact,
    champion_search,
)
from bookkeeper_tui.core.signals import churn_spans
from bookkeeper_tui.core.vocab import (
    COMPLETES,
    SCORE_COMPLETES,
)
from bookkeeper_tui.store.book.common import (
    COMPLETE_AHEAD_DAYS,
    COMPLETE_SAME_KIND_AHEAD_DAYS,
    FIRST_VALUE_TAG,
    LogResult,
)
from bookkeeper_tui.store.errors import BookError
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
        lc = self.config.loop
        try:
            ticked = clean_ticked(checklist or [])
        except ValueError as exc:
            raise BookError(f"nothing was saved: {exc}") from None
        with self.write() as s:
            acc = s.execute(select(Account).where(Account.name == q.account)).scalar_one_or_none()
            if acc is None:
                raise BookError(f"the account '{q.account}' no longer exists; check the name")
            closing = self._closing_renewal(s, acc, q) if q.outcome is not None else None
            if closing is not None and closing["subscriptions"]:
                if q.outcome != "churned" and q.mrr is not None:
                    raise BookError(
                        f"{acc.name}'s MRR comes from its imported subscriptions; import the "
                        "billing change (bookkeeper import subscriptions FILE) and log "
                        f"`renewal {q.outcome}` without `mrr N`"
                    )
                # A churn there is kept as an outcome; the MRR follows the subscriptions.
                q = dataclasses.replace(q, mrr=None)
            contact_id = None
            contact_name = None
            created_contact = False
            if q.contact:
                key = name_key(q.contact)
                contact = self._match_contact(s, acc, key)
                if contact is None:
                    contact = Contact(
                        account_id=acc.id, name=" ".join(q.contact.split()), name_key=key
                    )
                    s.add(contact)
                    s.flush()
                    created_contact = True
                contact_id = contact.id
                contact_name = contact.name
            first_value_set = False
            if FIRST_VALUE_TAG in q.tags and (acc.first_value is None or q.when < acc.first_value):
                acc.first_value = q.when
                acc.version += 1
                acc.updated_at = datetime.now(UTC)
                first_value_set = True
            at = None if q.dated else (now or datetime.now(UTC))
            it = Interaction(
                account_id=acc.id,
                contact_id=contact_id,
                kind=q.kind,
                day=q.when,
                at=at,
                summary=q.summary,
                tags=" ".join(q.tags),
                checklist=dump_ticked(ticked),
            )
            s.add(it)
            s.flush()
            role_change = None
            rel_created: list[PlannedTouchpoint] = []
            completed: list[tuple[str, date]] = []
            left_on = None
            if q.contact and (q.contact_role is not None or q.contact_left):
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
                    it.id,
                    completed,
                )
                if q.contact_role is not None:
                    role_change = (before, contact.role)
            created: list[tuple[str, date, str]] = [(p.kind, p.due, p.origin) for p in rel_created]
            # What was open before this line: touchpoints the line itself creates
            # (a referral ask for a promoter) must not be completed by it.
            open_tps = list(
                s.execute(
                    select(Touchpoint)
                    .where(Touchpoint.account_id == acc.id)
                    .where(Touchpoint.status.in_(("open", "snoozed")))
                    .order_by(Touchpoint.due, Touchpoint.id)
                ).scalars()
            )
            # Scores and what they call for.
            for sc in q.scores:
                score = Score(
                    account_id=acc.id,
                    contact_id=contact_id,
                    interaction_id=it.id,
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
                    lc,
                    referral_asked_recently=bool(recent_ref),
                )
                for p in self._insert_planned(s, acc.id, planned):
                    created.append((p.kind, p.due, p.origin))
            # Revenue.
            mrr_before = mrr_after = None
            if (
                q.mrr is not None
                and s.execute(
                    select(Subscription.id).where(Subscription.account_id == acc.id).limit(1)
                ).first()
            ):
                raise BookError(
                    f"{acc.name}'s MRR comes from its imported subscriptions; import the "
                    "billing change (bookkeeper import subscriptions FILE) instead of `mrr N`"
                )
            if q.mrr is not None:
                levels = list(
                    s.execute(
                        select(MrrLevel)
                        .where(MrrLevel.account_id == acc.id)
                        .order_by(MrrLevel.effective)
                    ).scalars()
                )
                mrr_before = 0.0
                for lv in levels:
                    if lv.effective <= q.when:
                        mrr_before = lv.mrr
                same = next((lv for lv in levels if lv.effective == q.when), None)
                if same is not None:
                    same.mrr = float(q.mrr)
                    same.interaction_id = it.id
                else:
                    s.add(
                        MrrLevel(
                            account_id=acc.id,
                            effective=q.when,
                            mrr=float(q.mrr),
                            interaction_id=it.id,
                        )
                    )
                mrr_after = float(q.mrr)
                latest = max([lv.effective for lv in levels] + [q.when])
                if latest == q.when:
                    acc.status = "churned" if q.mrr == 0 else "active"
                acc.version += 1
                acc.updated_at = datetime.now(UTC)
            outcome = None
            if closing is not None:
                outcome = self._save_outcome(s, acc, q, it.id, closing, today)
                if outcome["next_renewal"] is not None:  # plan the next renewal's touchpoints
                    self._sync_playbook(s, max(today, q.when), [acc.id])
            # Complete what this interaction (and its scores) fulfils.
            done_ids: set[int] = set()
            if touchpoint_id is not None:
                target = next((t for t in open_tps if t.id == touchpoint_id), None)
                if target is None:
                    raise BookError("that touchpoint is no longer open; refresh and try again")
                self._complete(target, q.when, it.id)
                completed.append((target.kind, target.due))
                done_ids.add(target.id)
            else:
                horizon = q.when + timedelta(days=COMPLETE_AHEAD_DAYS)
                same_horizon = q.when + timedelta(days=COMPLETE_SAME_KIND_AHEAD_DAYS)
                kinds = COMPLETES.get(q.kind, frozenset())
                if is_detractor_line(
                    [(sc.kind, float(sc.value)) for sc in q.scores],
                    [t for _, _, t in churn_spans(q.summary, self.config.churn_words)],
                    lc,
                ):
                    # A detractor call is not the planned expansion conversation.
                    kinds = kinds - {"expansion"}
                # Same kind first (a renewal call completes the renewal, not the CES
                # check), then the most overdue.
                candidates = sorted(
                    (
                        t
                        for t in open_tps
                        if t.kind in kinds
                        and t.due <= (same_horizon if t.kind == q.kind else horizon)
                    ),
                    key=lambda t: (t.kind != q.kind, t.due, t.id),
                )
                match = candidates[0] if candidates else None
                if match is not None:
                    self._complete(match, q.when, it.id)
                    completed.append((match.kind, match.due))
                    done_ids.add(match.id)
                # Whatever its kind, a line that says it asked for a referral does so.
                if says_referral(q.summary, q.tags):
                    ref = next(
                        (
                            t
                            for t in open_tps
                            if t.kind == "referral_ask"
                            and t.due <= horizon
                            and t.id not in done_ids
                        ),
                        None,
                    )
                    if ref is not None:
                        self._complete(ref, q.when, it.id)
                        completed.append((ref.kind, ref.due))
                        done_ids.add(ref.id)
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
                    self._complete(match, q.when, it.id)
                    completed.append((match.kind, match.due))
                    done_ids.add(match.id)
            if outcome is not None:
                self._close_renewal_touchpoints(s, acc.id, open_tps, done_ids, outcome, q, it.id)
                for kind, due in outcome.pop("_completed"):
                    completed.append((kind, due))
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
            s.flush()
            # Health today, and an intervention if it fell into red.
            as_of = max(today, q.when)
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
            terms = list(
                dict.fromkeys(t for _, _, t in churn_spans(q.summary, self.config.churn_words))
            )
            return LogResult(
                account=acc.name,
                interaction_id=it.id,
                kind=q.kind,
                day=q.when,
                summary=q.summary,
                contact=contact_name,
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

    @staticmethod
    def _match_contact(s: Session, acc: Account, key: str) -> Contact | None:
        """The contact a `with NAME` means: exact name, else a unique first-name prefix."""
        contacts = list(s.execute(select(Contact).where(Contact.account_id == acc.id)).scalars())
        exact = [c for c in contacts if c.name_key == key]
        if exact:
            return exact[0]
        prefix = [c for c in contacts if c.name_key.startswith(key + " ")]
        if len(prefix) == 1:
            return prefix[0]
        if len(prefix) > 1:
            names = ", ".join(sorted(c.name for c in prefix))
            raise BookError(
                f"'with {key}' matches several contacts at {acc.name}: {names}; "
                'write the full name in quotes, e.g. with "' + prefix[0].name + '"'
            )
        return None

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

    def _apply_contact(
        self,
        s: Session,
        acc: Account,
        contact: Contact,
        role: str,
        left_on: date | None,
        today: date | None,
        interaction_id: int | None = None,
        closed: list[tuple[str, date]] | None = None,
    ) -> list[PlannedTouchpoint]:
        """Set a contact's role and departure, and what that calls for (docs/rules.md
        "Relationships"): a champion leaving plans a ``champion_search`` touchpoint; an
        active champion closes the open searches (done when someone new is champion,
        skipped when the departure is taken back)."""
        was_left = contact.left_on
        contact.role = role
        contact.left_on = left_on
        day = today or date.today()
        if role == "champion" and left_on is not None and left_on != was_left:
            if acc.status == "churned":
                return []
            others = [
                ContactFact(other_role, other_left)
                for other_role, other_left in s.execute(
                    select(Contact.role, Contact.left_on)
                    .where(Contact.account_id == acc.id)
                    .where(Contact.id != contact.id)
                )
            ]
            tp = champion_search(
                contact.name,
                contact.name_key,
                left_on,
                day,
                self.config.loop.champion_search_days,
                others,
            )
            return self._insert_planned(s, acc.id, [tp] if tp else [])
        if role == "champion" and (left_on is None or left_on > day):
            own = f"rel:champion_search:{contact.name_key}:"
            for tp in s.execute(
                select(Touchpoint)
                .where(Touchpoint.account_id == acc.id)
                .where(Touchpoint.kind == CHAMPION_SEARCH)
                .where(Touchpoint.status.in_(("open", "snoozed")))
            ).scalars():
                tp.snoozed_until = None
                tp.completed_on = day
                if (tp.rule or "").startswith(own):
                    tp.status = "skipped"
                    tp.skip_reason = f"{contact.name} did not leave after all"
                else:
                    tp.status = "done"
                    tp.interaction_id = interaction_id
                    if closed is not None:
                        closed.append((tp.kind, tp.due))
        return []
