"""The values after the quick log's keywords (core/quicklog.py): scores, `mrr`, the
renewal `term`, the `with NAME (ROLE)` role, a `next` kind, and the misspelt-keyword hint."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from bookkeeper_tui.core import vocab
from bookkeeper_tui.core.quicklog_dates import _ISO, _SIGNED_REL
from bookkeeper_tui.core.quicklog_tokens import ScoreEntry, _err, _show, _Tok
from bookkeeper_tui.core.relationships import LEFT_WORD, parse_role, role_words

_SCORE_KWS = ("nps", "csat", "ces")
_KEYWORDS = (*_SCORE_KWS, "mrr", "with", "next")
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
