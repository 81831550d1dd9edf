"""The words of the domain, in one place (docs/domain.md).

Plain constants only: every other module (core, store, CLI, TUI) spells a tier,
a role or a kind through these names so a typo is an import error, not a bug.
"""

from __future__ import annotations

TIERS: tuple[str, ...] = ("enterprise", "mid-market", "smb")

#: Accepted spellings of a tier on the command line and in imports.
TIER_ALIASES: dict[str, str] = {
    "enterprise": "enterprise",
    "ent": "enterprise",
    "mid-market": "mid-market",
    "midmarket": "mid-market",
    "mid_market": "mid-market",
    "mid": "mid-market",
    "mm": "mid-market",
    "smb": "smb",
    "small": "smb",
}

ROLES: tuple[str, ...] = ("champion", "economic_buyer", "admin", "end_user", "other")

#: What can appear on an account's timeline.
INTERACTION_KINDS: tuple[str, ...] = (
    "call",
    "meeting",
    "email",
    "qbr",
    "note",
    "ticket",
    "onboarding",
    "renewal",
)

#: Interaction kinds a user may type in a quick-log line (tickets come from imports).
QUICKLOG_KINDS: tuple[str, ...] = (
    "call",
    "meeting",
    "email",
    "qbr",
    "note",
    "onboarding",
    "renewal",
)

#: Interactions that count as a two-way conversation for the engagement component.
TWO_WAY_KINDS: frozenset[str] = frozenset({"call", "meeting", "qbr", "onboarding", "renewal"})

#: Planned work. Playbook kinds first, then closed-loop kinds, then free kinds for `next`.
TOUCHPOINT_KINDS: tuple[str, ...] = (
    "welcome",
    "check_in",
    "mini_qbr",
    "qbr",
    "expansion",
    "renewal",
    "nps_ask",
    "ces_check",
    "follow_up",
    "resolution_check",
    "referral_ask",
    "intervention",
    "champion_search",
    "call",
    "meeting",
    "email",
    "onboarding",
)

#: Short spellings accepted after `next` in a quick-log line.
TOUCHPOINT_ALIASES: dict[str, str] = {
    "checkin": "check_in",
    "check-in": "check_in",
    "followup": "follow_up",
    "follow-up": "follow_up",
    "referral": "referral_ask",
    "nps": "nps_ask",
    "ces": "ces_check",
    "miniqbr": "mini_qbr",
    "mini-qbr": "mini_qbr",
    "resolution": "resolution_check",
    "champion-search": "champion_search",
}

TOUCHPOINT_STATUSES: tuple[str, ...] = ("open", "done", "skipped", "snoozed")
TOUCHPOINT_ORIGINS: tuple[str, ...] = ("playbook", "loop", "manual")

#: Scores a user or an import records. nps/csat/ces are survey answers; the rest feed health.
SCORE_KINDS: tuple[str, ...] = ("nps", "csat", "ces", "usage", "tickets", "health")
SCORE_RANGES: dict[str, tuple[float, float]] = {
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "usage": (0, 100),
    "tickets": (0, 10_000),
    "health": (0, 100),
}

BANDS: tuple[str, ...] = ("green", "yellow", "red")

#: Which logged interaction kinds complete which open touchpoint kinds.
COMPLETES: dict[str, frozenset[str]] = {
    "call": frozenset(
        {
            "call",
            "check_in",
            "welcome",
            "follow_up",
            "resolution_check",
            "intervention",
            "expansion",
        }
    ),
    "meeting": frozenset(
        {
            "meeting",
            "call",
            "check_in",
            "welcome",
            "follow_up",
            "resolution_check",
            "intervention",
            "expansion",
            "mini_qbr",
        }
    ),
    "email": frozenset({"email", "follow_up", "referral_ask"}),
    "qbr": frozenset({"qbr", "mini_qbr", "check_in"}),
    "onboarding": frozenset({"onboarding", "welcome", "check_in"}),
    "renewal": frozenset({"renewal", "ces_check"}),
    "note": frozenset(),
    "ticket": frozenset(),
}
#: Which recorded score kinds complete which touchpoint kinds.
SCORE_COMPLETES: dict[str, frozenset[str]] = {
    "nps": frozenset({"nps_ask"}),
    "ces": frozenset({"ces_check"}),
    "csat": frozenset(),
}
