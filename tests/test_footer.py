"""The Footer rebuilds its keys only when the keys it shows change (issue 16, quick log)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from bookkeeper_tui.widgets.footer import Footer


class Dialog(ModalScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Cancel")]

    def compose(self) -> ComposeResult:
        yield Static("dialog")
        yield Footer()


class Main(Screen):
    BINDINGS = [Binding("l", "log", "Log"), Binding("x", "toggle", "Toggle")]
    can_log = True

    def compose(self) -> ComposeResult:
        yield Static("main")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "log":
            return True if self.can_log else None  # None: shown dimmed
        return True

    def action_log(self) -> None:
        pass

    def action_toggle(self) -> None:
        pass


class FooterApp(App):
    def on_mount(self) -> None:
        self.push_screen(Main())


def keys(screen: Screen) -> list[FooterKey]:
    return list(screen.query_one(Footer).query(FooterKey))


def shown(screen: Screen) -> list[tuple[str, str, bool]]:
    return [(k.key, k.description, k._disabled) for k in keys(screen)]


async def test_same_bindings_keep_the_keys_a_change_rebuilds_them() -> None:
    app = FooterApp()
    async with app.run_test() as pilot:
        main = app.screen
        for _ in range(50):  # the Footer composes its keys once the bindings are announced
            await pilot.pause(0.02)
            main = app.screen
            if isinstance(main, Main) and keys(main):
                break
        assert isinstance(main, Main)
        first = keys(main)
        assert ("l", "Log", False) in shown(main)

        # Announcing the same bindings again (a focus change, a dialog opened and
        # closed) keeps the keys as they are: nothing is laid out or drawn again.
        main.refresh_bindings()
        await pilot.pause()
        await app.push_screen(Dialog())
        await pilot.pause()
        app.pop_screen()
        await pilot.pause()
        await pilot.pause()
        assert keys(main) == first

        # A key that changes is shown changed.
        main.can_log = False
        main.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert ("l", "Log", True) in shown(main)
        assert keys(main) != first


class Other(Screen):
    def compose(self) -> ComposeResult:
        yield Static("other")


class ModesApp(App):
    """Two modes, and a key shown only in the mode it does not belong to (the way the
    app hides the key of the view already on screen)."""

    MODES = {"main": Main, "other": Other}
    BINDINGS = [Binding("o", "other", "Other")]

    def on_mount(self) -> None:
        self.switch_mode("main")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "other":
            return self.current_mode != "other"  # False: not shown
        return True

    def action_other(self) -> None:
        self.switch_mode("other")


async def test_a_screen_out_of_sight_keeps_its_keys_until_it_is_shown_again() -> None:
    """Switching modes changes the keys the old mode's screen would show; its Footer
    waits until that screen is shown again rather than rebuilding them unseen (issue
    16: the Today footer rebuilt ~20 keys in the frame that shows the KPIs)."""
    app = ModesApp()
    async with app.run_test() as pilot:
        main = app.screen
        for _ in range(50):
            await pilot.pause(0.02)
            main = app.screen
            if isinstance(main, Main) and keys(main):
                break
        assert isinstance(main, Main)
        first = keys(main)
        assert ("o", "Other", False) in shown(main)

        app.switch_mode("other")
        for _ in range(5):
            await pilot.pause()
        main.refresh_bindings()  # announced while out of sight: not rebuilt
        for _ in range(5):
            await pilot.pause()
        assert keys(main) == first

        # Shown again: the keys are those of now, the same ones here, so still kept.
        app.switch_mode("main")
        for _ in range(5):
            await pilot.pause()
        assert keys(main) == first
        assert ("o", "Other", False) in shown(main)

        # A change made while it was out of sight shows once it is back.
        app.switch_mode("other")
        await pilot.pause()
        main.can_log = False
        app.switch_mode("main")
        for _ in range(5):
            await pilot.pause()
        assert ("l", "Log", True) in shown(main)
