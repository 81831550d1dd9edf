"""Contacts: a contact's role and departure (set from the CLI or a quick-log line)
and what they call for (a champion search), and which contact `with NAME` means."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from bookkeeper_tui.core.playbook import PlannedTouchpoint
from bookkeeper_tui.core.relationships import CHAMPION_SEARCH, ContactFact, champion_search
from bookkeeper_tui.core.vocab import ROLES
from bookkeeper_tui.store.errors import BookError
from bookkeeper_tui.store.models import Account, Contact, Touchpoint, name_key


class ContactsMixin:
    """Mixed into ``Book``: see the module docstring."""

    def set_contact_role(
        self,
        account: str,
        contact: str,
        role: str,
        left_on: date | None = None,
        today: date | None = None,
    ) -> list[PlannedTouchpoint]:
        """Give *contact* (created when new) *role* and its departure day (None: still
        there). A champion leaving plans "find a new champion" (relative to *today*, else
        the day they left); the touchpoints it planned are returned."""
        from bookkeeper_tui.core.bounds import MAX_YEAR, MIN_YEAR, date_problem

        if role not in ROLES:
            raise BookError(f"unknown role '{role}'; use one of {', '.join(ROLES)}")
        if left_on is not None and date_problem(left_on):
            raise BookError(
                f"the left date {left_on} is out of range; use a date in the years "
                f"{MIN_YEAR} to {MAX_YEAR}"
            )
        with self.write() as s:
            acc = self.find_account(s, account)
            key = name_key(contact)
            c = s.execute(
                select(Contact).where(Contact.account_id == acc.id).where(Contact.name_key == key)
            ).scalar()
            if c is None:
                if not key:
                    raise BookError("give the contact a name")
                c = Contact(account_id=acc.id, name=" ".join(contact.split()), name_key=key)
                s.add(c)
                s.flush()
            # Contacts are not account fields: an open edit form is not in conflict.
            return self._apply_contact(s, acc, c, role, left_on, today or left_on)

    # -- editing an account, with conflict detection ---------------------------------------

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
