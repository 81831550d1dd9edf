"""The quick-log line's pieces (core/quicklog.py): its error, the parsed result's data
classes and the tokenizer that keeps each token's offsets for the TUI to underline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bookkeeper_tui.core.text import printable

EMPTY_LINE = 'the line is empty; start with an account name, e.g. `acme call "..."`'
_QUOTES = {'"': '"', "“": '”"', "„": '“”"'}  # opening quote -> accepted closing quotes


class QuickLogError(ValueError):
    """A quick-log line the user must fix; `start`/`end` locate the token in the line."""

    def __init__(
        self,
        message: str,
        token: str | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.token = token
        self.start = start
        self.end = end

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ScoreEntry:
    kind: str  # "nps" | "csat" | "ces"
    value: int


@dataclass(frozen=True)
class NextTouchpoint:
    kind: str  # a value of vocab.TOUCHPOINT_KINDS
    due: date


@dataclass(frozen=True)
class QuickLog:
    """What one line asks to record. `when` defaults to a sentinel only because the module
    may not read the clock; `parse_quicklog` always sets it (to `today` when undated)."""

    account: str
    kind: str = "call"
    summary: str = ""
    scores: tuple[ScoreEntry, ...] = ()
    mrr: float | None = None
    contact: str | None = None
    #: `with NAME (ROLE)`: the role to give the contact (core.relationships.parse_role).
    contact_role: str | None = None
    #: `with NAME (left)`: the contact left the company on the line's date.
    contact_left: bool = False
    when: date = date.min
    dated: bool = False
    next: NextTouchpoint | None = None
    tags: tuple[str, ...] = ()
    #: A renewal's outcome ("renewed", "downgraded", "churned"; kind is then "renewal").
    outcome: str | None = None
    #: The new renewal term in months (`term 12m`), with a renewed/downgraded outcome.
    term_months: int | None = None
    # How the account was found: "exact", "prefix" or "fuzzy" (a close spelling: the
    # CLI refuses it without --yes and the TUI asks before saving; a typo must never
    # write silently to another account).
    account_match: str = "exact"


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int
    end: int
    quoted: bool = False


def _show(text: str) -> str:
    """User text as quoted in a message: one short printable line, whatever was typed."""
    text = printable(text[:41], mark="?")
    return text if len(text) <= 40 else text[:39] + "…"


def _err(message: str, tok: _Tok) -> QuickLogError:
    return QuickLogError(message, tok.text, tok.start, tok.end)


def _tokenize(line: str) -> list[_Tok]:
    """Whitespace-separated tokens and "quoted strings", keeping offsets for highlighting."""
    toks: list[_Tok] = []
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c.isspace():
            i += 1
        elif c in _QUOTES:
            j = i + 1
            while j < n and line[j] not in _QUOTES[c]:
                j += 1
            if j >= n:
                raise QuickLogError(
                    f"the quote {c} at column {i + 1} is never closed; add a closing quote "
                    "or remove it",
                    c,
                    i,
                    i + 1,
                )
            toks.append(_Tok(line[i + 1 : j], i, j + 1, quoted=True))
            i = j + 1
        else:
            j = i
            while j < n and not line[j].isspace() and line[j] not in _QUOTES:
                j += 1
            toks.append(_Tok(line[i:j], i, j))
            i = j
    return toks


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()
