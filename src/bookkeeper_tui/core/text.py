"""The one cleaner for user- and file-supplied text on its way to a terminal.

A customer's name, a CSV header, a cell of an imported file or a key of the config file
may hold escape sequences (ESC ``\\x1b``, the 8-bit CSI ``\\x9b``, OSC ``\\x1b]...\\x07``
that sets a window title or the clipboard), other control characters, or bidi overrides
that make text display in another order than it is stored ("Trojan Source").
:func:`printable` makes such text safe to echo, so that the user can still see that
something was there: the command line shows each such character as a visible escape
(``\\x1b``, ``\\u202e``); the terminal app replaces it one for one with U+FFFD, so text
keeps its length and styled spans their places.

Letters, marks and symbols of every script, emoji with their joiners (ZWJ, ZWNJ,
variation selectors), spaces of any kind and right-to-left text itself are kept.
"""

from __future__ import annotations

import re
import unicodedata

#: Bidi embeddings, overrides, isolates and marks: invisible, and able to change the
#: order in which text is displayed. Right-to-left letters themselves are kept.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)

#: Unicode categories that never reach a terminal raw: controls (C0, DEL, C1), lone
#: surrogates (which cannot even be encoded) and the line/paragraph separators.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})

_NAMED = {"\n": "\\n", "\r": "\\r"}

#: The characters of :func:`is_unsafe` that ``json`` writes raw: all but the C0 controls
#: (which it escapes itself, and which JSON's own line breaks are).
JSON_RAW_UNSAFE = re.compile(
    "[\x7f-\x9f\ud800-\udfff\u2028\u2029" + "".join(sorted(BIDI_CONTROLS)) + "]"
)


def is_unsafe(ch: str) -> bool:
    """True for a character that :func:`printable` does not let through as it is."""
    return ch in BIDI_CONTROLS or unicodedata.category(ch) in _UNSAFE_CATEGORIES


def visible_escape(ch: str) -> str:
    """``\\x1b``, ``\\n``, ``\\u202e``: how the command line shows an unsafe character.

    U+DC80..U+DCFF is how Python keeps a byte that is not UTF-8 (a command-line argument
    typed in a Latin-1 terminal, a file name): it is shown as that byte, ``\\x9b``."""
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str | None, *, mark: str | None = None, newlines: bool = False) -> str:
    """*text* safe to write to a terminal: no escape sequence, control character or bidi
    control of it reaches the terminal raw.

    - A tab becomes one space.
    - A line break (``\\n``, ``\\r\\n``) is kept as ``\\n`` if *newlines*, else it is
      unsafe like the rest (a one-line message stays one line).
    - Every other control character (C0, DEL, C1), lone surrogate, line/paragraph
      separator (U+2028/U+2029) and bidi control becomes its visible escape (``\\x1b``,
      ``\\x9b``, ``\\u202e``), or *mark* when one is given: ``"\\ufffd"`` keeps the text's
      length (the terminal app), ``""`` drops them (a calendar file).

    ``None`` is ``""``. Text with nothing to clean is returned as it is (fast).
    """
    if not text:
        return ""
    if text.isprintable():
        return text
    if newlines:
        text = text.replace("\r\n", "\n")
    out: list[str] = []
    for ch in text:
        if ch == "\t":
            out.append(" ")
        elif ch == "\n" and newlines:
            out.append(ch)
        elif is_unsafe(ch):
            out.append(visible_escape(ch) if mark is None else mark)
        else:
            out.append(ch)
    return "".join(out)


def json_escaped(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with every character that
    :func:`printable` would not let through written as a ``\\uXXXX`` escape.

    ``json`` escapes C0 controls itself but writes DEL, C1 controls (the 8-bit CSI
    ``\\x9b``), bidi controls, U+2028/U+2029 and lone surrogates raw. Such characters
    only occur inside JSON strings, so escaping them is lossless: a JSON reader gets the
    very same data.
    """
    if text.isascii() and "\x7f" not in text:
        return text
    return JSON_RAW_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# -- spreadsheet formulas (CSV injection) ------------------------------------------------
#: What makes a spreadsheet read a cell as a formula (OWASP "CSV injection"): = + - @,
#: a leading tab or carriage return, and the full-width = + - @ some spreadsheets accept.
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def _formula_after_quotes(text: str) -> bool:
    rest = text.lstrip("'")
    return bool(rest) and rest[0] in FORMULA_STARTS


def neutralise_formula(text: str) -> str:
    """*text* as a spreadsheet shows it, never runs it: a text cell that starts with
    ``= + - @`` (or tab, CR), after any single quotes, gets one more ``'`` in front.

    ``=HYPERLINK("http://x")`` is written ``'=HYPERLINK("http://x")``; ``'=x`` is written
    ``''=x``, so that :func:`unneutralise_formula` gives every value back exactly.
    """
    if text and (text[0] in FORMULA_STARTS or (text[0] == "'" and _formula_after_quotes(text))):
        return "'" + text
    return text


def unneutralise_formula(text: str) -> str:
    """The value :func:`neutralise_formula` was given: one leading ``'`` dropped from a
    cell that starts with quotes and then ``= + - @`` (tab, CR); anything else as it is."""
    if text[:1] == "'" and _formula_after_quotes(text):
        return text[1:]
    return text
