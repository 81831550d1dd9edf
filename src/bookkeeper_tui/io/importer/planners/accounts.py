"""Accounts: matched by external id, else by name; MRR levels, tier and start follow."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bookkeeper_tui.core.kpi import mrr_on, period_start
from bookkeeper_tui.core.settings import DEFAULT_KPI_PERIOD
from bookkeeper_tui.core.tiers import suggest_tier
from bookkeeper_tui.io.importer.mapping import _column, _Spec
from bookkeeper_tui.io.importer.parsers import _Row
from bookkeeper_tui.io.importer.planners.base import _bulk_update, _Planner
from bookkeeper_tui.io.importer.results import RowError
from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.models import (
    Account,
    MrrLevel,
    Subscription,
    name_key,
)

# --- accounts ---
_ACCOUNT_COLUMNS = (
    "name",
    "name_key",
    "external_id",
    "tier",
    "tier_manual",
    "start",
    "renewal",
    "owner",
    "industry",
    "tags",
    "status",
    "source",
    "version",
)


class _AccountPlanner(_Planner):
    kind = "accounts"

    def __init__(self, book: Book, session: Session, today: date, spec: _Spec):
        super().__init__(book, session, today)
        self.spec = spec
        t = Account.__table__
        self.existing: dict[int, dict] = {
            r["id"]: dict(r)
            for r in session.execute(select(t.c.id, *[t.c[c] for c in _ACCOUNT_COLUMNS])).mappings()
        }
        self.levels: dict[int, list[tuple[date, float, int]]] = defaultdict(list)
        for lid, aid, eff, mrr in session.execute(
            select(MrrLevel.id, MrrLevel.account_id, MrrLevel.effective, MrrLevel.mrr).order_by(
                MrrLevel.account_id, MrrLevel.effective, MrrLevel.id
            )
        ):
            self.levels[aid].append((eff, mrr, lid))
        self.first_sub: dict[int, date] = dict(
            session.execute(
                select(Subscription.account_id, func.min(Subscription.start)).group_by(
                    Subscription.account_id
                )
            ).all()
        )
        #: row -> level change: ("insert", effective, mrr) or ("update", level id, mrr)
        self.level_changes: dict[int, tuple[str, Any, float]] = {}
        #: What earlier rows of the file claimed: the account, the external id, the name.
        self.seen_target: dict[Any, int] = {}
        self.seen_ext: dict[str, int] = {}
        self.seen_key: dict[str, tuple[int, Any]] = {}

    def plan(self, rows: list[_Row]) -> None:
        spec = self.spec
        tiers = self.book.config.tiers
        seen_target = self.seen_target
        seen_ext = self.seen_ext
        seen_key = self.seen_key
        self.level_changes = {}  # this chunk's (keyed by id(row): rows do not outlive it)
        name_col = _column(spec, "name")
        ext_col = _column(spec, "external_id")
        for row in rows:
            if row.errors:
                continue
            v = row.values
            name = v["name"]
            key = name_key(name)
            ext = v.get("external_id")
            errors = row.errors
            if ext is not None and ext in seen_ext:
                errors.append(
                    RowError(
                        row.line,
                        ext_col,
                        f"external id '{ext}' is already used on line {seen_ext[ext]}",
                    )
                )
                continue
            target = self._match_in_book(row, key, ext)
            if row.errors:
                continue
            ident: Any = target if target is not None else ("new", key)
            if ident in seen_target:
                errors.append(
                    RowError(
                        row.line,
                        name_col,
                        f"the same account as line {seen_target[ident]}; keep one row per account",
                    )
                )
                continue
            claimed = seen_key.get(key)
            if claimed is not None and claimed[1] != ident:
                errors.append(
                    RowError(row.line, name_col, f"the name '{name}' is also on line {claimed[0]}")
                )
                continue
            if target is None:
                self._plan_new(row, key, tiers)
            else:
                self._plan_existing(row, target, key, tiers)
            if row.errors:
                continue
            seen_target[ident] = row.line
            seen_key[key] = (row.line, ident)
            if ext is not None:
                seen_ext[ext] = row.line

    def _match_in_book(self, row: _Row, key: str, ext: str | None) -> int | None:
        """The book's account *row* is (by external id, else by name), None for a new one.

        A name and an id that point at two different accounts reject the row.
        """
        target = self.refs.by_ext.get(ext) if ext else None
        if target is None:
            cand = self.refs.by_key.get(key)
            if cand is not None:
                cand_ext = self.existing[cand]["external_id"]
                if ext and cand_ext and cand_ext != ext:
                    self.reject(
                        row,
                        "external_id",
                        f"the book's account named '{self.existing[cand]['name']}' "
                        f"has external id '{cand_ext}', not '{ext}'; fix the id or "
                        "the name",
                    )
                    return None
                target = cand
        else:
            other = self.refs.by_key.get(key)
            if other is not None and other != target:
                self.reject(
                    row,
                    "name",
                    f"the name '{row.values['name']}' belongs to another account in the book "
                    f"(this row's external id '{ext}' is "
                    f"'{self.existing[target]['name']}'); fix the name or the id",
                )
                return None
        return target

    def _check_renewal(self, row: _Row, rec: dict) -> bool:
        if rec["renewal"] is not None and rec["renewal"] < rec["start"]:
            self.reject(
                row,
                "renewal",
                f"the renewal date {rec['renewal']} is before the start date {rec['start']}",
            )
            return False
        return True

    def _plan_new(self, row: _Row, key: str, tiers) -> None:
        v = row.values
        mrr = v.get("mrr")
        tier = v.get("tier")
        rec = {
            "name": v["name"],
            "name_key": key,
            "external_id": v.get("external_id"),
            "tier": tier or suggest_tier((mrr or 0.0) * 12, tiers),
            "tier_manual": tier is not None,
            # No start: an existing customer of unknown age, dated at the start of the
            # default KPI window so it is in the starting cohort, not new MRR.
            "start": v.get("start") or period_start(self.today, DEFAULT_KPI_PERIOD),
            "renewal": v.get("renewal"),
            "owner": v.get("owner"),
            "industry": v.get("industry"),
            "tags": v.get("tags") or "",
            "status": "churned" if mrr == 0 else "active",
            "source": v.get("source"),
            "version": 1,
            "created_at": self.now,
            "updated_at": self.now,
        }
        if not self._check_renewal(row, rec):
            return
        row.action = "create"
        row.want = rec

    def _plan_existing(self, row: _Row, target: int, key: str, tiers) -> None:
        v = row.values
        old = self.existing[target]
        new = dict(old)
        new["name"] = v["name"]
        new["name_key"] = key
        for f in ("external_id", "renewal", "owner", "industry", "tags", "source", "start"):
            if v.get(f) is not None:
                new[f] = v[f]
        first = self.first_sub.get(target)
        if first is not None and new["start"] > first:
            new["start"] = first  # a customer since before the first subscription
        levels = self.levels.get(target, [])
        plain = [(eff, m) for eff, m, _ in levels]
        mrr = v.get("mrr")
        change = None
        # MRR: a level from the start for an account without one; else, when the file's
        # MRR is not the current one, a level from today. Subscriptions own the MRR of
        # accounts that have them, so the column is ignored there.
        if mrr is not None and target not in self.first_sub:
            if not levels:
                change = ("insert", new["start"], mrr)
                plain = [(new["start"], mrr)]
                new["status"] = "churned" if mrr == 0 else "active"
            elif mrr_on(plain, self.today) != mrr:
                eff = max(self.today, new["start"])
                same = next((lid for e, _, lid in levels if e == eff), None)
                change = ("insert", eff, mrr) if same is None else ("update", same, mrr)
                plain = [lv for lv in plain if lv[0] != eff] + [(eff, mrr)]
                if eff >= max(e for e, _ in plain):
                    new["status"] = "churned" if mrr == 0 else "active"
        tier = v.get("tier")
        if tier is not None:
            if tier != old["tier"]:
                new["tier"] = tier
                new["tier_manual"] = True
        elif not old["tier_manual"]:
            new["tier"] = suggest_tier(mrr_on(plain, self.today) * 12, tiers)
        if not self._check_renewal(row, new):
            return
        row.target = target
        if new == old and change is None:
            row.action = "unchanged"
            return
        new["version"] = old["version"] + 1
        new["updated_at"] = self.now
        row.action = "update"
        row.want = new
        if change is not None:
            self.level_changes[id(row)] = change

    def write(self, rows: list[_Row]) -> None:
        s = self.session
        t = Account.__table__
        creates = [r for r in rows if r.action == "create"]
        if creates:
            ids = s.execute(
                insert(t).returning(t.c.id, sort_by_parameter_order=True),
                [r.want for r in creates],
            ).scalars()
            for r, aid in zip(creates, ids, strict=True):
                r.target = aid
        updates = [r for r in rows if r.action == "update"]
        _bulk_update(s, t, [{"id": r.target, **r.want} for r in updates])
        level_rows = [
            {
                "account_id": r.target,
                "effective": r.want["start"],
                "mrr": r.values["mrr"],
                "interaction_id": None,
                "source": "manual",
            }
            for r in creates
            if r.values.get("mrr") is not None
        ]
        level_updates = []
        for r in updates:
            change = self.level_changes.get(id(r))
            if change is None:
                continue
            if change[0] == "insert":
                level_rows.append(
                    {
                        "account_id": r.target,
                        "effective": change[1],
                        "mrr": change[2],
                        "interaction_id": None,
                        "source": "manual",
                    }
                )
            else:
                level_updates.append({"id": change[1], "mrr": change[2]})
        if level_rows:
            s.execute(insert(MrrLevel.__table__), level_rows)
        _bulk_update(s, MrrLevel.__table__, level_updates)
        self.touched.update(r.target for r in creates + updates)
        # Imported customers are planned forward from the import day: nothing overdue.
        self.book.plan_from(s, [r.target for r in creates], self.today)
