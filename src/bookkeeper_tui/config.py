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
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from bookkeeper_tui.core.content import (
    content_problem,
)
from bookkeeper_tui.core.settings import (  # noqa: F401  (the settings, re-exported)
    DEFAULT,
    DEFAULT_KEYS,
    DEFAULT_KPI_PERIOD,
    Config,
    HealthConfig,
    LoopConfig,
    NpsConfig,
    PlaybookConfig,
    RenewalsConfig,
    ReviewConfig,
    SignalConfig,
    TierConfig,
)


class ConfigError(ValueError):
    """A config file that cannot be used; the message says which key and how to fix it."""


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
