"""The demo book's rows, drawn from one seeded random generator: each account with its
contacts, revenue, interactions, tickets, usage and NPS, then the past playbook
touchpoints and the renewal outcomes of the last year."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from bookkeeper_tui.core.playbook import playbook_touchpoints
from bookkeeper_tui.store.demo.data import (
    BAD,
    CHURN_REASONS,
    CORE,
    FAMOUS,
    FIRST,
    FORCED,
    GOOD,
    INDUSTRIES,
    KIND,
    LAST,
    NEUTRAL,
    OWNERS,
    PREFIX,
    PROFILES,
    SUFFIX,
    TIER_MIX,
)
from bookkeeper_tui.store.models import name_key

#: How many past playbook touchpoints each profile did (the rest late-open or skipped).
DILIGENCE = {
    "thriving": 0.95,
    "steady": 0.85,
    "slipping": 0.7,
    "at_risk": 0.55,
    "churned": 0.5,
}


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


@dataclass
class DemoRows:
    """The demo book's rows, drawn account by account, then bulk inserted."""

    rng: random.Random
    as_of: date
    now: datetime
    accounts: list[dict] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)
    interactions: list[dict] = field(default_factory=list)
    scores: list[dict] = field(default_factory=list)
    levels: list[dict] = field(default_factory=list)
    touchpoints: list[dict] = field(default_factory=list)
    #: (account id, tier, start, renewal, end, profile) for the past playbook touchpoints.
    plan: list[tuple] = field(default_factory=list)

    def add_account(self, i: int, name: str) -> None:
        """Draw account number *i* (0-based) and everything it has: contacts, revenue,
        interactions, tickets, usage and NPS. The draws keep their order, so a seed
        gives the same book."""
        rng, as_of = self.rng, self.as_of
        aid = i + 1
        tier, _, lo, hi = _pick(rng, TIER_MIX)
        profile = _pick(rng, [(p, v[0]) for p, v in PROFILES.items()])[0]
        # The first accounts always tell every story, whatever the seed and size.
        forced = i < len(FORCED)
        if forced:
            profile = FORCED[i]
        # A few brand-new accounts so onboarding touchpoints show up.
        if i % 13 == 5 and not forced:
            start = as_of - timedelta(days=rng.randint(2, 40))
            if profile in ("churned", "at_risk", "slipping"):
                profile = "steady"
        else:
            start = as_of - timedelta(days=rng.randint(200 if forced else 60, 730))
        years = max(1, relativedelta(as_of, start).years + 1)
        renewal = start + relativedelta(years=years)
        base = round(rng.uniform(lo, hi) / 10) * 10
        self.accounts.append(
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
                "created_at": self.now,
                "updated_at": self.now,
                "version": 1,
            }
        )
        cids = self._contacts(aid, tier, profile, start)
        end = self._revenue(aid, profile, start, base, forced)
        self._interactions(aid, tier, profile, start, end, cids)
        self._tickets(aid, profile, start, end)
        self._signals(aid, profile, start, end, cids)
        self.plan.append((aid, tier, start, renewal, end, profile))

    def _contacts(self, aid: int, tier: str, profile: str, start: date) -> list[int]:
        """The account's contacts (a champion, a buyer, a user, an admin above SMB)."""
        rng, as_of = self.rng, self.as_of
        roles = ["champion", "economic_buyer", "end_user"] + (["admin"] if tier != "smb" else [])
        cids = []
        used_first: set[str] = set()
        for role in roles:
            cid = len(self.contacts) + 1
            # Distinct first names per account, so `with Dana` names one person.
            first = rng.choice([f for f in FIRST if f not in used_first])
            used_first.add(first)
            left = None
            if role == "champion" and profile in ("at_risk", "slipping") and rng.random() < 0.35:
                left = as_of - timedelta(days=rng.randint(5, 60))
                left = left if left > start else None
            self.contacts.append(
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
            self.contacts[-1]["name_key"] = name_key(self.contacts[-1]["name"])
            cids.append(cid)
        return cids

    def _revenue(self, aid: int, profile: str, start: date, base: float, forced: bool) -> date:
        """The account's MRR history (an expansion, a contraction, a churn); the day its
        story ends (the churn, else as_of)."""
        rng, as_of = self.rng, self.as_of
        self.levels.append(
            {"account_id": aid, "effective": start, "mrr": float(base), "interaction_id": None}
        )
        age = (as_of - start).days
        churn_day = None
        if profile == "churned" and age > 120:
            churn_day = start + timedelta(days=rng.randint(90, age - 10))
        elif profile == "thriving" and age > 120 and (forced or rng.random() < 0.7):
            self.levels.append(
                {
                    "account_id": aid,
                    "effective": start + timedelta(days=rng.randint(60, age - 20)),
                    "mrr": float(round(base * rng.uniform(1.15, 1.6) / 10) * 10),
                    "interaction_id": None,
                }
            )
        elif profile in ("slipping", "at_risk") and age > 120 and (forced or rng.random() < 0.4):
            self.levels.append(
                {
                    "account_id": aid,
                    "effective": start + timedelta(days=rng.randint(60, age - 20)),
                    "mrr": float(round(base * rng.uniform(0.6, 0.9) / 10) * 10),
                    "interaction_id": None,
                }
            )
        if churn_day:
            self.levels.append(
                {"account_id": aid, "effective": churn_day, "mrr": 0.0, "interaction_id": None}
            )
            self.accounts[-1]["status"] = "churned"
        return churn_day or as_of

    def _interaction(self, aid: int, cid: int | None, kind: str, day: date, summary: str) -> None:
        self.interactions.append(
            {
                "account_id": aid,
                "contact_id": cid,
                "kind": kind,
                "day": day,
                "at": None,
                "summary": summary,
                "notes": "",
                "sentiment": None,
                "tags": "",
                "external_id": None,
                "created_at": self.now,
            }
        )

    def _interactions(
        self, aid: int, tier: str, profile: str, start: date, end: date, cids: list[int]
    ) -> None:
        """About 25 interactions over the account's life, denser for bigger tiers, in
        the account's mood; a recent QBR for a happy enterprise account."""
        rng, as_of = self.rng, self.as_of
        age = (as_of - start).days
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
            self._interaction(aid, rng.choice(cids), kind, day, rng.choice(pool))
        if tier == "enterprise" and profile in ("thriving", "steady"):
            day = as_of - timedelta(days=rng.randint(5, 80))
            if day > start:
                self._interaction(aid, cids[0], "qbr", day, "quarterly review: goals on track")

    def _tickets(self, aid: int, profile: str, start: date, end: date) -> None:
        """Support tickets in the last 90 days, more for an account at risk."""
        rng, as_of = self.rng, self.as_of
        tix = PROFILES[profile][4]
        for _ in range(int(rng.random() * tix * 3 + (tix if profile == "at_risk" else 0))):
            day = as_of - timedelta(days=rng.randint(0, 89))
            if start <= day <= end:
                summary = rng.choice(["login issue", "export failing", "SSO error", "slow reports"])
                self._interaction(aid, None, "ticket", day, summary)

    def _signals(self, aid: int, profile: str, start: date, end: date, cids: list[int]) -> None:
        """Usage signals monthly, NPS quarterly from different roles."""
        rng = self.rng
        _, usage0, drift, nps_c, _ = PROFILES[profile]
        month = 0
        usage = usage0 + rng.uniform(-8, 8)
        while True:
            day = start + relativedelta(months=month)
            if day > end:
                break
            months_left = relativedelta(end, day).months + 12 * relativedelta(end, day).years
            u = usage + (drift * (6 - months_left) if months_left < 6 else 0)
            self._score(aid, None, "usage", float(max(0, min(100, round(u)))), day)
            if month % 3 == 1:
                cid = rng.choice(cids)
                role = self.contacts[cid - 1]["role"]
                centre = nps_c + (0.5 if role in ("champion", "economic_buyer") else -0.5)
                value = max(0, min(10, round(rng.gauss(centre, 1.0))))
                self._score(aid, cid, "nps", float(value), day)
            month += 1

    def _score(self, aid: int, cid: int | None, kind: str, value: float, day: date) -> None:
        self.scores.append(
            {
                "account_id": aid,
                "contact_id": cid,
                "interaction_id": None,
                "kind": kind,
                "value": value,
                "day": day,
                "external_id": None,
            }
        )

    def add_past_touchpoints(self, pc) -> None:
        """Past playbook touchpoints: mostly done on time, some late, some skipped."""
        rng, as_of = self.rng, self.as_of
        for aid, tier, start, renewal, end, profile in self.plan:
            window = (start, min(end, as_of - timedelta(days=3)))
            if window[1] < window[0]:
                continue
            diligence = DILIGENCE[profile]
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
                self.touchpoints.append(
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
                        "created_at": self.now,
                    }
                )
