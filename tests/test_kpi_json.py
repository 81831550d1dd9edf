"""``bookkeeper kpi --json`` stays byte for byte what it was when ``Book.kpi`` returned a
dict (issue 15 #3: the store returns a ``KpiPanel``, the JSON is made in ``cli/shapes.py``).

The expected outputs in ``tests/fixtures/kpi_json`` were written by the dict-returning code
on the session's demo book at TODAY, one per period and cut the other tests use.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bookkeeper_tui.cli import main
from tests.conftest import TODAY

FIXTURES = Path(__file__).parent / "fixtures" / "kpi_json"

#: name -> the command's arguments after ``kpi --json --as-of TODAY``.
CASES: dict[str, list[str]] = {
    "12m": [],
    "90d": ["--period", "90d"],
    "6m": ["--period", "6m"],
    "30d": ["--period", "30d"],
    "2w": ["--period", "2w"],
    "2y": ["--period", "2y"],
    "12m-maya": ["--owner", "maya"],
    "12m-luis": ["--owner", "luis"],
    "90d-no-owner": ["--period", "90d", "--owner", ""],
    "12m-smb": ["--tier", "smb"],
    "12m-mid-market": ["--tier", "mid-market"],
    "90d-enterprise": ["--period", "90d", "--tier", "enterprise"],
    "12m-maya-mid-market": ["--owner", "maya", "--tier", "mid-market"],
    "12m-nobody-smb": ["--owner", "nobody", "--tier", "smb"],
}


@pytest.fixture
def demo_db(demo_template, tmp_path) -> str:
    target = tmp_path / "demo.db"
    src, dst = sqlite3.connect(demo_template), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return str(target)


@pytest.mark.parametrize("name", list(CASES))
def test_kpi_json_is_byte_identical(demo_db, capsys, name):
    args = ["kpi", "--json", "--as-of", TODAY.isoformat(), *CASES[name], "--db", demo_db]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out == (FIXTURES / f"{name}.json").read_text(encoding="utf-8")
