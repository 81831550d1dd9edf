"""Every default of docs/domain.md in one place, overridable from a TOML file.

The config file lives at ``<user config dir>/config.toml`` (platformdirs, app name
``bookkeeper``); ``BOOKKEEPER_CONFIG`` points elsewhere. Each TOML table mirrors a
field below, e.g.::

    [health.weights]
    usage = 50
    survey = 0

    [nps.role_weights]
    end_user = 2

    churn_words = ["too expensive", "cancel"]

Unknown keys are an error that names them, so a typo never silently does nothing.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from bookkeeper_tui.core.content import (
    DEFAULT_CONTENT,
    DEFAULT_PLAYS,
    TouchpointContent,
    content_problem,
)

#: The period the KPI panel opens on (the app computes it ahead while the user pauses).
DEFAULT_KPI_PERIOD = "12m"


class ConfigError(ValueError):
    """A config file that cannot be used; the message says which key and how to fix it."""


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


def config_path() -> Path:
    env = os.environ.get("BOOKKEEPER_CONFIG")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("bookkeeper", appauthor=False)) / "config.toml"


def _merge(obj: Any, data: dict[str, Any], where: str) -> Any:
    """Return a copy of dataclass *obj* with *data* applied, checking names and types."""
    names = {f.name: f for f in fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            known = ", ".join(sorted(names))
            raise ConfigError(f"unknown config key '{where}{key}'; known keys here: {known}")
        current = getattr(obj, key)
        path = f"{where}{key}"
        if is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"config key '{path}' must be a table like [{path}]")
            changes[key] = _merge(current, value, path + ".")
        elif isinstance(current, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"config key '{path}' must be a table like [{path}]")
            merged = dict(current)
            for k, v in value.items():
                if k not in current:
                    raise ConfigError(
                        f"unknown config key '{path}.{k}'; known: {', '.join(current)}"
                    )
                proto = current[k]
                merged[k] = _coerce(proto, v, f"{path}.{k}")
            changes[key] = merged
        elif isinstance(current, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"config key '{path}' must be a list of strings")
            changes[key] = tuple(value)
        else:
            changes[key] = _coerce(current, value, path)
    return replace(obj, **changes)


def _coerce(proto: Any, value: Any, path: str) -> Any:
    if is_dataclass(proto):  # an entry of a table of tables, e.g. [content.qbr]
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{path}' must be a table like [{path}]")
        return _merge(proto, value, path + ".")
    if isinstance(proto, dict):
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{path}' must be a table")
        out = dict(proto)
        for k, v in value.items():
            if k not in proto:
                raise ConfigError(f"unknown config key '{path}.{k}'; known: {', '.join(proto)}")
            out[k] = _coerce(proto[k], v, f"{path}.{k}")
        return out
    if proto is None:
        if value is None or isinstance(value, str):
            return value
        raise ConfigError(f"config key '{path}' must be a string, e.g. \"maya\"")
    if isinstance(proto, bool):
        if isinstance(value, bool):
            return value
        raise ConfigError(f"config key '{path}' must be true or false")
    if isinstance(proto, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"config key '{path}' must be a number, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"config key '{path}' must be a finite number, got {value!r}")
        if value < 0:
            raise ConfigError(f"config key '{path}' must not be negative, got {value!r}")
        if value > 1_000_000:
            raise ConfigError(f"config key '{path}' is far too large; use at most 1000000")
        if isinstance(proto, int) and value != int(value):
            raise ConfigError(f"config key '{path}' must be a whole number, got {value!r}")
        return type(proto)(value)
    if isinstance(proto, str):
        if not isinstance(value, str):
            raise ConfigError(f"config key '{path}' must be a string")
        return value
    raise ConfigError(f"config key '{path}' cannot be set from the config file")


#: Touchpoints are planned at most this many days ahead (issue 13 #8).
MAX_HORIZON_DAYS = 3650


def parse_config(text: str, source: str = "config") -> Config:
    """Parse TOML *text* into a Config over the defaults."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{source} is not valid TOML ({exc}); fix that line or delete the file"
        ) from None
    except RecursionError:
        # tomllib recurses per level of nesting: a hostile file must not crash the app.
        raise ConfigError(
            f"{source} nests arrays or tables too deeply to read; no setting needs that, "
            "so fix the file or delete it"
        ) from None
    cfg = _merge(DEFAULT, data, "")
    if cfg.health.green <= cfg.health.yellow:
        raise ConfigError("config: health.green must be above health.yellow")
    if sum(cfg.health.weights.values()) <= 0:
        raise ConfigError("config: health.weights must not all be zero")
    if not 1 <= cfg.playbook.renewal_default_day <= 365:
        raise ConfigError("config: playbook.renewal_default_day must be from 1 to 365")
    if not 1 <= cfg.playbook.horizon_days <= MAX_HORIZON_DAYS:
        raise ConfigError(
            f"config: playbook.horizon_days must be from 1 to {MAX_HORIZON_DAYS} "
            f"(ten years ahead), got {cfg.playbook.horizon_days}"
        )
    for tier, target in cfg.review.targets.items():
        if not 0 < target <= 100:
            raise ConfigError(
                f"config: review.targets.{tier} is an annual churn in percent, from above 0 "
                f"to 100 (e.g. 5 for 5%), got {target:g}"
            )
    for table, entries in (("content", cfg.content), ("plays", cfg.plays)):
        for name, item in entries.items():
            problem = content_problem(item, f"{table}.{name}")
            if problem:
                raise ConfigError(problem)
    for key in ("single_threaded_tiers", "no_economic_buyer_tiers"):
        unknown = [t for t in getattr(cfg.signals, key) if t not in _TIER_NAMES]
        if unknown:
            raise ConfigError(
                f"config: signals.{key} has an unknown tier '{unknown[0]}'; "
                f"use {', '.join(_TIER_NAMES)}"
            )
    bad = {k: v for k, v in cfg.renewals.likelihood.items() if not 0 <= v <= 1}
    if bad:
        key, value = next(iter(bad.items()))
        raise ConfigError(
            f"config: renewals.likelihood.{key} must be from 0 to 1 (0.95 = 95%), got {value}"
        )
    return cfg


#: The tiers (core.vocab.TIERS; spelt here so the config stays free of core imports).
_TIER_NAMES = ("enterprise", "mid-market", "smb")


def load_config(path: Path | None = None) -> Config:
    """Load the user's config file; the defaults when there is none."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return DEFAULT
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path} ({exc}); fix or remove it") from None
    return parse_config(text, str(path))
