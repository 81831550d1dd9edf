"""Issue 15 #2 for the whole tree: no source module (src/ and benchmarks/) over 500 lines,
no function over 80 (decorators and docstring included). The per-package size tests say
which split did what; this one keeps a new module from growing past the limit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(
    p for d in ("src", "benchmarks") for p in (ROOT / d).rglob("*.py") if "egg-info" not in str(p)
)


def test_the_tree_is_found():
    assert len(MODULES) > 100


def long_functions(path: Path) -> list[str]:
    """The functions of *path* over 80 lines (decorators and docstring included)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = node.end_lineno - first + 1
            if length > 80:
                out.append(f"{node.name} ({length} lines)")
    return out


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_and_function_sizes(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 500, f"{path.name} has {lines} lines"
    assert long_functions(path) == [], path.name
