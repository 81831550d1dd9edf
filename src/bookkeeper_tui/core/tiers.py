"""Tier by value: ARR thresholds suggest a tier (docs/domain.md "Tier")."""

from __future__ import annotations

from bookkeeper_tui.core.settings import TierConfig


def suggest_tier(arr: float, cfg: TierConfig) -> str:
    """enterprise above the enterprise threshold, mid-market from the mid-market one, else smb."""
    if arr > cfg.enterprise_arr:
        return "enterprise"
    if arr >= cfg.midmarket_arr:
        return "mid-market"
    return "smb"
