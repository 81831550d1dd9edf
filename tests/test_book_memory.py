"""Memory: a Book screen that is gone lets go of the book's states."""

from __future__ import annotations

from tests.conftest import settle

SIZE = (120, 40)


async def test_a_dropped_book_screen_lets_its_accounts_go_even_when_frozen(demo_book, make_app):
    """The idle collector freezes what lives long (app/startup.py): a Book screen frozen so,
    then dropped, must not keep the whole book's states alive (frozen cycles are never
    collected); it lets go of its data when it is unmounted."""
    import gc
    import weakref

    from bookkeeper_tui.app.startup import GC_IDLE_S

    app = make_app(demo_book, poll_seconds=0, daily_backup=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        state = weakref.ref(screen.data.states[0])
        account = weakref.ref(screen.data.states[0].account)
        del screen
        app.collector.tick(GC_IDLE_S + 0.5)  # a pause: what is alive now is frozen
        await pilot.press("t")
        await settle(pilot)
        await app.remove_mode("book")
        await settle(pilot)
        gc.collect()
        assert state() is None
        assert account() is None
