"""Issue 15 #2 for the quick log: its parser (core/quicklog*.py) and its screen
(screens/quick_log.py) have no module over 500 lines and no function over 80 (decorators
and docstring included, counted as tests/test_sizes_all.py counts them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_sizes_all import long_functions as _long_functions

SRC = Path(__file__).resolve().parent.parent / "src" / "bookkeeper_tui"
MODULES = sorted([*SRC.glob("core/quicklog*.py"), SRC / "screens" / "quick_log.py"])


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_module_is_short_and_so_are_its_functions(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 500, f"{path.name} has {lines} lines"
    assert _long_functions(path) == []


def test_the_names_are_still_importable_from_the_parser_module():
    from bookkeeper_tui.core import quicklog

    for name in (
        "EMPTY_LINE", "OUTCOMES", "MAX_TERM_MONTHS", "QuickLogError", "ScoreEntry",
        "NextTouchpoint", "QuickLog", "match_account", "parse_when", "parse_due",
        "parse_quicklog", "account_candidates", "_key", "_tokenize", "_resolve_account",
        "_parse", "_name_index", "_Tok", "_show", "_err", "_money", "_term", "_role",
    ):  # fmt: skip
        assert hasattr(quicklog, name), name
