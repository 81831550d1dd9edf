"""The command line as scripts use it: exit codes, one-sentence errors, --json shapes."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bookkeeper_tui import __version__

pytestmark = pytest.mark.both_backends

AS_OF = "2026-11-24"


DEMO = ("demo", "--accounts", "40", "--seed", "3", "--as-of", AS_OF)


def _make_demo(location: str, tmp: Path) -> None:
    """`bookkeeper demo` (DEMO) on the empty book at *location*, with no config file."""
    from bookkeeper_tui.cli import main

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOOKKEEPER_CONFIG", str(tmp / "no-config.toml"))
        mp.delenv("BOOKKEEPER_DB", raising=False)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*DEMO, "--db", location])
    assert code == 0, err.getvalue()


@pytest.fixture(scope="session")
def sqlite_demo(tmp_path_factory):
    """The DEMO book as an SQLite file, made once per session (then copied)."""
    path = tmp_path_factory.mktemp("cli-demo") / "book.db"
    _make_demo(str(path), path.parent)
    return path


@pytest.fixture(scope="session")
def pg_demo(pg_server, tmp_path_factory):
    """The DEMO book as a PostgreSQL database, made once per session (then copied)."""
    name = pg_server.create_database()
    _make_demo(pg_server.url(name), tmp_path_factory.mktemp("cli-demo-pg"))
    with pg_server.admin() as con:  # a template must have no connection left
        con.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
    yield name
    pg_server.drop_database(name)


@pytest.fixture
def demo(cli, db, backend, request):
    """The CLI on a book where `bookkeeper demo` (DEMO) has run: a copy of the one made
    for the session on this backend, as that takes about a second."""
    if backend == "postgresql":
        server, template = request.getfixturevalue("pg_server"), request.getfixturevalue("pg_demo")
        name = make_url(db).database
        server.drop_database(name)  # the empty one pg_db made; same name, now the demo
        server.create_database(name, template=template)
    else:
        made = request.getfixturevalue("sqlite_demo")
        src, dst = sqlite3.connect(made), sqlite3.connect(db)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        # The daily backup `bookkeeper demo` took of the empty book, as if it ran here.
        if (made.parent / "backups").exists():
            shutil.copytree(made.parent / "backups", Path(db).parent / "backups")
    return cli


def test_version(cli):
    with pytest.raises(SystemExit) as exc:
        cli("--version")
    assert exc.value.code == 0


def test_python_dash_m_runs_the_cli(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "bookkeeper_tui", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"bookkeeper {__version__}"


def test_core_does_not_import_textual():
    code = (
        "import sys, bookkeeper_tui.store.models, bookkeeper_tui.core.health, "
        "bookkeeper_tui.core.kpi, bookkeeper_tui.core.nps, bookkeeper_tui.core.quicklog, "
        "bookkeeper_tui.core.playbook, bookkeeper_tui.core.loop, bookkeeper_tui.core.signals, "
        "bookkeeper_tui.store.book, bookkeeper_tui.cli; "
        "assert 'textual' not in sys.modules, 'textual imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_command_opens_the_app_on_the_book(cli, monkeypatch, db):
    opened = []
    monkeypatch.setattr(
        "bookkeeper_tui.app.run_app", lambda book, config: opened.append(book.location)
    )
    assert cli().code == 0
    if "://" in db:  # the printable location never shows the password
        from sqlalchemy.engine import make_url

        db = make_url(db).render_as_string(hide_password=True)
        assert "***" in db
    assert opened == [db]


def test_demo_refuses_a_non_empty_book_without_force(demo):
    r = demo("demo", "--as-of", AS_OF)
    assert r.code == 2 and "--force" in r.err
    assert demo("demo", "--force", "--accounts", "5", "--as-of", AS_OF).code == 0
    assert len(demo("accounts", "--json", "--as-of", AS_OF).json()) == 5


def test_demo_is_deterministic(tmp_path, capsys):
    from bookkeeper_tui.cli import main

    outs = []
    for n in (1, 2):
        db = str(tmp_path / f"d{n}.db")
        assert main(["demo", "--seed", "11", "--as-of", AS_OF, "--db", db]) == 0
        capsys.readouterr()
        assert main(["accounts", "--json", "--as-of", AS_OF, "--db", db]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1]


def test_demo_has_every_band_and_kpi(demo):
    accounts = demo("accounts", "--json", "--as-of", AS_OF).json()
    assert len(accounts) == 40
    assert {a["band"] for a in accounts} >= {"green", "yellow", "red"}
    assert {a["tier"] for a in accounts} == {"enterprise", "mid-market", "smb"}
    k = demo("kpi", "--json", "--as-of", AS_OF).json()
    for key in (
        "nrr",
        "grr",
        "logo_churn",
        "nps",
        "account_nps",
        "user_nps",
        "qbr_completion",
        "on_time_rate",
    ):
        assert k[key] is not None, key
    assert k["expansion_mrr"] > 0 and k["contraction_mrr"] > 0 and k["churned_mrr"] > 0
    assert any("churn_language" in a["flags"] for a in accounts)


def test_json_shapes(demo):
    today = demo("today", "--json", "--as-of", AS_OF).json()
    assert today, "the demo book should have something due"
    assert set(today[0]) >= {"account", "kind", "due", "days_overdue", "tier", "health"}
    overdue = [r["days_overdue"] for r in today]
    assert overdue == sorted(overdue, reverse=True)

    accounts = demo("accounts", "--json", "--as-of", AS_OF).json()
    assert set(accounts[0]) >= {
        "name",
        "external_id",
        "tier",
        "mrr",
        "health",
        "band",
        "last_touch",
        "next_touchpoint",
        "renewal",
    }
    reds = demo("accounts", "--json", "--health", "red", "--as-of", AS_OF).json()
    assert reds and all(a["band"] == "red" for a in reds)
    smb = demo("accounts", "--json", "--tier", "smb", "--as-of", AS_OF).json()
    assert smb and all(a["tier"] == "smb" for a in smb)

    show = demo("show", accounts[0]["name"], "--json", "--as-of", AS_OF).json()
    assert set(show) >= {"name", "tier", "mrr", "health", "contacts", "touchpoints", "timeline"}
    assert set(show["health"]) >= {"score", "band", "components"}
    assert set(show["health"]["components"][0]) >= {"name", "value", "weight"}

    k = demo("kpi", "--json", "--as-of", AS_OF).json()
    assert set(k) >= {
        "period",
        "starting_mrr",
        "nrr",
        "grr",
        "logo_retention",
        "logo_churn",
        "expansion_mrr",
        "contraction_mrr",
        "churned_mrr",
        "new_mrr",
        "nps",
        "account_nps",
        "user_nps",
        "health",
        "qbr_completion",
        "on_time_rate",
    }
    assert set(k["period"]) == {"start", "end"}
    assert k["period"]["start"] == "2025-11-24"
    assert set(k["health"]) == {"green", "yellow", "red"}
    assert k["grr"] <= k["nrr"] and k["grr"] <= 1


def test_human_output_runs(demo):
    for args in (("today",), ("accounts",), ("show", "acme"), ("kpi", "--period", "90d")):
        r = demo(*args, "--as-of", AS_OF)
        assert r.code == 0 and r.out.strip(), args


def test_scenario_detractor_end_to_end(demo):
    r = demo(
        "log",
        'initech qbr with Bob nps 4 "too expensive, evaluating an alternative"',
        "--as-of",
        AS_OF,
    )
    assert r.code == 0, r.err
    assert "follow up due 2026-11-25" in r.out
    assert "resolution check due 2026-12-01" in r.out
    assert "too expensive" in r.out
    show = demo("show", "initech", "--json", "--as-of", AS_OF).json()
    top = show["timeline"][0]
    assert top["type"] in ("interaction", "score")
    entry = next(e for e in show["timeline"] if e["type"] == "interaction")
    assert entry["churn_terms"] == ["too expensive", "alternative"]
    due = {(t["kind"], t["due"]) for t in show["touchpoints"]}
    assert ("follow_up", "2026-11-25") in due and ("resolution_check", "2026-12-01") in due


def test_log_json(demo):
    r = demo("log", "globex call with Priya nps 9 next qbr 2027-01-15", "--json", "--as-of", AS_OF)
    assert r.code == 0, r.err
    data = r.json()
    assert data["account"] == "Globex Ltd"
    assert data["next"] == {"kind": "qbr", "due": "2027-01-15"}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("log", "nosuchco call"), "nosuchco"),
        (("log", "acme nps 11"), "11"),
        (("log", "acme @2026-02-30"), "2026-02-30"),
        (("log", "acme call nsp 9"), "nsp"),
        (("log", "acme mrr -40"), "negative"),
        (("log", "a call"), "several accounts"),
        (("show", "nosuchco"), "nosuchco"),
        (("add", "acme corp", "--tier", "smb", "--start", "2026-01-01"), "already exists"),
        (("add", "Newco", "--tier", "gold", "--start", "2026-01-01"), "tier"),
        (("add", "Newco", "--start", "01/02/2026"), "YYYY-MM-DD"),
        (("add", "Newco", "--start", "2026-01-01", "--mrr", "-3"), "zero or more"),
        (("today", "--as-of", "yesterday"), "YYYY-MM-DD"),
        (("kpi", "--period", "forever"), "period"),
        (("accounts", "--health", "purple"), "purple"),
        (("frobnicate",), "frobnicate"),
    ],
)
def test_bad_input_exits_2_with_one_sentence(demo, args, needle):
    r = demo(*args)
    assert r.code == 2, (r.out, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert needle in lines[0]
    assert "Traceback" not in r.err


def test_failed_log_changes_nothing(demo):
    before = demo("show", "acme", "--json", "--as-of", AS_OF).json()
    r = demo("log", 'acme qbr with Newbie nps 99 "x" next call +1w', "--as-of", AS_OF)
    assert r.code == 2
    after = demo("show", "acme", "--json", "--as-of", AS_OF).json()
    assert after == before


def test_unreadable_location_is_a_clear_runtime_error(tmp_path, capsys):
    from bookkeeper_tui.cli import main

    if os.geteuid() == 0:
        target = "/proc/definitely/not/here/book.db"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = str(locked / "sub" / "book.db")
    code = main(["today", "--db", target])
    err = capsys.readouterr().err
    assert code == 1
    assert "--db" in err and "Traceback" not in err


def test_a_file_that_is_not_a_book_is_a_clear_error(tmp_path, capsys):
    from bookkeeper_tui.cli import main

    junk = tmp_path / "notes.txt"
    junk.write_bytes(b"these are my notes, not a database\n" * 200)
    before = junk.read_bytes()
    assert main(["today", "--db", str(junk)]) == 1
    err = capsys.readouterr().err
    assert "not a Bookkeeper book" in err and "Traceback" not in err
    assert junk.read_bytes() == before


@pytest.mark.sqlite_only
def test_any_command_keeps_a_daily_backup(cli, db_path):
    from datetime import date

    assert cli("add", "Acme", "--tier", "smb", "--start", "2026-01-01").code == 0
    assert cli("today").code == 0
    daily = db_path.parent / "backups" / "daily"
    assert [p.name for p in daily.iterdir()] == [f"book-{date.today().isoformat()}.db"]


def test_an_account_with_only_mrr_has_not_enough_data(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one table row per line
    # An imported legacy account: no conversation, no usage, no survey, just MRR.
    assert cli("add", "Legacy", "--tier", "smb", "--start", "2024-01-01", "--mrr", "500").code == 0
    shown = cli("show", "Legacy", "--json", "--as-of", "2026-11-24").json()
    assert shown["health"]["score"] is None and shown["health"]["band"] is None
    assert "engagement" in shown["health"]["missing"]
    assert "intervention" not in {t["kind"] for t in shown["touchpoints"]}
    text = cli("show", "Legacy", "--as-of", "2026-11-24").out
    assert "not enough data" in text and "red" not in text
    rows = cli("accounts", "--json", "--as-of", "2026-11-24").json()
    assert [(r["name"], r["band"]) for r in rows] == [("Legacy", None)]
    assert cli("accounts", "--health", "red", "--json", "--as-of", "2026-11-24").json() == []
    assert "not enough data" in cli("accounts", "--as-of", "2026-11-24").out
    today = cli("today", "--json", "--as-of", "2026-11-24").json()
    assert "intervention" not in {r["kind"] for r in today}  # playbook steps are fine


@pytest.mark.parametrize("period", ["12m", "90d", "6m"])
def test_kpi_top_line_is_the_sum_of_its_months_and_short_churn_is_labelled(demo, period):
    k = demo("kpi", "--json", "--as-of", AS_OF, "--period", period).json()
    for key, column in (
        ("new_mrr", "new"),
        ("expansion_mrr", "expansion"),
        ("contraction_mrr", "contraction"),
        ("churned_mrr", "churned"),
        ("reactivation_mrr", "reactivation"),
    ):
        assert k[key] == pytest.approx(sum(m[column] for m in k["mrr_by_month"])), key
    year = demo("kpi", "--json", "--as-of", AS_OF, "--period", "12m").json()
    if period == "90d":
        assert year["churned_mrr"] >= k["churned_mrr"]
        assert year["contraction_mrr"] >= k["contraction_mrr"]
    text = demo("kpi", "--as-of", AS_OF, "--period", period).out
    assert ("not annualised" in text) == (period != "12m")


def test_json_output_never_has_nan_or_infinity(capsys):
    """Issue 13 #8: `kpi --json` (every --json goes through _dump) is strict JSON."""
    import json

    from bookkeeper_tui.cli import _dump

    _dump({"nrr": float("nan"), "rows": [{"grr": float("inf")}, (1.5, float("-inf"))], "n": 3})
    out = capsys.readouterr().out
    assert "NaN" not in out and "Infinity" not in out
    assert json.loads(out) == {"nrr": None, "rows": [{"grr": None}, [1.5, None]], "n": 3}


def test_today_on_a_book_already_synced_today_skips_sqlalchemy_and_prints_the_same(
    demo_book, tmp_path
):
    """Issue 16: `today --json` on a book already brought up to the day answers from the
    file alone (no SQLAlchemy import, no full open), with exactly the full path's output."""
    import subprocess
    import sys

    demo_book.close()
    script = (
        "import sys, contextlib, io\n"
        "from bookkeeper_tui.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    code = main(sys.argv[1:])\n"
        "sys.stdout.write(out.getvalue())\n"
        "print('SQLALCHEMY' if 'sqlalchemy' in sys.modules else 'LEAN', file=sys.stderr)\n"
        "sys.exit(code)\n"
    )

    def run(*args: str) -> tuple[str, str]:
        p = subprocess.run(
            [sys.executable, "-c", script, *args, "--db", demo_book.location],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert p.returncode == 0, p.stderr
        return p.stdout, p.stderr.strip().splitlines()[-1]

    day = "2026-11-25"  # a day the demo book was not synced for: the full path first
    full, how = run("today", "--json", "--as-of", day)
    assert how == "SQLALCHEMY"
    fast, how = run("today", "--json", "--as-of", day)
    assert how == "LEAN"
    assert fast == full and json.loads(fast)
    text_fast, how = run("today", "--as-of", day)
    assert how == "LEAN" and "Today · 2026-11-25" in text_fast
    # Another day (here an earlier one) is never answered from the file.
    _, how = run("today", "--json", "--as-of", "2026-11-24")
    assert how == "SQLALCHEMY"


@pytest.mark.parametrize(
    "obj",
    [
        [],
        {},
        [{"a": 1}],
        [{"a": 1, "b": "x\\ny", "c": None, "d": 1.5, "e": True, "f": "ümlaut ✓"}, {"a": 2}],
        [{"a": [1, 2]}],  # nested: the general path
        [{}, {"a": 1}],
        [1, 2],
        {"rows": [{"a": 1}]},
        [{"quote": 'say "hi"', "tab": "a\tb", "ctl": "\x1b[31m"}],
    ],
)
def test_json_rows_are_written_exactly_as_indent_2(obj, capsys):
    """The row-by-row fast path prints what json.dumps(indent=2) prints, byte for byte."""
    from bookkeeper_tui.cli import _dump
    from bookkeeper_tui.core.text import json_escaped

    _dump(obj)
    expected = json_escaped(json.dumps(obj, indent=2, ensure_ascii=False)) + "\n"
    assert capsys.readouterr().out == expected


def test_json_with_nan_is_still_strict(capsys):
    from bookkeeper_tui.cli import _dump

    _dump([{"a": float("nan")}, {"a": float("inf"), "b": 1}])
    assert json.loads(capsys.readouterr().out) == [{"a": None}, {"a": None, "b": 1}]
