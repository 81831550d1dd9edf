"""Issue 15 #2 for the Account and KPI screens: no module over 500 lines, no function over
80 (decorators and docstring included), and the names tests and the app import from
``screens.account`` and ``screens.kpi`` still come from there."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_sizes_all import long_functions as _long_functions

SCREENS = Path(__file__).resolve().parent.parent / "src" / "bookkeeper_tui" / "screens"
MODULES = sorted(
    [*SCREENS.glob("account.py"), *SCREENS.glob("account_*.py"), *SCREENS.glob("kpi*.py")]
)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_is_short_and_so_are_its_functions(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 500, f"{path.name} has {lines} lines"
    assert _long_functions(path) == []


def test_the_modules_are_found():
    names = {p.name for p in MODULES}
    assert {"account.py", "kpi.py"} <= names


def test_the_names_are_importable_from_the_screen_modules():
    from bookkeeper_tui.screens import account, kpi

    for name in ("AccountScreen", "AccountData", "load_account", "start_loading", "entry_text"):
        assert hasattr(account, name), name
    for name in ("KpiScreen", "PeriodScreen", "health_bar", "normalise_period", "period_label"):
        assert hasattr(kpi, name), name
    for name in ("fmt_nps", "fmt_pct", "KpiData", "owner_cycle", "cut_label"):
        assert hasattr(kpi, name), name
