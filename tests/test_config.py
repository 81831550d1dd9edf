"""Config: TOML over the defaults, strict key and type checks, file location."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bookkeeper_tui.config import (
    DEFAULT,
    Config,
    ConfigError,
    config_path,
    load_config,
    parse_config,
)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_text_gives_defaults(text: str) -> None:
    assert parse_config(text) == DEFAULT == Config()


def test_override_health_weights() -> None:
    cfg = parse_config("[health.weights]\nusage = 50\nsurvey = 0\n")
    assert cfg.health.weights == {
        "usage": 50.0,
        "engagement": 25.0,
        "support": 20.0,
        "survey": 0.0,
        "strength": 5.0,
    }
    assert isinstance(cfg.health.weights["usage"], float)
    # Nothing else moved, and the defaults were not mutated.
    assert cfg.playbook == DEFAULT.playbook
    assert DEFAULT.health.weights["usage"] == 40.0


@pytest.mark.parametrize(
    ("text", "get", "expected"),
    [
        (
            "[health]\ngreen = 80\nyellow = 50\n",
            lambda c: (c.health.green, c.health.yellow),
            (80.0, 50.0),
        ),
        ("[health]\nticket_window_days = 14\n", lambda c: c.health.ticket_window_days, 14),
        ("[nps.role_weights]\nend_user = 2\n", lambda c: c.nps.role_weights["end_user"], 2.0),
        (
            "[playbook.cadence_months.enterprise]\ncheck_in = 2\n",
            lambda c: c.playbook.cadence_months["enterprise"],
            {"check_in": 2, "qbr": 3},
        ),
        (
            "[playbook]\ncadence_months = { smb = { check_in = 4 } }\n",
            lambda c: c.playbook.cadence_months,
            {
                "enterprise": {"check_in": 1, "qbr": 3},
                "mid-market": {"qbr": 3},
                "smb": {"check_in": 4},
            },
        ),
        ("[playbook.onboarding]\nwelcome = 2\n", lambda c: c.playbook.onboarding["welcome"], 2),
        ("[loop]\nfollow_up_days = 3\n", lambda c: c.loop.follow_up_days, 3),
        ("[tiers]\nenterprise_arr = 100000\n", lambda c: c.tiers.enterprise_arr, 100_000.0),
        ("[signals]\nrenewal_risk_days = 45\n", lambda c: c.signals.renewal_risk_days, 45),
        (
            'churn_words = ["too expensive", "cancel"]\n',
            lambda c: c.churn_words,
            ("too expensive", "cancel"),
        ),
        ("churn_words = []\n", lambda c: c.churn_words, ()),
        ('me = "alice"\n', lambda c: c.me, "alice"),
    ],
)
def test_overrides(text: str, get: Callable[[Config], object], expected: object) -> None:
    assert get(parse_config(text)) == expected


def test_override_keeps_types() -> None:
    cfg = parse_config("[health]\ngreen = 80\n[loop]\nfollow_up_days = 3\n")
    assert type(cfg.health.green) is float
    assert type(cfg.loop.follow_up_days) is int


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("colour = 1\n", "colour"),
        ("[helth]\ngreen = 80\n", "helth"),
        ("[health]\ngren = 80\n", "health.gren"),
        ("[health.weights]\nusag = 50\n", "health.weights.usag"),
        ("[nps.role_weights]\nceo = 3\n", "nps.role_weights.ceo"),
        ("[playbook.cadence_months]\nstartup = { qbr = 3 }\n", "playbook.cadence_months.startup"),
        ("[playbook.cadence_months.smb]\nqbr = 3\n", "playbook.cadence_months.smb.qbr"),
        ("[loop]\nfollowup_days = 1\n", "loop.followup_days"),
    ],
)
def test_unknown_key_is_named(text: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert f"'{key}'" in str(err.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[health]\ngreen = "high"\n', "health.green"),
        ("[health]\ngreen = -1\n", "health.green"),
        ("[health]\ngreen = true\n", "health.green"),
        ("[health.weights]\nusage = false\n", "health.weights.usage"),
        ('[health.weights]\nusage = "50"\n', "health.weights.usage"),
        ("[health.weights]\nusage = -5\n", "health.weights.usage"),
        ("[loop]\nfollow_up_days = -1\n", "loop.follow_up_days"),
        ("[loop]\nfollow_up_days = [1]\n", "loop.follow_up_days"),
        (
            "[playbook.cadence_months.enterprise]\nqbr = true\n",
            "playbook.cadence_months.enterprise.qbr",
        ),
        ("[playbook.cadence_months]\nenterprise = 3\n", "playbook.cadence_months.enterprise"),
        ("health = 5\n", "health"),
        ("[[health]]\ngreen = 80\n", "health"),
        ("[health]\nweights = 5\n", "health.weights"),
        ('churn_words = "cancel"\n', "churn_words"),
        ("churn_words = [1, 2]\n", "churn_words"),
        ("me = 5\n", "me"),
    ],
)
def test_wrong_type_is_named(text: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert f"'{key}'" in str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        # Non-finite floats are valid TOML but not usable numbers.
        pytest.param("[loop]\nfollow_up_days = inf\n", id="int-field-inf"),
        pytest.param("[loop]\nfollow_up_days = nan\n", id="int-field-nan"),
        pytest.param("[playbook.cadence_months.smb]\ncheck_in = inf\n", id="nested-int-inf"),
        pytest.param("[health]\ngreen = nan\n", id="float-field-nan"),
        pytest.param("[health]\ngreen = inf\n", id="float-field-inf"),
        pytest.param("[health.weights]\nusage = nan\n", id="weight-nan"),
        # An integer too large for a float field (TOML integers are unbounded for tomllib).
        pytest.param("[health]\ngreen = " + "1" * 400 + "\n", id="float-field-huge-int"),
    ],
)
def test_non_finite_or_huge_number_is_config_error(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_config(text)


@pytest.mark.parametrize(
    "text",
    ["[health\n", "green = \n", "a = 1\na = 2\n", "= 3\n", 'churn_words = ["x",\n'],
)
def test_invalid_toml_names_source(text: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, source="/home/me/.config/bookkeeper/config.toml")
    assert "/home/me/.config/bookkeeper/config.toml" in str(err.value)


@pytest.mark.parametrize(
    ("green", "yellow"),
    [(60, 60), (50, 60), (0, 0), (75, 75.0)],
)
def test_green_must_be_above_yellow(green: float, yellow: float) -> None:
    with pytest.raises(ConfigError, match="green"):
        parse_config(f"[health]\ngreen = {green}\nyellow = {yellow}\n")


def test_green_just_above_yellow_is_fine() -> None:
    cfg = parse_config("[health]\ngreen = 60.5\nyellow = 60\n")
    assert (cfg.health.green, cfg.health.yellow) == (60.5, 60.0)


def test_all_zero_weights_rejected() -> None:
    text = "[health.weights]\nusage = 0\nengagement = 0\nsupport = 0\nsurvey = 0\nstrength = 0\n"
    with pytest.raises(ConfigError, match="weights"):
        parse_config(text)


# --- loading from a file ---------------------------------------------------------------------


def test_load_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / "nope.toml") is DEFAULT


def test_load_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[loop]\nfollow_up_days = 2\n", encoding="utf-8")
    assert load_config(path).loop.follow_up_days == 2


def test_load_invalid_toml_names_path(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[loop\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)


def test_load_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'me = "\xff\xfe"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)


def test_config_path_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere.toml"
    monkeypatch.setenv("BOOKKEEPER_CONFIG", str(target))
    assert config_path() == target


def test_config_path_env_expands_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("BOOKKEEPER_CONFIG", "~/bk.toml")
    assert config_path() == tmp_path / "bk.toml"


def test_config_path_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOOKKEEPER_CONFIG", raising=False)
    path = config_path()
    assert path.name == "config.toml"
    assert "bookkeeper" in path.parts


def test_config_path_empty_env_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOKKEEPER_CONFIG", "")
    assert config_path().name == "config.toml"


def test_load_config_uses_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bk.toml"
    path.write_text('me = "bob"\n', encoding="utf-8")
    monkeypatch.setenv("BOOKKEEPER_CONFIG", str(path))
    assert load_config().me == "bob"
    monkeypatch.setenv("BOOKKEEPER_CONFIG", str(tmp_path / "missing.toml"))
    assert load_config() is DEFAULT


# --- never anything but ConfigError ----------------------------------------------------------


def _parse_or_config_error(text: str) -> None:
    try:
        cfg = parse_config(text)
    except ConfigError:
        return
    assert isinstance(cfg, Config)


@settings(max_examples=300)
@given(st.text())
def test_arbitrary_text_only_config_error(text: str) -> None:
    _parse_or_config_error(text)


_KEYS = [
    "health.green",
    "health.yellow",
    "health.ticket_window_days",
    "health.weights.usage",
    "health.cadence_days.smb",
    "playbook.nps_every_months",
    "playbook.cadence_months.enterprise.qbr",
    "loop.follow_up_days",
    "nps.role_weights.admin",
    "tiers.enterprise_arr",
    "churn_words",
    "me",
    "unknown",
]
_VALUES = st.one_of(
    st.sampled_from(["inf", "-inf", "nan", "true", "false", "[]", "{}", '"x"', '["a", 1]']),
    st.integers(min_value=-(10**400), max_value=10**400).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from(_KEYS), _VALUES), max_size=4))
def test_structured_toml_only_config_error(pairs: list[tuple[str, str]]) -> None:
    """Valid TOML over real keys with hostile values: a Config or a ConfigError, nothing else."""
    seen: set[str] = set()
    lines = []
    for key, value in pairs:
        if key not in seen:  # a repeated key would only test the TOML parser
            seen.add(key)
            lines.append(f"{key} = {value}")
    _parse_or_config_error("\n".join(lines))


@pytest.mark.parametrize("days", [0, 3651, 999_999])
def test_horizon_days_is_bounded(days):
    """Issue 13 #8: a horizon of 0 or of centuries is a config error, not a stuck sync."""
    with pytest.raises(ConfigError, match=r"horizon_days must be from 1 to 3650"):
        parse_config(f"[playbook]\nhorizon_days = {days}\n")


@pytest.mark.parametrize("days", [1, 3650])
def test_horizon_days_edges_are_fine(days):
    assert parse_config(f"[playbook]\nhorizon_days = {days}\n").playbook.horizon_days == days


def test_deeply_nested_config_is_a_clear_error():
    """Issue 13 #8: tomllib's RecursionError became 'unexpected error'."""
    text = "a = " + "[" * 100_000 + "]" * 100_000 + "\n"
    with pytest.raises(ConfigError, match="nests arrays or tables too deeply"):
        parse_config(text)


def test_renewal_likelihoods_default_and_override() -> None:
    assert DEFAULT.renewals.likelihood == {
        "green": 0.95,
        "yellow": 0.75,
        "red": 0.40,
        "unknown": 0.75,
    }
    cfg = parse_config("[renewals.likelihood]\nred = 0.3\nunknown = 0.5\n")
    assert cfg.renewals.likelihood == {"green": 0.95, "yellow": 0.75, "red": 0.3, "unknown": 0.5}


@pytest.mark.parametrize(
    "text, key",
    [
        ("[renewals.likelihood]\nred = 1.5\n", "renewals.likelihood.red"),
        ("[renewals.likelihood]\npurple = 0.5\n", "renewals.likelihood.purple"),
        ('[renewals.likelihood]\ngreen = "high"\n', "renewals.likelihood.green"),
    ],
)
def test_bad_renewal_likelihood_is_named(text: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        parse_config(text)
