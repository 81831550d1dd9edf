"""The quick-log line: one line typed right after a call, parsed into plain data.

Grammar (docs/interfaces.md, "Quick-log line"): the account first, then in any order a kind
word, a quoted summary, `nps N` / `csat N` / `ces N`, `mrr N`, `with NAME`, `@DATE`,
`next KIND DATE` and `#tag`s; other bare words are summary text. A renewal's outcome
follows the kind word: `renewal renewed [mrr N] [term 12m]`, `renewal downgraded mrr N`,
`renewal churned ["reason"]`.

Pure on purpose: no I/O, no clock (`today` is passed in), no Textual. The CLI and the TUI
both call `parse_quicklog`, so every mistake is a `QuickLogError` carrying the offending
token's character offsets, letting the TUI underline it instead of showing a traceback.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from bookkeeper_tui.core import vocab
from bookkeeper_tui.core.bounds import MAX_YEAR, MIN_YEAR, date_problem
from bookkeeper_tui.core.relationships import LEFT_WORD, parse_role, role_words
from bookkeeper_tui.core.text import printable

EMPTY_LINE = 'the line is empty; start with an account name, e.g. `acme call "..."`'
_ADD_HINT = "`bookkeeper add NAME --tier T --start DATE`"
_SCORE_KWS = ("nps", "csat", "ces")
_KEYWORDS = (*_SCORE_KWS, "mrr", "with", "next")
_QUOTES = {'"': '"', "“": '”"', "„": '“”"'}  # opening quote -> accepted closing quotes
_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2,
    "wednesday": 2, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_REL = re.compile(r"([+-]?)([0-9]{1,7})([dwmy])", re.IGNORECASE)
_SIGNED_REL = re.compile(r"[+-][0-9]+[dwmy]", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)*")
_MONEY = re.compile(
    r"(?P<neg>-?)[$€£]?(?P<neg2>-?)(?P<num>(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
    r"|\.[0-9]+)(?P<suffix>[km]?)",
    re.IGNORECASE,
)
#: Renewal outcomes, right after the `renewal` kind word.
OUTCOMES = ("renewed", "downgraded", "churned")
#: A renewal term: `term 12m`, `term 1y`, `term 12` (months); 1 to MAX_TERM_MONTHS months.
_TERM = re.compile(r"([+-]?[0-9]{1,6})(m|mo|months?|y|yr|years?)?", re.IGNORECASE)
MAX_TERM_MONTHS = 120
_WHEN_FORMS = "YYYY-MM-DD, today, yesterday, a weekday (mon..sun) or -2d / -1w / -3m"
_DUE_FORMS = "+3d, +2w, +1m, +1y, YYYY-MM-DD, today, tomorrow or a weekday (mon..sun)"


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


def _resolve_account(toks: Sequence[_Tok], account_names: Sequence[str]) -> tuple[str, int, str]:
    """Exact run of tokens, else unique prefix (extended over tokens), else fuzzy.

    Returns (name, tokens consumed, how) with how in "exact" / "prefix" / "fuzzy". The
    longest run of leading words that names (or starts) an account wins, so multi-word
    names work without quotes.
    """
    if not toks:
        raise QuickLogError(EMPTY_LINE)
    first = toks[0]
    by_key: dict[str, list[str]] = {}
    for name in dict.fromkeys(account_names):
        by_key.setdefault(_key(name), []).append(name)
    by_key.pop("", None)
    if not by_key:
        raise _err(f"the book has no accounts yet; add one with {_ADD_HINT}", first)
    run = 1
    if not first.quoted:
        while run < min(8, len(toks)) and not toks[run].quoted:
            run += 1
    keys = [_key(t.text) for t in toks[:run]]

    def pick(keys_hit: Sequence[str], k: int, how: str) -> tuple[str, int, str]:
        names = list(dict.fromkeys(n for kh in keys_hit for n in by_key[kh]))
        if len(names) == 1:
            return names[0], k, how
        typed = " ".join(t.text for t in toks[:k])
        raise QuickLogError(
            f"'{_show(typed)}' matches several accounts: {', '.join(names)}; type more of the name",
            typed,
            toks[0].start,
            toks[k - 1].end,
        )

    for k in range(run, 0, -1):  # a. longest exact run
        if " ".join(keys[:k]) in by_key:
            return pick([" ".join(keys[:k])], k, "exact")
    if keys[0]:  # b. prefix, narrowed by the following tokens while it stays non-empty
        cands = [kk for kk in by_key if kk.startswith(keys[0])]
        k = 1
        while len(cands) > 1 and k < run:
            narrower = [kk for kk in cands if kk.startswith(" ".join(keys[: k + 1]))]
            if not narrower:
                break
            cands, k = narrower, k + 1
        if len(cands) == 1:  # one name left: take the following words it still starts with
            while k < run and cands[0].startswith(" ".join(keys[: k + 1])):
                k += 1
        if cands:
            return pick(cands, k, "prefix")
        all_keys = list(by_key)
        first_words: dict[str, list[str]] = {}
        for kk in all_keys:
            first_words.setdefault(kk.split(" ")[0], []).append(kk)
        for k in range(run, 0, -1):  # c. fuzzy, longest run first
            hits = difflib.get_close_matches(" ".join(keys[:k]), all_keys, len(all_keys), 0.8)
            if k == 1:
                words = difflib.get_close_matches(keys[0], list(first_words), len(all_keys), 0.8)
                hits += [kk for w in words for kk in first_words[w]]
            if hits:
                return pick(list(dict.fromkeys(hits)), k, "fuzzy")
    raise _err(
        f"no account matches '{_show(first.text)}'; check the spelling or add it with {_ADD_HINT}",
        first,
    )


def match_account(text_tokens: Sequence[str], account_names: Sequence[str]) -> tuple[str, int]:
    """Return (canonical name, number of leading tokens consumed); raise QuickLogError.

    Offsets in errors refer to the tokens joined by single spaces. A token containing
    whitespace is treated like a quoted one (it can only be the account on its own).
    """
    toks: list[_Tok] = []
    pos = 0
    for text in text_tokens:
        toks.append(_Tok(text, pos, pos + len(text), quoted=any(c.isspace() for c in text)))
        pos += len(text) + 1
    name, used, _how = _resolve_account(toks, account_names)
    return name, used


def _shift(today: date, sign: int, n: int, unit: str) -> date:
    unit = unit.lower()
    if unit in "dw":
        return today + timedelta(days=sign * n * (7 if unit == "w" else 1))
    if unit == "m":
        return today + relativedelta(months=sign * n)
    return today + relativedelta(years=sign * n)


def _parse_date(token: str, today: date, past: bool) -> date | None:
    """Forms shared by @DATE and `next`; the direction of bare weekdays and `Nd` follows `past`.
    Returns None for text that is no date form at all; ValueError for a date outside the
    book's years (core.bounds), which would break planning and calendar export later."""
    d = _parse_any_date(token, today, past)
    if d is not None and date_problem(d):
        raise ValueError(
            f"the date '{_show(token)}' ({d.isoformat()}) is out of range; "
            f"use a date in the years {MIN_YEAR} to {MAX_YEAR}"
        )
    return d


def _parse_any_date(token: str, today: date, past: bool) -> date | None:
    text = token[1:] if past and token.startswith("@") else token
    low = text.strip().lower()
    if m := _ISO.fullmatch(low):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise ValueError(f"'{_show(token)}' is not a real calendar date") from None
    try:
        if low in ("today", "now"):
            return today
        if low in ("yesterday", "tomorrow"):
            return today + timedelta(days=-1 if low == "yesterday" else 1)
        if low in _WEEKDAYS:
            if past:
                return today - timedelta(days=(today.weekday() - _WEEKDAYS[low]) % 7)
            return today + timedelta(days=(_WEEKDAYS[low] - today.weekday()) % 7 or 7)
        if m := _REL.fullmatch(low):
            sign = {"+": 1, "-": -1}.get(m[1], -1 if past else 1)
            return _shift(today, sign, int(m[2]), m[3])
    except (OverflowError, ValueError):
        raise ValueError(f"'{_show(token)}' is too far from today") from None
    return None


def parse_when(token: str, today: date) -> date:
    """The @DATE of a line (a leading '@' is optional): when it happened, so never future."""
    d = _parse_date(token, today, past=True)
    if d is None:
        raise ValueError(f"'{_show(token)}' is not a date; use @ with {_WHEN_FORMS}")
    if d > today:
        raise ValueError(
            f"@DATE cannot be in the future: '{_show(token)}' is {d.isoformat()}; "
            f"use a date on or before {today.isoformat()}"
        )
    return d


def parse_due(token: str, today: date) -> date:
    """The DATE of `next KIND DATE`, relative to `today`; weekdays mean the next one ahead."""
    d = _parse_date(token, today, past=False)
    if d is None:
        raise ValueError(f"'{_show(token)}' is not a due date; use {_DUE_FORMS}")
    if d < today:
        raise ValueError(
            f"the due date '{_show(token)}' is {d.isoformat()}, before today "
            f"({today.isoformat()}); pick today or later"
        )
    return d


def _looks_like_date(text: str) -> bool:
    low = text.lower()
    return bool(
        low in _WEEKDAYS
        or low in ("today", "now", "yesterday", "tomorrow")
        or re.fullmatch(r"[+-]?[0-9]+[a-z]*|[0-9]{2,4}[-/][0-9]{1,2}[-/][0-9]{1,4}", low)
    )


def _touchpoint_kind(text: str) -> str | None:
    low = text.strip().lower()
    if low in vocab.TOUCHPOINT_KINDS:
        return low
    return vocab.TOUCHPOINT_ALIASES.get(low)


def _osa(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbours as one edit (`nsp` -> `nps` is 1)."""
    if abs(len(a) - len(b)) > 2:
        return 3
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def _near_keyword(word: str, following: _Tok | None) -> str | None:
    """A misspelt keyword, only when a value follows it, so free text stays free text.

    Before a number anything within 1-2 edits is suggested (the number would be an error
    anyway). Before a date only one edit counts, and only towards `next` or, for words of
    4+ letters, a kind word: `champion left @mon` and `all @mon` must stay summary text.
    """
    if following is None or following.quoted:
        return None
    nxt, low = following.text, word.lower()
    if _NUMBER.fullmatch(nxt):
        words, limit = (*_KEYWORDS, *vocab.QUICKLOG_KINDS), 1 if len(low) <= 3 else 2
    elif nxt.startswith("@") or _SIGNED_REL.fullmatch(nxt) or _ISO.fullmatch(nxt):
        words, limit = ("next", *(vocab.QUICKLOG_KINDS if len(low) >= 4 else ())), 1
    else:
        return None
    dist, best = min((_osa(low, kw), kw) for kw in words)  # ties: alphabetical, deterministic
    return best if dist <= limit else None


def _value(toks: Sequence[_Tok], i: int, missing: str) -> _Tok:
    if i + 1 >= len(toks):
        raise _err(missing, toks[i])
    return toks[i + 1]


def _score(kw: str, tok: _Tok) -> ScoreEntry:
    lo, hi = (int(x) for x in vocab.SCORE_RANGES[kw])
    if not re.fullmatch(r"[0-9]{1,4}", tok.text) or not lo <= int(tok.text) <= hi:
        raise _err(f"{kw} must be a whole number from {lo} to {hi}, got '{_show(tok.text)}'", tok)
    return ScoreEntry(kw, int(tok.text))


def _role_after(toks: Sequence[_Tok], i: int, first: _Tok | None, name: str) -> tuple[_Tok, int]:
    """The `(ROLE)` / `(left)` after `with NAME`, as one token, and the index of its last
    token. *first* is the part of the name token from its '(' (`with Priya(champion)`),
    else toks[i] starts it. A role of several words (`(economic buyer)`) spans tokens."""
    parts = [first if first is not None else toks[i]]
    j = i if first is None else i - 1
    while not parts[-1].text.rstrip().endswith(")"):
        if j + 1 >= len(toks) or toks[j + 1].quoted:
            whole = _Tok(" ".join(p.text for p in parts), parts[0].start, parts[-1].end)
            raise _err(
                f"the parenthesis after with {_show(name)} is never closed; write the role "
                "like (champion)",
                whole,
            )
        j += 1
        parts.append(toks[j])
    text = " ".join(p.text for p in parts)
    return _Tok(text, parts[0].start, parts[-1].end), j


def _role(tok: _Tok, name: str) -> tuple[str | None, bool]:
    """(role, left) from a `(ROLE)` token; QuickLogError naming it otherwise."""
    inner = tok.text.strip()[1:-1].strip()
    if not inner:
        raise _err(
            f"with {_show(name)} () needs a role inside the parentheses, e.g. (champion); "
            f"roles: {role_words()}",
            tok,
        )
    if inner.casefold() == LEFT_WORD:
        return None, True
    role = parse_role(inner)
    if role is None:
        raise _err(
            f"unknown role '{_show(inner)}' for {_show(name)}; use one of {role_words()}, "
            f"or ({LEFT_WORD}) when they left the company",
            tok,
        )
    return role, False


def _money(tok: _Tok) -> float:
    m = _MONEY.fullmatch(tok.text.strip())
    if m is None:
        raise _err(
            f"mrr must be an amount like 1500, 1,500, $1500 or 1.5k, got '{_show(tok.text)}'", tok
        )
    value = (
        Decimal(m["num"].replace(",", "")) * {"": 1, "k": 1000, "m": 1_000_000}[m["suffix"].lower()]
    )
    if (m["neg"] or m["neg2"]) and value:
        raise _err(
            f"mrr cannot be negative (got '{_show(tok.text)}'); "
            "use `mrr 0` when the account churned",
            tok,
        )
    if value >= 10**12:  # a pasted id or a slip of the finger, not a monthly revenue
        raise _err(f"mrr '{_show(tok.text)}' is too large for a monthly amount", tok)
    return float(value)


def _term(tok: _Tok) -> int:
    m = _TERM.fullmatch(tok.text.strip())
    how = "write it like `term 12m`, `term 24m` or `term 1y`"
    if m is None:
        raise _err(f"'{_show(tok.text)}' is not a renewal term; {how}", tok)
    n = int(m[1])
    months = n * 12 if (m[2] or "m").lower().startswith("y") else n
    if not 1 <= months <= MAX_TERM_MONTHS:
        raise _err(
            f"the term '{_show(tok.text)}' must be from 1 to {MAX_TERM_MONTHS} months; {how}",
            tok,
        )
    return months


def _is_term_value(tok: _Tok | None) -> bool:
    return tok is not None and not tok.quoted and _TERM.fullmatch(tok.text.strip()) is not None


def parse_quicklog(line: str, account_names: Sequence[str], today: date) -> QuickLog:
    """Parse one line; raise only QuickLogError, whatever the input."""
    try:
        return _parse(line, account_names, today)
    except QuickLogError:
        raise
    except Exception as exc:  # a bug here must not crash the TUI's input box
        raise QuickLogError(
            f"could not read the line ({type(exc).__name__}: {exc}); please report this bug"
        ) from exc


def _parse(line: str, account_names: Sequence[str], today: date) -> QuickLog:
    bad = next((i for i, ch in enumerate(line) if "\ud800" <= ch <= "\udfff"), None)
    if bad is not None:
        # Undecodable bytes (kept by Python as a lone surrogate) cannot be stored.
        raise QuickLogError(
            "the line holds bytes that are not valid UTF-8 text; retype that part "
            "(check that your terminal uses UTF-8)",
            start=bad,
            end=bad + 1,
        )
    toks = _tokenize(line)
    if not toks:
        raise QuickLogError(EMPTY_LINE)
    account, i, how = _resolve_account(toks, account_names)
    kind: str | None = None
    quoted: list[str] = []
    words: list[str] = []
    scores: dict[str, ScoreEntry] = {}
    mrr: float | None = None
    contact: str | None = None
    contact_role: str | None = None
    contact_left = False
    when: date | None = None
    nxt: tuple[str | None, date] | None = None
    tags: list[str] = []
    seen: set[str] = set()
    outcome: str | None = None
    outcome_tok: _Tok | None = None
    term: int | None = None
    term_tok: _Tok | None = None
    mrr_tok: _Tok | None = None
    while i < len(toks):
        t = toks[i]
        low = t.text.lower()
        if low in seen and low in ("mrr", "with", "next") and not t.quoted:
            raise _err(f"'{_show(t.text)}' appears twice; keep one", t)
        if t.quoted:
            if t.text.strip():
                quoted.append(t.text.strip())
        elif low in vocab.QUICKLOG_KINDS:
            if kind is not None and kind != low:
                raise _err(
                    f"two kinds in one line ('{kind}' and '{_show(t.text)}'); keep one, or put "
                    "the text in quotes",
                    t,
                )
            kind = low
            after = toks[i + 1] if i + 1 < len(toks) else None
            if (
                low == "renewal"
                and after is not None
                and not after.quoted
                and after.text.lower() in OUTCOMES
            ):
                if outcome is not None:
                    raise _err(f"a second renewal outcome '{_show(after.text)}'; keep one", after)
                outcome, outcome_tok = after.text.lower(), after
                i += 1
        elif low == "term" and _is_term_value(toks[i + 1] if i + 1 < len(toks) else None):
            if term_tok is not None:
                raise _err("'term' appears twice; keep one", t)
            term_tok = t
            term = _term(toks[i + 1])
            i += 1
        elif low in _SCORE_KWS:
            if low in scores:
                raise _err(f"{low} is given twice; keep one", t)
            lo, hi = (int(x) for x in vocab.SCORE_RANGES[low])
            val = _value(toks, i, f"{low} needs a number after it, from {lo} to {hi}")
            scores[low] = _score(low, val)
            i += 1
        elif low == "mrr":
            mrr_tok = t
            mrr = _money(_value(toks, i, "mrr needs an amount after it, e.g. `mrr 1500`"))
            i += 1
        elif low == "with":
            missing = 'with needs a contact name after it, e.g. `with Dana` or `with "Dana Scully"`'
            c = _value(toks, i, missing)
            reserved = (*_KEYWORDS, *vocab.QUICKLOG_KINDS)
            bare_value = (
                c.text.lower() in reserved
                or c.text.startswith(("@", "#", "("))
                or _NUMBER.fullmatch(c.text)
            )
            if not c.text.strip() or (not c.quoted and bare_value):
                raise _err(missing, t)
            contact = " ".join(c.text.split())
            i += 1
            # `with NAME (ROLE)` / `with NAME (left)`; also written `with Priya(champion)`.
            glued = None
            if not c.quoted and "(" in c.text:
                k = c.text.index("(")
                glued = _Tok(c.text[k:], c.start + k, c.end)
                contact = c.text[:k]
            nxt_tok = toks[i + 1] if i + 1 < len(toks) else None
            if glued is not None or (
                nxt_tok is not None and not nxt_tok.quoted and nxt_tok.text.startswith("(")
            ):
                role_tok, i = _role_after(toks, i + 1, glued, contact)
                contact_role, contact_left = _role(role_tok, contact)
                after = toks[i + 1] if i + 1 < len(toks) else None
                if after is not None and not after.quoted and after.text.startswith("("):
                    raise _err(
                        f"give {_show(contact)} one role in parentheses, e.g. "
                        f'`with "{_show(contact)}" (champion)`',
                        after,
                    )
        elif low == "next":
            k = _value(toks, i, "next needs a touchpoint kind and a date, e.g. `next call +2w`")
            tp_kind = _touchpoint_kind(k.text)
            if tp_kind is None:
                try:
                    nxt = (None, parse_due(k.text, today))
                except ValueError as exc:
                    if _looks_like_date(k.text):
                        raise _err(str(exc), k) from None
                    raise _err(
                        f"unknown touchpoint kind '{_show(k.text)}' after next; use one of "
                        f"{', '.join(vocab.TOUCHPOINT_KINDS)}, or a date like "
                        "`next +2w`",
                        k,
                    ) from None
                i += 1
            else:
                d = _value(toks, i + 1, f"next {tp_kind} needs a date after it; use {_DUE_FORMS}")
                try:
                    nxt = (tp_kind, parse_due(d.text, today))
                except ValueError as exc:
                    raise _err(str(exc), d) from None
                i += 2
        elif t.text.startswith("@"):
            if when is not None:
                raise _err(f"a second @DATE '{_show(t.text)}'; keep one", t)
            try:
                when = parse_when(t.text, today)
            except ValueError as exc:
                raise _err(str(exc), t) from None
        elif t.text.startswith("#"):
            tag = t.text.lstrip("#").lower()
            if not tag:
                raise _err("'#' needs a tag name right after it, e.g. #expansion", t)
            if tag not in tags:
                tags.append(tag)
        elif _NUMBER.fullmatch(t.text):
            raise _err(
                f"unexpected number '{_show(t.text)}'; put it after nps/csat/ces/mrr or inside "
                "the quoted summary",
                t,
            )
        elif _SIGNED_REL.fullmatch(t.text):
            raise _err(
                f"unexpected date '{_show(t.text)}'; use `next KIND {_show(t.text)}` to "
                "schedule, or @DATE for when it happened",
                t,
            )
        elif guess := _near_keyword(t.text, toks[i + 1] if i + 1 < len(toks) else None):
            raise _err(f"unknown token '{_show(t.text)}'; did you mean '{guess}'?", t)
        else:
            words.append(t.text)
        if not t.quoted:
            seen.add(low)
        i += 1
    final_kind = kind or "call"
    if term_tok is not None and outcome not in ("renewed", "downgraded"):
        raise _err(
            "a term goes with a renewal outcome, e.g. `renewal renewed term 12m`"
            + ("; a churned renewal has no next term" if outcome == "churned" else ""),
            term_tok,
        )
    if outcome == "churned":
        if mrr is not None and mrr != 0 and mrr_tok is not None:
            raise _err(
                "a churned renewal ends the MRR (it becomes 0); drop `mrr N`, or write "
                "`renewal downgraded mrr N` if they stay on a smaller plan",
                mrr_tok,
            )
        mrr = 0.0
    elif outcome == "downgraded" and outcome_tok is not None:
        if mrr is None:
            raise _err(
                "downgraded needs the new MRR, e.g. `renewal downgraded mrr 900`", outcome_tok
            )
        if mrr == 0 and mrr_tok is not None:
            raise _err('a downgrade to MRR 0 is a churn; write `renewal churned "reason"`', mrr_tok)
    elif outcome == "renewed" and mrr == 0 and mrr_tok is not None:
        raise _err('a renewal at MRR 0 is a churn; write `renewal churned "reason"`', mrr_tok)
    nxt_tp = None
    if nxt is not None:
        default = final_kind if final_kind in vocab.TOUCHPOINT_KINDS else "call"
        nxt_tp = NextTouchpoint(nxt[0] or default, nxt[1])
    return QuickLog(
        account=account,
        kind=final_kind,
        summary=" ".join([*quoted, *([" ".join(words)] if words else [])]),
        scores=tuple(scores.values()),
        mrr=mrr,
        contact=contact,
        contact_role=contact_role,
        contact_left=contact_left,
        when=when if when is not None else today,
        dated=when is not None,
        next=nxt_tp,
        tags=tuple(tags),
        outcome=outcome,
        term_months=term,
        account_match=how,
    )


def account_candidates(prefix: str, account_names: Sequence[str], limit: int = 10) -> list[str]:
    """Autocompletion for the TUI: prefix matches, then word-start matches, then fuzzy ones.

    Fuzzy matching is looser here (0.7) than in the parser (0.8): a suggestion list costs
    nothing when wrong, a wrongly picked account does. Runs on every keystroke, so the
    names' keys and words are indexed once per list of names, and the fuzzy pass is skipped
    when the earlier kinds already fill the list, and uses difflib's cheap upper bounds
    before the exact ratio (the same answer: 10,000 names in a few ms, not 1-2 s).
    """
    if limit <= 0:
        return []
    index = _name_index(tuple(account_names))
    p = _key(prefix)
    if not p:
        return sorted((n for n, _, _ in index), key=str.casefold)[:limit]
    starts = [n for n, k, _ in index if k.startswith(p)]
    starts.sort(key=lambda n: (_key(n) != p, n.casefold()))
    taken = set(starts)
    inner = sorted(
        (
            n
            for n, k, words in index
            if n not in taken and (any(w.startswith(p) for w in words) or f" {p}" in k)
        ),
        key=str.casefold,
    )
    if len(starts) + len(inner) >= limit:
        return [*starts, *inner][:limit]
    taken.update(inner)
    fuzzy: list[tuple[float, str]] = []
    m = len(p)
    seen: dict[str, float] = {}  # the same words recur across names: score each once

    def score(x: str) -> float:
        value = seen.get(x)
        if value is None:
            value = 0.0
            # difflib's upper bounds of ratio() first: lengths, then shared letters.
            if 2.0 * min(m, len(x)) / (m + len(x)) >= 0.7:
                matcher = difflib.SequenceMatcher(None, p, x)
                if matcher.quick_ratio() >= 0.7:
                    value = matcher.ratio()
            seen[x] = value
        return value

    for n, k, words in index:
        if n in taken:
            continue
        best = max(score(x) for x in (k, k[:m], *words))
        if best >= 0.7:
            fuzzy.append((-best, n))
    fuzzy.sort(key=lambda sn: (sn[0], sn[1].casefold()))
    return [*starts, *inner, *(n for _, n in fuzzy)][:limit]


@lru_cache(maxsize=4)
def _name_index(names: tuple[str, ...]) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(name, key, words of the key) for each distinct name with a non-empty key, in order."""
    out = []
    for n in dict.fromkeys(names):
        k = _key(n)
        if k:
            out.append((n, k, tuple(w for w in re.split(r"[\s\-_./&,()]+", k) if w)))
    return tuple(out)
