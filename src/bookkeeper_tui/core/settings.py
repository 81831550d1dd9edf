"""Every default of docs/domain.md in one place: the settings the rules take.

Plain frozen dataclasses, free of file handling: ``bookkeeper_tui.config`` reads the TOML
file (and where it lives) and returns a :class:`Config` built from these. The core takes
its settings from here, so it never imports the config loader (issue 15: the rings).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bookkeeper_tui.core.content import DEFAULT_CONTENT, DEFAULT_PLAYS, TouchpointContent

#: The period the KPI panel opens on (the app computes it ahead while the user pauses).
DEFAULT_KPI_PERIOD = "12m"


@dataclass(frozen=True)
class HealthConfig:
    #: Component weights (docs/domain.md "Health score").
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "usage": 40.0,
            "engagement": 25.0,
            "support": 20.0,
            "survey": 10.0,
            "strength": 5.0,
        }
    )
    green: float = 75.0
    yellow: float = 60.0
    #: One engagement cadence per tier, in days: enterprise monthly check-ins,
    #: mid-market quarterly QBRs, smb a check-in every six months.
    cadence_days: dict[str, int] = field(
        default_factory=lambda: {"enterprise": 30, "mid-market": 91, "smb": 182}
    )
    #: Engagement falls linearly to 0 at this many cadences.
    engagement_zero_at: float = 3.0
    ticket_window_days: int = 30
    ticket_penalty: float = 20.0
    #: An imported feed (help-desk tickets, product usage events) whose newest record in the
    #: whole book is older than this many days speaks for nobody today: its component is
    #: unknown for every account instead of "no tickets" (100) or "no use" (0).
    feed_stale_days: int = 90
    survey_window_days: int = 180
    strength_window_days: int = 90
    strength_scores: dict[str, float] = field(
        default_factory=lambda: {"growing": 100.0, "flat": 70.0, "shrinking": 30.0}
    )


@dataclass(frozen=True)
class PlaybookConfig:
    #: First-year touchpoints: kind -> days after the start date.
    onboarding: dict[str, int] = field(
        default_factory=lambda: {
            "welcome": 1,
            "check_in": 7,
            "mini_qbr": 30,
            "qbr": 90,
            "expansion": 180,
        }
    )
    #: Renewal + referral ask this many days before renewal (D+330 without a renewal date).
    renewal_lead_days: int = 30
    renewal_default_day: int = 330
    #: Recurring cadence after onboarding, in months, per tier and kind.
    cadence_months: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            "enterprise": {"check_in": 1, "qbr": 3},
            "mid-market": {"qbr": 3},
            "smb": {"check_in": 6},
        }
    )
    #: An NPS ask every N months for every tier.
    nps_every_months: int = 3
    #: Pre-renewal effort check (CES) this many days before renewal (window 30-60).
    ces_lead_days: int = 45
    #: How far ahead recurring touchpoints are generated.
    horizon_days: int = 90
    #: Onboarding is the first this many days; the recurring cadence starts after it.
    onboarding_days: int = 90


@dataclass(frozen=True)
class LoopConfig:
    detractor_nps_max: int = 6
    detractor_csat_max: int = 3
    promoter_nps_min: int = 9
    follow_up_days: int = 1
    resolution_check_days: int = 7
    intervention_days: int = 2
    referral_ask_days: int = 3
    window_days: int = 30
    #: A champion who left: "find a new champion" due this many days later.
    champion_search_days: int = 7


@dataclass(frozen=True)
class NpsConfig:
    role_weights: dict[str, float] = field(
        default_factory=lambda: {
            "economic_buyer": 3.0,
            "champion": 3.0,
            "admin": 2.0,
            "end_user": 1.0,
            "other": 1.0,
        }
    )
    #: A gap this wide (0-10 mean) between account and user NPS is a flag.
    gap_flag: float = 2.0


@dataclass(frozen=True)
class TierConfig:
    #: ARR thresholds that suggest a tier (enterprise > 50k, mid-market 10k-50k, smb < 10k).
    enterprise_arr: float = 50_000.0
    midmarket_arr: float = 10_000.0


@dataclass(frozen=True)
class SignalConfig:
    health_drop_points: float = 15.0
    health_drop_days: int = 30
    renewal_risk_days: int = 60
    triple_signal_days: int = 90
    referral_quiet_days: int = 90
    expansion_after_days: int = 180
    #: Tiers whose accounts are flagged single-threaded (one active contact, or none left).
    single_threaded_tiers: tuple[str, ...] = ("enterprise", "mid-market", "smb")
    #: Tiers whose accounts are flagged when no active contact is the economic buyer
    #: (in a small company the champion usually signs: smb is left out).
    no_economic_buyer_tiers: tuple[str, ...] = ("enterprise", "mid-market")


@dataclass(frozen=True)
class ReviewConfig:
    #: Annual logo-churn targets by tier, in percent (the monthly review shows the actual
    #: churn of the 12 months to the month end against them). The seeds give enterprise
    #: < 5% and SMB < 10%; mid-market's 7% is our default between the two.
    targets: dict[str, float] = field(
        default_factory=lambda: {"enterprise": 5.0, "mid-market": 7.0, "smb": 10.0}
    )


@dataclass(frozen=True)
class RenewalsConfig:
    #: How likely a renewal is to be kept, by health band ("unknown": no health data):
    #: expected retained ARR = sum of ARR x likelihood[band] (docs/rules.md, "Renewals").
    likelihood: dict[str, float] = field(
        default_factory=lambda: {"green": 0.95, "yellow": 0.75, "red": 0.40, "unknown": 0.75}
    )


#: Every remappable key of the terminal app, by binding id.
DEFAULT_KEYS: dict[str, str] = {
    "today": "t",
    "book": "b",
    "kpi": "k",
    "renewals": "r",
    "log": "l",
    "help": "question_mark",
    "quit": "q",
    "back": "escape",
    "mine": "m",
    "today.log": "enter",
    "today.snooze": "s",
    "today.skip": "x",
    "today.open": "o",
    "book.open": "enter",
    "book.filter": "slash",
    "book.green": "G",
    "book.yellow": "Y",
    "book.red": "R",
    "book.tier": "T",
    "book.sort": "s",
    "book.reverse": "S",
    "book.add": "n",
    "kpi.90d": "9",
    "kpi.12m": "y",
    "kpi.custom": "c",
    "kpi.owner": "o",
    "kpi.tier": "T",
    "renewals.open": "enter",
    "renewals.log": "l",
    "account.log": "enter",
    "account.edit": "e",
    "account.contacts": "c",
    "account.delete": "D",
    "book.delete": "D",
    "book.clear_filter": "escape",
    "filter.clear": "escape",
    "filter.to_table": "down",
    # The forms and dialogs (one id where several share the key: remapping it changes all).
    "dialog.cancel": "escape",
    "form.save": "ctrl+s",
    "delete.yes": "y",
    "delete.no": "n",
    "snooze.day": "d",
    "snooze.week": "w",
    "import.back": "escape",
    "import.run": "ctrl+r",
    "import.dry_run": "ctrl+d",
    "welcome.demo": "d",
    "welcome.add": "n",
    "welcome.import": "i",
    "welcome.stay": "escape",
    "help.close": "escape,question_mark,q",
    "quicklog.confirm": "ctrl+y",
    "quicklog.checklist": "tab",
    "checklist.tick": "space",
    "checklist.save": "enter",
}


@dataclass(frozen=True)
class Config:
    health: HealthConfig = field(default_factory=HealthConfig)
    playbook: PlaybookConfig = field(default_factory=PlaybookConfig)
    loop: LoopConfig = field(default_factory=LoopConfig)
    nps: NpsConfig = field(default_factory=NpsConfig)
    tiers: TierConfig = field(default_factory=TierConfig)
    signals: SignalConfig = field(default_factory=SignalConfig)
    renewals: RenewalsConfig = field(default_factory=RenewalsConfig)
    review: ReviewConfig = field(default_factory=ReviewConfig)
    churn_words: tuple[str, ...] = (
        "too expensive",
        "expensive",
        "alternative",
        "competitor",
        # "budget" alone would flag "budget approved": only a lack or a cut is a signal.
        "no budget",
        "budget cut",
        "budget freeze",
        "out of budget",
        "cancel",
        "switch",
        "not renewing",
        "downgrade",
        "price increase",
    )
    #: Who "me" is when a book is shared (team mode): Today and the Book open on the
    #: accounts whose owner is this name (any case); None shows every account.
    me: str | None = None
    #: A Textual theme name, e.g. "textual-light", "nord", "gruvbox" (None: the default).
    theme: str | None = None
    #: Key bindings by binding id (Textual key names: "question_mark", "slash", "ctrl+l").
    keys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_KEYS))
    #: What to cover at each touchpoint kind (``[content.<kind>]``: name, checklist, talk)
    #: and the play added by health band (``[plays.<band>]``); core/content.py.
    content: dict[str, TouchpointContent] = field(default_factory=lambda: dict(DEFAULT_CONTENT))
    plays: dict[str, TouchpointContent] = field(default_factory=lambda: dict(DEFAULT_PLAYS))


DEFAULT = Config()
