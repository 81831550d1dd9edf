"""Start-up runs no garbage collection before the app has mounted (cli.START_GC_YOUNG):
what it allocates lives for the whole session. The collector stays on, the app sets its
own threshold when it mounts, and everything is given back when the command ends."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap

from tests.conftest import TODAY

WAIT_S = 60


def test_launch_collects_nothing_until_the_app_mounts_then_gives_the_collector_back(
    demo_book, tmp_path
):
    demo_book.sync(TODAY)
    path = demo_book.location
    demo_book.close()
    code = f"""
        import gc, json
        from datetime import date
        import bookkeeper_tui.app as app
        import bookkeeper_tui.store.fast as fast
        from bookkeeper_tui.cli import main

        real = fast.read_today
        fast.read_today = lambda loc, as_of, ahead: real(
            loc, date.fromisoformat({TODAY.isoformat()!r}), ahead)
        before = gc.get_threshold()
        collections = []
        gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(1))
        seen = {{}}

        def run(location, config, rows):
            # What the app allocates before it mounts (the first screen, its widgets):
            # ~30 collections at Python's default threshold of 700.
            start = len(collections)
            built = [[i] for i in range(20_000)]
            seen.update(enabled=gc.isenabled(), collections=len(collections) - start)
            seen.update(rows=len(rows), built=len(built))
            return 0

        app.run_prefetched = run
        assert main(["--db", {path!r}]) == 0
        print(json.dumps([seen, before, gc.get_threshold()]))
    """
    env = {**os.environ, "BOOKKEEPER_CONFIG": str(tmp_path / "config.toml")}
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=WAIT_S,
    )
    assert out.returncode == 0, out.stderr
    seen, before, after = json.loads(out.stdout.splitlines()[-1])
    assert seen["rows"] > 5 and seen["enabled"]  # on, never switched off
    assert seen["collections"] == 0
    assert after == before  # given back when the command ends


async def test_the_app_sets_its_own_threshold_after_a_higher_start_up_one(
    demo_book, make_app, monkeypatch
):
    import bookkeeper_tui.app.startup as startup
    from bookkeeper_tui.cli import START_GC_YOUNG

    thresholds = gc.get_threshold()
    gc.set_threshold(START_GC_YOUNG, *thresholds[1:])
    try:
        app = make_app(demo_book, poll_seconds=0, daily_backup=False)
        async with app.run_test(size=(80, 24)):
            # Not a million young objects between collections for the whole session.
            assert gc.get_threshold()[0] == startup.GC_YOUNG_THRESHOLD
            assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*thresholds)


def test_the_full_open_of_a_book_to_plan_runs_with_the_usual_threshold(demo_book, monkeypatch):
    import bookkeeper_tui.app as app_module
    from bookkeeper_tui.cli import main

    seen: list[tuple[int, int, int]] = []
    monkeypatch.setattr(app_module, "run_app", lambda book, config: seen.append(gc.get_threshold()))
    before = gc.get_threshold()
    # The demo book was built for TODAY, long ago: a new day to plan, opened the full way.
    assert main(["--db", demo_book.location]) == 0
    assert seen == [before] and gc.get_threshold() == before


# -- `bookkeeper` alone does not build every command's parser ---------------------------
BARE = [
    [],
    ["--db", "x.db"],
    ["--db", ""],
    ["--db=x.db"],
    ["--db="],
    ["--db", "today"],
    ["--db", "é.db"],
]
NOT_BARE = [
    ["--db"],
    ["--db", "-x"],
    ["--db", "a", "--db", "b"],
    ["--d", "x"],
    ["today"],
    ["--db", "x", "today"],
    ["--help"],
    ["--version"],
    ["-h"],
    ["--bogus"],
]


def test_the_bare_launch_reads_its_arguments_as_the_full_parser_does():
    from bookkeeper_tui.cli import _bare_open
    from bookkeeper_tui.cli.parser import build_parser

    for argv in BARE:
        assert _bare_open(argv) == build_parser().parse_args(argv), argv
    for argv in NOT_BARE:
        assert _bare_open(argv) is None, argv  # the full parser answers (errors, help)


def test_bookkeeper_alone_opens_without_building_the_commands_parsers(demo_book, monkeypatch):
    import bookkeeper_tui.app as app_module
    import bookkeeper_tui.cli.parser as parser
    from bookkeeper_tui.cli import main

    built: list[int] = []
    real = parser.build_parser
    monkeypatch.setattr(parser, "build_parser", lambda: built.append(1) or real())
    import bookkeeper_tui.cli as cli

    monkeypatch.setattr(cli, "build_parser", parser.build_parser)
    opened: list[str] = []
    monkeypatch.setattr(app_module, "run_app", lambda book, config: opened.append(book.location))
    assert main(["--db", demo_book.location]) == 0
    assert opened == [demo_book.location] and built == []  # ~20 ms of every command's parser
    assert main(["--db", demo_book.location, "--bogus"]) == 2  # errors: the full parser
    assert built == [1]
