"""The book: the query and command API the CLI and the TUI share.

Every user action is one transaction (``Book.write``): either all of it is stored
or nothing is. Bad input raises :class:`BookError` with one sentence naming the
wrong part and how to fix it; callers turn it into exit code 2 or an inline error.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from dateutil.relativedelta import relativedelta
from sqlalchemy import (
    Date,
    case,
    cast,
    delete,
    func,
    insert,
    null,
    select,
    text,
    true,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlalchemy.orm import aliased
from sqlmodel import Session

from bookkeeper_tui.core import kpi as kpis
from bookkeeper_tui.core import nps as npsm
from bookkeeper_tui.core.content import clean_ticked, dump_ticked, load_ticked
from bookkeeper_tui.core.loop import (
    band_touchpoints,
    is_detractor_line,
    says_referral,
    score_touchpoints,
)
from bookkeeper_tui.core.owners import distinct_owners, owned_by, owner_key
from bookkeeper_tui.core.playbook import (
    PlannedTouchpoint,
    next_renewal,
    playbook_touchpoints,
    renewal_term_months,
)
from bookkeeper_tui.core.quicklog import QuickLog, QuickLogError, match_account, parse_quicklog
from bookkeeper_tui.core.relationships import (
    CHAMPION_SEARCH,
    ContactFact,
    champion_search,
    days_to_value,
    median_days,
    onboarding_completion,
    onboarding_kinds,
)
from bookkeeper_tui.core.revenue import Sub, levels_from_subscriptions
from bookkeeper_tui.core.settings import DEFAULT, Config
from bookkeeper_tui.core.signals import churn_spans
from bookkeeper_tui.core.tiers import suggest_tier
from bookkeeper_tui.core.vocab import (
    COMPLETES,
    ROLES,
    SCORE_COMPLETES,
    TIER_ALIASES,
    TIERS,
)
from bookkeeper_tui.store.engine import StoreError, make_engine
from bookkeeper_tui.store.errors import BookError, ConflictError
from bookkeeper_tui.store.models import (
    Account,
    Contact,
    HealthSnapshot,
    Interaction,
    Meta,
    MrrLevel,
    RenewalOutcome,
    Score,
    Subscription,
    Ticket,
    Touchpoint,
    UsageEvent,
    name_key,
)
from bookkeeper_tui.store.queries import as_date, fetch_today
from bookkeeper_tui.store.rows import TodayRow
from bookkeeper_tui.store.schema import ensure_book_id, ensure_schema
from bookkeeper_tui.store.state import (
    AccountState,
    collector_paused,
    effective_due,
    load_states,
    stream,
)

#: Playbook touchpoints older than this are not created when first noticed
#: (an imported five-year-old account does not get a year of overdue onboarding).
#: KPI panels remembered per book (periods and dates a user flips between).
KPI_CACHE_SIZE = 8
PLAYBOOK_LOOKBACK_DAYS = 30
#: Accounts an import touched are re-planned this many per transaction, so the write
#: lock is released between batches and other writers wait seconds, not minutes.
REPLAN_BATCH = 200
#: A renewal interaction this many days before the renewal date (or later) renews it.
RENEWAL_LOG_DAYS = 75
#: A renewal outcome closes the renewal date nearest to its day, up to this far either side.
OUTCOME_WINDOW_DAYS = 180
#: A logged interaction completes a matching open touchpoint due up to this far ahead.
COMPLETE_AHEAD_DAYS = 30
#: ...and a touchpoint of the very same kind (a renewal call, a QBR) up to this far ahead.
COMPLETE_SAME_KIND_AHEAD_DAYS = 60
#: The quick-log tag that records the account's first value (time-to-value).
FIRST_VALUE_TAG = "first-value"


#: What a KPI panel is remembered by: (as_of, period, owner key or None, tier or None).
KpiKey = tuple[date, str, str | None, str | None]


class Owners(NamedTuple):
    """Who owns the book's accounts (team mode)."""

    #: Each owner once, as first spelled, sorted by name.
    names: list[str]
    #: Accounts with no owner.
    unowned: int
    #: Every account.
    total: int


#: The account fields the edit form (``Book.update_account``) may change.
EDITABLE_FIELDS = ("tier", "renewal", "owner", "industry", "tags")


def parse_tier(value: str) -> str:
    tier = TIER_ALIASES.get(value.strip().casefold())
    if tier is None:
        raise BookError(f"unknown tier '{value}'; use one of {', '.join(TIERS)}")
    return tier


def parse_iso(value: str, what: str) -> date:
    """A YYYY-MM-DD date inside the book's years (core.bounds); BookError otherwise."""
    from bookkeeper_tui.core.bounds import MAX_YEAR, MIN_YEAR, date_problem

    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise BookError(f"{what} '{value}' is not a date; write it as YYYY-MM-DD") from None
    if date_problem(day):
        raise BookError(
            f"{what} '{value.strip()}' is out of range; write a date YYYY-MM-DD in the years "
            f"{MIN_YEAR} to {MAX_YEAR}"
        )
    return day


@dataclass
class LogResult:
    account: str
    interaction_id: int
    kind: str
    day: date
    summary: str
    contact: str | None
    contact_created: bool
    scores: list[tuple[str, int]]
    mrr_before: float | None
    mrr_after: float | None
    completed: list[tuple[str, date]]
    created: list[tuple[str, date, str]]
    next: tuple[str, date] | None
    tags: list[str]
    churn_terms: list[str]
    health: float | None
    band: str | None
    previous_band: str | None
    extra: dict = field(default_factory=dict)
    #: A renewal outcome line's outcome (``renewal renewed ...``): what it closed and planned.
    outcome: dict | None = None
    #: The touchpoint checklist items ticked when it was logged (core/content.py).
    checklist: list[str] = field(default_factory=list)
    #: `with NAME (ROLE)`: the contact's role before and after (before None: new contact).
    role_change: tuple[str | None, str] | None = None
    #: `with NAME (left)`: the day the contact left.
    contact_left: date | None = None
    #: `#first-value`: the account's first-value date after this line (and whether it set it).
    first_value: date | None = None
    first_value_set: bool = False

    def relationship_lines(self) -> list[str]:
        """What the line changed about its contact or the account's first value, e.g.
        "Priya: end user -> champion" (the CLI and the app show these)."""
        out = []
        who = self.contact or ""
        if self.role_change is not None:
            before, after = (r.replace("_", " ") if r else r for r in self.role_change)
            if before is None:
                out.append(f"{who}: {after} (new contact)")
            elif before == after:
                out.append(f"{who}: {after} (unchanged)")
            else:
                out.append(f"{who}: {before} -> {after}")
        if self.contact_left is not None:
            out.append(f"{who} left on {self.contact_left}")
        if self.first_value is not None:
            if self.first_value_set:
                out.append(f"first value: {self.first_value}")
            else:
                out.append(f"first value already recorded on {self.first_value} (kept)")
        return out

    def as_json(self) -> dict:
        return {
            "account": self.account,
            "interaction_id": self.interaction_id,
            "kind": self.kind,
            "date": self.day.isoformat(),
            "summary": self.summary,
            "contact": self.contact,
            "contact_created": self.contact_created,
            "scores": [{"kind": k, "value": v} for k, v in self.scores],
            "mrr": None
            if self.mrr_after is None
            else {"from": self.mrr_before, "to": self.mrr_after},
            "completed": [{"kind": k, "due": d.isoformat()} for k, d in self.completed],
            "created": [{"kind": k, "due": d.isoformat(), "origin": o} for k, d, o in self.created],
            "next": None
            if self.next is None
            else {"kind": self.next[0], "due": self.next[1].isoformat()},
            "tags": self.tags,
            "churn_terms": self.churn_terms,
            "health": self.health,
            "band": self.band,
            "checklist": self.checklist,
            "contact_role": None
            if self.role_change is None
            else {"from": self.role_change[0], "to": self.role_change[1]},
            "contact_left": self.contact_left.isoformat() if self.contact_left else None,
            "first_value": None
            if self.first_value is None
            else {"date": self.first_value.isoformat(), "set": self.first_value_set},
            **({} if self.outcome is None else {"renewal_outcome": self.outcome}),
        }


class Book:
    """One customer book, on SQLite or any SQLAlchemy backend."""

    def __init__(self, engine, location: str, config: Config = DEFAULT):
        self.engine = engine
        self.location = location
        self.config = config
        self._write_engine = engine.execution_options(immediate=True)
        self._watch = None  # a private SQLite connection for data_version()
        self._watch_lock = threading.Lock()
        #: (as_of, period, owner cut, tier cut) -> (data_version it was computed at, the
        #: KPI panel); the owner cut as compared (``core.owners.owner_key``).
        self._kpi_cache: dict[KpiKey, tuple[int, dict]] = {}
        self._kpi_lock = threading.Lock()
        self._kpi_running: dict[tuple[KpiKey, int], Future] = {}

    @classmethod
    def open(cls, db: str | None = None, config: Config = DEFAULT) -> Book:
        from pathlib import Path

        from bookkeeper_tui.store.engine import fix_hint, preflight

        engine, location = make_engine(db)
        is_file = engine.dialect.name == "sqlite" and location not in ("", ":memory:")
        try:
            if is_file:
                # A file that is not a sound book is refused before anything writes to it.
                preflight(Path(location))
            ensure_schema(engine)
            ensure_book_id(engine)
        except DatabaseError as exc:
            engine.dispose()
            if engine.dialect.name == "postgresql":
                from bookkeeper_tui.store import pg

                raise StoreError(pg.open_error(exc, engine.url)) from None
            if isinstance(exc, OperationalError):
                hint = f"; if it is damaged, {fix_hint(Path(location))}" if is_file else ""
                raise StoreError(
                    f"cannot open the book at {location} ({exc.orig}); "
                    f"check the file's and its folder's permissions{hint}"
                ) from exc
            hint = fix_hint(Path(location)) if is_file else "restore it from a backup"
            raise StoreError(
                f"{location} is not a Bookkeeper book or is damaged ({exc.orig}); "
                f"it was left untouched. Point --db at your book file, or {hint}"
            ) from exc
        except Exception:
            engine.dispose()
            raise
        return cls(engine, location, config)

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
        self.engine.dispose()

    def data_version(self) -> int | None:
        """A number that changes when any other connection commits (SQLite's
        ``data_version``; on PostgreSQL, the change counter every write bumps).

        The open app polls it to show what a script or a second terminal wrote.
        """
        if self.engine.dialect.name == "postgresql":
            from bookkeeper_tui.store import pg

            return pg.changes(self.engine)
        if self.engine.dialect.name != "sqlite":
            return None
        with self._watch_lock:  # one statement at a time on the shared connection
            if self._watch is None:
                import sqlite3

                self._watch = sqlite3.connect(self.location, check_same_thread=False)
            return int(self._watch.execute("PRAGMA data_version").fetchone()[0])

    # -- sessions ---------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One user action = one transaction: committed whole or rolled back whole."""
        with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session
            if self.engine.dialect.name == "postgresql":
                from bookkeeper_tui.store import pg

                pg.bump_changes(session.connection())

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
        name = " ".join(name.split())
        if not name:
            raise BookError(
                'the account name is empty; give a name, e.g. bookkeeper add "Acme Corp"'
            )
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

    def account_rows(self, query: str) -> dict:
        """What deleting the account *query* would remove: its name and the row counts."""
        with self.read() as s:
            acc = self.find_account(s, query)
            return self._account_rows(s, acc)

    @staticmethod
    def _account_rows(s: Session, acc: Account) -> dict:
        out: dict = {"account": acc.name}
        for key, table in _ACCOUNT_ROWS:
            out[key] = s.execute(
                select(func.count()).select_from(table).where(table.account_id == acc.id)
            ).scalar_one()
        return out

    def delete_account(self, query: str) -> dict:
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
        with self.read() as s:
            owners = list(s.execute(select(Account.owner).order_by(Account.id)).scalars())
        return Owners(
            distinct_owners(owners), sum(1 for o in owners if not owner_key(o)), len(owners)
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
        pc = self.config.playbook
        onboarding = onboarding_completion(
            {tp.rule[4:]: tp.status for tp in tps if tp.rule and tp.rule.startswith("onb:")},
            onboarding_kinds(pc.onboarding, pc.onboarding_days),
        )
        timeline.sort(key=lambda e: e["_order"], reverse=True)
        for e in timeline:
            del e["_order"]
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
                {"code": f.code, "kind": f.kind, "label": f.label, "detail": f.detail}
                for f in st.flags
            ],
            "nps": {
                "account_mean": st.nps.account_mean,
                "user_mean": st.nps.user_mean,
                "gap": st.nps.gap,
                "flagged": st.nps.flagged,
                "buyer_side_mean": st.nps.buyer_side_mean,
                "user_side_mean": st.nps.user_side_mean,
            },
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

    def kpi(
        self,
        as_of: date,
        period: str = "12m",
        fresh: bool = False,
        owner: str | None = None,
        tier: str | None = None,
    ) -> dict:
        """The KPI panel's numbers for the period ending *as_of* (docs/domain.md).

        *owner* and *tier* cut the book: the numbers are those of a book holding only
        the accounts of that owner (``core.owners``: any case and spacing, ``""`` = no
        owner) and/or that tier, with their revenue, answers, touchpoints and health.

        Remembered until the book changes: any commit, by this process or another,
        moves SQLite's ``data_version``, and a remembered panel is only reused for the
        version it was computed at (the app computes the 12-month panel while the user
        pauses, so opening it is instant). Other databases compute every time.
        """
        tier = parse_tier(tier) if tier is not None else None
        version = self.data_version()
        key = self._kpi_key(as_of, period, owner, tier)
        # The whole book is computed as ``_compute_kpi(as_of, period)`` (tests wrap it).
        cut = () if owner is None and tier is None else (owner, tier)
        if version is None or fresh:
            return self._compute_kpi(as_of, period, *cut)
        with self._kpi_lock:
            hit = self._kpi_cache.get(key)
            if hit is not None and hit[0] == version:
                return copy.deepcopy(hit[1])
            # One computation per panel and version: a second caller (the screen, while
            # the app computes the panel ahead) waits for the first instead of racing it.
            running = self._kpi_running.get((key, version))
            computes = running is None
            if computes:
                running = self._kpi_running[(key, version)] = Future()
        if not computes:
            return copy.deepcopy(running.result())
        try:
            result = self._compute_kpi(as_of, period, *cut)
        except BaseException as exc:
            running.set_exception(exc)
            with self._kpi_lock:
                self._kpi_running.pop((key, version), None)
            raise
        with self._kpi_lock:
            if len(self._kpi_cache) >= KPI_CACHE_SIZE:
                self._kpi_cache.clear()
            self._kpi_cache[key] = (version, copy.deepcopy(result))
            self._kpi_running.pop((key, version), None)
        running.set_result(copy.deepcopy(result))
        return result

    def kpi_is_fresh(
        self,
        as_of: date,
        period: str = "12m",
        owner: str | None = None,
        tier: str | None = None,
    ) -> bool:
        """Would :meth:`kpi` answer from memory?"""
        tier = parse_tier(tier) if tier is not None else None
        version = self.data_version()
        with self._kpi_lock:
            hit = self._kpi_cache.get(self._kpi_key(as_of, period, owner, tier))
        return version is not None and hit is not None and hit[0] == version

    @staticmethod
    def _kpi_key(as_of: date, period: str, owner: str | None, tier: str | None) -> KpiKey:
        return (as_of, period, None if owner is None else owner_key(owner), tier)

    def _compute_kpi(
        self, as_of: date, period: str, owner: str | None = None, tier: str | None = None
    ) -> dict:
        try:
            start = kpis.period_start(as_of, period)
        except ValueError as exc:
            raise BookError(str(exc)) from None
        with self.read() as session:
            # Plain column queries: run them on the connection (no ORM entities to load).
            s = session.connection()
            # The cut: None is the whole book; else every query below keeps these accounts.
            ids = self._cut_ids(s, owner, tier)
            keep = None if ids is None else set(ids)

            def cut(query, column):
                return query if ids is None else query.where(column.in_(ids))

            # Each account's levels as a tuple of (date, mrr) pairs: tuples of plain values
            # leave the garbage collector's books at once, where ten thousand lists would
            # make every KPI refresh pay for a full collection.
            # Read with the driver's own cursor: SQLAlchemy's per-row processing (a date
            # parsed per row) was a quarter of the panel's time; dates repeat, so each
            # distinct one is parsed once.
            days: dict[object, date] = {}

            def day(value: object) -> date:
                got = days.get(value)
                if got is None:
                    got = days[value] = as_date(value)  # type: ignore[arg-type]
                return got

            cursor = s.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(
                    "SELECT account_id, effective, mrr FROM mrr_level "
                    "ORDER BY account_id, effective"
                )
                history: dict[int, tuple[tuple[date, float], ...]] = {
                    aid: tuple((day(eff), mrr) for _, eff, mrr in levels)
                    for aid, levels in groupby(cursor.fetchall(), key=itemgetter(0))
                    if keep is None or aid in keep
                }
            finally:
                cursor.close()
            nps = self._period_nps(s, start, as_of, ids)
            enterprise_ids = cut(
                select(Account.id)
                .where(Account.tier == "enterprise")
                .where(Account.status == "active")
                # The cadence promises a QBR a quarter: an account younger than one quarter
                # is not due its first yet, so it is left out rather than counted as missed.
                .where(Account.start <= as_of - relativedelta(months=3)),
                Account.id,
            )
            enterprise = list(s.execute(enterprise_ids).scalars().all())
            # Only the enterprise accounts' QBRs count (kpis.qbr_completion), read through
            # the (account_id, day) index rather than by scanning every interaction; and
            # only each one's latest: none is after as_of, so "any QBR since" is "the
            # latest one since".
            qbrs: dict[int, tuple[date]] = {
                aid: (day,)
                for aid, day in s.execute(
                    select(Interaction.account_id, func.max(Interaction.day))
                    .where(Interaction.account_id.in_(enterprise_ids))
                    .where(Interaction.kind == "qbr")
                    .where(Interaction.day > as_of - timedelta(days=120))
                    .where(Interaction.day <= as_of)
                    .group_by(Interaction.account_id)
                ).all()
            }
            # kpis.on_time_rate's rule, counted by the database (100k+ touchpoints).
            due_n, on_time_n = s.execute(
                cut(
                    select(
                        func.count(Touchpoint.id),
                        func.coalesce(
                            func.sum(
                                case(
                                    (
                                        (Touchpoint.status == "done")
                                        & Touchpoint.completed_on.is_not(None)
                                        & (Touchpoint.completed_on <= Touchpoint.due),
                                        1,
                                    ),
                                    else_=0,
                                )
                            ),
                            0,
                        ),
                    )
                    .where(Touchpoint.due >= start)
                    .where(Touchpoint.due <= as_of)
                    .where(Touchpoint.status != "skipped"),
                    Touchpoint.account_id,
                )
            ).one()
            new_sources = list(
                s.execute(
                    cut(
                        select(Account.source)
                        # An account starting on the first day is in the starting cohort
                        # (MRR(a, start) counts levels dated start), so it is not new.
                        .where(Account.start > start)
                        .where(Account.start <= as_of),
                        Account.id,
                    )
                )
                .scalars()
                .all()
            )
            # Time-to-value of the accounts that reached their first value in the period.
            to_value = [
                days_to_value(st, fv)
                for st, fv in s.execute(
                    cut(
                        select(Account.start, Account.first_value)
                        .where(Account.first_value >= start)
                        .where(Account.first_value <= as_of),
                        Account.id,
                    )
                )
            ]
            bands = self._latest_bands(s, as_of, ids)
            trend = [
                (day, green, total)
                for day, green, total in s.execute(
                    cut(
                        select(
                            HealthSnapshot.day,
                            func.sum(
                                func.coalesce((HealthSnapshot.band == "green"), False).cast(
                                    int_type()
                                )
                            ),
                            func.count(HealthSnapshot.band),
                        )
                        .where(HealthSnapshot.day >= start)
                        .where(HealthSnapshot.day <= as_of)
                        .group_by(HealthSnapshot.day)
                        .order_by(HealthSnapshot.day),
                        HealthSnapshot.account_id,
                    )
                )
            ]
        rev, mrr_by_month = kpis.revenue_and_movements(history, start, as_of)
        dist = kpis.health_distribution(bands)
        return {
            "period": {"start": start.isoformat(), "end": as_of.isoformat()},
            "starting_mrr": round(rev.starting_mrr, 2),
            "ending_mrr": round(rev.ending_mrr, 2),
            "nrr": _r(rev.nrr),
            "grr": _r(rev.grr),
            "logo_retention": _r(rev.logo_retention),
            "logo_churn": _r(rev.logo_churn),
            "cohort_size": rev.cohort_size,
            "churned_logos": rev.churned_logos,
            "period_days": (as_of - start).days,
            "logo_churn_annualised": _r(
                kpis.annualised_churn(rev.logo_churn, (as_of - start).days)
            ),
            "reactivation_mrr": round(rev.reactivation_mrr, 2),
            "expansion_mrr": round(rev.expansion_mrr, 2),
            "contraction_mrr": round(rev.contraction_mrr, 2),
            "churned_mrr": round(rev.churned_mrr, 2),
            "new_mrr": round(rev.new_mrr, 2),
            "expansion_share": _r(rev.expansion_share),
            "nps": _r(nps.portfolio, 1),
            "account_nps": _r(nps.account, 1),
            "user_nps": _r(nps.user, 1),
            "nps_responses": nps.answers,
            "health": {k: _r(v) for k, v in dist.items()},
            "accounts_scored": len(bands),
            "qbr_completion": _r(kpis.qbr_completion(enterprise, qbrs, as_of)),
            "qbr_accounts": len(enterprise),
            "on_time_rate": _r(on_time_n / due_n if due_n else None),
            "referral_rate": _r(kpis.referral_rate(new_sources)),
            "green_trend": [
                {"date": d.isoformat(), "green": _r(g / t if t else None)} for d, g, t in trend
            ],
            "mrr_by_month": mrr_by_month,
            "median_days_to_value": median_days([d for d in to_value if d is not None]),
            "first_value_accounts": len(to_value),
        }

    # -- the renewal desk -----------------------------------------------------------------
    def _days_before(self, column, days: int):
        """*column* (a date) minus *days*, in SQL, as a date on either backend."""
        if self.engine.dialect.name == "sqlite":
            return func.date(column, f"-{int(days)} days")
        return cast(column - timedelta(days=days), Date)

    def renewals(
        self,
        as_of: date,
        within: int = 90,
        since: date | None = None,
        owner: str | None = None,
        accuracy: bool = True,
    ) -> dict:
        """The renewal desk (core/renewals.py): active accounts renewing 0..*within* days
        after *as_of* with ARR at stake, health, last touch and open risks; the
        risk-weighted forecast; churn reasons and forecast accuracy of the outcomes logged
        from *since* (default: 12 months before *as_of*) to *as_of*. Without *accuracy*
        (the screen) only the churns are read: ``accuracy`` and ``outcomes`` are None.

        Read lean, for a desk of thousands of renewals: health is the latest daily
        snapshot on or before *as_of* (the sync takes one a day), MRR and last touch come
        from correlated index lookups, and the risk flags are computed from those facts
        (``core.signals``: churn language, champion left, health drop, overdue touchpoints)
        plus a detractor answer, instead of building every account's full state.
        """
        from bookkeeper_tui.core import renewals as rn
        from bookkeeper_tui.core.bounds import in_range
        from bookkeeper_tui.core.signals import FlagFacts, account_flags, churn_terms

        if not 1 <= within <= 3650:
            raise BookError(f"--within must be from 1 to 3650 days, got {within}")
        likelihood = dict(self.config.renewals.likelihood)
        since = since if since is not None else as_of - relativedelta(months=12)
        horizon = as_of + timedelta(days=within)
        sc, lc = self.config.signals, self.config.loop
        drop_from = as_of - timedelta(days=sc.health_drop_days)
        recent = as_of - timedelta(days=sc.triple_signal_days)
        acc = Account.__table__.c
        hs, ml, it = HealthSnapshot, MrrLevel, Interaction

        def latest(col_id, day_col, owner_col, upto):
            return (
                select(col_id)
                .where(owner_col == acc.id, day_col <= upto)
                .order_by(day_col.desc())
                .limit(1)
                .scalar_subquery()
            )

        def snap(column, upto=as_of):
            return latest(column, hs.day, hs.account_id, upto)

        # The health-drop baseline: the earliest snapshot in [as_of - days, as_of).
        def baseline(column):
            return (
                select(column)
                .where(hs.account_id == acc.id, hs.day >= drop_from, hs.day < as_of)
                .order_by(hs.day)
                .limit(1)
                .scalar_subquery()
            )

        mrr_now = latest(ml.mrr, ml.effective, ml.account_id, as_of)
        touch = (
            select(func.max(it.day))
            .where(it.account_id == acc.id, it.day <= as_of, it.kind != "ticket")
            .scalar_subquery()
        )
        window = (acc.status == "active", acc.renewal.is_not(None), acc.renewal <= horizon)
        # Side queries name the desk's accounts by this subquery, not by a list of ids
        # (thousands of bound parameters cost more to compile than the query to run).
        candidates = select(acc.id).where(*window)
        with self.read() as s, collector_paused():
            cut = self._cut_ids(s, owner, None)
            keep = None if cut is None else set(cut)
            conn = s.connection()  # plain rows: no ORM result processing
            q = select(
                acc.id,
                acc.name,
                acc.tier,
                acc.owner,
                acc.start,
                acc.renewal,
                acc.term_months,
                snap(hs.score),
                snap(hs.band),
                baseline(hs.day),
                baseline(hs.score),
                mrr_now,
                touch,
            ).where(*window)
            rows = {}
            for r in stream(conn.execute(q)):
                aid, start, renewal, term = r[0], as_date(r[4]), as_date(r[5]), r[6]
                if keep is not None and aid not in keep:
                    continue
                if in_range(start) is None or in_range(renewal) is None:
                    continue
                # The date in force on as_of (a passed one the sync has not rolled yet
                # counts as its next cycle).
                due = renewal if renewal >= as_of else next_renewal(start, renewal, as_of, term)
                if as_of <= due <= horizon:
                    rows[aid] = (r, start, due)
            terms: dict[int, list[str]] = {}
            answers: dict[int, list] = {}
            overdue: dict[int, int] = {}
            if rows:
                for aid, summary, notes in conn.execute(
                    select(it.account_id, it.summary, it.notes).where(
                        it.account_id.in_(candidates), it.day > recent, it.day <= as_of
                    )
                ):
                    if aid not in rows:
                        continue
                    for term in churn_terms(f"{summary}\n{notes}", self.config.churn_words):
                        if term not in terms.setdefault(aid, []):
                            terms[aid].append(term)
                for aid, day, kind, value, cid in conn.execute(
                    select(Score.account_id, Score.day, Score.kind, Score.value, Score.contact_id)
                    .where(
                        Score.account_id.in_(candidates),
                        Score.kind.in_(("nps", "csat")),
                        Score.day > as_of - timedelta(days=rn.FORECAST_LEAD_DAYS),
                        Score.day <= as_of,
                    )
                    .order_by(Score.day, Score.id)
                ):
                    answers.setdefault(aid, []).append((as_date(day), kind, value, cid))
                champion_gone = set(
                    conn.execute(
                        select(Contact.account_id).where(
                            Contact.account_id.in_(candidates),
                            Contact.role == "champion",
                            Contact.left_on.is_not(None),
                            Contact.left_on <= as_of,
                        )
                    ).scalars()
                )
                # Overdue: open past due, snoozed past the snooze (two range reads of the
                # status-and-due index, not a scan of every open touchpoint).
                for status, due_on in (
                    ("open", Touchpoint.due),
                    ("snoozed", func.coalesce(Touchpoint.snoozed_until, Touchpoint.due)),
                ):
                    for aid, n in conn.execute(
                        select(Touchpoint.account_id, func.count(Touchpoint.id))
                        .where(
                            Touchpoint.status == status,
                            Touchpoint.due < as_of if status == "open" else true(),
                            due_on < as_of,
                            Touchpoint.account_id.in_(candidates),
                        )
                        .group_by(Touchpoint.account_id)
                    ):
                        overdue[aid] = overdue.get(aid, 0) + n
            then = self._days_before(RenewalOutcome.renewal, rn.FORECAST_LEAD_DAYS)
            band_then = (
                select(hs.band)
                .where(hs.account_id == RenewalOutcome.account_id, hs.day <= then)
                .order_by(hs.day.desc())
                .limit(1)
                .scalar_subquery()
            )
            mrr_then = (
                select(ml.mrr)
                .where(ml.account_id == RenewalOutcome.account_id, ml.effective <= then)
                .order_by(ml.effective.desc())
                .limit(1)
                .scalar_subquery()
            )
            outcomes = [
                rn.OutcomeFacts(
                    account=name,
                    renewal=as_date(renewal),
                    day=as_date(day),
                    outcome=outcome,
                    mrr_before=before,
                    mrr_after=after,
                    reason=reason,
                    mrr_at_forecast=float(mrr90 or 0.0),
                    band_at_forecast=band90,
                )
                for aid, name, renewal, day, outcome, before, after, reason, mrr90, band90 in (
                    conn.execute(
                        select(
                            RenewalOutcome.account_id,
                            Account.name,
                            RenewalOutcome.renewal,
                            RenewalOutcome.day,
                            RenewalOutcome.outcome,
                            RenewalOutcome.mrr_before,
                            RenewalOutcome.mrr_after,
                            RenewalOutcome.reason,
                            mrr_then if accuracy else null(),
                            band_then if accuracy else null(),
                        )
                        .join(Account, Account.id == RenewalOutcome.account_id)
                        .where(RenewalOutcome.day > since, RenewalOutcome.day <= as_of)
                        .where(true() if accuracy else RenewalOutcome.outcome == "churned")
                        .order_by(RenewalOutcome.day, RenewalOutcome.id)
                    )
                )
                if keep is None or aid in keep
            ]
            facts = []
            for aid, (r, start, due) in rows.items():
                name, tier, own = r[1], r[2], r[3]
                score, band, then_day, then_score, mrr, last = r[7:13]
                drop = then_score is not None and score is not None
                drop = drop and then_score - score >= sc.health_drop_points
                gone, n_overdue = aid in champion_gone, overdue.get(aid, 0)
                flags = ()
                if drop or gone or n_overdue or aid in terms:  # else no flag can fire
                    flag_facts = FlagFacts(
                        start=start,
                        renewal=due,
                        band=band,
                        health_history=[(as_date(then_day), then_score)] if drop else (),
                        current_score=score,
                        churn_terms_recent=terms.get(aid, ()),
                        champion_left=gone,
                        overdue_touchpoints=n_overdue,
                    )
                    flags = account_flags(flag_facts, as_of, sc)
                det = None
                if aid in answers:
                    det = rn.detractor_flag(
                        answers[aid], as_of, lc.detractor_nps_max, lc.detractor_csat_max
                    )
                facts.append(
                    rn.RenewalFacts(
                        account=name,
                        renewal=due,
                        mrr=float(mrr or 0.0),
                        band=band,
                        health=score,
                        last_touch=as_date(last) if last is not None else None,
                        risks=rn.renewal_risks(flags, det),
                        tier=tier,
                        owner=own,
                    )
                )
        rows_out = rn.upcoming(facts, as_of, within, likelihood)
        return {
            "as_of": as_of.isoformat(),
            "within_days": within,
            "since": since.isoformat(),
            "renewals": [r.as_json() for r in rows_out],
            "forecast": rn.forecast(rows_out, likelihood, within).as_json(),
            "churn_reasons": rn.churn_reasons(outcomes),
            "accuracy": rn.accuracy(outcomes, likelihood) if accuracy else None,
            "outcomes": None
            if not accuracy
            else [
                {
                    "account": o.account,
                    "renewal": o.renewal.isoformat(),
                    "day": o.day.isoformat(),
                    "outcome": o.outcome,
                    "mrr_before": o.mrr_before,
                    "mrr_after": o.mrr_after,
                    "reason": o.reason,
                }
                for o in outcomes
            ],
        }

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

    def _period_nps(
        self, s: Connection, start: date, as_of: date, ids: list[int] | None = None
    ) -> npsm.PeriodNps:
        """Portfolio, account and user NPS of [start, as_of], as npsm.period_nps gives them.

        The database counts the answers per role (every answer, and each contact's latest
        one: latest day, then latest id, like the ordered list read one by one) unless an
        answer is not a valid NPS value or the role weights would make the counts differ
        in the last bit (npsm.period_nps_from_counts); then the answers are read.
        """
        role = case((Contact.role.is_(None) | (Contact.role == ""), "other"), else_=Contact.role)
        rank = func.row_number().over(
            partition_by=(Score.account_id, Score.contact_id),
            order_by=(Score.day.desc(), Score.id.desc()),
        )
        answers = (
            select(
                Score.value.label("value"),
                Score.contact_id.label("contact_id"),
                role.label("role"),
                rank.label("rank"),
            )
            .join(Contact, Contact.id == Score.contact_id, isouter=True)
            .where(Score.kind == "nps")
            .where(Score.day >= start)
            .where(Score.day <= as_of)
        )
        if ids is not None:  # a KPI cut: only these accounts' answers
            answers = answers.where(Score.account_id.in_(ids))
        answers = answers.subquery()
        a = answers.c
        latest = (a.rank == 1) | a.contact_id.is_(None)
        # The answer is int(value) (as read one by one): valid when -1 < value < 11.
        promoter = a.value >= npsm.PROMOTER_MIN
        detractor = a.value < npsm.DETRACTOR_MAX + 1
        invalid = (a.value <= -1) | (a.value >= 11)

        def count(condition):
            return func.sum(case((condition, 1), else_=0))

        rows = s.execute(
            select(
                a.role,
                func.count(),
                count(promoter),
                count(detractor),
                count(invalid),
                count(latest),
                count(latest & promoter),
                count(latest & detractor),
            ).group_by(a.role)
        ).all()
        if not any(bad for _, _, _, _, bad, _, _, _ in rows):
            counted = npsm.period_nps_from_counts(
                [
                    npsm.RoleCounts(
                        role=r,
                        answers=n,
                        promoters=p,
                        detractors=d,
                        latest=k,
                        latest_promoters=kp,
                        latest_detractors=kd,
                    )
                    for r, n, p, d, _, k, kp, kd in rows
                ],
                self.config.nps.role_weights,
            )
            if counted is not None:
                return counted
        return npsm.period_nps(
            (
                (aid, cid, role or "other", day, int(value))
                for aid, cid, role, day, value in stream(
                    s.execute(
                        select(
                            Score.account_id,
                            Score.contact_id,
                            Contact.role,
                            Score.day,
                            Score.value,
                        )
                        .join(Contact, Contact.id == Score.contact_id, isouter=True)
                        .where(Score.kind == "nps")
                        .where(Score.day >= start)
                        .where(Score.day <= as_of)
                        .where(Score.account_id.in_(ids) if ids is not None else true())
                        .order_by(Score.day, Score.id)
                    )
                )
            ),
            start,
            as_of,
            self.config.nps.role_weights,
        )

    @staticmethod
    def _latest_bands(s: Connection, as_of: date, ids: list[int] | None = None) -> list[str]:
        """Each active account's band from its latest health snapshot on or before *as_of*.

        The daily sync (and every write) snapshots health, so the KPI panel reads these
        instead of recomputing every account's health.
        """
        # Per active account, its latest snapshot's id through the unique (account_id, day)
        # index, then that row: only the latest days' rows are read, not every snapshot.
        h2 = aliased(HealthSnapshot)
        latest_id = (
            select(h2.id)
            .where(h2.account_id == Account.id)
            .where(h2.day <= as_of)
            .order_by(h2.day.desc())
            .limit(1)
            .correlate(Account)
            .scalar_subquery()
        )
        query = (
            select(HealthSnapshot.band, func.count())
            .select_from(Account)
            .join(HealthSnapshot, HealthSnapshot.id == latest_id)
            .where(Account.status == "active")
            .where(HealthSnapshot.band.is_not(None))
            .group_by(HealthSnapshot.band)
        )
        if ids is not None:
            query = query.where(Account.id.in_(ids))
        rows = s.execute(query).all()
        return [band for band, n in rows for _ in range(n)]

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

    # -- renewal outcomes ------------------------------------------------------------------
    @staticmethod
    def _mrr_on(s: Session, account_id: int, day: date) -> float:
        value = s.execute(
            select(MrrLevel.mrr)
            .where(MrrLevel.account_id == account_id)
            .where(MrrLevel.effective <= day)
            .order_by(MrrLevel.effective.desc())
            .limit(1)
        ).scalar()
        return float(value or 0.0)

    def _closing_renewal(self, s: Session, acc: Account, q: QuickLog) -> dict:
        """Check a renewal outcome line against the account; return what it closes.

        It closes the renewal date nearest to the line's day among the account's current
        renewal date and the one a term before it, when the playbook planned for that one
        (the sync moves a date on once it passed, so an outcome logged a few days late
        still closes the right one), that have no outcome yet, within OUTCOME_WINDOW_DAYS
        of the day.
        """
        said = f"`renewal {q.outcome}`"
        if acc.status == "churned":
            raise BookError(
                f"{acc.name} has churned, so there is no renewal to log; if they came back, "
                "log `mrr N` first"
            )
        if acc.renewal is None:
            raise BookError(
                f"{acc.name} has no renewal date, so {said} has no renewal to close; set its "
                "renewal date first (e on the account in the app, or import it with a "
                "renewal column)"
            )
        term_now = renewal_term_months(acc.start, acc.renewal, acc.term_months)
        previous = acc.renewal - relativedelta(months=term_now)
        closed = set(
            s.execute(
                select(RenewalOutcome.renewal).where(RenewalOutcome.account_id == acc.id)
            ).scalars()
        )
        # The previous date was a renewal in force only if the playbook planned for it.
        was_planned = s.execute(
            select(Touchpoint.id)
            .where(Touchpoint.account_id == acc.id)
            .where(Touchpoint.rule == f"renewal:{previous}")
            .limit(1)
        ).first()
        options = [
            d
            for d in ((previous, acc.renewal) if was_planned else (acc.renewal,))
            if d > acc.start and d not in closed
        ]
        if not options:
            raise BookError(
                f"{acc.name}'s renewal on {acc.renewal} has an outcome logged already; "
                "nothing was saved"
            )
        renewal = min(options, key=lambda d: (abs((d - q.when).days), d))
        gap = (renewal - q.when).days
        if abs(gap) > OUTCOME_WINDOW_DAYS:
            when = f"{gap} days after" if gap > 0 else f"{-gap} days before"
            raise BookError(
                f"{acc.name}'s next renewal is on {renewal}, {when} {q.when}; an outcome is "
                f"logged within {OUTCOME_WINDOW_DAYS} days of its renewal date (use @DATE "
                "for when it was decided, or fix the renewal date)"
            )
        before = self._mrr_on(s, acc.id, q.when)
        if q.outcome == "downgraded" and q.mrr is not None and before > 0 and q.mrr >= before:
            raise BookError(
                f"a downgrade lowers the MRR, but {acc.name}'s MRR is {before:,.0f} and the "
                f"line says {q.mrr:,.0f}; write `renewal renewed mrr {q.mrr:,.0f}` instead"
            )
        if q.outcome == "renewed" and q.mrr is not None and q.mrr < before:
            raise BookError(
                f"that lowers {acc.name}'s MRR from {before:,.0f} to {q.mrr:,.0f}: write "
                f"`renewal downgraded mrr {q.mrr:,.0f}` instead"
            )
        subscriptions = (
            s.execute(
                select(Subscription.id).where(Subscription.account_id == acc.id).limit(1)
            ).first()
            is not None
        )
        return {
            "renewal": renewal,
            "mrr_before": before,
            "term_now": term_now,
            "subscriptions": subscriptions,
        }

    def _save_outcome(
        self, s: Session, acc: Account, q: QuickLog, interaction_id: int, closing: dict, today
    ) -> dict:
        """Store the outcome row and plan the next renewal (renewed/downgraded)."""
        renewal: date = closing["renewal"]
        before: float = closing["mrr_before"]
        after = 0.0 if q.outcome == "churned" else (q.mrr if q.mrr is not None else before)
        term = None
        next_renewal_on = None
        if q.outcome == "churned":
            acc.status = "churned"
        else:
            term = q.term_months or closing["term_now"]
            next_renewal_on = renewal + relativedelta(months=term)
            acc.renewal = next_renewal_on
            # Kept on the account: the next roll and the playbook use this term.
            acc.term_months = term
        acc.version += 1
        acc.updated_at = datetime.now(UTC)
        s.add(
            RenewalOutcome(
                account_id=acc.id,
                renewal=renewal,
                day=q.when,
                outcome=q.outcome or "",
                mrr_before=before,
                mrr_after=after,
                term_months=term,
                reason=q.summary if q.outcome != "renewed" else "",
                interaction_id=interaction_id,
            )
        )
        s.flush()
        return {
            "outcome": q.outcome,
            "renewal": renewal,
            "mrr_before": before,
            "mrr_after": after,
            "term_months": term,
            "next_renewal": next_renewal_on,
            "reason": q.summary if q.outcome != "renewed" else "",
            "_completed": [],
        }

    def _close_renewal_touchpoints(
        self,
        s: Session,
        account_id: int,
        open_tps: Sequence[Touchpoint],
        done_ids: set[int],
        outcome: dict,
        q: QuickLog,
        interaction_id: int,
    ) -> None:
        """The closed renewal's open touchpoints: its renewal touchpoint is done (unless
        the line completed one already), its pre-renewal CES check is skipped."""
        renewal: date = outcome["renewal"]
        live = [t for t in open_tps if t.id not in done_ids]
        if not any(t.kind == "renewal" for t in open_tps if t.id in done_ids):
            tp = next(
                (
                    t
                    for t in live
                    if t.kind == "renewal" and (t.rule == f"renewal:{renewal}" or t.due <= renewal)
                ),
                None,
            )
            if tp is not None:
                self._complete(tp, q.when, interaction_id)
                done_ids.add(tp.id)
                outcome["_completed"].append((tp.kind, tp.due))
        for t in live:
            if t.kind == "ces_check" and t.rule == f"ces:{renewal}" and t.id not in done_ids:
                t.status = "skipped"
                t.skip_reason = f"renewal {outcome['outcome']} on {q.when}"
                t.completed_on = q.when
                t.snoozed_until = None
                done_ids.add(t.id)

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

    # -- editing an account, with conflict detection ---------------------------------------
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


#: What deleting an account removes, children first; (key in the counts, table).
_ACCOUNT_ROWS = (
    ("usage_events", UsageEvent),
    ("tickets", Ticket),
    ("subscriptions", Subscription),
    ("scores", Score),
    ("mrr_levels", MrrLevel),
    ("touchpoints", Touchpoint),
    ("health_snapshots", HealthSnapshot),
    ("renewal_outcomes", RenewalOutcome),
    ("interactions", Interaction),
    ("contacts", Contact),
)


def rows_said(counts: dict) -> str:
    """'1 interaction, 12 touchpoints' from delete counts (only the non-zero ones)."""
    parts = []
    for key, n in counts.items():
        if key == "account" or not n:
            continue
        word = key.replace("_", " ")
        parts.append(f"{n} {word[:-1] if n == 1 else word}")
    return ", ".join(parts) if parts else "no other rows"


def _check_bounds(
    start: date | None = None, renewal: date | None = None, mrr: float | None = None
) -> None:
    """BookError naming the first value outside the book's range (core.bounds)."""
    from bookkeeper_tui.core.bounds import date_problem, mrr_problem

    problem = (
        (start is not None and date_problem(start, "the start date"))
        or (renewal is not None and date_problem(renewal, "the renewal date"))
        or (mrr is not None and mrr_problem(mrr, "MRR"))
    )
    if problem:
        raise BookError(problem)


def int_type():
    from sqlalchemy import Integer

    return Integer


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _movement(before: float, after: float, seen: bool) -> str:
    if before == 0 and after > 0:
        return "reactivation" if seen else "new"
    if after == 0 and before > 0:
        return "churn"
    if after > before:
        return "expansion"
    if after < before:
        return "contraction"
    return "flat"


def _explain(st: AccountState) -> list[str]:
    from bookkeeper_tui.core.health import explain_change

    return explain_change(st.previous_components, st.health)
