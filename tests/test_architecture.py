"""The rings of docs/design.md hold (issue 15): contracts, a pure core, no import cycles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_are_kept():
    """pyproject.toml's [tool.importlinter] contracts: the layers and the pure core.

    In a process of its own: import-linter configures logging, which would switch off the
    loggers of the modules already imported in this one (other tests read their logs).
    """
    code = (
        "import sys\n"
        "from importlinter.cli import lint_imports\n"
        f"sys.exit(lint_imports(config_filename={str(ROOT / 'pyproject.toml')!r}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]


def test_importing_all_of_the_core_loads_no_ui_sql_or_config_loader():
    """In a fresh interpreter: every core module imported, and not one of these with it."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import bookkeeper_tui.core as core\n"
        "for m in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module('bookkeeper_tui.core.' + m.name)\n"
        "heavy = ('textual', 'sqlalchemy', 'sqlmodel', 'platformdirs', 'rich',\n"
        "         'bookkeeper_tui.config', 'bookkeeper_tui.store')\n"
        "print(sorted(h for h in heavy if h in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), run-time imports only."""
    import grimp

    graph = grimp.build_graph("bookkeeper_tui", exclude_type_checking_imports=True)
    modules = sorted(graph.modules)
    edges = {
        m: sorted(i for i in graph.find_modules_directly_imported_by(m) if i in graph.modules)
        for m in modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for m in modules:
        if m not in index:
            visit(m)
    return found


def test_there_are_no_import_cycles():
    assert _cycles() == []
