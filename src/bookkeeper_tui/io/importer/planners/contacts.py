"""Contacts: matched by (account, name)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bookkeeper_tui.io.importer.mapping import _Spec
from bookkeeper_tui.io.importer.parsers import _Row
from bookkeeper_tui.io.importer.planners.base import _bulk_update, _Planner
from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.models import (
    Contact,
    name_key,
)


class _ContactPlanner(_Planner):
    kind = "contacts"

    def __init__(self, book: Book, session: Session, today: date, spec: _Spec):
        super().__init__(book, session, today)
        self.spec = spec
        self.existing: dict[tuple[int, str], dict] = {
            (r["account_id"], r["name_key"]): dict(r)
            for r in session.execute(
                select(
                    Contact.id,
                    Contact.account_id,
                    Contact.name,
                    Contact.name_key,
                    Contact.email,
                    Contact.role,
                )
            ).mappings()
        }
        #: (account, name key) -> the line of the file that named the contact first.
        self.seen: dict[tuple[int, str], int] = {}

    def plan(self, rows: list[_Row]) -> None:
        seen = self.seen
        for row in rows:
            if row.errors:
                continue
            aid = self.account_of(row, self.spec)
            if aid is None:
                continue
            v = row.values
            key = (aid, name_key(v["name"]))
            if key in seen:
                self.reject(
                    row, "name", f"the same contact as line {seen[key]}; keep one row per contact"
                )
                continue
            seen[key] = row.line
            old = self.existing.get(key)
            if old is None:
                row.action = "create"
                row.want = {
                    "account_id": aid,
                    "name": v["name"],
                    "name_key": key[1],
                    "email": v.get("email"),
                    "role": v.get("role") or "other",
                    "left_on": None,
                }
                continue
            new = dict(old)
            new["name"] = v["name"]
            for f in ("email", "role"):
                if v.get(f) is not None:
                    new[f] = v[f]
            row.target = old["id"]
            if new == old:
                row.action = "unchanged"
            else:
                row.action = "update"
                row.want = new

    def write(self, rows: list[_Row]) -> None:
        creates = [r.want for r in rows if r.action == "create"]
        if creates:
            self.session.execute(insert(Contact.__table__), creates)
        updates = [
            {
                "id": r.target,
                "name": r.want["name"],
                "email": r.want["email"],
                "role": r.want["role"],
            }
            for r in rows
            if r.action == "update"
        ]
        _bulk_update(self.session, Contact.__table__, updates)
        self.touched.update(r.want["account_id"] for r in rows if r.action in ("create", "update"))
