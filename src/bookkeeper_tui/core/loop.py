"""Closed-loop rules: react to what customers say (docs/domain.md "Closed loop").

Pure: a score or a band change in, the touchpoints it calls for out. The caller
gives each a rule key tied to the score so a replayed save never doubles them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

from bookkeeper_tui.core.playbook import PlannedTouchpoint
from bookkeeper_tui.core.settings import LoopConfig


def is_detractor(kind: str, value: float, cfg: LoopConfig) -> bool:
    if kind == "nps":
        return value <= cfg.detractor_nps_max
    if kind == "csat":
        return value <= cfg.detractor_csat_max
    return False


def is_promoter(kind: str, value: float, cfg: LoopConfig) -> bool:
    return kind == "nps" and value >= cfg.promoter_nps_min


_REFERRAL = re.compile(r"\breferrals?\b", re.IGNORECASE)


def says_referral(summary: str, tags: Sequence[str]) -> bool:
    """An interaction that says it asked for (or got) a referral: a ``referral`` tag, or
    the word "referral"/"referrals" in its text. It completes an open referral ask."""
    return any(t.lower() in ("referral", "referrals") for t in tags) or bool(
        _REFERRAL.search(summary or "")
    )


def is_detractor_line(
    scores: Sequence[tuple[str, float]], churn_terms: Sequence[str], cfg: LoopConfig
) -> bool:
    """A conversation carrying a detractor answer or churn language: it is not the
    planned expansion conversation."""
    return bool(churn_terms) or any(is_detractor(k, v, cfg) for k, v in scores)


def score_touchpoints(
    kind: str,
    value: float,
    day: date,
    key: str,
    cfg: LoopConfig,
    *,
    referral_asked_recently: bool = False,
) -> list[PlannedTouchpoint]:
    """Touchpoints a survey answer calls for.

    A detractor (NPS 0-6, CSAT 1-3) gets a follow-up within a day and a resolution
    check a week later; a promoter (NPS 9-10) gets a referral ask, unless one was
    asked recently (ask promoters, but not every time they answer).
    """
    if is_detractor(kind, value, cfg):
        label = f"{kind.upper()} {value:g}"
        return [
            PlannedTouchpoint(
                "follow_up",
                day + timedelta(days=cfg.follow_up_days),
                f"loop:follow_up:{key}",
                origin="loop",
                note=f"detractor follow-up ({label})",
            ),
            PlannedTouchpoint(
                "resolution_check",
                day + timedelta(days=cfg.resolution_check_days),
                f"loop:resolution_check:{key}",
                origin="loop",
                note=f"check the {label} issue is resolved",
            ),
        ]
    if is_promoter(kind, value, cfg) and not referral_asked_recently:
        return [
            PlannedTouchpoint(
                "referral_ask",
                day + timedelta(days=cfg.referral_ask_days),
                f"loop:referral_ask:{key}",
                origin="loop",
                note=f"promoter (NPS {value:g}): ask for a referral",
            )
        ]
    return []


def band_touchpoints(
    previous_band: str | None, band: str | None, day: date, cfg: LoopConfig
) -> list[PlannedTouchpoint]:
    """Health falling into red calls for an intervention within two days."""
    if band == "red" and previous_band != "red":
        return [
            PlannedTouchpoint(
                "intervention",
                day + timedelta(days=cfg.intervention_days),
                f"loop:intervention:{day.isoformat()}",
                origin="loop",
                note=f"health fell into red (was {previous_band or 'unknown'})",
            )
        ]
    return []
