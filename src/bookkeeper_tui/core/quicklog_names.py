"""The quick log's account: the leading words that name an account (exact, then a unique
prefix, then a close spelling), and the TUI's autocompletion (core/quicklog.py).

Both run on every keystroke of the quick log, against every account name of the book
(10,000 and more): the names' keys are indexed once per list of names, and a close
spelling is searched once per typed name, not on every keystroke after it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from functools import cached_property, lru_cache

from bookkeeper_tui.core.quicklog_tokens import EMPTY_LINE, QuickLogError, _err, _key, _show, _Tok

_ADD_HINT = "`bookkeeper add NAME --tier T --start DATE`"


class _Accounts:
    """The account names of one list, by key (see :func:`_accounts`); never changed."""

    def __init__(self, account_names: tuple[str, ...]) -> None:
        by_key: dict[str, list[str]] = {}
        for name in dict.fromkeys(account_names):
            by_key.setdefault(_key(name), []).append(name)
        by_key.pop("", None)
        self.by_key = by_key
        self.keys = list(by_key)
        #: What :func:`_close` found, by the typed text and the strings searched.
        self.close: dict[tuple[str, int], list[str]] = {}

    # Only a close spelling needs these: built then (the command line rarely does).
    @cached_property
    def first_words(self) -> dict[str, list[str]]:
        first_words: dict[str, list[str]] = {}
        for kk in self.keys:
            first_words.setdefault(kk.split(" ")[0], []).append(kk)
        return first_words

    @cached_property
    def words(self) -> list[str]:
        return list(self.first_words)

    @cached_property
    def keys_by_length(self) -> dict[int, list[str]]:
        return _by_length(self.keys)

    @cached_property
    def words_by_length(self) -> dict[int, list[str]]:
        return _by_length(self.words)


def _by_length(strings: list[str]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for x in strings:
        out.setdefault(len(x), []).append(x)
    return out


@lru_cache(maxsize=4)
def _accounts(account_names: tuple[str, ...]) -> _Accounts:
    """The names indexed once per list of names (not on every keystroke)."""
    return _Accounts(account_names)


def _close_spellings(index: _Accounts, keys: tuple[str, ...]) -> tuple[list[str], int] | None:
    """The close spellings of the longest run of *keys* that has any, and that run's
    length; None when none has (as difflib's ``get_close_matches`` at 0.8 finds them)."""
    all_keys = index.keys
    for k in range(len(keys), 0, -1):  # longest run first
        hits = _close(index, " ".join(keys[:k]), index.keys_by_length, len(all_keys))
        if k == 1:
            words = _close(index, keys[0], index.words_by_length, len(all_keys))
            hits = hits + [kk for w in words for kk in index.first_words[w]]
        if hits:
            return list(dict.fromkeys(hits)), k
    return None


def _close(index: _Accounts, typed: str, by_length: dict[int, list[str]], n: int) -> list[str]:
    """``difflib.get_close_matches(typed, all, n, 0.8)``, the same list, searched among the
    strings of a length that can reach 0.8 at all (difflib's ``real_quick_ratio``, 2 *
    shorter / both lengths, bounds the ratio), and remembered with the names: the typed
    name stays the same while the rest of the line grows."""
    key = (typed, id(by_length))
    found = index.close.get(key)
    if found is None:
        m = len(typed)
        possible = [
            x
            for length, strings in by_length.items()
            if m + length and 2.0 * min(m, length) / (m + length) >= 0.8
            for x in strings
        ]
        found = difflib.get_close_matches(typed, possible, n, 0.8) if possible else []
        if len(index.close) >= 256:
            index.close.clear()
        index.close[key] = found
    return found


def _resolve_account(toks: Sequence[_Tok], account_names: Sequence[str]) -> tuple[str, int, str]:
    """Exact run of tokens, else unique prefix (extended over tokens), else fuzzy.

    Returns (name, tokens consumed, how) with how in "exact" / "prefix" / "fuzzy". The
    longest run of leading words that names (or starts) an account wins, so multi-word
    names work without quotes.
    """
    if not toks:
        raise QuickLogError(EMPTY_LINE)
    first = toks[0]
    index = _accounts(tuple(account_names))
    by_key = index.by_key
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
        cands = [kk for kk in index.keys if kk.startswith(keys[0])]
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
        close = _close_spellings(index, tuple(keys))  # c. fuzzy, longest run first
        if close is not None:
            return pick(*close, "fuzzy")
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
    starts = _starts(index, p)
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


def _starts(index: tuple[tuple[str, str, tuple[str, ...]], ...], p: str) -> list[str]:
    """The names whose key starts with the key *p*: *p* itself first, then A to Z."""
    starts = [n for n, k, _ in index if k.startswith(p)]
    starts.sort(key=lambda n: (_key(n) != p, n.casefold()))
    return starts


def complete_account(value: str, account_names: Sequence[str], limit: int = 5) -> str | None:
    """The name the quick log's input offers to complete *value* with: the first of the
    first *limit* :func:`account_candidates` that starts with *value* (any case) and is
    longer; None when there is none.

    Only prefix matches can start with *value*, and they come first, so this looks at
    those alone: the word-start and fuzzy passes (which the line, once past the name,
    would run over every name on every keystroke) cannot change the answer.
    """
    p = _key(value)
    if not p or limit <= 0:
        candidates = account_candidates(value, account_names, limit)
    else:
        candidates = _starts(_name_index(tuple(account_names)), p)[:limit]
    folded = value.casefold()
    for name in candidates:
        if name.casefold().startswith(folded) and len(name) > len(value):
            return name
    return None


@lru_cache(maxsize=4)
def _name_index(names: tuple[str, ...]) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(name, key, words of the key) for each distinct name with a non-empty key, in order."""
    out = []
    for n in dict.fromkeys(names):
        k = _key(n)
        if k:
            out.append((n, k, tuple(w for w in re.split(r"[\s\-_./&,()]+", k) if w)))
    return tuple(out)
