"""Two people, two app instances, one PostgreSQL book, at the same time.

Maya and Luis each run Bookkeeper (each with their own connection pool, as on two
machines) against the same database: what one logs shows up in the other's open app
within seconds, without a key press, and when both edit the same account the second
save is stopped and asks (no lost update).
"""

from __future__ import annotations

import time

from sqlalchemy import select
from textual.widgets import Button, Input

from bookkeeper_tui.config import Config
from bookkeeper_tui.store.book import Book
from bookkeeper_tui.store.demo import build_demo
from bookkeeper_tui.store.models import Interaction
from bookkeeper_tui.widgets.vtable import VTable
from tests.conftest import TODAY, settle


def _timeline_has(screen, text: str) -> bool:
    table = screen.query_one("#account-timeline", VTable)
    for i in range(table.row_count):
        if any(text in str(getattr(c, "plain", c)) for c in table.get_row_at(i)):
            return True
    return False


async def _until(pilots, check, seconds: float = 30.0) -> bool:
    """Let both apps run until *check* holds (a hang guard, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        for p in pilots:
            await p.pause(0.05)
            await settle(p, rounds=3)
    return check()


async def test_two_people_work_on_one_postgresql_book_at_once(pg_db, make_app):
    setup = Book.open(pg_db)
    build_demo(setup, accounts=12, seed=7, as_of=TODAY)
    account = setup.account_names()[0]
    setup.close()

    maya_book = Book.open(pg_db, Config(me="maya"))
    luis_book = Book.open(pg_db, Config(me="luis"))
    maya = make_app(maya_book, config=Config(me="maya"), poll_seconds=0.2, daily_backup=False)
    luis = make_app(luis_book, config=Config(me="luis"), poll_seconds=0.2, daily_backup=False)
    try:
        async with maya.run_test(size=(120, 40)) as pm, luis.run_test(size=(120, 40)) as pl:
            await settle(pm)
            await settle(pl)
            # Each opens on their own accounts; the team is one key away.
            for app, pilot, me in ((maya, pm, "maya"), (luis, pl, "luis")):
                assert app.screen.rows and {r.owner for r in app.screen.rows} == {me}
                await pilot.press("m")
                await settle(pilot)
                assert {r.owner for r in app.screen.rows} > {me}
                await pilot.press("m")
                await settle(pilot)

            # Luis has the account open; Maya logs a call on it from her keyboard.
            luis.open_account(account)
            await settle(pl)
            assert not _timeline_has(luis.screen, "pricing call from maya")
            await pm.press("l")
            await settle(pm)
            await pm.press(*f'{account} call "pricing call from maya"')
            await pm.press("enter")
            await settle(pm)
            with maya_book.read() as s:
                saved = list(
                    s.execute(
                        select(Interaction.summary).where(
                            Interaction.summary == "pricing call from maya"
                        )
                    ).scalars()
                )
            assert saved == ["pricing call from maya"]
            # Luis's open timeline shows it, without a key press.
            assert await _until(
                (pm, pl), lambda: _timeline_has(luis.screen, "pricing call from maya")
            )

            # Both open the edit form of the same account.
            for app, pilot in ((maya, pm), (luis, pl)):
                app.open_account(account)
                await settle(pilot)
                await pilot.press("e")
                await settle(pilot)
                assert app.screen.__class__.__name__ == "EditAccountScreen"

            async def retype(pilot, app, value: str) -> None:
                field = app.screen.query_one("#industry", Input)
                field.focus()
                await pilot.pause()
                await pilot.press("end", *["backspace"] * len(field.value), *value)

            # Maya saves first.
            await retype(pm, maya, "fintech")
            await pm.press("ctrl+s")
            await settle(pm)
            assert maya.screen.__class__.__name__ != "EditAccountScreen"
            assert maya_book.account_for_edit(account)[0]["industry"] == "fintech"
            # Luis, who read the account before Maya's save, is stopped and asked.
            luis_form = luis.screen
            await retype(pl, luis, "insurance")
            await pl.press("ctrl+s")
            await settle(pl)
            assert luis.screen is luis_form and luis_form.query_one("#conflict").display
            assert ("Industry", "fintech", "insurance") in luis_form.differences
            assert luis_book.account_for_edit(account)[0]["industry"] == "fintech"  # kept
            # He takes Maya's version: nothing of hers is lost.
            luis_form.query_one("#take", Button).focus()
            await pl.press("enter")
            await settle(pl)
            assert luis_form.query_one("#industry", Input).value == "fintech"
            assert luis_book.account_for_edit(account)[0]["industry"] == "fintech"
    finally:
        maya_book.close()
        luis_book.close()
