"""Subscriptions, interactions, scores, tickets and usage: whole records per row."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session

from bookkeeper_tui.core.kpi import mrr_on
from bookkeeper_tui.core.tiers import suggest_tier
from bookkeeper_tui.core.vocab import (
    SCORE_RANGES,
)
from bookkeeper_tui.io.importer.mapping import _column, _Spec
from bookkeeper_tui.io.importer.parsers import _Row
from bookkeeper_tui.io.importer.planners.base import _bulk_update, _RecordPlanner
from bookkeeper_tui.io.importer.results import RowError
from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.models import (
    Account,
    Interaction,
    MrrLevel,
    Score,
    Subscription,
    Ticket,
    UsageEvent,
)


class _SubscriptionPlanner(_RecordPlanner):
    kind = "subscriptions"
    model = Subscription
    columns = ("account_id", "external_id", "start", "end", "mrr", "trial")
    defaults = {"external_id": None, "end": None, "trial": False}
    key_fields = ("account_id", "start", "mrr")

    def build(self, row: _Row) -> dict | None:
        aid = self.account_of(row, self.spec)
        if aid is None:
            return None
        v = row.values
        want = {"account_id": aid, "start": v["start"], "mrr": v["mrr"]}
        if "end" in v:
            want["end"] = v["end"]
            if v["end"] is not None and v["end"] < v["start"]:
                self.reject(
                    row,
                    "end",
                    f"the subscription ends ({v['end']}) before it starts ({v['start']})",
                )
                return None
        if "trial" in v:
            want["trial"] = bool(v["trial"])
        if v.get("external_id") is not None:
            want["external_id"] = v["external_id"]
        return want

    def finish(self) -> None:
        if self.touched:
            self.after_subscriptions(self.session, sorted(self.touched))

    def after_subscriptions(self, s: Session, ids: list[int]) -> None:
        """MRR levels from the subscriptions; then start and tier follow them."""
        self.book.rederive_levels(s, ids)
        firsts = dict(
            s.execute(
                select(Subscription.account_id, func.min(Subscription.start))
                .where(Subscription.account_id.in_(ids))
                .group_by(Subscription.account_id)
            ).all()
        )
        levels: dict[int, list[tuple[date, float]]] = defaultdict(list)
        for aid, eff, mrr in s.execute(
            select(MrrLevel.account_id, MrrLevel.effective, MrrLevel.mrr).where(
                MrrLevel.account_id.in_(ids)
            )
        ):
            levels[aid].append((eff, mrr))
        tiers = self.book.config.tiers
        changes = []
        for aid, start, tier, manual, version in s.execute(
            select(
                Account.id, Account.start, Account.tier, Account.tier_manual, Account.version
            ).where(Account.id.in_(ids))
        ):
            new_start = min(start, firsts.get(aid, start))
            new_tier = tier if manual else suggest_tier(mrr_on(levels[aid], self.today) * 12, tiers)
            if new_start != start or new_tier != tier:
                changes.append(
                    {
                        "id": aid,
                        "start": new_start,
                        "tier": new_tier,
                        "version": version + 1,
                        "updated_at": self.now,
                    }
                )
        _bulk_update(s, Account.__table__, changes)


class _InteractionPlanner(_RecordPlanner):
    kind = "interactions"
    model = Interaction
    columns = ("account_id", "contact_id", "kind", "day", "summary", "notes", "external_id")
    defaults = {
        "contact_id": None,
        "kind": "note",
        "summary": "",
        "notes": "",
        "external_id": None,
        "at": None,
        "sentiment": None,
        "tags": "",
    }
    key_fields = ("account_id", "day", "kind", "summary")

    def __init__(self, book: Book, session: Session, today: date, spec: _Spec):
        super().__init__(book, session, today, spec)
        self.defaults = {**self.defaults, "created_at": self.now}

    def build(self, row: _Row) -> dict | None:
        aid = self.account_of(row, self.spec)
        if aid is None:
            return None
        v = row.values
        want: dict[str, Any] = {"account_id": aid, "day": v["date"]}
        if "kind" in v:
            want["kind"] = v["kind"] or "note"
        for f in ("summary", "notes"):
            if f in v:
                want[f] = v[f] or ""
        if "contact" in v:
            want["contact_id"] = self.contact_of(row, aid)
        if v.get("external_id") is not None:
            want["external_id"] = v["external_id"]
        return want


class _ScorePlanner(_RecordPlanner):
    kind = "scores"
    model = Score
    columns = ("account_id", "contact_id", "kind", "value", "day", "external_id")
    defaults = {"contact_id": None, "interaction_id": None, "external_id": None}
    key_fields = ("account_id", "day", "kind", "contact_id")

    def build(self, row: _Row) -> dict | None:
        aid = self.account_of(row, self.spec)
        if aid is None:
            return None
        v = row.values
        kind, value = v["kind"], v["value"]
        low, high = SCORE_RANGES[kind]
        if not low <= value <= high:
            self.reject(row, "value", f"{value:g} is out of range for {kind} ({low:g}-{high:g})")
            return None
        if kind in ("nps", "csat", "ces") and value != int(value):
            self.reject(
                row, "value", f"{value:g} is not a whole number; {kind} answers are whole numbers"
            )
            return None
        want: dict[str, Any] = {"account_id": aid, "day": v["date"], "kind": kind, "value": value}
        if "contact" in v:
            want["contact_id"] = self.contact_of(row, aid)
        if v.get("external_id") is not None:
            want["external_id"] = v["external_id"]
        return want

    needs_ids = True

    def write(self, rows: list[_Row]) -> None:
        super().write(rows)
        # Recent answers fire the closed loop like quick-logged ones (docs/rules.md).
        self.book.fire_score_loop(
            self.session,
            [
                (r.target, r.want["account_id"], r.want["kind"], r.want["value"], r.want["day"])
                for r in rows
                if r.action in ("create", "update")
            ],
            self.today,
        )


class _TicketPlanner(_RecordPlanner):
    kind = "tickets"
    model = Ticket
    columns = ("account_id", "external_id", "opened", "closed", "priority", "csat")
    defaults = {"external_id": None, "closed": None, "priority": None, "csat": None}
    key_fields = ("account_id", "opened", "priority")
    needs_ids = True

    def build(self, row: _Row) -> dict | None:
        aid = self.account_of(row, self.spec)
        if aid is None:
            return None
        v = row.values
        want: dict[str, Any] = {"account_id": aid, "opened": v["opened"]}
        if "closed" in v:
            want["closed"] = v["closed"]
            if v["closed"] is not None and v["closed"] < v["opened"]:
                row.errors.append(
                    RowError(
                        row.line,
                        _column(self.spec, "closed"),
                        f"the ticket is closed ({v['closed']}) before it was opened "
                        f"({v['opened']})",
                    )
                )
                return None
        if "priority" in v:
            want["priority"] = v["priority"]
        if "csat" in v:
            csat = v["csat"]
            if csat is not None and not 1 <= csat <= 5:
                self.reject(row, "csat", f"CSAT {csat:g} is out of range (1-5)")
                return None
            want["csat"] = csat
        if v.get("external_id") is not None:
            want["external_id"] = v["external_id"]
        return want

    def write(self, rows: list[_Row]) -> None:
        super().write(rows)
        self._sync_csat(rows)

    def _sync_csat(self, rows: list[_Row]) -> None:
        """A ticket's CSAT is also a csat score (external id ``ticket:<ticket id>``)."""
        s = self.session
        existing: dict[str, tuple[int, int, float, date]] = {
            ext: (sid, aid, value, day)
            for sid, ext, aid, value, day in s.execute(
                select(Score.id, Score.external_id, Score.account_id, Score.value, Score.day)
                .where(Score.kind == "csat")
                .where(or_(Score.external_id.like("ticket:%"), Score.external_id.like("ticket#%")))
            )
        }
        inserts, updates, deletes = [], [], []
        for r in rows:
            if r.action is None:
                continue
            rec = r.want
            ext = rec.get("external_id")
            sid = f"ticket:{ext}" if ext else f"ticket#{r.target}"
            have = existing.get(sid)
            csat = rec.get("csat")
            if csat is None:
                if have is not None:
                    deletes.append(have[0])
                    self.touched.add(have[1])
                continue
            day = rec.get("closed") or rec["opened"]
            aid = rec["account_id"]
            if have is None:
                inserts.append(
                    {
                        "account_id": aid,
                        "contact_id": None,
                        "interaction_id": None,
                        "kind": "csat",
                        "value": csat,
                        "day": day,
                        "external_id": sid,
                    }
                )
                self.touched.add(aid)
            elif have[1:] != (aid, csat, day):
                updates.append({"id": have[0], "account_id": aid, "value": csat, "day": day})
                self.touched.update((aid, have[1]))
        if inserts:
            s.execute(insert(Score.__table__), inserts)
        _bulk_update(s, Score.__table__, updates)
        # A recent ticket CSAT fires the closed loop like a quick-logged one.
        updated = {u["id"] for u in updates}
        changed = [r["external_id"] for r in inserts] + [
            ext for ext, have in existing.items() if have[0] in updated
        ]
        answers: list = []
        for i in range(0, len(changed), 500):
            answers += s.execute(
                select(Score.id, Score.account_id, Score.kind, Score.value, Score.day)
                .where(Score.kind == "csat")
                .where(Score.external_id.in_(changed[i : i + 500]))
            ).all()
        self.book.fire_score_loop(s, [tuple(r) for r in answers], self.today)
        if deletes:
            s.execute(delete(Score.__table__).where(Score.__table__.c.id.in_(deletes)))


class _UsagePlanner(_RecordPlanner):
    kind = "usage"
    model = UsageEvent
    columns = ("account_id", "subscription_id", "external_id", "day", "count")
    defaults = {"subscription_id": None, "external_id": None, "count": 1.0}
    key_fields = ("account_id", "subscription_id", "day")

    def __init__(self, book: Book, session: Session, today: date, spec: _Spec):
        super().__init__(book, session, today, spec)
        self.subs: dict[str, tuple[int, int]] = {
            ext: (sid, aid)
            for sid, ext, aid in session.execute(
                select(Subscription.id, Subscription.external_id, Subscription.account_id).where(
                    Subscription.external_id.is_not(None)
                )
            )
        }

    def build(self, row: _Row) -> dict | None:
        v = row.values
        aid = self.account_of(row, self.spec)
        if row.errors:
            return None
        want: dict[str, Any] = {"day": v["date"]}
        sub_ref = v.get("subscription")
        if "subscription" in v:
            want["subscription_id"] = None
        if sub_ref is not None:
            found = self.subs.get(sub_ref)
            if found is None:
                row.errors.append(
                    RowError(
                        row.line,
                        _column(self.spec, "subscription"),
                        f"no subscription with external id '{sub_ref}' in the book; "
                        "import the subscriptions first or fix the cell",
                    )
                )
                return None
            sid, sub_aid = found
            if aid is not None and aid != sub_aid:
                self.reject(row, "account", f"subscription '{sub_ref}' belongs to another account")
                return None
            want["subscription_id"] = sid
            aid = sub_aid
        if aid is None:
            row.errors.append(
                RowError(
                    row.line,
                    None,
                    "neither an account nor a subscription is given; fill one of them",
                )
            )
            return None
        want["account_id"] = aid
        if "count" in v:
            want["count"] = 1.0 if v["count"] is None else v["count"]
        if v.get("external_id") is not None:
            want["external_id"] = v["external_id"]
        return want
