"""Issue 15 #2 for the state loader and the Book's table: no module over 500 lines, no
function over 80 (decorators and docstring included, as tests/test_sizes_io.py counts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_sizes_io import _long_functions

SRC = Path(__file__).resolve().parent.parent / "src" / "bookkeeper_tui"
MODULES = sorted(
    [
        *SRC.glob("store/state*.py"),
        SRC / "store" / "book" / "table.py",
        SRC / "screens" / "book_table.py",
    ]
)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_module_is_short_and_so_are_its_functions(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 500, f"{path.name} has {lines} lines"
    assert _long_functions(path) == []


def test_the_modules_are_found():
    names = {p.relative_to(SRC).as_posix() for p in MODULES}
    assert {"store/state.py", "store/state_sql.py", "store/state_facts.py"} <= names
