"""A Footer that rebuilds its keys only when the keys it would show have changed.

Textual's ``Footer`` removes and mounts all its keys again every time its screen
announces its bindings (a focus change, a pushed or popped screen, ``refresh_bindings``),
even when the same keys come out. Opening the quick log from Today rebuilt Today's keys
under the dialog, so closing it laid out and drew ~22 new keys in the very frame that
shows the logged row gone (issue 16): ~8 ms of each quick log. :class:`Footer` remembers
what it composed and skips a rebuild that would compose the same thing; what is drawn
is unchanged.

Nor does it rebuild while its screen is off the app's stack: switching modes (Today to
the KPIs) changes which view keys show (``check_action`` hides the current view's key),
so the Today footer rebuilt its ~20 keys, unseen, in the frame that shows the KPIs, and
again on the way back to the keys it had. Its screen announces its bindings again when
it is shown (Textual's ``stack_updates``), and the footer is brought up to date then.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    #: What the keys were composed from (None: nothing composed yet).
    _composed: tuple[Any, ...] | None = None

    def _keys_shown(self) -> tuple[Any, ...]:
        """Everything ``Footer.compose`` reads to build its keys."""
        app = self.app
        active = self.screen.active_bindings

        def key(binding: Any, enabled: bool, tooltip: str) -> tuple[Any, ...]:
            group = binding.group
            return (
                binding.key,
                app.get_key_display(binding),
                binding.description,
                binding.action,
                enabled,
                tooltip,
                binding.tooltip,
                None if group is None else (group.description, group.compact),
            )

        shown = tuple(key(b, enabled, tip) for (_, b, enabled, tip) in active.values() if b.show)
        palette = active.get(app.COMMAND_PALETTE_BINDING)
        return (
            shown,
            None if palette is None else key(palette.binding, palette.enabled, palette.tooltip),
            self.show_command_palette,
            app.ENABLE_COMMAND_PALETTE,
        )

    def compose(self):  # type: ignore[override]
        self._composed = self._keys_shown() if self._bindings_ready else None
        yield from super().compose()

    async def recompose(self) -> None:
        if self._composed is not None and self.is_attached and self._out_of_sight():
            return  # rebuilt, if need be, when its screen is shown again
        if (
            self._composed is not None
            and self.is_attached
            and self._bindings_ready
            and self._keys_shown() == self._composed
        ):
            return
        await super().recompose()

    def _out_of_sight(self) -> bool:
        """Is the footer's screen neither shown nor under the screen shown (a dialog's)?"""
        return self.screen not in self.app.screen_stack
