"""No restyle of the whole app when a mode's screen is new.

Textual restyles the whole app (``App.refresh_css``: a full ``Stylesheet.reparse`` of every
source, every widget's default CSS included, then every node restyled) twice when a mode is
entered whose screen is new (``switch_mode`` and the mode's start), and once at start-up
for the first mode. Nothing has changed then: a new screen and its widgets are styled as
they are mounted, with the stylesheet as it is. :class:`Restyle` lets a restyle asked for
by a mode switch, or before the app has mounted, through only when the CSS variables (the
theme) differ from those the stylesheet was last parsed with (a theme set from the config
in ``on_mount`` restyles as before). A theme change restyles
every screen of every mode at once (its own ``refresh_css``, not skipped); a screen's CSS
file read for the first time is parsed and applied by Textual there and then (one reparse,
on the screen's first visit only).

The screens' CSS files are not read at launch with the app's: that made every parse at
start-up ~60% longer (~12 ms more before Today's first frame) to save one reparse on each
screen's first visit.

Only public Textual API is used: ``switch_mode``, ``refresh_css``, ``get_css_variables``.
"""

from __future__ import annotations

from textual.app import App


class Restyle(App[None]):
    """Mixed into the app, before Textual's ``App``: see the module docstring."""

    #: The CSS variables the stylesheet was last parsed with (None: not parsed yet).
    _styled_with: dict[str, str] | None = None
    #: True while switching modes.
    _switching = False
    #: False until the app has mounted: the first mode's screen is being set up.
    _app_mounted = False

    def get_css_variables(self) -> dict[str, str]:
        variables = super().get_css_variables()
        if self._styled_with is None:
            # The first call makes the app's stylesheet (App.__init__): its variables.
            self._styled_with = variables
        return variables

    def on_mount(self) -> None:
        self._app_mounted = True

    def switch_mode(self, mode: str):  # type: ignore[override]
        self._switching = True
        try:
            return super().switch_mode(mode)
        finally:
            self._switching = False

    def refresh_css(self, animate: bool = True) -> None:
        variables = self.get_css_variables()
        if (self._switching or not self._app_mounted) and variables == self._styled_with:
            return  # every node has the styles of the last restyle: nothing to redo
        super().refresh_css(animate)
        self._styled_with = variables
