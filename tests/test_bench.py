"""The benchmark scripts (issue 16, issue 15 #2): ``benchmarks/bench.py --json`` on a tiny
demo book gives every key and verdict of issue 16; ``startup.py`` gives its verdicts in the
same shape; the scripts stay within the size rules. No test here asserts a time: the
benchmark prints verdicts, it does not fail on them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_sizes_all import long_functions as _long_functions

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

from benchkit.report import MUSTS, startup_verdicts  # noqa: E402
from benchkit.steps import PASTE_CHARS, paste_line  # noqa: E402

pytestmark = pytest.mark.xdist_group("bench")

#: Issue 16's Musts measured by bench.py itself; the other two come from startup.py.
HERE = {
    "book_open_ms",
    "cli_today_s",
    "cli_log_s",
    "quicklog_p95_ms",
    "kpi_computed_ms",
    "kpi_remembered_ms",
    "paste_echo_ms",
    "renewals_ms",
    "review_s",
}
FROM_STARTUP = {"ratio_median", "app_peak_rss_after_tour_mib"}


@pytest.fixture(scope="module")
def bench_json(tmp_path_factory) -> dict:
    db = tmp_path_factory.mktemp("bench") / "tiny.db"
    argv = [
        sys.executable,
        str(BENCH / "bench.py"),
        "--json",
        "--db",
        str(db),
        "--accounts",
        "30",
        "--repeat",
        "2",
        "--repeat-slow",
        "1",
        "--repeat-cli",
        "1",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_every_must_of_issue_16_has_a_verdict():
    assert set(MUSTS) == HERE | FROM_STARTUP
    for key in FROM_STARTUP:
        assert MUSTS[key]["measured_by"] == "benchmarks/startup.py"
    assert {key: MUSTS[key]["must"] for key in MUSTS} == {
        "book_open_ms": 150,
        "cli_today_s": 0.35,
        "cli_log_s": 0.35,
        "quicklog_p95_ms": 15,
        "kpi_computed_ms": 150,
        "kpi_remembered_ms": 30,
        "paste_echo_ms": 100,
        "renewals_ms": 300,
        "review_s": 3,
        "ratio_median": 1.0,
        "app_peak_rss_after_tour_mib": 150,
    }


def test_bench_json_has_every_key_and_verdict(bench_json):
    out = bench_json
    assert out["errors"] == {}
    assert out["accounts"] == 30
    for key in HERE:
        assert isinstance(out[key], int | float), key
        v = out["verdicts"][key]
        assert v["value"] == out[key]
        assert v["must"] == MUSTS[key]["must"]
        assert v["pass"] is (out[key] <= v["must"])
    for key in FROM_STARTUP:
        v = out["verdicts"][key]
        assert v["value"] is None and v["pass"] is None
        assert v["measured_by"] == "benchmarks/startup.py"
    # The command line is timed against `python -c pass` in the same rounds.
    assert isinstance(out["python_pass_s"], float)
    assert out["cli_today_x_python"] == round(out["cli_today_s"] / out["python_pass_s"], 2)
    for key in ("python_pass_ms", "cli_today_ms", "cli_log_ms"):
        assert out["samples"][key]["n"] == 1
    assert out["cli_today_rows"] and out["cli_today_rows"] > 0
    assert out["paste_chars"] == PASTE_CHARS
    assert out["samples"]["paste_echo_ms"]["n"] == 2
    # The clearer KPI names carry the same numbers as the older ones.
    assert out["kpi_computed_ms"] == out["kpi_cold_ms"]
    assert out["kpi_remembered_ms"] == out["kpi_ms"]
    # The older targets are still reported, for comparison with older runs.
    assert {"quicklog_p95_ms", "kpi_cold_ms", "timeline_open_ms"} <= set(out["targets"])


def test_startup_verdicts_have_the_same_shape():
    out = {"ratio_median": 0.93, "app_peak_rss_after_tour_mib": 151.0, "book_open_ms": 1.0}
    got = startup_verdicts(out)
    assert set(got) == FROM_STARTUP
    assert got["ratio_median"]["value"] == 0.93
    assert got["ratio_median"]["pass"] is True
    assert got["app_peak_rss_after_tour_mib"]["pass"] is False
    assert startup_verdicts({})["ratio_median"]["pass"] is None


@pytest.mark.parametrize("name", ["Acme Corp", "", "x" * 300, "Zoë & Søn"])
def test_the_paste_is_200_characters_on_one_line(name):
    line = paste_line(name)
    assert len(line) == PASTE_CHARS
    assert "\n" not in line


SCRIPTS = sorted(BENCH.glob("*.py")) + sorted((BENCH / "benchkit").glob("*.py"))


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(BENCH)))
def test_benchmark_modules_are_short_and_so_are_their_functions(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 500, f"{path.name} has {lines} lines"
    assert _long_functions(path) == []


def test_startup_launches_write_bytecode_as_a_users_machine_does(tmp_path, monkeypatch):
    """With PYTHONDONTWRITEBYTECODE set (as here), every timed launch of the editable app
    recompiled its own modules while pip-installed VisiData read its .pyc: the launch
    environment drops it, for both programs."""
    import startup

    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = startup.launch_env(tmp_path)
    out = subprocess.run(
        [
            *env,
            sys.executable,
            "-c",
            "import os, sys; print(sys.dont_write_bytecode, os.environ['BOOKKEEPER_CONFIG'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["False", str(tmp_path / "no-config.toml")]
