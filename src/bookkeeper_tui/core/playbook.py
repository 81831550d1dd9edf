"""The touchpoint playbook: what *should* happen to an account, and when.

Pure: given an account's tier, start and renewal dates and a window of days, it
returns the planned occurrences in that window, each with a stable ``rule`` key.
The store creates an occurrence only when no touchpoint of that account has the
key yet, which makes generation idempotent and means a skipped or done occurrence
is never resurrected. Dates use calendar arithmetic (months are months).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from bookkeeper_tui.core.bounds import date_problem
from bookkeeper_tui.core.settings import PlaybookConfig


@dataclass(frozen=True)
class PlannedTouchpoint:
    kind: str
    due: date
    rule: str
    origin: str = "playbook"
    note: str = ""


_PURPOSE = {
    "welcome": "kick-off: assign the success owner, agree 90-day objectives",
    "check_in": "check-in: started? blockers?",
    "mini_qbr": "mini-QBR: actual usage, expected ROI, first NPS",
    "qbr": "quarterly review: success story if healthy, recovery plan if not",
    "expansion": "expansion conversation: new needs, other teams, higher plans",
    "renewal": "renewal + referral ask: year review, renewal proposal",
    "nps_ask": "ask for an NPS score",
    "ces_check": "pre-renewal effort check (CES)",
    "champion_search": "find a new champion: who else gains from the product? win them over",
}


def purpose(kind: str) -> str:
    """One line saying why a playbook touchpoint exists (shown beside it)."""
    return _PURPOSE.get(kind, "")


def _months(start: date, n: int) -> date:
    return start + relativedelta(months=n)


def renewal_term_months(start: date, renewal: date, term: int | None = None) -> int:
    """The contract term in months, used to roll a renewal date forward.

    *term* is the account's own term (``account.term_months``, set when a renewal outcome
    is logged with `term 12m`): when given, it is the term.

    The model has no term field: the gap between *start* and *renewal* is the term when
    it is a whole number of months from 1 to 12 (a 6-month contract renews every 6
    months); anything else (an odd gap, or a renewal years after the start, as when an
    old customer is imported) is a 12-month term.
    """
    if term is not None and term > 0:
        return term
    gap = relativedelta(renewal, start)
    months = gap.years * 12 + gap.months
    if 1 <= months <= 12 and start + relativedelta(months=months) == renewal:
        return months
    return 12


def renewal_cycles(
    start: date, renewal: date, until: date, term_months: int | None = None
) -> list[date]:
    """*renewal*, then every term after it, up to and including *until*."""
    term = renewal_term_months(start, renewal, term_months)
    out: list[date] = []
    k = 0
    while (due := renewal + relativedelta(months=k * term)) <= until:
        out.append(due)
        k += 1
    return out


def next_renewal(start: date, renewal: date, as_of: date, term_months: int | None = None) -> date:
    """The renewal date in force on *as_of*: *renewal* until it passes, then + term."""
    term = renewal_term_months(start, renewal, term_months)
    k = 0
    while (due := renewal + relativedelta(months=k * term)) < as_of:
        k += 1
    return due


def playbook_touchpoints(
    tier: str,
    start: date,
    renewal: date | None,
    window: tuple[date, date],
    cfg: PlaybookConfig,
    term_months: int | None = None,
) -> list[PlannedTouchpoint]:
    """Every playbook occurrence for one account whose due date falls inside *window*.

    * First year: welcome D+1, check-in D+7, mini-QBR D+30, QBR D+90, expansion D+180.
    * Renewal + referral ask ``renewal_lead_days`` before the renewal date and before each
      renewal after it (every term: *term_months*, the account's own, else see
      ``renewal_term_months``), or at D+330
      (then each year after) when no renewal date is known; a CES check before it.
    * After onboarding, the tier's recurring cadence (enterprise monthly check-ins and
      quarterly QBRs, mid-market quarterly QBRs, smb six-monthly check-ins); a check-in
      falling in a QBR month is left out (the QBR covers it).
    * An NPS ask every ``nps_every_months`` months, after the first one at the mini-QBR.

    A start date outside the book's years (core.bounds, a row saved before the check)
    plans nothing; such a renewal date counts as unknown. Planning never overflows.
    """
    if date_problem(start):
        return []
    if renewal is not None and date_problem(renewal):
        renewal = None
    lo, hi = window
    out: list[PlannedTouchpoint] = []

    def add(kind: str, due: date, rule: str) -> None:
        if lo <= due <= hi:
            out.append(PlannedTouchpoint(kind, due, rule, note=purpose(kind)))

    for kind, days in cfg.onboarding.items():
        add(kind, start + timedelta(days=days), f"onb:{kind}")

    # Renewal: anchored on the renewal date when known, else on anniversaries.
    if renewal is not None:
        # The renewal repeats every term: plan each cycle whose touchpoints reach the window.
        horizon = hi + timedelta(days=max(cfg.renewal_lead_days, cfg.ces_lead_days))
        for cycle in renewal_cycles(start, renewal, horizon, term_months):
            add("renewal", cycle - timedelta(days=cfg.renewal_lead_days), f"renewal:{cycle}")
            add("ces_check", cycle - timedelta(days=cfg.ces_lead_days), f"ces:{cycle}")
    else:
        first = start + timedelta(days=cfg.renewal_default_day)
        years_lo = max(0, (lo.year - first.year) - 1)
        for k in range(years_lo, years_lo + (hi.year - lo.year) + 3):
            due = first + relativedelta(years=k)
            anniversary = start + relativedelta(years=k + 1)
            add("renewal", due, f"renewal:{anniversary}")
            ces_due = anniversary - timedelta(days=cfg.ces_lead_days)
            add("ces_check", ces_due, f"ces:{anniversary}")

    _recurring(add, tier, start, window, cfg)
    out.sort(key=lambda p: (p.due, p.kind))
    return out


def _recurring(
    add: Callable[[str, date, str], None],
    tier: str,
    start: date,
    window: tuple[date, date],
    cfg: PlaybookConfig,
) -> None:
    """The tier's cadence after onboarding and the NPS asks (see playbook_touchpoints),
    each occurrence n of the months around *window* handed to *add*."""
    lo, hi = window
    # Recurring cadence after onboarding; occurrence n is start + n * every months.
    onboarding_end = start + timedelta(days=cfg.onboarding_days + 7)
    cadence = cfg.cadence_months.get(tier, {})
    qbr_every = cadence.get("qbr")
    first_n = max(1, (lo.year - start.year) * 12 + (lo.month - start.month) - 1)
    last_n = (hi.year - start.year) * 12 + (hi.month - start.month) + 1
    for kind, every in cadence.items():
        if every <= 0:
            continue
        n0 = max(1, first_n // every)
        for n in range(n0, last_n // every + 1):
            months = n * every
            due = _months(start, months)
            if due <= onboarding_end:
                continue
            if kind != "qbr" and qbr_every and months % qbr_every == 0:
                continue
            add(kind, due, f"cad:{kind}:{months}")

    every = cfg.nps_every_months
    if every > 0:
        n0 = max(1, first_n // every)
        for n in range(n0, last_n // every + 1):
            months = 1 + n * every
            add("nps_ask", _months(start, months), f"nps:{months}")
