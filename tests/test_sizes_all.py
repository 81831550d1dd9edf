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


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_and_function_sizes(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 500, f"{path.name} has {len(text.splitlines())} lines"
    long = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            length = node.end_lineno - first + 1
            if length > 80:
                long.append(f"{node.name} ({length} lines)")
    assert not long, f"{path.name}: {', '.join(long)}"
