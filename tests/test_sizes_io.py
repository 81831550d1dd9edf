"""Issue 15 #2 for the importer and the review renderers: no module over 500 lines, no
function over 80 (decorators and docstring included)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

IO = Path(__file__).resolve().parent.parent / "src" / "bookkeeper_tui" / "io"
MODULES = sorted([*IO.glob("importer*.py"), *IO.glob("importer/**/*.py"), *IO.glob("review*.py")])


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = node.end_lineno - first + 1
            if length > 80:
                out.append(f"{node.name} ({length} lines)")
    return out


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(IO)))
def test_module_is_short_and_so_are_its_functions(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 500, f"{path.name} has {lines} lines"
    assert _long_functions(path) == []


def test_the_modules_are_found():
    names = {p.relative_to(IO).as_posix() for p in MODULES}
    assert {"review.py", "importer/__init__.py", "importer/run.py"} <= names
