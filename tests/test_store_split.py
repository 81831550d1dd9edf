"""Issue 15 #2: the book and the demo builder are packages of small modules, and every
name the rest of the code imports from ``bookkeeper_tui.store.book`` still comes from there."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

STORE = Path(__file__).resolve().parents[1] / "src" / "bookkeeper_tui" / "store"
MODULES = sorted([*(STORE / "book").glob("*.py"), *(STORE / "demo").glob("*.py")])
MAX_LINES = 500
MAX_FUNCTION_LINES = 80


def test_the_book_and_the_demo_are_packages():
    assert not (STORE / "book.py").exists()
    assert not (STORE / "demo.py").exists()
    assert (STORE / "book" / "__init__.py").is_file()
    assert (STORE / "demo" / "__init__.py").is_file()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_module_over_500_lines_nor_function_over_80(path):
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_LINES
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_every_name_is_importable_from_the_old_paths():
    from bookkeeper_tui.store import book
    from bookkeeper_tui.store.demo import build_demo
    from bookkeeper_tui.store.errors import BookError, ConflictError
    from bookkeeper_tui.store.rows import TodayRow

    for name in (
        "Book",
        "LogResult",
        "Owners",
        "EDITABLE_FIELDS",
        "parse_tier",
        "parse_iso",
        "rows_said",
        "int_type",
        "_r",
        "_ACCOUNT_ROWS",
        "REPLAN_BATCH",
        "KpiKey",
    ):
        assert hasattr(book, name), name
    assert book.BookError is BookError and book.ConflictError is ConflictError
    assert book.TodayRow is TodayRow
    assert callable(build_demo)
    # The Book has every public method it had as one class.
    for method in (
        "open",
        "sync",
        "record",
        "log",
        "show",
        "kpi",
        "renewals",
        "add_account",
        "update_account",
        "delete_account",
        "set_contact_role",
        "account_brief",
    ):
        assert callable(getattr(book.Book, method)), method
