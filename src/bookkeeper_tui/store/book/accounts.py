"""Accounts: add, delete, find, list them and their owners, and today's list."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bookkeeper_tui.core.owners import distinct_owners, owned_by, owner_key
from bookkeeper_tui.core.quicklog import QuickLogError, match_account
from bookkeeper_tui.core.tiers import suggest_tier
from bookkeeper_tui.core.vocab import TIERS
from bookkeeper_tui.store.book.common import (
    _ACCOUNT_ROWS,
    AccountRows,
    Owners,
    _check_bounds,
    parse_tier,
)
from bookkeeper_tui.store.errors import BookError
from bookkeeper_tui.store.models import Account, Meta, MrrLevel, name_key
from bookkeeper_tui.store.queries import fetch_today
from bookkeeper_tui.store.rows import TodayRow
from bookkeeper_tui.store.state import AccountState, load_states, stream


class AccountsMixin:
    """Mixed into ``Book``: see the module docstring."""

    # -- accounts -------------------------------------------------------------------
    def is_empty(self) -> bool:
        with self.read() as s:
            return s.execute(select(func.count(Account.id))).scalar_one() == 0

    def account_names(self) -> list[str]:
        with self.read() as s:
            return list(s.execute(select(Account.name).order_by(Account.name)).scalars())

    def add_account(
        self,
        name: str,
        tier: str | None,
        start: date,
        renewal: date | None = None,
        mrr: float | None = None,
        owner: str | None = None,
        industry: str | None = None,
        tags: Sequence[str] = (),
        external_id: str | None = None,
        source: str | None = None,
        session: Session | None = None,
        plan_on: date | None = None,
    ) -> Account:
        """Create an account. With *plan_on* its playbook and health are brought up to
        that day in the same transaction, so a failure there saves nothing at all."""
        name = _check_new_account(name, start, renewal, mrr)
        manual = tier is not None
        if tier is None:
            tier = suggest_tier((mrr or 0) * 12, self.config.tiers)
        else:
            tier = parse_tier(tier)
        if session is None:
            with self.write() as s:
                return self.add_account(
                    name,
                    tier if manual else None,
                    start,
                    renewal,
                    mrr,
                    owner,
                    industry,
                    tags,
                    external_id,
                    source,
                    session=s,
                    plan_on=plan_on,
                )
        key = name_key(name)
        clash = session.execute(select(Account.name).where(Account.name_key == key)).scalar()
        if clash is not None:
            raise BookError(
                f"an account named '{clash}' already exists; names are unique ignoring case, "
                "choose another name"
            )
        acc = Account(
            name=name,
            name_key=key,
            tier=tier,
            tier_manual=manual,
            start=start,
            renewal=renewal,
            owner=owner,
            industry=industry,
            tags=" ".join(t.lstrip("#").casefold() for t in tags),
            external_id=external_id,
            source=source,
        )
        session.add(acc)
        try:
            session.flush()
        except IntegrityError as exc:
            raise BookError(
                f"the account '{name}' clashes with an existing one ({exc.orig})"
            ) from None
        if mrr is not None:
            session.add(MrrLevel(account_id=acc.id, effective=start, mrr=float(mrr)))
            if mrr == 0:
                acc.status = "churned"
        if plan_on is not None:
            session.flush()
            self._sync_playbook(session, plan_on, [acc.id])
            self._sync_health(session, plan_on, [acc.id])
        return acc

    def account_rows(self, query: str) -> AccountRows:
        """What deleting the account *query* would remove: its name and the row counts."""
        with self.read() as s:
            acc = self.find_account(s, query)
            return self._account_rows(s, acc)

    @staticmethod
    def _account_rows(s: Session, acc: Account) -> AccountRows:
        counts = tuple(
            (
                key,
                s.execute(
                    select(func.count()).select_from(table).where(table.account_id == acc.id)
                ).scalar_one(),
            )
            for key, table in _ACCOUNT_ROWS
        )
        return AccountRows(acc.name, counts)

    def delete_account(self, query: str) -> AccountRows:
        """Delete the account *query* and every row that belongs to it, in one transaction
        (all or nothing). Returns what was removed: the name and the row counts."""
        with self.write() as s:
            acc = self.find_account(s, query)
            removed = self._account_rows(s, acc)
            for _, table in _ACCOUNT_ROWS:
                s.execute(delete(table).where(table.account_id == acc.id))
            s.execute(delete(Account).where(Account.id == acc.id))
            stale = s.get(Meta, "stale_accounts")
            if stale is not None:
                ids = [i for i in json.loads(stale.value) if i != acc.id]
                stale.value = json.dumps(ids)
            return removed

    def find_account(self, session: Session, query: str) -> Account:
        """An account by exact name, external id, unique prefix or close spelling."""
        q = query.strip()
        if not q:
            raise BookError("give an account name")
        acc = session.execute(select(Account).where(Account.name_key == name_key(q))).scalar()
        if acc is None:
            acc = session.execute(select(Account).where(Account.external_id == q)).scalar()
        if acc is not None:
            return acc
        names = list(session.execute(select(Account.name)).scalars())
        try:
            name, used = match_account(q.split(), names)
        except QuickLogError as exc:
            raise BookError(exc.message) from None
        if used != len(q.split()):
            raise BookError(f"no account is named '{q}'; did you mean '{name}'?")
        return session.execute(select(Account).where(Account.name == name)).scalar_one()

    # -- views ------------------------------------------------------------------------
    def states(
        self, as_of: date, account_ids: Sequence[int] | None = None
    ) -> dict[int, AccountState]:
        with self.read() as s:
            return load_states(s, as_of, self.config, account_ids)

    def today(self, as_of: date, ahead_days: int = 0, owner: str | None = None) -> list[TodayRow]:
        """Open touchpoints due by *as_of* (+ *ahead_days*), most urgent first; only
        *owner*'s accounts when given (``core.owners``: any case, ``""`` = no owner)."""
        with self.read() as s:
            return fetch_today(
                lambda sql, params: stream(s.execute(text(sql), params)),
                as_of,
                ahead_days,
                owner,
            )

    def accounts(
        self,
        as_of: date,
        tier: str | None = None,
        band: str | None = None,
        owner: str | None = None,
    ) -> list[AccountState]:
        tier = parse_tier(tier) if tier else None
        if band is not None and band not in ("green", "yellow", "red"):
            raise BookError(f"unknown health band '{band}'; use green, yellow or red")
        with self.read() as s:
            ids = self._cut_ids(s, owner, tier)
            states = load_states(s, as_of, self.config, ids)
        out = [st for st in states.values() if band is None or st.health.band == band]
        tier_rank = {t: i for i, t in enumerate(TIERS)}
        out.sort(key=lambda st: (tier_rank.get(st.account.tier, 9), st.account.name.casefold()))
        return out

    # -- owners (team mode) -------------------------------------------------------------
    def owners(self) -> Owners:
        """Every owner once (as spelled on the oldest account, sorted by name), and how
        many accounts have none."""
        # Each owner as typed once (a book has a few), with its oldest account and how
        # many accounts it has: not one row per account.
        with self.read() as s:
            spelled = s.execute(
                select(Account.owner, func.count())
                .group_by(Account.owner)
                .order_by(func.min(Account.id))
            ).all()
        return Owners(
            distinct_owners(o for o, _ in spelled),
            sum(n for o, n in spelled if not owner_key(o)),
            sum(n for _, n in spelled),
        )

    @staticmethod
    def _cut_ids(s: Session | Connection, owner: str | None, tier: str | None) -> list[int] | None:
        """The ids of the accounts in a cut (*owner* as ``core.owners`` compares names,
        *tier* exact); None when there is no cut (every account)."""
        if owner is None and tier is None:
            return None
        q = select(Account.id, Account.owner)
        if tier is not None:
            q = q.where(Account.tier == tier)
        if owner is None:
            return [aid for aid, _ in s.execute(q)]
        # Names are compared folded and with spaces collapsed, which SQL cannot say the
        # same way on every backend: the few thousand (id, owner) pairs are compared here.
        keep = owned_by(owner)
        return [aid for aid, own in s.execute(q) if keep(own)]


def _check_new_account(name: str, start: date, renewal: date | None, mrr: float | None) -> str:
    """A new account's name (spaces collapsed) once its name, dates and MRR are sound;
    BookError naming the wrong part otherwise."""
    name = " ".join(name.split())
    if not name:
        raise BookError('the account name is empty; give a name, e.g. bookkeeper add "Acme Corp"')
    if len(name) > 200:
        raise BookError("the account name is longer than 200 characters; shorten it")
    if any("\ud800" <= ch <= "\udfff" for ch in name):
        raise BookError("the account name holds bytes that are not valid UTF-8 text; retype it")
    if mrr is not None and mrr < 0:
        raise BookError(
            f"--mrr cannot be negative ({mrr:g}); give the monthly revenue, e.g. --mrr 1500"
        )
    _check_bounds(start=start, renewal=renewal, mrr=mrr)
    if renewal is not None and renewal < start:
        raise BookError(
            f"the renewal date {renewal} is before the start date {start}; check --renewal"
        )
    return name
