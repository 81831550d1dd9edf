"""The account's health after a fast-path ``log`` (store/fast_log.py): the facts read
with ``sqlite3`` alone, scored with ``core.health``, stored like ``Book._line_health``."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta

from bookkeeper_tui.core.health import Health, HealthFacts, compute_health, feed_is_current
from bookkeeper_tui.core.loop import band_touchpoints
from bookkeeper_tui.core.revenue import USAGE_BASELINE_WINDOWS, USAGE_RECENT_DAYS, usage_score
from bookkeeper_tui.core.settings import Config
from bookkeeper_tui.core.vocab import TWO_WAY_KINDS

#: How far back the signals of an account's health are read (as the state loader).
SIGNAL_LOOKBACK_DAYS = 365


def _stamp(moment: datetime) -> str:
    """A timestamp as SQLAlchemy stores a DateTime in SQLite (naive, microseconds)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _insert_touchpoint(
    con: sqlite3.Connection,
    aid: int,
    kind: str,
    due: date,
    origin: str,
    rule: str | None,
    note: str,
) -> None:
    con.execute(
        "INSERT INTO touchpoint (account_id, kind, due, status, snoozed_until, origin, rule, "
        "note, completed_on, interaction_id, skip_reason, created_at) "
        "VALUES (?, ?, ?, 'open', NULL, ?, ?, ?, NULL, NULL, NULL, ?)",
        (aid, kind, due.isoformat(), origin, rule, note, _stamp(datetime.now(UTC))),
    )


def _health(
    con: sqlite3.Connection, aid: int, tier: str, start: date, as_of: date, config: Config
) -> tuple[tuple[float, str] | None, str | None, list[tuple[str, date, str]]]:
    """Book._line_health: store the account's health on *as_of* (replacing the day's
    snapshot), plan an intervention when it fell into red; (score, band), the band
    before, and the interventions planned."""
    interventions = "SELECT id FROM touchpoint WHERE account_id = ? AND kind = 'intervention'"
    had = {r[0] for r in con.execute(interventions, (aid,))}
    health, previous_band = _account_health(con, aid, tier, start, as_of, config)
    con.execute(
        "DELETE FROM health_snapshot WHERE day = ? AND account_id = ?", (as_of.isoformat(), aid)
    )
    con.execute(
        "INSERT INTO health_snapshot (account_id, day, score, band, components) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            aid,
            as_of.isoformat(),
            health.score,
            health.band,
            json.dumps([[c.name, c.value] for c in health.components]),
        ),
    )
    planned = band_touchpoints(previous_band, health.band, as_of, config.loop)
    if planned:
        (has_open,) = con.execute(
            "SELECT count(id) FROM touchpoint WHERE account_id = ? AND kind = 'intervention' "
            "AND status IN ('open', 'snoozed')",
            (aid,),
        ).fetchone()
        if not has_open:
            rules = {
                r[0]
                for r in con.execute(
                    "SELECT rule FROM touchpoint WHERE account_id = ? AND rule IS NOT NULL", (aid,)
                )
            }
            for p in planned:
                if p.rule not in rules:
                    _insert_touchpoint(con, aid, p.kind, p.due, p.origin, p.rule, p.note)
    snap = con.execute(
        "SELECT score, band FROM health_snapshot WHERE account_id = ? AND day = ? LIMIT 1",
        (aid, as_of.isoformat()),
    ).fetchone()
    prev = con.execute(
        "SELECT band FROM health_snapshot WHERE account_id = ? AND day < ? "
        "ORDER BY day DESC LIMIT 1",
        (aid, as_of.isoformat()),
    ).fetchone()
    created = [
        (kind, date.fromisoformat(due), origin)
        for i, kind, due, origin in con.execute(
            "SELECT id, kind, due, origin FROM touchpoint WHERE account_id = ? "
            "AND kind = 'intervention'",
            (aid,),
        )
        if i not in had
    ]
    return (tuple(snap) if snap else None), (prev[0] if prev else None), created


def _account_health(
    con: sqlite3.Connection, aid: int, tier: str, start: date, as_of: date, config: Config
) -> tuple[Health, str | None]:
    """store.state.load_states' health (and band before *as_of*) for one active account."""
    hc = config.health
    day = as_of.isoformat()
    since = (as_of - timedelta(days=SIGNAL_LOOKBACK_DAYS)).isoformat()
    recent = (as_of - timedelta(days=config.signals.triple_signal_days)).isoformat()
    levels = [
        (date.fromisoformat(e), m)
        for e, m in con.execute(
            "SELECT effective, mrr FROM mrr_level WHERE account_id = ? ORDER BY effective",
            (aid,),
        )
    ]
    two_way, tracked, tickets = _conversations(con, aid, day, recent, config)
    feed_tracked, event_usage, stale = _feeds(con, aid, as_of, recent, hc, tickets)
    usage, ticket_counts, surveys, override, counted = _signals(con, aid, since, day)
    if event_usage is not None:
        usage.append((as_of, event_usage))
    facts = HealthFacts(
        tier=tier,
        start=start,
        usage=usage,
        two_way=[date.fromisoformat(two_way)] if two_way is not None else (),
        tickets=tickets if (tracked or feed_tracked or counted) else None,
        ticket_counts=ticket_counts,
        surveys=surveys,
        mrr_levels=levels,
        override=override,
        stale=stale,
    )
    previous = None
    after = (as_of - timedelta(days=config.signals.health_drop_days + 5)).isoformat()
    for (band,) in con.execute(
        "SELECT band FROM health_snapshot WHERE account_id = ? AND day > ? AND day < ? "
        "ORDER BY day",
        (aid, after, day),
    ):
        previous = band
    return compute_health(facts, as_of, hc), previous


def _conversations(
    con: sqlite3.Connection, aid: int, day: str, recent: str, config: Config
) -> tuple[str | None, bool, list[date]]:
    """The last two-way conversation not carrying a detractor answer, whether the account
    has ticket interactions at all, and its recent ones' days."""
    two_way_kinds = sorted(TWO_WAY_KINDS)
    marks = ", ".join("?" * len(two_way_kinds))
    two_way, any_ticket = con.execute(
        f"SELECT max(CASE WHEN kind IN ({marks}) AND day <= ? AND id NOT IN ("
        "SELECT interaction_id FROM score WHERE account_id = ? AND interaction_id IS NOT NULL "
        "AND ((kind = 'nps' AND value <= ?) OR (kind = 'csat' AND value <= ?))"
        ") THEN day END), max(CASE WHEN kind = 'ticket' THEN 1 ELSE 0 END) "
        "FROM interaction WHERE account_id = ?",
        (
            *two_way_kinds,
            day,
            aid,
            float(config.loop.detractor_nps_max),
            float(config.loop.detractor_csat_max),
            aid,
        ),
    ).fetchone()
    tickets = [
        date.fromisoformat(d)
        for (d,) in con.execute(
            "SELECT day FROM interaction WHERE account_id = ? AND kind = 'ticket' "
            "AND day > ? AND day <= ?",
            (aid, recent, day),
        )
    ]
    return two_way, bool(any_ticket), tickets


def _feeds(
    con: sqlite3.Connection, aid: int, as_of: date, recent: str, hc, tickets: list[date]
) -> tuple[bool, float | None, tuple[tuple[str, date], ...]]:
    """The imported feeds while current (core.health): the account's tickets (added to
    *tickets*; True when it has any) and its usage events' score; the stale feeds."""
    day = as_of.isoformat()
    ticket_end, usage_end = con.execute(
        "SELECT (SELECT max(opened) FROM ticket WHERE opened <= ?), "
        "(SELECT max(day) FROM usage_event WHERE day <= ?)",
        (day, day),
    ).fetchone()
    stale: list[tuple[str, date]] = []
    tracked = False
    if ticket_end is None or feed_is_current(date.fromisoformat(ticket_end), as_of, hc):
        tickets += [
            date.fromisoformat(d)
            for (d,) in con.execute(
                "SELECT opened FROM ticket WHERE account_id = ? AND opened > ? AND opened <= ?",
                (aid, recent, day),
            )
        ]
        if con.execute("SELECT 1 FROM ticket WHERE account_id = ? LIMIT 1", (aid,)).fetchone():
            tracked = True
    else:
        stale.append(("support", date.fromisoformat(ticket_end)))
    event_usage = None
    if usage_end is None or feed_is_current(date.fromisoformat(usage_end), as_of, hc):
        usage_recent = as_of - timedelta(days=USAGE_RECENT_DAYS)
        usage_base = usage_recent - timedelta(days=USAGE_RECENT_DAYS * USAGE_BASELINE_WINDOWS)
        row = con.execute(
            "SELECT sum(CASE WHEN day > ? THEN count ELSE 0 END), "
            "sum(CASE WHEN day > ? AND day <= ? THEN count ELSE 0 END), "
            "sum(CASE WHEN day <= ? THEN 1 ELSE 0 END) "
            "FROM usage_event WHERE account_id = ? AND day <= ? GROUP BY account_id",
            (
                usage_recent.isoformat(),
                usage_base.isoformat(),
                usage_recent.isoformat(),
                usage_recent.isoformat(),
                aid,
                day,
            ),
        ).fetchone()
        if row is not None:
            event_usage = usage_score(float(row[0] or 0), float(row[1] or 0), bool(row[2]))
    else:
        stale.append(("usage", date.fromisoformat(usage_end)))
    return tracked, event_usage, tuple(stale)


def _signals(con: sqlite3.Connection, aid: int, since: str, day: str):
    """The score signals of the last year: usage, ticket counts, surveys, the latest
    health override, and whether ticket counts were given (the account tracks tickets)."""
    usage: list[tuple[date, float]] = []
    ticket_counts: list[tuple[date, float]] = []
    surveys: list[tuple[date, str, float]] = []
    override = None
    for kind, d, value in con.execute(
        "SELECT kind, day, value FROM score WHERE account_id = ? AND day > ? AND day <= ? "
        "ORDER BY day, id",
        (aid, since, day),
    ):
        d = date.fromisoformat(d)
        if kind == "usage":
            usage.append((d, value))
        elif kind == "tickets":
            ticket_counts.append((d, value))
        elif kind in ("nps", "csat"):
            surveys.append((d, kind, value))
        elif kind == "health":
            override = (d, value)
    return usage, ticket_counts, surveys, override, bool(ticket_counts)
