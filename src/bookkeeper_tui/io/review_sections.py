"""What both renderings of a monthly review show: the numbers' forms and the tables.

:func:`sections` is the one layout of the Markdown and the HTML review (io/review_md.py,
io/review_html.py): every table as (id, heading, header, rows) of plain text.
"""

from __future__ import annotations

import calendar

from bookkeeper_tui.core.benchmarks import rate
from bookkeeper_tui.core.review import Review

#: (id, heading, header, rows) of one table.
Section = tuple[str, str, list[str], list[list[str]]]


# -- numbers -----------------------------------------------------------------------------
def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def signed(value: float) -> str:
    """+1,200 / −300 (a true minus sign); 0 without a sign (never "+-0")."""
    whole = round(value)
    if whole == 0:
        return "0"
    return f"+{whole:,}" if whole > 0 else f"−{-whole:,}"


def num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def title(review: Review) -> str:
    year, month = (int(p) for p in review.month.split("-"))
    return f"Monthly review · {calendar.month_name[month]} {year}"


def _verdict(key: str, value: float | None) -> str:
    return rate(key, value)[0]


def _tier_verdict(met: bool | None) -> str:
    return "no data" if met is None else "met" if met else "missed"


# -- the rows both formats show -------------------------------------------------------------
def sections(review: Review) -> list[Section]:
    """(id, heading, header, rows) of every table, in order: the one layout of both formats.

    Cells are plain text (not escaped yet); each renderer escapes them its own way.
    """
    return [table(review) for table in _SECTIONS]


def _headline(review: Review) -> Section:
    """Starting and ending MRR, NRR, GRR, logo churn: the month and the 12 months."""
    cur = review.current
    year = review.year
    w = review.waterfall
    # The benchmarks are annual: only the 12-month values get a verdict.
    return (
        "headline",
        "Headline",
        ["measure", "month", "12 months", "benchmark (12 months)"],
        [
            ["Starting MRR", money(w.starting), money(year.starting_mrr), ""],
            ["Ending MRR", money(w.ending), money(year.ending_mrr), ""],
            ["NRR", pct(cur.nrr), pct(year.nrr), _verdict("nrr", year.nrr)],
            ["GRR", pct(cur.grr), pct(year.grr), _verdict("grr", year.grr)],
            [
                "Logo churn",
                pct(cur.logo_churn),
                pct(year.logo_churn),
                _verdict("logo_churn", year.logo_churn),
            ],
            [
                "Churned customers",
                f"{cur.churned_logos} of {cur.cohort}",
                f"{year.churned_logos} of {year.cohort}",
                "",
            ],
            ["Customers at month end", str(review.customers), "", ""],
        ],
    )


def _trend(review: Review) -> Section:
    """The retention measures of each of the 12 months."""
    return (
        "trend",
        "Retention trend (12 months)",
        ["month", "starting MRR", "ending MRR", "NRR", "GRR", "logo churn", "churned"],
        [
            [
                r.month,
                money(r.starting_mrr),
                money(r.ending_mrr),
                pct(r.nrr),
                pct(r.grr),
                pct(r.logo_churn),
                f"{r.churned_logos}/{r.cohort}",
            ]
            for r in review.trend
        ],
    )


def _waterfall(review: Review) -> Section:
    """Starting MRR, each movement, ending MRR."""
    w = review.waterfall
    return (
        "waterfall",
        "MRR waterfall",
        ["step", "MRR"],
        [
            ["Starting MRR", money(w.starting)],
            ["New", signed(w.new)],
            ["Reactivation", signed(w.reactivation)],
            ["Expansion", signed(w.expansion)],
            ["Contraction", signed(-w.contraction)],
            ["Churned", signed(-w.churned)],
            ["Ending MRR", money(w.ending)],
        ],
    )


def _health(review: Review) -> Section:
    """How many accounts are in each band at each month end."""
    return (
        "health",
        "Health mix at each month end",
        ["month", "green", "yellow", "red", "unknown", "% green"],
        [
            [
                h.month,
                str(h.green),
                str(h.yellow),
                str(h.red),
                str(h.unknown),
                pct(h.green_share),
            ]
            for h in review.health
        ],
    )


def _nps(review: Review) -> Section:
    """NPS per contact role, then the portfolio, account and user views."""
    return (
        "nps",
        f"NPS by role ({review.nps_start.isoformat()} .. {review.end.isoformat()})",
        ["role", "answers", "contacts", "promoters", "detractors", "NPS"],
        [
            [
                r.role.replace("_", " "),
                str(r.answers),
                str(r.contacts),
                str(r.promoters),
                str(r.detractors),
                num(r.nps),
            ]
            for r in review.nps_roles
        ]
        + [
            ["portfolio", "", "", "", "", num(review.nps_portfolio)],
            ["account (role-weighted)", "", "", "", "", num(review.nps_account)],
            ["user (every answer)", "", "", "", "", num(review.nps_user)],
        ],
    )


def _renewals(review: Review) -> Section:
    """The renewals closed in the month, and their total."""
    s = review.renewal_summary
    return (
        "renewals",
        "Renewals closed in the month",
        ["account", "tier", "renewal", "logged", "outcome", "MRR", "reason"],
        [
            [
                r.account,
                r.tier,
                r.renewal.isoformat(),
                r.day.isoformat(),
                r.outcome,
                f"{money(r.mrr_before)} -> {money(r.mrr_after)}",
                r.reason,
            ]
            for r in review.renewals
        ]
        + [
            [
                "total",
                "",
                "",
                "",
                f"{s.renewed} renewed, {s.downgraded} downgraded, {s.churned} churned",
                f"{money(s.mrr_before)} -> {money(s.mrr_after)}",
                f"logo {pct(s.logo_rate)}, MRR {pct(s.mrr_rate)} kept",
            ]
        ],
    )


def _risks(review: Review) -> Section:
    """The largest red accounts at month end."""
    return (
        "risks",
        f"Top risks: red accounts at month end ({review.risk_count}"
        + (f", the {len(review.risks)} largest" if review.risk_count > len(review.risks) else "")
        + ")",
        ["account", "tier", "MRR", "health", "why"],
        [
            [
                r.account,
                r.tier,
                money(r.mrr),
                f"{num(r.score)} {r.band or ''}".strip(),
                "; ".join(r.reasons),
            ]
            for r in review.risks
        ],
    )


def _renewal_risks(review: Review) -> Section:
    """Renewals in the next 90 days that are not green."""
    return (
        "renewal-risks",
        f"Top risks: renewals in the next 90 days, not green ({review.renewal_risk_count},"
        f" MRR {money(review.renewal_risk_mrr)}"
        + (
            f"; the {len(review.renewal_risks)} largest"
            if review.renewal_risk_count > len(review.renewal_risks)
            else ""
        )
        + ")",
        ["account", "tier", "renewal", "in", "MRR", "health"],
        [
            [
                r.account,
                r.tier,
                r.renewal.isoformat(),
                f"{r.days}d",
                money(r.mrr),
                "unknown" if r.band is None else f"{num(r.score)} {r.band}",
            ]
            for r in review.renewal_risks
        ],
    )


def _wins(review: Review) -> Section:
    """The month's wins."""
    return (
        "wins",
        "Wins",
        ["kind", "account", "what"],
        [[w_.kind, w_.account, w_.detail] for w_ in review.wins],
    )


def _churn_reasons(review: Review) -> Section:
    """Why customers left: this month and the last 12 months."""
    return (
        "churn-reasons",
        "Churn reasons",
        ["reason", "this month", "last 12 months"],
        [[r.reason, str(r.month), str(r.last_12_months)] for r in review.churn_reasons],
    )


def _targets(review: Review) -> Section:
    """Logo churn per tier against its target."""
    days = review.targets[0].days if review.targets else 0
    return (
        "targets",
        "Logo churn by tier vs targets (12 months to month end"
        + ("" if days >= 365 or days == 0 else f", {days} days annualised")
        + ")",
        ["tier", "customers at start", "churned", "actual", "target", "verdict"],
        [
            [
                t.tier,
                str(t.cohort),
                str(t.churned),
                pct(t.actual),
                f"< {t.target * 100:g}%",
                _tier_verdict(t.met),
            ]
            for t in review.targets
        ],
    )


_SECTIONS = (
    _headline,
    _trend,
    _waterfall,
    _health,
    _nps,
    _renewals,
    _risks,
    _renewal_risks,
    _wins,
    _churn_reasons,
    _targets,
)
