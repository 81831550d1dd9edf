"""The renewals board's query."""

from __future__ import annotations

import json
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, null, select, true
from sqlalchemy.engine import Connection

from bookkeeper_tui.core.playbook import next_renewal
from bookkeeper_tui.core.renewals import RenewalDesk
from bookkeeper_tui.store.errors import BookError
from bookkeeper_tui.store.models import (
    Account,
    Contact,
    HealthSnapshot,
    Interaction,
    MrrLevel,
    RenewalOutcome,
    Score,
    Touchpoint,
)
from bookkeeper_tui.store.queries import as_date
from bookkeeper_tui.store.state import stream


class RenewalsMixin:
    """Mixed into ``Book``: see the module docstring."""

    def renewals(
        self,
        as_of: date,
        within: int = 90,
        since: date | None = None,
        owner: str | None = None,
        accuracy: bool = True,
        fresh: bool = False,
    ) -> RenewalDesk:
        """The renewal desk (core/renewals.py): active accounts renewing 0..*within* days
        after *as_of* with ARR at stake, health, last touch and open risks; the
        risk-weighted forecast; churn reasons and forecast accuracy of the outcomes logged
        from *since* (default: 12 months before *as_of*) to *as_of*. Without *accuracy*
        (the screen) only the churns are read: ``accuracy`` and ``outcomes`` are None.

        Remembered until the book changes (``memo.Memo``): any commit, by this process or
        another, moves the data version, and a remembered desk is only given back for
        the version and config it was computed with (*fresh* computes it anyway, and
        databases without a data version every time). The desk is frozen, so every
        caller gets the same one, not a copy.
        """
        if not 1 <= within <= 3650:
            raise BookError(f"--within must be from 1 to 3650 days, got {within}")
        since = since if since is not None else as_of - relativedelta(months=12)
        stamp = None if fresh else self._renewals_stamp()
        if stamp is None:
            return self._compute_renewals(as_of, within, since, owner, accuracy)
        key = (as_of, within, since, owner, accuracy)
        return self._renewals_memo.get_or_compute(key, stamp, lambda: self._compute_renewals(*key))

    def renewals_remembered(
        self,
        as_of: date,
        within: int = 90,
        since: date | None = None,
        owner: str | None = None,
        accuracy: bool = True,
    ) -> RenewalDesk | None:
        """The desk :meth:`renewals` would give back from memory, or None; never
        computes, so a screen can show a remembered desk at once."""
        stamp = self._renewals_stamp()
        if stamp is None:
            return None
        since = since if since is not None else as_of - relativedelta(months=12)
        return self._renewals_memo.get((as_of, within, since, owner, accuracy), stamp)

    def renewals_is_fresh(
        self,
        as_of: date,
        within: int = 90,
        since: date | None = None,
        owner: str | None = None,
        accuracy: bool = True,
    ) -> bool:
        """Would :meth:`renewals` answer from memory? (The app computes the desk ahead
        while the user pauses when it would not.)"""
        return self.renewals_remembered(as_of, within, since, owner, accuracy) is not None

    def _renewals_stamp(self) -> tuple | None:
        """What a remembered desk must have been computed from: the data version and the
        config (likelihoods, signal rules); None: this database has no data version."""
        version = self.data_version()
        return None if version is None else (version, self.config)

    def _compute_renewals(
        self, as_of: date, within: int, since: date, owner: str | None, accuracy: bool
    ) -> RenewalDesk:
        """The desk read from the book and computed (see :meth:`renewals`).

        Read lean, for a desk of thousands of renewals: health is the latest daily
        snapshot on or before *as_of* (the sync takes one a day), MRR and last touch come
        from correlated index lookups, and the risk flags are computed from those facts
        (``core.signals``: churn language, champion left, health drop, overdue touchpoints)
        plus a detractor answer, instead of building every account's full state.
        """
        from bookkeeper_tui.core import renewals as rn

        likelihood = dict(self.config.renewals.likelihood)
        horizon = as_of + timedelta(days=within)
        with self.read() as s:
            cut = self._cut_ids(s, owner, None)
            keep = None if cut is None else set(cut)
            conn = s.connection()  # plain rows: no ORM result processing
            rows = self._desk_rows(conn, as_of, horizon, keep)
            signals = self._desk_signals(conn, as_of, horizon, rows) if rows else None
            outcomes = self._desk_outcomes(conn, as_of, since, keep, accuracy)
            facts = self._desk_facts(rows, signals, as_of)
        rows_out = rn.upcoming(facts, as_of, within, likelihood)
        return rn.RenewalDesk(
            as_of=as_of,
            within_days=within,
            since=since,
            renewals=tuple(rows_out),
            forecast=rn.forecast(rows_out, likelihood, within),
            churn_reasons=tuple(rn.churn_reasons(outcomes)),
            accuracy=tuple(rn.accuracy(outcomes, likelihood)) if accuracy else None,
            outcomes=tuple(outcomes) if accuracy else None,
        )

    def _desk_rows(self, conn: Connection, as_of: date, horizon: date, keep) -> dict:
        """The desk's accounts: id -> (row, start, renewal date in force), the row read
        lean (latest snapshot, health-drop baseline, MRR and last touch by index)."""
        from bookkeeper_tui.core.bounds import in_range

        sc = self.config.signals
        drop_from = as_of - timedelta(days=sc.health_drop_days)
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
        window = _window(horizon)
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
        return rows

    def _desk_signals(self, conn: Connection, as_of: date, horizon: date, rows: dict) -> tuple:
        """The risk facts of the desk's accounts: (churn terms, recent NPS/CSAT answers,
        accounts whose champion left, overdue touchpoint counts)."""
        from bookkeeper_tui.core import renewals as rn
        from bookkeeper_tui.core.signals import churn_terms

        it = Interaction
        recent = as_of - timedelta(days=self.config.signals.triple_signal_days)
        # Side queries name the desk's accounts by this subquery, not by a list of ids
        # (thousands of bound parameters cost more to compile than the query to run).
        candidates = select(Account.__table__.c.id).where(*_window(horizon))
        terms: dict[int, list[str]] = {}
        answers: dict[int, list] = {}
        overdue: dict[int, int] = {}
        for aid, summary, notes in packed_rows(
            conn,
            select(it.account_id, it.summary, it.notes)
            .where(it.account_id.in_(candidates), it.day > recent, it.day <= as_of)
            .order_by(it.account_id, it.day, it.id),  # the index's order: no sort
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
        champion_gone = {
            aid
            for (aid,) in packed_rows(
                conn,
                select(Contact.account_id).where(
                    Contact.account_id.in_(candidates),
                    Contact.role == "champion",
                    Contact.left_on.is_not(None),
                    Contact.left_on <= as_of,
                ),
            )
        }
        # Overdue: open past due, snoozed past the snooze (two range reads of the
        # status-and-due index, not a scan of every open touchpoint).
        for status, due_on in (
            ("open", Touchpoint.due),
            ("snoozed", func.coalesce(Touchpoint.snoozed_until, Touchpoint.due)),
        ):
            for aid, n in packed_rows(
                conn,
                select(Touchpoint.account_id, func.count(Touchpoint.id))
                .where(
                    Touchpoint.status == status,
                    Touchpoint.due < as_of if status == "open" else true(),
                    due_on < as_of,
                    Touchpoint.account_id.in_(candidates),
                )
                .group_by(Touchpoint.account_id),
            ):
                overdue[aid] = overdue.get(aid, 0) + n
        return terms, answers, champion_gone, overdue

    def _desk_outcomes(
        self, conn: Connection, as_of: date, since: date, keep, accuracy: bool
    ) -> list:
        """The renewal outcomes logged in (since, as_of] (only the churns without
        *accuracy*), with the MRR and band at forecast time when *accuracy*."""
        from bookkeeper_tui.core import renewals as rn

        hs, ml = HealthSnapshot, MrrLevel
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
        return [
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

    def _desk_facts(self, rows: dict, signals: tuple | None, as_of: date) -> list:
        """Each desk account's renewal facts, its risks from the flags that can fire."""
        from bookkeeper_tui.core import renewals as rn
        from bookkeeper_tui.core.signals import FlagFacts, risk_flags

        if signals is None:
            return []
        terms, answers, champion_gone, overdue = signals
        sc, lc = self.config.signals, self.config.loop
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
                flags = risk_flags(flag_facts, as_of, sc)
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
        return facts


def _window(horizon: date) -> tuple:
    """The desk's accounts: active, with a renewal date up to *horizon*."""
    acc = Account.__table__.c
    return (acc.status == "active", acc.renewal.is_not(None), acc.renewal <= horizon)


def packed_rows(conn: Connection, q) -> list:
    """The rows of *q* (integer and text columns only), on SQLite read as one value.

    The sqlite3 module lets go of the GIL for every row it steps, and takes it back after
    the UI thread's switch interval when that thread is busy: a worker reading thousands
    of rows while the screen is being built waits far longer than the query runs. Packed
    by the database into one JSON array, the rows cost one step. (Not for REAL columns:
    SQLite writes JSON numbers with 15 digits, which does not round-trip every float.)
    """
    if conn.dialect.name != "sqlite":
        return [tuple(r) for r in conn.execute(q)]
    sub = q.subquery()
    packed = conn.execute(select(func.json_group_array(func.json_array(*sub.c)))).scalar_one()
    return [tuple(r) for r in json.loads(packed)]
