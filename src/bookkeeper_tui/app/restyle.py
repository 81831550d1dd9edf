"""The app's stylesheet, read once, and no restyle of the whole app when a mode's screen is new.

Textual restyles the whole app (``App.refresh_css``: a full ``Stylesheet.reparse`` of every
source, every widget's default CSS included, then every node restyled) twice when a mode is
entered whose screen is new (``switch_mode`` and the mode's start), and once more when that
screen brings a CSS file the stylesheet has not read yet. Nothing has changed then: a new
screen and its widgets are styled as they are mounted, with the stylesheet as it is. So:

* every screen's CSS file is in the app's ``CSS_PATH`` (:data:`CSS_PATHS`), read at launch:
  no screen adds a source later (the screens still name theirs, which the stylesheet then
  finds already read);
* :class:`Restyle` lets a restyle asked for by a mode switch through only when the CSS
  variables (the theme) differ from those of the last full restyle. A theme change restyles
  every screen of every mode at once (its own ``refresh_css``, not skipped), and nodes mounted
  since were styled as they were mounted, with the same stylesheet.

Only public Textual API is used: ``switch_mode``, ``refresh_css``, ``get_css_variables``.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App

#: Not resolved: the screens name their files from their modules' paths, as Python found them.
_SRC = Path(__file__).parent.parent

#: The app's CSS first (the screens' rules win ties with it, as when each screen added its
#: own), then every screen's, in a fixed order (each screen's rules name its screen type).
CSS_PATHS: list[str | Path] = [
    _SRC / "app" / "app.tcss",
    *sorted((_SRC / "screens").glob("*.tcss")),
]


class Restyle(App[None]):
    """Mixed into the app, before Textual's ``App``: see the module docstring."""

    #: The CSS variables of the last full restyle (None: none yet).
    _styled_with: dict[str, str] | None = None
    #: True while switching modes.
    _switching = False

    def switch_mode(self, mode: str):  # type: ignore[override]
        self._switching = True
        try:
            return super().switch_mode(mode)
        finally:
            self._switching = False

    def refresh_css(self, animate: bool = True) -> None:
        variables = self.get_css_variables()
        if self._switching and variables == self._styled_with:
            return  # every node has the styles of the last restyle: nothing to redo
        super().refresh_css(animate)
        self._styled_with = variables
