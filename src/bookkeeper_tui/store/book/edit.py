"""Editing an account: the edit form's values, their checks and the update."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select, update

from bookkeeper_tui.core.tiers import suggest_tier
from bookkeeper_tui.core.vocab import TIERS
from bookkeeper_tui.store.book.common import EDITABLE_FIELDS, _check_bounds, parse_iso, parse_tier
from bookkeeper_tui.store.errors import BookError, ConflictError
from bookkeeper_tui.store.models import Account, MrrLevel


class EditMixin:
    """Mixed into ``Book``: see the module docstring."""

    @staticmethod
    def _edit_values(acc: Account) -> dict:
        """The editable fields as the edit form shows them (tier None: follows ARR)."""
        return {
            "name": acc.name,
            "id": acc.id,
            "start": acc.start,
            "tier": acc.tier if acc.tier_manual else None,
            "current_tier": acc.tier,
            "renewal": acc.renewal,
            "owner": acc.owner,
            "industry": acc.industry,
            "tags": tuple(acc.tags.split()),
        }

    def account_for_edit(self, name: str) -> tuple[dict, int]:
        """The account's editable values and the version they were read at."""
        with self.read() as s:
            acc = self.find_account(s, name)
            return self._edit_values(acc), acc.version

    def _clean_edit(self, acc: Account, changes: dict) -> dict:
        """*changes* validated into column values; BookError naming the field otherwise."""
        unknown = [k for k in changes if k not in EDITABLE_FIELDS]
        if unknown:
            raise BookError(
                f"the field '{unknown[0]}' cannot be edited; editable fields: "
                + ", ".join(EDITABLE_FIELDS)
            )
        out: dict = {}
        if "tier" in changes:
            tier = changes["tier"]
            if tier is None or (isinstance(tier, str) and tier.strip().casefold() == "auto"):
                out["tier_manual"] = False
            elif isinstance(tier, str):
                try:
                    out["tier"] = parse_tier(tier)
                except BookError as exc:
                    raise BookError("tier: " + exc.message) from None
                out["tier_manual"] = True
            else:
                raise BookError(f"tier: '{tier}' is not a tier; use one of {', '.join(TIERS)}")
        if "renewal" in changes:
            renewal = changes["renewal"]
            if isinstance(renewal, str):
                renewal = parse_iso(renewal, "the renewal date") if renewal.strip() else None
            elif isinstance(renewal, datetime) or not (
                renewal is None or isinstance(renewal, date)
            ):
                raise BookError(f"the renewal date '{renewal}' is not a date; write YYYY-MM-DD")
            if renewal is not None:
                _check_bounds(renewal=renewal)
            if renewal is not None and renewal < acc.start:
                raise BookError(
                    f"the renewal date {renewal} is before the start date {acc.start}; "
                    "give a later date or leave it empty"
                )
            out["renewal"] = renewal
        for key, what in (("owner", "the owner"), ("industry", "the industry")):
            if key in changes:
                value = changes[key]
                if value is not None and not isinstance(value, str):
                    raise BookError(f"{what} must be text")
                value = " ".join((value or "").split())
                if len(value) > 100:
                    raise BookError(f"{what} is longer than 100 characters; shorten it")
                out[key] = value or None
        if "tags" in changes:
            tags = changes["tags"]
            if isinstance(tags, str):
                tags = tags.split()
            if not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) for t in tags):
                raise BookError("tags must be words, e.g. beta priority")
            words = [w.lstrip("#").casefold() for t in tags for w in t.split()]
            out["tags"] = " ".join(dict.fromkeys(w for w in words if w))
            if len(out["tags"]) > 1000:
                raise BookError("the tags are longer than 1000 characters; use fewer")
        return out

    def update_account(
        self, name: str, changes: dict, expected_version: int, as_of: date | None = None
    ) -> int:
        """Save the edit form: one transaction, refused with ConflictError when someone
        saved the account after *expected_version* was read. Returns the new version."""
        with self.write() as s:  # BEGIN IMMEDIATE: nobody writes between check and save
            acc = self.find_account(s, name)
            if acc.version != expected_version:
                raise ConflictError(
                    f"{acc.name} was changed by someone else since you opened it; "
                    "overwrite their change or take theirs",
                    self._edit_values(acc),
                    acc.version,
                )
            values = self._clean_edit(acc, changes)
            if values.get("tier_manual") is False:
                day = as_of or date.today()
                mrr = 0.0
                for eff, level in s.execute(
                    select(MrrLevel.effective, MrrLevel.mrr)
                    .where(MrrLevel.account_id == acc.id)
                    .order_by(MrrLevel.effective)
                ):
                    if eff <= day:
                        mrr = level
                values["tier"] = suggest_tier(mrr * 12, self.config.tiers)
            if all(getattr(acc, k) == v for k, v in values.items()):
                return acc.version  # nothing changed: nothing to save
            new_version = acc.version + 1
            n = s.execute(
                update(Account)
                .where(Account.id == acc.id)
                .where(Account.version == expected_version)
                .values(**values, version=new_version, updated_at=datetime.now(UTC))
            ).rowcount
            if n != 1:  # another backend without BEGIN IMMEDIATE got there first
                raise BookError(f"{acc.name} was changed by someone else; reload and try again")
            self.mark_stale(s, [acc.id])
            return new_version
