"""A believable demo book: accounts in every tier and band, two years of history.

Deterministic for a seed and an ``as_of`` day. Rows are written with bulk inserts
(executemany) in one transaction, so 10,000 accounts with ~25 interactions each
build in seconds, not minutes. Each account follows a *profile* (thriving, steady,
slipping, at risk, churned) so every band, flag and KPI has something to show.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import delete, insert, select

from bookkeeper_tui.core.playbook import playbook_touchpoints
from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.models import (
    Account,
    Contact,
    HealthSnapshot,
    Interaction,
    Meta,
    MrrLevel,
    RenewalOutcome,
    Score,
    Touchpoint,
    name_key,
)

FAMOUS = [
    "Acme Corp",
    "Globex Ltd",
    "Initech",
    "Umbrella Health",
    "Stark Industries",
    "Wayne Enterprises",
    "Soylent",
    "Hooli",
    "Pied Piper",
    "Vandelay Industries",
    "Wonka Foods",
    "Cyberdyne Systems",
    "Tyrell Corp",
    "Massive Dynamic",
    "Oscorp",
    "Aperture Labs",
    "Black Mesa",
    "Monarch Solutions",
    "Dunder Mifflin",
    "Prestige Worldwide",
]
PREFIX = [
    "North",
    "Blue",
    "Bright",
    "Iron",
    "Silver",
    "Red",
    "Green",
    "Clear",
    "Swift",
    "Stone",
    "River",
    "Cloud",
    "Summit",
    "Pine",
    "Oak",
    "Harbor",
    "Falcon",
    "Orbit",
    "Quantum",
    "Nova",
    "Atlas",
    "Beacon",
    "Cedar",
    "Delta",
    "Ember",
    "Fjord",
    "Granite",
    "Helix",
    "Indigo",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Nimbus",
    "Onyx",
    "Prism",
    "Quill",
    "Radiant",
    "Sable",
    "Tidal",
]
CORE = [
    "wind",
    "field",
    "path",
    "forge",
    "light",
    "works",
    "stack",
    "point",
    "gate",
    "line",
    "bridge",
    "mark",
    "wave",
    "shift",
    "scale",
    "ridge",
    "view",
    "sense",
    "craft",
    "base",
]
KIND = [
    "Analytics",
    "Logistics",
    "Health",
    "Labs",
    "Systems",
    "Retail",
    "Finance",
    "Media",
    "Software",
    "Energy",
    "Foods",
    "Robotics",
]
SUFFIX = ["", " Inc", " Ltd", " GmbH", " Co", " Group"]
INDUSTRIES = [
    "SaaS",
    "Healthcare",
    "Retail",
    "Logistics",
    "Finance",
    "Manufacturing",
    "Media",
    "Education",
    "Energy",
    "Hospitality",
]
OWNERS = ["maya", "luis", "sam"]
FIRST = [
    "Dana",
    "Priya",
    "Bob",
    "Alex",
    "Sam",
    "Jordan",
    "Chen",
    "Fatima",
    "Lena",
    "Omar",
    "Noah",
    "Aisha",
    "Ken",
    "Sofia",
    "Ravi",
    "Marta",
    "Tom",
    "Yuki",
    "Ines",
    "Peter",
]
LAST = [
    "Scully",
    "Patel",
    "Smith",
    "Garcia",
    "Kim",
    "Müller",
    "Rossi",
    "Nguyen",
    "Okafor",
    "Silva",
    "Cohen",
    "Dubois",
    "Novak",
    "Larsen",
    "Haddad",
]

GOOD = [
    "great call, team loves the new dashboards",
    "rolled out to the second team, adoption climbing",
    "weekly sync, no blockers",
    "shared a success story we can use",
    "asked about the enterprise plan for finance",
    "onboarding went smoothly, SSO live",
    "renewal conversation positive, wants multi-year",
    "champion presenting results to leadership",
]
NEUTRAL = [
    "quick check-in, usage steady",
    "walked through the roadmap",
    "training session for new users",
    "reviewed open tickets, nothing urgent",
    "sent the quarterly report",
    "intro to their new admin",
]
BAD = [
    "too expensive for what they use, asked about a downgrade",
    "evaluating an alternative, competitor demo next week",
    "budget cut next quarter, renewal uncertain",
    "frustrated with support response times",
    "mentioned they might cancel if SSO slips",
    "price increase landed badly, considering a switch",
    "usage dropped after the reorg, champion is leaving",
]

#: profile -> (weight, usage level, usage drift per month, nps centre, tickets per month)
PROFILES = {
    "thriving": (0.32, 85, 1.0, 9.7, 0.2),
    "steady": (0.33, 74, 0.0, 9.0, 0.5),
    "slipping": (0.16, 60, -3.0, 7.0, 1.0),
    "at_risk": (0.12, 45, -5.0, 4.5, 2.2),
    "churned": (0.07, 40, -6.0, 4.0, 1.5),
}
#: Profiles of the first accounts (Acme, Globex, Initech, ...), so even a tiny demo book
#: has an expansion, a contraction, a churn and every band.
FORCED = ("thriving", "steady", "slipping", "at_risk", "churned", "thriving")
TIER_MIX = (
    ("enterprise", 0.15, 4_500, 18_000),
    ("mid-market", 0.35, 850, 4_000),
    ("smb", 0.50, 90, 800),
)


def _names(rng: random.Random, n: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()

    def add(name: str) -> None:
        key = name_key(name)
        if key not in seen:
            seen.add(key)
            names.append(name)

    for name in FAMOUS[: min(n, len(FAMOUS))]:
        add(name)
    attempts = 0
    while len(names) < n:
        attempts += 1
        name = f"{rng.choice(PREFIX)}{rng.choice(CORE)} {rng.choice(KIND)}{rng.choice(SUFFIX)}"
        if attempts > n * 20:
            name = f"{name} {len(names) + 1}"
        add(name)
    return names


def _pick(rng: random.Random, table) -> tuple:
    r = rng.random()
    acc = 0.0
    for row in table:
        acc += row[1]
        if r <= acc:
            return row
    return table[-1]


#: Why the demo's churned accounts left (picked by account id: no random draw, so adding
#: outcomes changed nothing else in the demo book).
CHURN_REASONS = (
    "moved to a competitor",
    "budget cut",
    "too expensive for the value",
    "moved to a competitor",
    "project cancelled after a reorg",
)


def _outcomes(acc_rows: list[dict], level_rows: list[dict], as_of: date, now: datetime) -> list:
    """Logged renewal outcomes of the last year: each churn, with its reason, and each
    renewal date that passed (renewed at the MRR of that day). Derived from the rows
    already drawn, so the rest of the demo book is the same as without them."""
    levels: dict[int, list[tuple[date, float]]] = {}
    for lv in level_rows:
        levels.setdefault(lv["account_id"], []).append((lv["effective"], lv["mrr"]))

    def mrr_on(aid: int, day: date) -> float:
        return next((m for d, m in sorted(levels[aid], reverse=True) if d <= day), 0.0)

    out = []
    for acc in acc_rows:
        aid = acc["id"]
        history = sorted(levels.get(aid, []))
        if acc["status"] == "churned":
            day = history[-1][0]
            before = history[-2][1] if len(history) > 1 else 0.0
            row = ("churned", day, before, 0.0, None, CHURN_REASONS[aid % len(CHURN_REASONS)])
        else:
            day = acc["renewal"] - relativedelta(years=1)
            if not (acc["start"] < day <= as_of and (as_of - day).days <= 365):
                continue
            row = ("renewed", day, mrr_on(aid, day), mrr_on(aid, day), 12, "")
        outcome, day, before, after, term, reason = row
        out.append(
            {
                "account_id": aid,
                "renewal": day,
                "day": day,
                "outcome": outcome,
                "mrr_before": before,
                "mrr_after": after,
                "term_months": term,
                "reason": reason,
                "interaction_id": None,
                "created_at": now,
            }
        )
    return out


def build_demo(
    book: Book,
    accounts: int = 40,
    seed: int = 7,
    as_of: date | None = None,
    progress: bool = False,
) -> dict:
    """Replace the book's contents with a demo book; return counts and seconds taken."""
    t0 = time.perf_counter()
    as_of = as_of or date.today()
    rng = random.Random(seed)
    names = _names(rng, accounts)
    profiles = list(PROFILES.items())
    pc = book.config.playbook
    now = datetime(as_of.year, as_of.month, as_of.day, 9, 0, tzinfo=UTC)

    acc_rows: list[dict] = []
    contact_rows: list[dict] = []
    inter_rows: list[dict] = []
    score_rows: list[dict] = []
    level_rows: list[dict] = []
    tp_rows: list[dict] = []
    plan: list[tuple] = []

    for i, name in enumerate(names):
        aid = i + 1
        tier, _, lo, hi = _pick(rng, TIER_MIX)
        profile = _pick(rng, [(p, v[0]) for p, v in profiles])[0]
        # The first accounts always tell every story, whatever the seed and size.
        forced = i < len(FORCED)
        if forced:
            profile = FORCED[i]
        _, usage0, drift, nps_c, tix = PROFILES[profile]
        # A few brand-new accounts so onboarding touchpoints show up.
        if i % 13 == 5 and not forced:
            start = as_of - timedelta(days=rng.randint(2, 40))
            if profile in ("churned", "at_risk", "slipping"):
                profile = "steady"
                _, usage0, drift, nps_c, tix = PROFILES[profile]
        else:
            start = as_of - timedelta(days=rng.randint(200 if forced else 60, 730))
        years = max(1, relativedelta(as_of, start).years + 1)
        renewal = start + relativedelta(years=years)
        base = round(rng.uniform(lo, hi) / 10) * 10
        acc_rows.append(
            {
                "id": aid,
                "name": name,
                "name_key": name_key(name),
                "external_id": f"DEMO-{aid:05d}",
                "tier": tier,
                "tier_manual": False,
                "start": start,
                "renewal": renewal,
                "owner": OWNERS[i % len(OWNERS)],
                "industry": rng.choice(INDUSTRIES),
                "tags": rng.choice(["", "", "pilot", "sso", "expansion", "api"]),
                "status": "active",
                "source": rng.choice(["referral", "outbound", "inbound", "inbound"]),
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        # Contacts.
        roles = ["champion", "economic_buyer", "end_user"] + (["admin"] if tier != "smb" else [])
        cids = []
        used_first: set[str] = set()
        for role in roles:
            cid = len(contact_rows) + 1
            # Distinct first names per account, so `with Dana` names one person.
            first = rng.choice([f for f in FIRST if f not in used_first])
            used_first.add(first)
            left = None
            if role == "champion" and profile in ("at_risk", "slipping") and rng.random() < 0.35:
                left = as_of - timedelta(days=rng.randint(5, 60))
                left = left if left > start else None
            contact_rows.append(
                {
                    "id": cid,
                    "account_id": aid,
                    "name": f"{first} {rng.choice(LAST)}",
                    "name_key": "",
                    "email": None,
                    "role": role,
                    "left_on": left,
                }
            )
            contact_rows[-1]["name_key"] = name_key(contact_rows[-1]["name"])
            cids.append(cid)
        # Revenue history.
        level_rows.append(
            {"account_id": aid, "effective": start, "mrr": float(base), "interaction_id": None}
        )
        age = (as_of - start).days
        churn_day = None
        if profile == "churned" and age > 120:
            churn_day = start + timedelta(days=rng.randint(90, age - 10))
        elif profile == "thriving" and age > 120 and (forced or rng.random() < 0.7):
            level_rows.append(
                {
                    "account_id": aid,
                    "effective": start + timedelta(days=rng.randint(60, age - 20)),
                    "mrr": float(round(base * rng.uniform(1.15, 1.6) / 10) * 10),
                    "interaction_id": None,
                }
            )
        elif profile in ("slipping", "at_risk") and age > 120 and (forced or rng.random() < 0.4):
            level_rows.append(
                {
                    "account_id": aid,
                    "effective": start + timedelta(days=rng.randint(60, age - 20)),
                    "mrr": float(round(base * rng.uniform(0.6, 0.9) / 10) * 10),
                    "interaction_id": None,
                }
            )
        if churn_day:
            level_rows.append(
                {"account_id": aid, "effective": churn_day, "mrr": 0.0, "interaction_id": None}
            )
            acc_rows[-1]["status"] = "churned"
        end = churn_day or as_of
        # Interactions: about 25 over the account's life, denser for bigger tiers.
        n_int = max(
            4,
            int(24 * (0.55 + 0.45 * min(1.0, age / 540)) * (1.15 if tier == "enterprise" else 1.0)),
        )
        days = sorted(rng.randint(0, max(1, (end - start).days)) for _ in range(n_int))
        if profile in ("at_risk", "churned"):
            # gone quiet: nothing in the last weeks
            days = [
                d for d in days if start + timedelta(days=d) < end - timedelta(days=45)
            ] or days[:1]
        for d in days:
            day = start + timedelta(days=d)
            late = (end - day).days < 120
            mood = profile in ("at_risk", "churned", "slipping") and late
            pool = (
                BAD if mood and rng.random() < 0.5 else (GOOD if profile == "thriving" else NEUTRAL)
            )
            kind = rng.choice(
                ["call", "call", "meeting", "email", "qbr" if tier != "smb" else "email", "note"]
            )
            inter_rows.append(
                {
                    "account_id": aid,
                    "contact_id": rng.choice(cids),
                    "kind": kind,
                    "day": day,
                    "at": None,
                    "summary": rng.choice(pool),
                    "notes": "",
                    "sentiment": None,
                    "tags": "",
                    "external_id": None,
                    "created_at": now,
                }
            )
        if tier == "enterprise" and profile in ("thriving", "steady"):
            day = as_of - timedelta(days=rng.randint(5, 80))
            if day > start:
                inter_rows.append(
                    {
                        "account_id": aid,
                        "contact_id": cids[0],
                        "kind": "qbr",
                        "day": day,
                        "at": None,
                        "summary": "quarterly review: goals on track",
                        "notes": "",
                        "sentiment": None,
                        "tags": "",
                        "external_id": None,
                        "created_at": now,
                    }
                )
        # Tickets in the last 90 days.
        for _ in range(int(rng.random() * tix * 3 + (tix if profile == "at_risk" else 0))):
            day = as_of - timedelta(days=rng.randint(0, 89))
            if start <= day <= end:
                inter_rows.append(
                    {
                        "account_id": aid,
                        "contact_id": None,
                        "kind": "ticket",
                        "day": day,
                        "at": None,
                        "summary": rng.choice(
                            ["login issue", "export failing", "SSO error", "slow reports"]
                        ),
                        "notes": "",
                        "sentiment": None,
                        "tags": "",
                        "external_id": None,
                        "created_at": now,
                    }
                )
        # Usage signals monthly, NPS quarterly from different roles.
        month = 0
        usage = usage0 + rng.uniform(-8, 8)
        while True:
            day = start + relativedelta(months=month)
            if day > end:
                break
            months_left = relativedelta(end, day).months + 12 * relativedelta(end, day).years
            u = usage + (drift * (6 - months_left) if months_left < 6 else 0)
            score_rows.append(
                {
                    "account_id": aid,
                    "contact_id": None,
                    "interaction_id": None,
                    "kind": "usage",
                    "value": float(max(0, min(100, round(u)))),
                    "day": day,
                    "external_id": None,
                }
            )
            if month % 3 == 1:
                cid = rng.choice(cids)
                role = contact_rows[cid - 1]["role"]
                centre = nps_c + (0.5 if role in ("champion", "economic_buyer") else -0.5)
                value = max(0, min(10, round(rng.gauss(centre, 1.0))))
                score_rows.append(
                    {
                        "account_id": aid,
                        "contact_id": cid,
                        "interaction_id": None,
                        "kind": "nps",
                        "value": float(value),
                        "day": day,
                        "external_id": None,
                    }
                )
            month += 1
        plan.append((aid, tier, start, renewal, end, profile))

    # Past playbook touchpoints: mostly done on time, some late, some skipped.
    for aid, tier, start, renewal, end, profile in plan:
        window = (start, min(end, as_of - timedelta(days=3)))
        if window[1] < window[0]:
            continue
        diligence = {
            "thriving": 0.95,
            "steady": 0.85,
            "slipping": 0.7,
            "at_risk": 0.55,
            "churned": 0.5,
        }[profile]
        for p in playbook_touchpoints(tier, start, renewal, window, pc):
            r = rng.random()
            recent = (as_of - p.due).days <= 25
            if r < diligence:
                done = p.due + timedelta(days=rng.choice([-2, -1, 0, 0, 0, 1, 3, 6]))
                status, completed = "done", min(done, as_of)
            elif recent:
                status, completed = "open", None
            else:
                status, completed = "skipped", p.due
            tp_rows.append(
                {
                    "account_id": aid,
                    "kind": p.kind,
                    "due": p.due,
                    "status": status,
                    "snoozed_until": None,
                    "origin": "playbook",
                    "rule": p.rule,
                    "note": p.note,
                    "completed_on": completed,
                    "interaction_id": None,
                    "skip_reason": "no reply" if status == "skipped" else None,
                    "created_at": now,
                }
            )

    with book.write() as s:
        for table in (
            RenewalOutcome,
            HealthSnapshot,
            Touchpoint,
            Score,
            MrrLevel,
            Interaction,
            Contact,
            Account,
        ):
            s.execute(delete(table))
        s.execute(delete(Meta).where(Meta.key == "synced_on"))
        for label, table, rows in (
            ("accounts", Account, acc_rows),
            ("contacts", Contact, contact_rows),
            ("interactions", Interaction, inter_rows),
            ("scores", Score, score_rows),
            ("revenue", MrrLevel, level_rows),
            ("touchpoints", Touchpoint, tp_rows),
            ("renewal outcomes", RenewalOutcome, _outcomes(acc_rows, level_rows, as_of, now)),
        ):
            for k in range(0, len(rows), 20_000):
                s.execute(insert(table), rows[k : k + 20_000])
            if progress:
                print(f"  {label}: {len(rows):,}", file=sys.stderr)
        if s.get_bind().dialect.name == "postgresql":
            from bookkeeper_tui.store.pg import reset_sequences

            reset_sequences(s.connection())
        # Health history: a snapshot every two weeks for the last 12 weeks.
        for weeks in (12, 10, 8, 6, 4, 2):
            book._snapshot_health(s, as_of - timedelta(weeks=weeks), None)
    if book.engine.dialect.name == "postgresql":
        from bookkeeper_tui.store.pg import analyze

        analyze(book.engine)  # statistics for the freshly loaded tables
    # Today: playbook up to date, today's health, closed loop for reds.
    book.sync(as_of, force=True)
    with book.read() as s:
        n_tp = s.execute(select(Touchpoint.id)).all()
    return {
        "accounts": len(acc_rows),
        "interactions": len(inter_rows),
        "scores": len(score_rows),
        "touchpoints": len(n_tp),
        "seconds": time.perf_counter() - t0,
    }
