"""Benchmarks to colour KPIs against (docs/domain.md "KPIs")."""

from __future__ import annotations


def rate(key: str, value: float | None) -> tuple[str, str]:
    """(verdict, colour) for a KPI value; ratios are fractions, NPS is -100..100."""
    if value is None:
        return ("no data", "dim")
    if key == "nrr":
        if value >= 1.20:
            return ("excellent (>= 120%)", "green")
        if value >= 1.10:
            return ("good (110-120%)", "green")
        if value >= 1.00:
            return ("average (100-110%)", "yellow")
        return ("problem (< 100%)", "red")
    if key == "grr":
        if value >= 0.95:
            return ("excellent (>= 95%)", "green")
        if value >= 0.90:
            return ("healthy (>= 90%)", "green")
        return ("below 90%", "red")
    if key == "logo_churn":
        if value < 0.10:
            return ("healthy (< 10%)", "green")
        if value <= 0.20:
            return ("watch (10-20%)", "yellow")
        return ("dangerous (> 20%)", "red")
    if key == "nps":
        if value >= 50:
            return ("healthy (>= 50)", "green")
        if value >= 30:
            return ("below 50", "yellow")
        return ("serious problem (< 30)", "red")
    targets = {
        "expansion_share": (0.30, "target >= 30%"),
        "green": (0.70, "target >= 70% green"),
        "qbr_completion": (0.80, "target >= 80%"),
        "referral_rate": (0.15, "target >= 15%"),
        "on_time_rate": (0.80, "target >= 80%"),
    }
    if key in targets:
        goal, label = targets[key]
        return (label, "green" if value >= goal else "yellow")
    return ("", "default")


def churn_note(period_days: int, annualised: float | None) -> str:
    """How a logo-churn value is labelled against the annual benchmark.

    Empty for a year (365 or 366 days: the value is annual); otherwise a sentence naming the
    period and the annualised value the colour comes from, e.g.
    "90-day churn, not annualised; ≈ 19% a year".
    """
    if period_days in (365, 366):
        return ""
    note = f"{period_days}-day churn, not annualised"
    if annualised is None:
        return note
    return f"{note}; ≈ {annualised * 100:.0f}% a year"
