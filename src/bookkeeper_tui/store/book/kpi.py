"""The KPI panel's queries (cached per book and data version)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter

from dateutil.relativedelta import relativedelta
from sqlalchemy import Date, case, cast, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from bookkeeper_tui.core import kpi as kpis
from bookkeeper_tui.core.kpi_panel import GreenPoint, HealthShares, KpiPanel, MonthMovements
from bookkeeper_tui.core.owners import owner_key
from bookkeeper_tui.core.relationships import days_to_value, median_days
from bookkeeper_tui.store.book.common import KpiKey, _r, int_type, parse_tier
from bookkeeper_tui.store.book.kpi_nps import KpiNpsMixin
from bookkeeper_tui.store.book.lanes import Lane, run_at_once, run_here
from bookkeeper_tui.store.errors import BookError
from bookkeeper_tui.store.models import (
    Account,
    HealthSnapshot,
    Interaction,
    Touchpoint,
)
from bookkeeper_tui.store.queries import as_date


class KpiMixin(KpiNpsMixin):
    """Mixed into ``Book``: see the module docstring."""

    def kpi(
        self,
        as_of: date,
        period: str = "12m",
        fresh: bool = False,
        owner: str | None = None,
        tier: str | None = None,
    ) -> KpiPanel:
        """The KPI panel's numbers for the period ending *as_of* (docs/domain.md).

        *owner* and *tier* cut the book: the numbers are those of a book holding only
        the accounts of that owner (``core.owners``: any case and spacing, ``""`` = no
        owner) and/or that tier, with their revenue, answers, touchpoints and health.

        Remembered until the book changes: any commit, by this process or another,
        moves SQLite's ``data_version``, and a remembered panel is only reused for the
        version it was computed at (the app computes the 12-month panel while the user
        pauses, so opening it is instant). Other databases compute every time. The panel
        is frozen: a remembered one is given to every caller as it is, never copied.
        """
        tier = parse_tier(tier) if tier is not None else None
        version = self.data_version()
        key = self._kpi_key(as_of, period, owner, tier)
        # The whole book is computed as ``_compute_kpi(as_of, period)`` (tests wrap it).
        cut = () if owner is None and tier is None else (owner, tier)
        if version is None or fresh:
            return self._compute_kpi(as_of, period, *cut)
        # One computation per panel and version (``memo.Memo``): a second caller (the
        # screen, while the app computes the panel ahead) waits for the first.
        return self._kpi_memo.get_or_compute(
            key, version, lambda: self._compute_kpi(as_of, period, *cut)
        )

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
        key = self._kpi_key(as_of, period, owner, tier)
        return version is not None and self._kpi_memo.get(key, version) is not None

    def kpi_remembered(
        self,
        as_of: date,
        period: str = "12m",
        owner: str | None = None,
        tier: str | None = None,
    ) -> KpiPanel | None:
        """The panel :meth:`kpi` would answer from memory (frozen, shared), or
        None; never computes, so a screen can show a remembered panel at once."""
        tier = parse_tier(tier) if tier is not None else None
        version = self.data_version()
        if version is None:
            return None
        return self._kpi_memo.get(self._kpi_key(as_of, period, owner, tier), version)

    @staticmethod
    def _kpi_key(as_of: date, period: str, owner: str | None, tier: str | None) -> KpiKey:
        return (as_of, period, None if owner is None else owner_key(owner), tier)

    def _compute_kpi(
        self, as_of: date, period: str, owner: str | None = None, tier: str | None = None
    ) -> KpiPanel:
        try:
            start = kpis.period_start(as_of, period)
        except ValueError as exc:
            raise BookError(str(exc)) from None
        # The reads on two connections at once (lanes.py), kept only if nothing was
        # committed while they ran: then every connection saw the same book.
        got = None
        before = self.data_version() if self._reads_at_once() else None
        if before is not None:
            got = self._kpi_reads(start, as_of, owner, tier, at_once=True)
            if self.data_version() != before:
                got = None
        if got is None:
            got = self._kpi_reads(start, as_of, owner, tier, at_once=False)
        rev, mrr_by_month = got["revenue"]
        nps, bands, trend = got["nps"], got["bands"], got["trend"]
        enterprise, qbrs = got["qbrs"]
        due_n, on_time_n = got["on_time"]
        new_sources, to_value = got["new"]
        dist = kpis.health_distribution(bands)
        days = (as_of - start).days
        return KpiPanel(
            start=start,
            end=as_of,
            starting_mrr=round(rev.starting_mrr, 2),
            ending_mrr=round(rev.ending_mrr, 2),
            nrr=_r(rev.nrr),
            grr=_r(rev.grr),
            logo_retention=_r(rev.logo_retention),
            logo_churn=_r(rev.logo_churn),
            cohort_size=rev.cohort_size,
            churned_logos=rev.churned_logos,
            period_days=days,
            logo_churn_annualised=_r(kpis.annualised_churn(rev.logo_churn, days)),
            reactivation_mrr=round(rev.reactivation_mrr, 2),
            expansion_mrr=round(rev.expansion_mrr, 2),
            contraction_mrr=round(rev.contraction_mrr, 2),
            churned_mrr=round(rev.churned_mrr, 2),
            new_mrr=round(rev.new_mrr, 2),
            expansion_share=_r(rev.expansion_share),
            nps=_r(nps.portfolio, 1),
            account_nps=_r(nps.account, 1),
            user_nps=_r(nps.user, 1),
            nps_responses=nps.answers,
            health=HealthShares(**{k: _r(v) for k, v in dist.items()}),
            accounts_scored=len(bands),
            qbr_completion=_r(kpis.qbr_completion(enterprise, qbrs, as_of)),
            qbr_accounts=len(enterprise),
            on_time_rate=_r(on_time_n / due_n if due_n else None),
            referral_rate=_r(kpis.referral_rate(new_sources)),
            green_trend=tuple(GreenPoint(d, _r(g / t if t else None)) for d, g, t in trend),
            mrr_by_month=tuple(MonthMovements(**row) for row in mrr_by_month),  # type: ignore[arg-type]
            median_days_to_value=median_days([d for d in to_value if d is not None]),
            first_value_accounts=len(to_value),
        )

    def _reads_at_once(self) -> bool:
        """Can other connections read the same book? (Not an in-memory SQLite one.)"""
        if self.engine.dialect.name == "postgresql":
            return True
        return self.engine.dialect.name == "sqlite" and self.location not in ("", ":memory:")

    def _kpi_reads(
        self, start: date, as_of: date, owner: str | None, tier: str | None, at_once: bool
    ) -> dict:
        """The panel's rows, each read by name; the MRR history already summed up."""
        with self.read() as session:
            # Plain column queries: run them on the connection (no ORM entities to load).
            s = session.connection()
            # The cut: None is the whole book; else every query below keeps these accounts.
            ids = self._cut_ids(s, owner, tier)
            keep = None if ids is None else set(ids)

            def cut(query, column):
                return query if ids is None else query.where(column.in_(ids))

            # Two lanes taking about as long on the 10,000-account demo book.
            lanes: list[Lane] = [
                {
                    "nps": lambda c: self._period_nps(c, start, as_of, ids),
                    "trend": lambda c: self._kpi_green_trend(c, start, as_of, cut),
                    "bands": lambda c: self._latest_bands(c, as_of, ids),
                },
                {
                    "revenue": lambda c: kpis.revenue_and_movements(
                        self._kpi_history(c, keep), start, as_of
                    ),
                    "qbrs": lambda c: self._kpi_qbrs(c, as_of, cut),
                    "on_time": lambda c: self._kpi_on_time(c, start, as_of, cut),
                    "new": lambda c: self._kpi_new_accounts(c, start, as_of, cut),
                },
            ]
            if at_once:
                return run_at_once(s, self.engine, lanes)
            return run_here(s, lanes)

    @staticmethod
    def _kpi_history(s: Connection, keep: set[int] | None) -> dict:
        """Each account's MRR levels (in the cut *keep*), oldest first."""
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
                "SELECT account_id, effective, mrr FROM mrr_level ORDER BY account_id, effective"
            )
            history: dict[int, tuple[tuple[date, float], ...]] = {
                aid: tuple((day(eff), mrr) for _, eff, mrr in levels)
                for aid, levels in groupby(cursor.fetchall(), key=itemgetter(0))
                if keep is None or aid in keep
            }
        finally:
            cursor.close()
        return history

    @staticmethod
    def _kpi_qbrs(s: Connection, as_of: date, cut) -> tuple[list[int], dict]:
        """The enterprise accounts due QBRs and each one's latest QBR day."""
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
        return enterprise, qbrs

    @staticmethod
    def _kpi_on_time(s: Connection, start: date, as_of: date, cut) -> tuple[int, int]:
        """Touchpoints due in the period and those done on time."""
        # kpis.on_time_rate's rule, counted by the database (100k+ touchpoints).
        return s.execute(
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

    @staticmethod
    def _kpi_new_accounts(s: Connection, start: date, as_of: date, cut) -> tuple[list, list]:
        """The new accounts' sources and the period's time-to-value days."""
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
        return new_sources, to_value

    @staticmethod
    def _kpi_green_trend(s: Connection, start: date, as_of: date, cut) -> list[tuple]:
        """(day, green, scored) per snapshot day in the period."""
        return [
            (day, green, total)
            for day, green, total in s.execute(
                cut(
                    select(
                        HealthSnapshot.day,
                        func.sum(
                            func.coalesce((HealthSnapshot.band == "green"), False).cast(int_type())
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

    # -- the renewal desk -----------------------------------------------------------------
    def _days_before(self, column, days: int):
        """*column* (a date) minus *days*, in SQL, as a date on either backend."""
        if self.engine.dialect.name == "sqlite":
            return func.date(column, f"-{int(days)} days")
        return cast(column - timedelta(days=days), Date)

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
