"""An Input that never sends control characters from its text to the terminal.

Textual's ``Input`` draws its value and its completion as they are. A quick log is
prefilled with an account's name and completes names, so a name holding an escape
sequence (imported from another system, pasted) would reach the terminal raw. Every
input in the app that can show user data is a :class:`SafeInput`: the drawn line has
control characters replaced (U+FFFD); the value itself is left as typed.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Input

from bookkeeper_tui.widgets.render import safe


class SafeInput(Input):
    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        if all(seg.control or seg.text.isprintable() for seg in segments):
            return strip
        return Strip(
            [
                seg if seg.control else Segment(safe(seg.text), seg.style, seg.control)
                for seg in segments
            ],
            strip.cell_length,
        )
